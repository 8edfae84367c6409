import type { TimerHandle, TimerPort } from './timer-port.js';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock and timers that move only when told to ({@link ManualClock.advance}): inject `now` and
 * `timers` into the sync scheduler to test its backoff, intervals and push debouncing in virtual
 * time. Timers fire in order of their due time (then of creation), each with the clock set to
 * its due time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_000_000);
 * const scheduler = new SyncScheduler({ ...config, now: clock.now, timers: clock });
 * await clock.advance(60_000); // every round due within the minute runs
 * ```
 */
export class ManualClock implements TimerPort {
  #now: number;
  #nextId = 1;
  readonly #pending = new Map<number, PendingTimer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** The current virtual time in ms (bound: pass it as a `now` function). */
  readonly now = (): number => this.#now;

  /** Due times of the pending timers, earliest first. */
  get pendingDueTimes(): number[] {
    return [...this.#pending.values()].map((timer) => timer.at).sort((a, b) => a - b);
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#pending.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#pending.delete(handle as unknown as number);
  }

  /**
   * Moves the clock `ms` forward, firing every timer that falls due on the way (also those the
   * fired callbacks set), and lets the promise continuations they started run between timers.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      const next = [...this.#pending.values()].filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.#pending.delete(next.id);
      this.#now = next.at;
      next.callback();
      await settle();
    }
    this.#now = until;
    await settle();
  }
}

/** Lets queued promise continuations and immediates run (I/O-free work started by a timer). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
