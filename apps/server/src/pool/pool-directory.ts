import type { PoolStatusSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { HttpSyncTransport } from '../sync/http-sync-transport.js';
import type { LanSyncService } from '../sync/lan-sync-service.js';
import type { PoolAdvertisement, PoolStatusResponse } from './pool-protocol.js';

/** A peer's advertisement and when it was received. */
export interface PeerAdvertisement {
  readonly advert: PoolAdvertisement;
  readonly receivedAt: number;
}

/**
 * What the authenticated peers serve, kept current: every `LLM_POOL_STATUS_INTERVAL_MS` each
 * authenticated peer gets a sealed `pool-status` request carrying this node's advertisement and answers with its own,
 * so both sides learn in one round trip. The same sealed channel (one session, so one handshake
 * per peer) carries every request forwarded to that peer, concurrently: each streamed answer on
 * a connection of its own (see `HttpSyncTransport.requestStream`).
 */
export class PoolDirectory {
  readonly #sync: LanSyncService;
  readonly #self: () => PoolAdvertisement;
  readonly #logger: Logger;
  readonly #settings: PoolStatusSettings;
  readonly #adverts = new Map<string, PeerAdvertisement>();
  readonly #channels = new Map<string, HttpSyncTransport>();
  readonly #timer: NodeJS.Timeout;
  #polling = false;
  #closed = false;

  constructor(sync: LanSyncService, self: () => PoolAdvertisement, settings: PoolStatusSettings, logger: Logger) {
    this.#sync = sync;
    this.#self = self;
    this.#settings = settings;
    this.#logger = logger;
    this.#timer = setInterval(() => void this.#poll(), settings.intervalMs).unref();
  }

  /** Records a peer's advertisement (from its own status request, or our poll's answer). */
  record(advert: PoolAdvertisement): void {
    const known = this.#adverts.get(advert.nodeId);
    if (known === undefined) this.#logger.log('info', 'pool peer seen', { event: 'pool-peer', peer_id: advert.nodeId, peer_name: advert.nodeName, models: advert.models.map((model) => model.id) });
    this.#adverts.set(advert.nodeId, { advert, receivedAt: Date.now() });
  }

  /** The current advertisements of authenticated peers (stale ones left out). */
  peers(): PeerAdvertisement[] {
    return this.known().filter((entry) => !entry.stale);
  }

  /** Every advertisement received, stale ones too, with its age (`/health`). */
  known(): (PeerAdvertisement & { readonly ageMs: number; readonly stale: boolean })[] {
    const now = Date.now();
    return [...this.#adverts.values()].map((entry) => ({ ...entry, ageMs: now - entry.receivedAt, stale: now - entry.receivedAt >= this.#settings.staleMs }));
  }

  /** The sealed channel to `nodeId` (opened on first use), or undefined when the peer is no longer known. */
  channel(nodeId: string): HttpSyncTransport | undefined {
    const known = this.#channels.get(nodeId);
    if (known !== undefined || this.#closed) return known;
    const address = this.#addressOf(nodeId);
    if (address === undefined) return undefined;
    const opened = this.#sync.openPeerChannel(address, nodeId);
    if (opened !== undefined) this.#channels.set(nodeId, opened);
    return opened;
  }

  /** Stops polling and closes every channel. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
  }

  // Polls do not overlap: one slow peer must not hold the others' views until they go stale.
  #answerTimeoutMs(): number {
    const { intervalMs, staleMs } = this.#settings;
    return Math.max(intervalMs, Math.min(intervalMs * 3, staleMs - intervalMs));
  }

  #addressOf(nodeId: string): string | undefined {
    return this.#sync.peers().find((peer) => peer.nodeId === nodeId && peer.authenticated && !['self', 'refused', 'offline'].includes(peer.state))?.address;
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed || !this.#sync.enabled) return;
    this.#polling = true;
    try {
      const peers = this.#sync.peers().filter((peer) => peer.authenticated && peer.nodeId !== undefined && !['self', 'refused', 'offline'].includes(peer.state));
      const request = { type: 'pool-status', node: this.#self() };
      await Promise.all(
        peers.map(async (peer) => {
          const nodeId = peer.nodeId!;
          const channel = this.channel(nodeId);
          if (channel === undefined) return;
          try {
            const answer = JSON.parse((await channel.requestRaw(request, { signal: AbortSignal.timeout(this.#answerTimeoutMs()) })).toString('utf8')) as Partial<PoolStatusResponse>;
            if (answer.type === 'pool-status' && answer.node !== undefined && answer.node.nodeId === nodeId) this.record(answer.node);
          } catch (error) {
            // A slow, restarting or older peer: its advertisement goes stale. The channel is kept (it
            // renews its own session when the peer asks for it): a new channel per failed poll
            // would spend the peer's handshake allowance for this address, shared with sync.
            if ((error as { code?: unknown }).code === 'closed' && this.#channels.get(nodeId) === channel) this.#channels.delete(nodeId);
          }
        }),
      );
    } finally {
      this.#polling = false;
    }
  }
}
