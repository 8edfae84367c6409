/**
 * The JSON shapes of the node's HTTP API that the console reads, as documented in
 * apps/server/README.md. Only the fields the console uses are declared.
 */

/** An item of the replicated store. */
export interface Item {
  readonly object: 'item';
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly version: number;
  readonly hlc: string;
  readonly node_id: string;
  readonly deleted: boolean;
  readonly updated_at: string;
}

/** A list page of the data API. */
export interface ListPage<T> {
  readonly object: 'list';
  readonly data: readonly T[];
  readonly next_cursor?: string | number | null;
}

/** A superseded version of an item. */
export interface HistoryEntry {
  readonly id: number;
  readonly reason: 'superseded' | 'conflict-loser' | 'resync-removed';
  readonly recorded_at: string;
  readonly item: Item;
}

/** An entry of the conflict log. */
export interface Conflict {
  readonly id: number;
  readonly item_id: string;
  readonly peer_id: string;
  readonly rule: string;
  readonly winner: 'local' | 'remote';
  readonly local: Item;
  readonly remote: Item;
  readonly result: Item;
  readonly detected_at: string;
  readonly acknowledged_at: string | null;
}

/** One peer in `GET /api/v1/sync/status`. */
export interface PeerStatus {
  readonly peer_id: string | null;
  readonly name: string | null;
  readonly address: string | null;
  readonly state: string;
  readonly source: 'mdns' | 'static' | 'inbound';
  readonly authenticated: boolean;
  readonly cursor: number;
  readonly pending_changes: number;
  readonly last_sync_at: string | null;
  readonly last_error: { readonly code: string; readonly message: string; readonly at: string } | null;
  readonly next_attempt_at: string | null;
}

/** `GET /api/v1/sync/status`. */
export interface SyncStatus {
  readonly node_id: string;
  readonly node_name: string;
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly epoch: string;
  readonly last_seq: number;
  readonly port: number | null;
  readonly peers: readonly PeerStatus[];
}

/** One peer's report in `POST /api/v1/sync/now`. */
export interface SyncNowOutcome {
  readonly peer_id: string | null;
  readonly address: string | null;
  readonly ok: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly pulled?: { readonly changes: number; readonly bytes: number };
  readonly pushed?: { readonly changes: number; readonly bytes: number };
  readonly conflicts?: number;
  readonly duration_ms?: number;
}

/** The `model` section of `/health`. */
export type ModelReport =
  | {
      readonly status: 'loaded';
      readonly id: string;
      readonly path: string;
      readonly architecture: string;
      readonly parameter_count: number | null;
      readonly quantization: string | null;
      readonly context_size: number;
      readonly trained_context_length: number | null;
      readonly has_chat_template: boolean;
      readonly file_size_bytes: number;
      readonly loaded_at: string;
      /** Present with an engine that knows its runtime (`@trosyn/llm`). */
      readonly chat_format?: string;
      readonly chat_format_source?: 'gguf' | 'configured' | 'fallback' | null;
      readonly threads?: number | null;
      readonly threads_source?: 'configured' | 'model-size' | 'measured' | null;
      /** Tokens the context evaluates per decode call (`LLM_BATCH_SIZE`). */
      readonly batch_size?: number | null;
    }
  | {
      readonly status: 'loading';
      readonly path: string;
      /** A model URI being downloaded (`hf:…`, `https://…`); null when nothing downloads. */
      readonly download: { readonly downloaded_bytes: number; readonly total_bytes: number } | null;
    }
  | { readonly status: 'missing'; readonly path: string; readonly hint: string }
  | { readonly status: 'error'; readonly path: string; readonly message: string };

/** `GET /health`. */
export interface Health {
  readonly status: 'ok' | 'degraded' | 'draining';
  readonly model: ModelReport;
  readonly uptime_seconds: number;
  readonly slots: { readonly total: number; readonly in_use: number };
  readonly queue: { readonly depth: number; readonly max: number };
  readonly requests_in_flight: number;
  readonly sync?: {
    readonly enabled: boolean;
    readonly node_id: string;
    readonly node_name: string;
    readonly port: number | null;
    readonly peers: number;
    readonly authenticated_peers: number;
    readonly reason?: string;
  };
  /** Pooled inference: absent on a node without LAN sync. */
  readonly pool?: PoolHealth;
}

/** One peer's last advertisement in `/health`'s `pool` section (apps/server/src/pool/pool-health.ts). */
export interface PoolPeerHealth {
  readonly node_id: string;
  readonly node_name: string;
  readonly age_ms: number;
  /** Older than `status_stale_ms`: the node sends this peer nothing until it advertises again. */
  readonly stale: boolean;
  readonly models: readonly {
    readonly id: string;
    readonly slots: number;
    readonly slots_free: number;
    readonly queue_depth: number;
    readonly max_queue: number;
  }[];
  /** Null slots: the peer's embedder has not run yet (counts as idle). */
  readonly embedding: { readonly id: string; readonly slots: number | null; readonly slots_free: number | null; readonly queue_depth: number | null } | null;
}

/** `/health`'s `pool` section. */
export interface PoolHealth {
  readonly mode: 'off' | 'fallback' | 'balance';
  readonly status_interval_ms: number;
  readonly status_stale_ms: number;
  readonly peers: readonly PoolPeerHealth[];
}

/** `GET /api/v1/admin/node`: what `/health` does not say about the node. */
export interface NodeDetails {
  readonly object: 'node';
  readonly node_id: string;
  readonly node_name: string;
  readonly version: string;
  readonly started_at: string;
  readonly model: { readonly chat_format: string | null; readonly path: string };
  readonly access: { readonly admin_key_configured: boolean; readonly api_key_configured: boolean };
}

/** One entry of `GET /api/v1/admin/requests`. */
export interface RecentRequest {
  readonly request_id: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly outcome: string | null;
  readonly started_at: string;
  readonly duration_ms: number;
  readonly prompt_tokens: number | null;
  readonly completion_tokens: number | null;
  readonly cached_tokens: number | null;
}

/** One event of the change feed (`GET /api/v1/changes`). */
export interface ChangeEvent {
  readonly position: string;
  readonly peer_id: string | null;
  readonly item: Item;
}
