import { ClockDriftError, SyncError } from './errors.js';
import { isValidNodeId } from './node-id.js';

/**
 * A decoded hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014).
 */
export interface HlcTimestamp {
  /** Wall-clock component, microseconds since the Unix epoch. */
  readonly wallMicros: number;
  /** Logical counter that orders events sharing the same wall component. */
  readonly counter: number;
  /** The node that produced the timestamp; the final tie-breaker. */
  readonly nodeId: string;
}

const WALL_DIGITS = 16;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 999_999;
// 16 decimal digits; also the largest integer a double holds exactly (year 2255 in microseconds).
const MAX_WALL = Number.MAX_SAFE_INTEGER;
// Fixed-width decimal fields make the string sort exactly like (wall, counter, nodeId).
const HLC_PATTERN = /^(\d{16})-(\d{6})-([A-Za-z0-9][A-Za-z0-9._:-]{0,63})$/;

/**
 * Encodes a timestamp as `WWWWWWWWWWWWWWWW-CCCCCC-nodeId`; encoded strings sort
 * lexicographically in timestamp order (in JavaScript and in SQLite).
 */
export function encodeHlc(timestamp: HlcTimestamp): string {
  const { wallMicros, counter, nodeId } = timestamp;
  if (!Number.isSafeInteger(wallMicros) || wallMicros < 0 || wallMicros > MAX_WALL) {
    throw new SyncError('invalid-argument', `HLC wall time out of range: ${wallMicros}`);
  }
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
    throw new SyncError('invalid-argument', `HLC counter out of range: ${counter}`);
  }
  if (!isValidNodeId(nodeId)) throw new SyncError('invalid-argument', `invalid node id ${JSON.stringify(nodeId)}`);
  return `${String(wallMicros).padStart(WALL_DIGITS, '0')}-${String(counter).padStart(COUNTER_DIGITS, '0')}-${nodeId}`;
}

/** Decodes an HLC string; `undefined` when it is not one. */
export function decodeHlc(value: unknown): HlcTimestamp | undefined {
  if (typeof value !== 'string') return undefined;
  const match = HLC_PATTERN.exec(value);
  if (match === null) return undefined;
  return { wallMicros: Number(match[1]), counter: Number(match[2]), nodeId: match[3]! };
}

/** Whether `value` is a well-formed HLC string. */
export function isValidHlc(value: unknown): value is string {
  return typeof value === 'string' && HLC_PATTERN.test(value);
}

/** Compares two HLC strings: negative, zero or positive like `Array.prototype.sort` expects. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The wall-time prefix of an HLC string that any timestamp at `wallMicros` starts with. */
export function hlcWallPrefix(wallMicros: number): string {
  return String(Math.max(0, Math.floor(wallMicros))).padStart(WALL_DIGITS, '0');
}

/** Construction config of {@link HybridLogicalClock}. */
export interface HybridLogicalClockConfig {
  /** The local node id, embedded in every timestamp. */
  readonly nodeId: string;
  /** Wall clock in microseconds since the epoch (injected so tests can skew it). */
  readonly wallClockMicros: () => number;
  /** Remote timestamps further ahead than this (ms) are rejected by {@link HybridLogicalClock.receive}. */
  readonly maxDriftMs: number;
  /** The last timestamp issued or observed before a restart, so time never runs backwards. */
  readonly last?: string | undefined;
}

/**
 * A hybrid logical clock: timestamps follow wall time when clocks agree, yet stay strictly
 * increasing on this node and greater than every timestamp it has received, even when the
 * local wall clock is behind or steps backwards.
 *
 * @example
 * ```ts
 * const clock = new HybridLogicalClock({ nodeId: 'a', wallClockMicros: () => Date.now() * 1000, maxDriftMs: 60_000 });
 * const t1 = clock.now();
 * clock.receive(remoteHlc); // throws ClockDriftError if remoteHlc is too far ahead
 * const t2 = clock.now();   // > t1 and > remoteHlc
 * ```
 */
export class HybridLogicalClock {
  readonly #nodeId: string;
  readonly #wall: () => number;
  readonly #maxDriftMicros: number;
  #lastWall = 0;
  #lastCounter = 0;

  constructor(config: HybridLogicalClockConfig) {
    if (!isValidNodeId(config.nodeId)) throw new SyncError('invalid-config', `invalid node id ${JSON.stringify(config.nodeId)}`);
    if (!(config.maxDriftMs >= 0)) throw new SyncError('invalid-config', `maxDriftMs must be >= 0, got ${config.maxDriftMs}`);
    this.#nodeId = config.nodeId;
    this.#wall = config.wallClockMicros;
    this.#maxDriftMicros = config.maxDriftMs * 1000;
    if (config.last !== undefined) {
      const last = decodeHlc(config.last);
      if (last === undefined) throw new SyncError('invalid-config', `invalid persisted clock ${JSON.stringify(config.last)}`);
      this.#lastWall = last.wallMicros;
      this.#lastCounter = last.counter;
    }
  }

  /** The greatest timestamp issued or observed so far (persist it to survive restarts). */
  get last(): string {
    // The fields are known to be in range here; skip encodeHlc's validation on this hot path.
    return `${String(this.#lastWall).padStart(WALL_DIGITS, '0')}-${String(this.#lastCounter).padStart(COUNTER_DIGITS, '0')}-${this.#nodeId}`;
  }

  /** The current wall-clock reading in microseconds. */
  wallMicros(): number {
    return Math.floor(this.#wall());
  }

  /** Issues a new timestamp for a local event, greater than every earlier one. */
  now(): string {
    const physical = this.wallMicros();
    if (physical > this.#lastWall) {
      this.#lastWall = physical;
      this.#lastCounter = 0;
    } else if (this.#lastCounter < MAX_COUNTER) {
      this.#lastCounter += 1;
    } else {
      // A million events in one microsecond: borrow the next microsecond rather than fail.
      this.#lastWall += 1;
      this.#lastCounter = 0;
    }
    return this.last;
  }

  /**
   * How far (ms) `remote` is ahead of the local wall clock beyond the allowed drift, or
   * `undefined` when it is acceptable.
   */
  excessDriftMs(remote: HlcTimestamp): number | undefined {
    const ahead = remote.wallMicros - this.wallMicros();
    return ahead > this.#maxDriftMicros ? ahead / 1000 : undefined;
  }

  /**
   * Observes a remote timestamp so later local timestamps sort after it.
   * @throws {ClockDriftError} when it is further ahead of the wall clock than allowed; the
   * clock is left unchanged (the remote time is not adopted).
   */
  receive(remoteHlc: string): void {
    const remote = decodeHlc(remoteHlc);
    if (remote === undefined) throw new SyncError('invalid-argument', `invalid HLC ${JSON.stringify(remoteHlc)}`);
    const drift = this.excessDriftMs(remote);
    if (drift !== undefined) throw new ClockDriftError(remoteHlc, drift, this.#maxDriftMicros / 1000);
    if (remote.wallMicros > this.#lastWall || (remote.wallMicros === this.#lastWall && remote.counter > this.#lastCounter)) {
      this.#lastWall = remote.wallMicros;
      this.#lastCounter = remote.counter;
    }
  }
}
