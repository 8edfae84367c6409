import type { InboundPeer } from './sync-server.js';

/** Who hears of the peers that reach this node's sync port (the scheduler, through `SyncRuntime`). */
export interface InboundPeerListener {
  /** A peer completed a handshake with us (it started it). */
  peerAuthenticated(peer: InboundPeer): void;
  /** A peer sent an authenticated sync request (it is running a round with us). */
  peerRequested(peerId: string): void;
}

/**
 * The sync port's news about inbound peers, for whoever subscribes. The sync server only
 * publishes here and knows nothing of the scheduler; the scheduler is built after the server is
 * bound (its transports tell peers the bound port) and subscribes then, so data flows one way:
 * sync port → feed → scheduler.
 *
 * @example
 * ```ts
 * const inbound = new InboundPeerFeed();
 * const app = createSyncApp({ ...deps, onInboundPeer: inbound.publishPeer, onInboundRequest: inbound.publishRequest });
 * const server = await listenSyncServer(app, options);
 * const scheduler = new SyncScheduler({ ...config, createTransport: transportsTo(server.port) });
 * inbound.subscribe({ peerAuthenticated: (peer) => …, peerRequested: (peerId) => scheduler.inboundActivity(peerId) });
 * ```
 */
export class InboundPeerFeed {
  readonly #listeners = new Set<InboundPeerListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: InboundPeerListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** `SyncServerDependencies.onInboundPeer`: an arrow function, to hand to `createSyncApp`. */
  readonly publishPeer = (peer: InboundPeer): void => {
    for (const listener of this.#listeners) listener.peerAuthenticated(peer);
  };

  /** `SyncServerDependencies.onInboundRequest`: an arrow function, to hand to `createSyncApp`. */
  readonly publishRequest = (peerId: string): void => {
    for (const listener of this.#listeners) listener.peerRequested(peerId);
  };
}
