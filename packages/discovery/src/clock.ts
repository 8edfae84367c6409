/**
 * Source of time for the peer table, in milliseconds. Injected so that tests can drive
 * timeouts without waiting.
 */
export interface Clock {
  /** Current time in milliseconds; must never go backwards. */
  now(): number;
}

/**
 * Wall-clock milliseconds that never go backwards: `performance.now()` is monotonic, and
 * adding `timeOrigin` keeps the values comparable with `Date.now()` for display.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
};
