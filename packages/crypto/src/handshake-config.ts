import { systemClock, type Clock } from './clock.js';
import { CryptoError } from './errors.js';
import { checkNodeId } from './handshake-messages.js';
import { networkKeyBytes, type NetworkKey } from './network-key.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';

/** Default allowed difference between two nodes' clocks: 30 s. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000;
/** Default time a peer has to finish a handshake: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default session lifetime: 10 minutes. */
export const DEFAULT_SESSION_TTL_MS = 10 * 60_000;

/** Configuration shared by both sides of the handshake. */
export interface HandshakeConfig {
  /** From {@link deriveNetworkKey}; the same on every node of the network. */
  readonly networkKey: NetworkKey;
  /** This node's id (1–128 characters, no control characters). */
  readonly nodeId: string;
  /** Injected clock (ms since the epoch). Default `Date.now`. */
  readonly clock?: Clock;
  /** Largest accepted difference between a peer's timestamps and this clock. Default 30 s. */
  readonly maxClockSkewMs?: number;
  /** How long a handshake may take from first to last message. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Lifetime of the sessions this side creates. Default 10 minutes. */
  readonly sessionTtlMs?: number;
  /** Replay window of the sessions, in messages (multiple of 32). Default 1024. */
  readonly replayWindow?: number;
}

/** {@link HandshakeConfig} with defaults applied and values checked. */
export interface ResolvedHandshakeConfig {
  readonly networkKey: NetworkKey;
  readonly nodeId: string;
  readonly clock: Clock;
  readonly maxClockSkewMs: number;
  readonly handshakeTimeoutMs: number;
  readonly sessionTtlMs: number;
  readonly replayWindow: number;
}

/** Applies defaults, checks ranges, returns a frozen copy. */
export function resolveHandshakeConfig(config: HandshakeConfig): ResolvedHandshakeConfig {
  if (typeof config !== 'object' || config === null) throw new CryptoError('invalid-config', 'A handshake needs a config object.');
  networkKeyBytes(config.networkKey); // throws `disposed` for a disposed key
  const resolved: ResolvedHandshakeConfig = {
    networkKey: config.networkKey,
    nodeId: checkNodeId(config.nodeId, 'nodeId', 'invalid-config'),
    clock: config.clock ?? systemClock,
    maxClockSkewMs: positiveInteger('maxClockSkewMs', config.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS),
    handshakeTimeoutMs: positiveInteger('handshakeTimeoutMs', config.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS),
    sessionTtlMs: positiveInteger('sessionTtlMs', config.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS),
    replayWindow: config.replayWindow ?? DEFAULT_REPLAY_WINDOW,
  };
  new ReplayWindow(resolved.replayWindow); // throws `invalid-config` for a bad size, now rather than per session
  if (typeof resolved.clock !== 'function') throw new CryptoError('invalid-config', 'clock must be a function returning milliseconds since the epoch.');
  return Object.freeze(resolved);
}

/** Checks a positive safe integer option. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new CryptoError('invalid-config', `${name} must be a positive integer, got ${String(value)}.`, { details: { option: name } });
  }
  return value;
}
