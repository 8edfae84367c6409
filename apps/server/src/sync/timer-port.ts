/** A pending timer of a {@link TimerPort}: opaque, only given back to {@link TimerPort.clearTimeout}. */
export type TimerHandle = { readonly __timerHandle: unique symbol } | NodeJS.Timeout;

/**
 * The two timer calls the sync runtime's policy code makes, as a port: production passes
 * {@link systemTimers}; tests pass a manual clock, so backoff, intervals and push debouncing are
 * driven without waiting for real time.
 */
export interface TimerPort {
  /**
   * Calls `callback` once after `ms`. `unref`: the timer does not keep the process alive (periodic
   * and retry rounds must not delay an exit; a pending push should still leave).
   */
  setTimeout(callback: () => void, ms: number, options?: { readonly unref?: boolean }): TimerHandle;
  /** Cancels a pending timer; `undefined` or an already fired one is ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** Node's timers. */
export const systemTimers: TimerPort = {
  setTimeout(callback, ms, options) {
    const timer = setTimeout(callback, ms);
    if (options?.unref === true) timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout | undefined);
  },
};
