/**
 * What pooled inference reports about each request that crossed the peer channel: one forwarded
 * to a peer, or one served for a peer. Metrics subscribe to them (`metrics/pool-metrics.ts`);
 * nothing in the pool knows about metrics.
 */
export interface PoolRequestEvent {
  /** `forwarded`: this node sent the request to `peer`; `served`: this node ran it for `peer`. */
  readonly direction: 'forwarded' | 'served';
  /** The other node's id. */
  readonly peer: string;
  readonly kind: 'chat' | 'completion' | 'embedding';
  /** `completed`, or the error code the request ended with (`aborted`, `context-overflow`, `upstream-unavailable`, …). */
  readonly outcome: string;
  /** From the answer's usage; 0 when it ended without one. */
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly durationMs: number;
}

/** Where pooled inference reports {@link PoolRequestEvent}s. */
export type PoolEventSink = (event: PoolRequestEvent) => void;

/** The listeners of a node's {@link PoolRequestEvent}s. */
export class PoolEvents {
  readonly #listeners = new Set<PoolEventSink>();

  /** Adds a listener; returns the function that removes it. */
  on(listener: PoolEventSink): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Reports an event to every listener: an arrow function, to hand to the pool's modules. */
  readonly emit: PoolEventSink = (event) => {
    for (const listener of this.#listeners) listener(event);
  };
}
