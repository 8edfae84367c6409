/**
 * A minimal typed event emitter. Listeners run synchronously after the change they describe
 * has been committed; a listener that throws does not undo or interrupt the operation: the
 * error is rethrown asynchronously (like an unhandled error anywhere else).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #listeners = new Map<keyof Events, Set<(event: never) => void>>();

  /** Subscribes `listener` to `name`; returns a function that unsubscribes it. */
  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(name, listener);
  }

  /** Unsubscribes `listener` from `name`. */
  off<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): void {
    this.#listeners.get(name)?.delete(listener as (event: never) => void);
  }

  /** Whether anyone listens to `name` (lets hot paths skip building event payloads). */
  has<K extends keyof Events>(name: K): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  /** Calls every listener of `name` with `event`. */
  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (event: Events[K]) => void)(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
