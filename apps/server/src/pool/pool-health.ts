import type { PoolMode, PoolStatusSettings } from '../config.js';
import type { PeerAdvertisement } from './pool-directory.js';

/** One peer in `/health`'s `pool` section: what it advertised last, and how old that is. */
export interface PoolPeerHealth {
  readonly node_id: string;
  readonly node_name: string;
  /** Milliseconds since its advertisement arrived. */
  readonly age_ms: number;
  /** Older than `LLM_POOL_STATUS_STALE_MS`: ignored when choosing where a request runs. */
  readonly stale: boolean;
  readonly models: readonly {
    readonly id: string;
    readonly slots: number;
    readonly slots_free: number;
    readonly queue_depth: number;
    readonly max_queue: number;
  }[];
  /** The model its embeddings come from and that engine's load; null while it has none. */
  readonly embedding: {
    readonly id: string;
    readonly slots: number | null;
    readonly slots_free: number | null;
    readonly queue_depth: number | null;
  } | null;
}

/** `/health`'s `pool` section: the mode, how peers' status is kept current, and every peer's last advertisement. */
export interface PoolHealth {
  readonly mode: PoolMode;
  readonly status_interval_ms: number;
  readonly status_stale_ms: number;
  readonly peers: readonly PoolPeerHealth[];
}

/** Builds {@link PoolHealth} from the directory's advertisements (`known`: stale ones included, with their age). */
export function poolHealth(
  mode: PoolMode,
  settings: PoolStatusSettings,
  known: readonly (PeerAdvertisement & { readonly ageMs: number; readonly stale: boolean })[],
): PoolHealth {
  return {
    mode,
    status_interval_ms: settings.intervalMs,
    status_stale_ms: settings.staleMs,
    peers: known.map(({ advert, ageMs, stale }) => ({
      node_id: advert.nodeId,
      node_name: advert.nodeName,
      age_ms: Math.round(ageMs),
      stale,
      models: advert.models.map((model) => ({ id: model.id, slots: model.slots, slots_free: model.slotsFree, queue_depth: model.queueDepth, max_queue: model.maxQueue })),
      embedding:
        advert.embedding == null
          ? null
          : {
              id: advert.embedding.id,
              slots: advert.embedding.load?.slots ?? null,
              slots_free: advert.embedding.load === undefined ? null : Math.max(0, advert.embedding.load.slots - advert.embedding.load.slotsInUse),
              queue_depth: advert.embedding.load?.queueDepth ?? null,
            },
    })),
  };
}
