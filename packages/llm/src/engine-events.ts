import type { GenerationEvent } from './generation-meter.js';

/** The events of an {@link LlmEngine} and their payloads. */
export interface LlmEngineEvents {
  /** One per request (completion or chat, streamed or not), once it is over. */
  generation: GenerationEvent;
}

/**
 * The listeners of a set of typed events. A listener that throws does not disturb the emitter
 * or the other listeners: its error goes to `onListenerError`.
 */
export class EventListeners<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(event: never) => void>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Whether anyone listens to `name` (so that building an event nobody reads can be skipped). */
  has(name: keyof Events): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as (event: Events[K]) => void)(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
