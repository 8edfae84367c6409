/**
 * How far (ms) the precise reading may stray from `Date.now()` before it is re-anchored: more
 * than the millisecond `Date.now()` truncates, less than any step worth following.
 */
const REANCHOR_AFTER_MS = 2;

/** A wall clock in microseconds since the epoch, made from a coarse and a precise source. */
export interface WallClockSources {
  /** The system clock, ms since the epoch (`Date.now`): follows every step of the system clock. */
  readonly systemMs: () => number;
  /** A monotonic clock, ms with a fraction (`performance.now`): smooth, but blind to steps. */
  readonly monotonicMs: () => number;
  /** The system time (ms, with a fraction) at monotonic 0, if known precisely (`performance.timeOrigin`). */
  readonly originMs?: number;
}

const defaultSources: WallClockSources = { systemMs: Date.now, monotonicMs: () => performance.now(), originMs: performance.timeOrigin };

/**
 * Creates a wall clock reading microseconds since the epoch that follows the system clock when it
 * steps (an NTP correction after boot, a resumed laptop, an operator's `date -s`), forwards or
 * backwards, without a restart — yet keeps the monotonic clock's sub-millisecond resolution
 * between steps. Reading `performance.timeOrigin + performance.now()` alone (as the engine once
 * did) fixes the wall clock at process start: a node booted with a wrong clock kept it after the
 * clock was corrected, and refused its peers' writes as too far ahead (issue #20).
 *
 * Readings can go backwards when the system clock does; the {@link HybridLogicalClock} keeps its
 * timestamps increasing whatever the wall clock does.
 *
 * @example
 * ```ts
 * const wallClockMicros = createSystemWallClock();
 * console.log(new Date(wallClockMicros() / 1000));
 * ```
 */
export function createSystemWallClock(sources: WallClockSources = defaultSources): () => number {
  let offsetMs = sources.originMs ?? sources.systemMs() + 0.5 - sources.monotonicMs();
  return function systemWallClockMicros(): number {
    const system = sources.systemMs();
    const monotonic = sources.monotonicMs();
    let precise = offsetMs + monotonic;
    // `Date.now()` truncates: the true time is in [system, system + 1).
    if (precise < system - REANCHOR_AFTER_MS || precise > system + 1 + REANCHOR_AFTER_MS) {
      offsetMs = system + 0.5 - monotonic;
      precise = system + 0.5;
    }
    return Math.floor(precise * 1000);
  };
}

/**
 * The process's system wall clock (µs), shared by every engine that is not given its own: engines
 * of one process read one clock, so their timestamps order as the calls did.
 */
export const systemWallClockMicros: () => number = createSystemWallClock();
