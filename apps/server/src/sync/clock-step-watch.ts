/** One reading of both clocks. */
export interface ClockReading {
  /** The system clock (`Date.now()`), ms since the epoch. */
  readonly systemMs: number;
  /** A monotonic clock (`performance.now()`), ms. */
  readonly monotonicMs: number;
}

/**
 * How far (ms) the system clock moved against the monotonic clock between two readings: a step
 * (an NTP correction, a resumed laptop, `date -s`), or `undefined` when it is below `thresholdMs`
 * (the slow slewing NTP does, and the millisecond `Date.now()` truncates, are not steps).
 */
export function clockStepMs(previous: ClockReading, current: ClockReading, thresholdMs: number): number | undefined {
  const step = current.systemMs - previous.systemMs - (current.monotonicMs - previous.monotonicMs);
  return Math.abs(step) >= thresholdMs ? step : undefined;
}

/** Construction config of {@link ClockStepWatch}. */
export interface ClockStepWatchConfig {
  /** Called with the step (ms, negative when the clock went back) each time the system clock steps. */
  readonly onStep: (stepMs: number) => void;
  /** Steps smaller than this are ignored. Default 1000 ms. */
  readonly thresholdMs?: number;
  /** How often both clocks are read. Default 1000 ms. */
  readonly intervalMs?: number;
  /** Reads both clocks (injected by tests). Default: `Date.now()` and `performance.now()`. */
  readonly read?: () => ClockReading;
}

const readClocks = (): ClockReading => ({ systemMs: Date.now(), monotonicMs: performance.now() });

/**
 * Watches the system clock for steps while the node runs. The HLC follows the system clock by
 * itself; the watch is there to act on a step: a node whose clock was wrong has refused its
 * peers' changes (or was refused by them), and backed off from them, so once its clock is
 * corrected it retries them at once instead of after the backoff (issue #20).
 */
export class ClockStepWatch {
  readonly #config: Required<ClockStepWatchConfig>;
  #last: ClockReading;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: ClockStepWatchConfig) {
    this.#config = Object.freeze({ thresholdMs: 1000, intervalMs: 1000, read: readClocks, ...config });
    this.#last = this.#config.read();
  }

  /** Starts reading the clocks every `intervalMs` (an unref'ed timer). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.check(), this.#config.intervalMs);
    this.#timer.unref();
  }

  /** Reads the clocks now; calls `onStep` and returns the step when the system clock stepped. */
  check(): number | undefined {
    const current = this.#config.read();
    const step = clockStepMs(this.#last, current, this.#config.thresholdMs);
    this.#last = current;
    if (step !== undefined) this.#config.onStep(step);
    return step;
  }

  /** Stops the timer. Idempotent. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
