import { queuedReason, type RoundReason } from './round-policy.js';

/**
 * At most one round per peer at a time: a round requested while one runs is queued, and every
 * further request joins that one queued round (their reasons merged by `queuedReason`), so a
 * burst of changes during a round costs exactly one more round.
 */
export class RoundQueue<O> {
  readonly #run: (reason: RoundReason) => Promise<O>;
  readonly #mayContinue: () => boolean;
  #running: Promise<O> | undefined;
  #queued: { readonly promise: Promise<O>; readonly resolve: (outcome: Promise<O>) => void; reason: RoundReason } | undefined;

  /**
   * @param run starts one round (called synchronously by {@link RoundQueue.request}).
   * @param mayContinue checked when a round ends: `false` (the scheduler stopped) settles the
   *   queued round with the one that just ended instead of starting it.
   */
  constructor(run: (reason: RoundReason) => Promise<O>, mayContinue: () => boolean) {
    this.#run = run;
    this.#mayContinue = mayContinue;
  }

  /** Whether a round is running. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** The running and queued rounds (to wait for on shutdown). */
  get pending(): Promise<O>[] {
    return [this.#running, this.#queued?.promise].filter((promise) => promise !== undefined);
  }

  /** Runs a round now, or — if one is running — exactly one more right after it. */
  request(reason: RoundReason): Promise<O> {
    if (this.#running === undefined) return this.#start(reason);
    if (this.#queued === undefined) {
      let resolve!: (outcome: Promise<O>) => void;
      const promise = new Promise<O>((r) => {
        resolve = r;
      });
      this.#queued = { promise, resolve, reason };
    } else {
      this.#queued.reason = queuedReason(this.#queued.reason, reason);
    }
    return this.#queued.promise;
  }

  #start(reason: RoundReason): Promise<O> {
    const running = this.#run(reason).finally(() => {
      this.#running = undefined;
      const queued = this.#queued;
      this.#queued = undefined;
      if (queued !== undefined) queued.resolve(this.#mayContinue() ? this.#start(queued.reason) : running);
    });
    this.#running = running;
    return running;
  }
}
