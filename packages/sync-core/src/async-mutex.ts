/**
 * Serialises async critical sections. The engine's writes run under one mutex so that a page
 * planned before an awaited conflict resolver is committed against unchanged local state.
 */
export class AsyncMutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every previously queued section has settled. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
