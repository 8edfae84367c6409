/**
 * Counts requests in flight (a streamed response counts until its stream ends) so that a
 * graceful shutdown can wait for them, and refuses new ones once draining.
 */
export class ActivityTracker {
  #active = 0;
  #draining = false;
  readonly #drainStarted = new AbortController();
  #idleWaiters: (() => void)[] = [];

  /** Requests in flight. */
  get active(): number {
    return this.#active;
  }

  /** True after {@link ActivityTracker.drain}: new requests are refused with 503. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Registers a request; call the returned function once when it is completely done. */
  begin(): () => void {
    this.#active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#active -= 1;
      if (this.#active === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    };
  }

  /**
   * Aborted when draining starts. Long-lived responses that are subscriptions rather than work
   * to finish (change feeds) end on it, so a shutdown does not wait for them.
   */
  get drainSignal(): AbortSignal {
    return this.#drainStarted.signal;
  }

  /** Starts draining: from now on, new requests are refused. */
  drain(): void {
    this.#draining = true;
    this.#drainStarted.abort(new Error('server shutting down'));
  }

  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
