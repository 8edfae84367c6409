import type { SyncRequest } from '../messages.js';
import type { SyncResponder, SyncTransport, SyncTransportRequestOptions } from '../sync-transport.js';

/** Traffic counters of an {@link InMemoryTransport}. */
export interface TransportStats {
  requests: number;
  /** Bytes of JSON sent (requests). */
  bytesSent: number;
  /** Bytes of JSON received (responses). */
  bytesReceived: number;
}

/** Options of {@link createInMemoryTransport}. */
export interface InMemoryTransportOptions {
  /**
   * Round-trip every message through `JSON.stringify`/`JSON.parse` like a real wire (and count
   * its bytes). Default true.
   */
  readonly serialize?: boolean;
  /** Called with every request before delivery; throw to simulate a network failure. */
  readonly onRequest?: (message: SyncRequest) => void;
}

/** A {@link SyncTransport} that calls a responder in the same process. */
export interface InMemoryTransport extends SyncTransport {
  /** Traffic so far. */
  readonly stats: TransportStats;
  /** While true, every request fails as if the peer were unreachable. */
  partitioned: boolean;
}

/**
 * A transport from the node `requesterId` to `responder` in the same process.
 *
 * @example
 * ```ts
 * const transport = createInMemoryTransport(engineB, 'a');
 * await engineA.syncWith('b', transport);
 * ```
 */
export function createInMemoryTransport(responder: SyncResponder, requesterId: string, options: InMemoryTransportOptions = {}): InMemoryTransport {
  const serialize = options.serialize ?? true;
  const stats: TransportStats = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  const transport: InMemoryTransport = {
    stats,
    partitioned: false,
    async request(message: SyncRequest, requestOptions?: SyncTransportRequestOptions): Promise<unknown> {
      requestOptions?.signal?.throwIfAborted();
      if (transport.partitioned) throw new Error(`in-memory transport: ${requesterId} cannot reach its peer (partitioned)`);
      options.onRequest?.(message);
      stats.requests += 1;
      let delivered: unknown = message;
      if (serialize) {
        const json = JSON.stringify(message);
        stats.bytesSent += Buffer.byteLength(json);
        delivered = JSON.parse(json);
      }
      const response = await responder.handleSyncRequest(delivered, { peerId: requesterId });
      requestOptions?.signal?.throwIfAborted();
      if (!serialize) return response;
      const json = JSON.stringify(response);
      stats.bytesReceived += Buffer.byteLength(json);
      return JSON.parse(json);
    },
  };
  return transport;
}

/** Anything with a node id that can answer sync requests (a {@link SyncEngine}). */
export interface InMemoryNode extends SyncResponder {
  readonly nodeId: string;
}

/**
 * Two transports connecting nodes `a` and `b` in both directions: `aToB` is what `a` uses to
 * sync with `b` (`a.syncWith(b.nodeId, aToB)`), `bToA` the reverse.
 */
export function createInMemoryTransportPair(a: InMemoryNode, b: InMemoryNode, options: InMemoryTransportOptions = {}): { aToB: InMemoryTransport; bToA: InMemoryTransport } {
  return { aToB: createInMemoryTransport(b, a.nodeId, options), bToA: createInMemoryTransport(a, b.nodeId, options) };
}
