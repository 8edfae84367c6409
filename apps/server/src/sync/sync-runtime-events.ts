/**
 * What the LAN sync runtime (sync server, sync streams, transports) reports besides the engine's
 * own events: handshakes, failed authentications and rate-limit refusals. Metrics subscribe to
 * them; the runtime also logs each one.
 */
export type SyncRuntimeEvent =
  /** A handshake finished, `ok` or with the code it failed with; `inbound` when the peer started it. */
  | { readonly type: 'handshake'; readonly direction: 'inbound' | 'outbound'; readonly outcome: string }
  /** A request failed authentication and counts against its address (a wrong secret, a forgery, a replay). */
  | { readonly type: 'authentication-failed'; readonly code: string }
  /**
   * A request was refused by a limit: too many handshakes, too many failed authentications from
   * the address, or too many sync streams open from it.
   */
  | { readonly type: 'rate-limited'; readonly limit: 'handshakes' | 'failed-authentications' | 'streams' };

/** Where the runtime's modules report {@link SyncRuntimeEvent}s. */
export type SyncRuntimeEventSink = (event: SyncRuntimeEvent) => void;

/** The listeners of a node's {@link SyncRuntimeEvent}s. */
export class SyncRuntimeEvents {
  readonly #listeners = new Set<SyncRuntimeEventSink>();

  /** Adds a listener; returns the function that removes it. */
  on(listener: SyncRuntimeEventSink): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Reports an event to every listener: an arrow function, to hand to the runtime's modules. */
  readonly emit: SyncRuntimeEventSink = (event) => {
    for (const listener of this.#listeners) listener(event);
  };
}
