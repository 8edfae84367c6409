import { UpstreamEngineError } from './upstream-error.js';

/**
 * How many requests the node forwards at once (`LLM_PARALLEL`), the rest waiting in a bounded
 * queue (`LLM_MAX_QUEUE`), so `/health`, the console and the choice planner see slots and a
 * queue as with a local model, and one node cannot flood a shared upstream.
 */
export class SlotGate {
  readonly #slots: number;
  readonly #maxQueue: number;
  #inUse = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number, maxQueue: number) {
    this.#slots = slots;
    this.#maxQueue = maxQueue;
  }

  get slots(): number {
    return this.#slots;
  }

  get inUse(): number {
    return this.#inUse;
  }

  get queueDepth(): number {
    return this.#waiting.length;
  }

  get maxQueue(): number {
    return this.#maxQueue;
  }

  /**
   * Waits for a slot; the returned function frees it (call it once). Throws `queue-full` when
   * the queue is full and `aborted` when `signal` fires while waiting.
   */
  async acquire(signal: AbortSignal | undefined): Promise<() => void> {
    if (signal?.aborted === true) throw new UpstreamEngineError('aborted', 'The request was aborted before it started.');
    if (this.#inUse < this.#slots) {
      this.#inUse += 1;
      return this.#releaser();
    }
    if (this.#waiting.length >= this.#maxQueue) {
      throw new UpstreamEngineError('queue-full', `Every slot (${this.#slots}) is busy and the queue (${this.#maxQueue}) is full; retry shortly.`);
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new UpstreamEngineError('aborted', 'The request was aborted while it waited for a slot.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so `inUse` stays the same.
      if (next === undefined) this.#inUse -= 1;
      else next();
    };
  }
}
