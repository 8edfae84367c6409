/**
 * JSON Schemas of the data API: request schemas are the very objects the routes validate with,
 * and all of them are embedded in the OpenAPI document.
 */

const itemId = { type: 'string', minLength: 1, maxLength: 256, description: 'Item id, 1–256 characters; generated (UUID) when omitted on create.' } as const;
const itemType = { type: 'string', minLength: 1, maxLength: 128, description: 'Application-defined kind of item, e.g. `document`.' } as const;
const itemData = {
  description: 'Any JSON value except `null` (at most 1 MiB as JSON).',
  type: ['object', 'array', 'string', 'number', 'boolean'],
} as const;

/** Body of `POST /api/v1/items`. */
export const createItemRequestSchema = {
  type: 'object',
  title: 'CreateItemRequest',
  required: ['type', 'data'],
  additionalProperties: false,
  properties: { id: itemId, type: itemType, data: itemData },
} as const;

/** Body of `PUT /api/v1/items/{id}`. */
export const updateItemRequestSchema = {
  type: 'object',
  title: 'UpdateItemRequest',
  required: ['type', 'data'],
  additionalProperties: false,
  properties: { type: itemType, data: itemData },
} as const;

/** Body of `POST /api/v1/items/{id}/restore` (optional). */
export const restoreItemRequestSchema = {
  type: 'object',
  title: 'RestoreItemRequest',
  additionalProperties: false,
  properties: { history_id: { type: 'integer', minimum: 1, description: 'The history entry to restore; default: the latest version that was not a deletion.' } },
} as const;

/** Body of `POST /api/v1/conflicts/acknowledge`. */
export const acknowledgeConflictsRequestSchema = {
  type: 'object',
  title: 'AcknowledgeConflictsRequest',
  required: ['ids'],
  additionalProperties: false,
  properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'integer', minimum: 1 }, description: 'Conflict ids to mark as reviewed.' } },
} as const;

/** An item as the data API returns it. */
export const itemSchema = {
  type: 'object',
  title: 'Item',
  required: ['object', 'id', 'type', 'data', 'version', 'hlc', 'node_id', 'deleted', 'updated_at'],
  properties: {
    object: { type: 'string', enum: ['item'] },
    id: { type: 'string' },
    type: { type: 'string' },
    data: { description: 'The content; `null` for a deleted item (tombstone).' },
    version: { type: 'integer', description: 'Incremented by every modification.' },
    hlc: { type: 'string', description: 'Hybrid logical clock timestamp of the write that produced this value.' },
    node_id: { type: 'string', description: 'The node that produced this value.' },
    deleted: { type: 'boolean' },
    updated_at: { type: 'string', format: 'date-time', description: 'Wall time of `hlc`.' },
  },
} as const;

/** `GET /api/v1/items`. */
export const itemListSchema = {
  type: 'object',
  title: 'ItemList',
  required: ['object', 'data', 'next_cursor'],
  properties: {
    object: { type: 'string', enum: ['list'] },
    data: { type: 'array', items: { $ref: '#/components/schemas/Item' } },
    next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; `null` on the last page.' },
  },
} as const;

const changeFeedPosition = {
  type: 'string',
  pattern: '^[^:]+:[0-9]+$',
  description: "A position in the node's change log, `<epoch>:<seq>`; also the event's `id`. Pass it back as `since` (or `Last-Event-ID`) to continue after it.",
} as const;

/** Data of a `change` event of `GET /api/v1/changes`. */
export const itemChangeSchema = {
  type: 'object',
  title: 'ItemChange',
  required: ['object', 'position', 'peer_id', 'item'],
  properties: {
    object: { type: 'string', enum: ['item.change'] },
    position: changeFeedPosition,
    peer_id: { type: ['string', 'null'], description: 'The peer this version was received from; `null` for a write (or merge) made on this node.' },
    item: { $ref: '#/components/schemas/Item', description: 'The current version of the item; a tombstone when it was deleted.' },
  },
} as const;

/** Data of the `ready` event that opens `GET /api/v1/changes`. */
export const changeFeedReadySchema = {
  type: 'object',
  title: 'ChangeFeedReady',
  required: ['object', 'position'],
  properties: {
    object: { type: 'string', enum: ['changes.ready'] },
    position: { ...changeFeedPosition, description: 'Where the feed starts: the changes that follow come after it. Also the event\'s `id`.' },
  },
} as const;

/** Data of a `reset` event of `GET /api/v1/changes`. */
export const changeFeedResetSchema = {
  type: 'object',
  title: 'ChangeFeedReset',
  required: ['object', 'message'],
  properties: {
    object: { type: 'string', enum: ['changes.reset'] },
    message: { type: 'string' },
  },
} as const;

/** One history entry. */
export const historyEntrySchema = {
  type: 'object',
  title: 'HistoryEntry',
  required: ['object', 'id', 'reason', 'recorded_at', 'item'],
  properties: {
    object: { type: 'string', enum: ['item.history_entry'] },
    id: { type: 'integer', description: 'Pass as `history_id` to restore this version.' },
    reason: { type: 'string', enum: ['superseded', 'conflict-loser', 'resync-removed'] },
    recorded_at: { type: 'string', format: 'date-time' },
    item: { $ref: '#/components/schemas/Item' },
  },
} as const;

/** `GET /api/v1/items/{id}/history`. */
export const historyListSchema = {
  type: 'object',
  title: 'HistoryList',
  required: ['object', 'data', 'next_cursor'],
  properties: {
    object: { type: 'string', enum: ['list'] },
    data: { type: 'array', items: { $ref: '#/components/schemas/HistoryEntry' } },
    next_cursor: { type: ['integer', 'null'], description: 'Pass as `cursor` for the older entries; null on the last page.' },
  },
} as const;

/** One entry of the conflict log. */
export const conflictSchema = {
  type: 'object',
  title: 'Conflict',
  required: ['object', 'id', 'item_id', 'peer_id', 'rule', 'winner', 'local', 'remote', 'result', 'detected_at', 'acknowledged_at'],
  properties: {
    object: { type: 'string', enum: ['conflict'] },
    id: { type: 'integer' },
    item_id: { type: 'string' },
    peer_id: { type: ['string', 'null'], description: 'The peer the remote version came from.' },
    rule: { type: 'string', description: 'How it was resolved (e.g. `last-write-wins`, `delete-wins`, `custom`, `tiebreak`).' },
    winner: { type: 'string', enum: ['local', 'remote', 'merged'] },
    local: { $ref: '#/components/schemas/Item' },
    remote: { $ref: '#/components/schemas/Item' },
    result: { $ref: '#/components/schemas/Item' },
    detected_at: { type: 'string', format: 'date-time' },
    acknowledged_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/** `GET /api/v1/conflicts`. */
export const conflictListSchema = {
  type: 'object',
  title: 'ConflictList',
  required: ['object', 'data', 'next_cursor'],
  properties: {
    object: { type: 'string', enum: ['list'] },
    data: { type: 'array', items: { $ref: '#/components/schemas/Conflict' } },
    next_cursor: { type: ['integer', 'null'] },
  },
} as const;

/** `POST /api/v1/conflicts/acknowledge`. */
export const acknowledgeConflictsResponseSchema = {
  type: 'object',
  title: 'AcknowledgeConflictsResponse',
  required: ['object', 'acknowledged'],
  properties: { object: { type: 'string', enum: ['conflict.acknowledgement'] }, acknowledged: { type: 'integer', description: 'How many were newly acknowledged.' } },
} as const;

const errorInfo = {
  type: ['object', 'null'],
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
} as const;

/** How this node's clock compares with its peers' (README, Clocks). */
const clockReportSchema = {
  type: 'object',
  required: ['status', 'offset_ms', 'peers_compared', 'max_drift_ms', 'hlc_ahead_ms', 'future_changes_accepted', 'message'],
  properties: {
    status: {
      type: 'string',
      enum: ['unknown', 'ok', 'ahead', 'behind', 'hlc-ahead'],
      description: "`ahead`/`behind`: more than half LAN_SYNC_MAX_CLOCK_DRIFT from the peers' median; `hlc-ahead`: the clock is right but the HLC still runs ahead of it.",
    },
    offset_ms: { type: ['number', 'null'], description: "This node's clock minus its peers' (median of the latest handshake of each), ms." },
    peers_compared: { type: 'integer' },
    max_drift_ms: { type: 'integer' },
    hlc_ahead_ms: { type: 'integer', description: "How far this node's HLC runs ahead of its clock, ms." },
    future_changes_accepted: { type: 'integer', description: 'Changes accepted from peers although stamped beyond the drift (their timestamps not adopted).' },
    message: { type: ['string', 'null'], description: 'What is wrong and what to do, when something is.' },
  },
} as const;

/** `GET /api/v1/sync/status`. */
export const syncStatusSchema = {
  type: 'object',
  title: 'SyncStatus',
  required: ['object', 'node_id', 'node_name', 'enabled', 'epoch', 'clock', 'peers'],
  properties: {
    object: { type: 'string', enum: ['sync.status'] },
    node_id: { type: 'string' },
    node_name: { type: 'string' },
    enabled: { type: 'boolean' },
    disabled_reason: { type: ['string', 'null'], description: 'Why sync is off (e.g. no shared secret), when it is.' },
    epoch: { type: 'string', description: "Random id of this node's change log." },
    last_seq: { type: 'integer', description: 'Latest sequence of the local change log.' },
    port: { type: ['integer', 'null'], description: 'The sync port, when sync runs.' },
    clock: clockReportSchema,
    peers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['peer_id', 'name', 'address', 'state', 'source', 'cursor', 'pending_changes', 'last_sync_at', 'last_error'],
        properties: {
          peer_id: { type: ['string', 'null'], description: 'Null until the first handshake with a configured peer.' },
          name: { type: ['string', 'null'] },
          address: { type: ['string', 'null'], description: '`host:port` of its sync port.' },
          state: { type: 'string', enum: ['candidate', 'connecting', 'syncing', 'idle', 'backoff', 'refused', 'offline', 'self', 'inbound-only'] },
          source: { type: 'string', enum: ['mdns', 'static', 'inbound'] },
          authenticated: { type: 'boolean' },
          cursor: { type: 'integer', description: "Last sequence of the peer's log applied here." },
          pending_changes: { type: 'integer', description: 'Local changes the peer has not confirmed.' },
          last_sync_at: { type: ['string', 'null'], format: 'date-time' },
          last_error: errorInfo,
          next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
          clock_offset_ms: { type: ['integer', 'null'], description: "This node's clock minus the peer's, ms, measured at the last handshake." },
        },
      },
    },
    model_transfer: {
      type: ['object', 'null'],
      description: 'The model file fetched from a LAN peer over the sealed peer channel (`LLM_MODEL_SHARE`): progress, rate, ETA; null when this node never missed its model.',
      required: ['file', 'state', 'peer_id', 'peer_name', 'bytes', 'total_bytes', 'bytes_per_second', 'eta_seconds', 'sha256'],
      properties: {
        file: { type: 'string' },
        state: { type: 'string', enum: ['waiting', 'fetching', 'verifying', 'done'] },
        peer_id: { type: ['string', 'null'] },
        peer_name: { type: ['string', 'null'] },
        bytes: { type: 'integer' },
        total_bytes: { type: ['integer', 'null'] },
        bytes_per_second: { type: ['integer', 'null'] },
        eta_seconds: { type: ['integer', 'null'] },
        sha256: { type: ['string', 'null'] },
      },
    },
  },
} as const;

/** `POST /api/v1/sync/now`. */
export const syncNowResponseSchema = {
  type: 'object',
  title: 'SyncNowResponse',
  required: ['object', 'enabled', 'data'],
  properties: {
    object: { type: 'string', enum: ['list'] },
    enabled: { type: 'boolean' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['peer_id', 'address', 'ok', 'error'],
        properties: {
          peer_id: { type: ['string', 'null'] },
          address: { type: 'string' },
          ok: { type: 'boolean' },
          error: errorInfo,
          pulled: { type: 'object', properties: { pages: { type: 'integer' }, changes: { type: 'integer' }, bytes: { type: 'integer' } } },
          pushed: { type: 'object', properties: { pages: { type: 'integer' }, changes: { type: 'integer' }, bytes: { type: 'integer' } } },
          conflicts: { type: 'integer' },
          duration_ms: { type: 'number' },
        },
      },
    },
  },
} as const;

/** The `sync` section of `/health`. */
export const syncHealthSchema = {
  type: 'object',
  title: 'SyncHealth',
  required: ['enabled', 'node_id', 'node_name', 'port', 'peers', 'authenticated_peers', 'clock'],
  properties: {
    enabled: { type: 'boolean' },
    node_id: { type: 'string' },
    node_name: { type: 'string' },
    port: { type: ['integer', 'null'] },
    peers: { type: 'integer', description: 'Known peers (discovered, configured or connected to us).' },
    authenticated_peers: { type: 'integer' },
    reason: { type: 'string', description: 'Why sync is off, when it is.' },
    clock: clockReportSchema,
  },
} as const;
