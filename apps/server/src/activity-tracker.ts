/**
 * Counts requests in flight (a streamed response counts until its stream ends) so that a
 * graceful shutdown can wait for them, and refuses new ones once draining.
 */
export class ActivityTracker {
  #active = 0;
  #draining = false;
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

  /** Starts draining: from now on, new requests are refused. */
  drain(): void {
    this.#draining = true;
  }

  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
