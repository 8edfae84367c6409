/**
 * A single-consumer push queue turned into an async iterator: the producer pushes items,
 * then ends it or fails it; the consumer awaits them in order.
 */
export class AsyncChannel<T> {
  readonly #items: T[] = [];
  #ended = false;
  #error: { readonly error: unknown } | undefined;
  #wake: (() => void) | undefined;

  /** Queue an item (ignored after end/fail). */
  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#notify();
  }

  /** No more items. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** End with an error, thrown to the consumer after the queued items. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = { error };
    this.#ended = true;
    this.#notify();
  }

  /** Next item, or `undefined` once ended; throws the failure, if any. */
  async next(): Promise<{ readonly item: T } | undefined> {
    for (;;) {
      if (this.#items.length > 0) return { item: this.#items.shift() as T };
      if (this.#error !== undefined) throw this.#error.error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
