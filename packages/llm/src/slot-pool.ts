import { LlmError } from './errors.js';

/**
 * A fixed set of slots with a bounded FIFO queue in front. `acquire` hands out a free slot
 * at once, or waits in line; a full line is a `queue-full` error, an aborted wait is removed
 * from the line and fails with `aborted`. Pure logic: no timers, no native code.
 */
export class SlotPool<T> {
  /** Free slots, always in the order the pool was given them. */
  readonly #free: T[];
  readonly #position: ReadonlyMap<T, number>;
  readonly #size: number;
  readonly #maxQueue: number;
  readonly #waiters: Waiter<T>[] = [];
  #closed: LlmError | undefined;

  constructor(slots: readonly T[], maxQueue: number) {
    this.#free = [...slots];
    this.#position = new Map(slots.map((slot, index) => [slot, index]));
    this.#size = slots.length;
    this.#maxQueue = maxQueue;
  }

  /** Number of slots. */
  get size(): number {
    return this.#size;
  }

  /** Slots currently handed out. */
  get inUse(): number {
    return this.#size - this.#free.length;
  }

  /** Requests waiting for a slot. */
  get queueDepth(): number {
    return this.#waiters.length;
  }

  /** The queue bound. */
  get maxQueue(): number {
    return this.#maxQueue;
  }

  /**
   * Take a slot, waiting in FIFO order if none is free. Among several free slots, the one
   * with the highest `preference` wins (the engine prefers the slot whose KV cache already
   * holds the longest prefix of the prompt); among equals, the first in the pool's order. Why
   * the first: the engine's slots are sequences 0, 1, 2…, and llama.cpp evaluates a batch as one
   * graph only over consecutive sequence ids, so busy slots packed at the low end decode together.
   */
  acquire(signal?: AbortSignal, preference?: (slot: T) => number): Promise<T> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (signal?.aborted === true) return Promise.reject(abortedError(signal));
    const slot = this.#waiters.length === 0 ? this.#takeFree(preference) : undefined;
    if (slot !== undefined) return Promise.resolve(slot);
    if (this.#waiters.length >= this.#maxQueue) {
      return Promise.reject(
        new LlmError(
          'queue-full',
          `All ${this.#size} slot(s) are busy and ${this.#maxQueue} request(s) are already waiting; retry later.`,
          { maxQueue: this.#maxQueue, slots: this.#size },
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortedError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #takeFree(preference: ((slot: T) => number) | undefined): T | undefined {
    if (this.#free.length === 0) return undefined;
    let best = 0;
    if (preference !== undefined && this.#free.length > 1) {
      let bestScore = Number.NEGATIVE_INFINITY;
      this.#free.forEach((slot, index) => {
        const score = preference(slot);
        if (score > bestScore) {
          bestScore = score;
          best = index;
        }
      });
    }
    return this.#free.splice(best, 1)[0];
  }

  /** Give a slot back: the oldest waiter gets it, or it becomes free. */
  release(slot: T): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined || this.#closed !== undefined) {
      const position = this.#position.get(slot) ?? Number.POSITIVE_INFINITY;
      const after = this.#free.findIndex((free) => (this.#position.get(free) ?? Number.POSITIVE_INFINITY) > position);
      this.#free.splice(after < 0 ? this.#free.length : after, 0, slot);
      return;
    }
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(slot);
  }

  /** Reject every waiter and all later `acquire` calls with `error`. */
  close(error: LlmError): void {
    this.#closed = error;
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }
}

interface Waiter<T> {
  readonly resolve: (slot: T) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** The `aborted` error for a fired signal, keeping the signal's reason as the cause. */
export function abortedError(signal: AbortSignal | undefined): LlmError {
  return new LlmError('aborted', 'The request was aborted.', {}, { cause: signal?.reason });
}
