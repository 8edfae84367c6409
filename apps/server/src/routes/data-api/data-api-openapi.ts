import {
  acknowledgeConflictsRequestSchema,
  changeFeedReadySchema,
  changeFeedResetSchema,
  itemChangeSchema,
  acknowledgeConflictsResponseSchema,
  conflictListSchema,
  conflictSchema,
  createItemRequestSchema,
  historyEntrySchema,
  historyListSchema,
  itemListSchema,
  itemSchema,
  restoreItemRequestSchema,
  syncHealthSchema,
  syncNowResponseSchema,
  syncStatusSchema,
  updateItemRequestSchema,
} from './data-schemas.js';

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string): object => ({ 'application/json': { schema: ref(schema) } });
// The body Swagger UI pre-fills for "Try it out": it must succeed as sent (issue 15).
const jsonWithExample = (schema: string, example: object): object => ({ 'application/json': { schema: ref(schema), example } });
const security = [{ bearer: [] }, {}];

function errors(...statuses: number[]): Record<string, object> {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (`param` names the field).',
    401: 'An API key is configured and the request has none or a wrong one.',
    404: 'No such item (`not_found`) or history entry.',
    409: 'An item with this id already exists (`item_exists`).',
    413: 'Body larger than `TROSYN_BODY_LIMIT`.',
    503: 'The node is shutting down.',
  };
  return Object.fromEntries(statuses.map((status) => [String(status), { description: descriptions[status] ?? 'Error', content: json('ErrorResponse') }]));
}

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Item id (URL-encoded).' };
const query = (name: string, schema: object, description: string): object => ({ name, in: 'query', required: false, schema, description });

/** The data API's paths, for the node's one OpenAPI document. */
export function dataApiPaths(): Record<string, object> {
  return {
    '/api/v1/items': {
      get: {
        summary: 'List items by id',
        tags: ['Data'],
        security,
        parameters: [
          query('type', { type: 'string' }, 'Only items of this type.'),
          query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size.'),
          query('cursor', { type: 'string' }, '`next_cursor` of the previous page.'),
          query('include_deleted', { type: 'boolean', default: false }, 'Include tombstones.'),
        ],
        responses: { '200': { description: 'One page of items, ordered by id.', content: json('ItemList') }, ...errors(400, 401) },
      },
      post: {
        summary: 'Create an item',
        description: 'A local write: it succeeds offline and is pushed to every reachable peer at once.',
        tags: ['Data'],
        security,
        requestBody: {
          required: true,
          content: jsonWithExample('CreateItemRequest', { type: 'note', data: { title: 'Weekly meeting', body: 'Agree the budget for the new printer.' } }),
        },
        responses: { '201': { description: 'The new item.', content: json('Item') }, ...errors(400, 401, 409, 413, 503) },
      },
    },
    '/api/v1/changes': {
      get: {
        summary: "Follow the node's changes (server-sent events)",
        description: [
          'A live feed of every item that changes on this node, local writes and changes replicated from peers alike, as `text/event-stream`:',
          '',
          '- `event: ready` first, `data`: `ChangeFeedReady`, with the starting position as its `id`;',
          '- `event: change` for each changed item, oldest first, `data`: `ItemChange`, with its position as `id`. An item changed several times while the feed was behind appears once, at its latest version; a deletion is a tombstone;',
          '- `event: reset`, `data`: `ChangeFeedReset`, when the position asked for cannot be continued (another database, one restored from a backup, or a deletion collected since): the changes that follow start from the beginning; rebuild what you keep from them;',
          '- `event: error` when the feed fails (reconnect to continue), and `: keep-alive` comments every 15 s while nothing changes.',
          '',
          'Pull-based: a slow reader holds the feed back, nothing piles up in the server. An `EventSource` resumes after a dropped connection by itself: it sends the last `id` as `Last-Event-ID`, which takes precedence over `since`. The feed ends when the server shuts down.',
        ].join('\n'),
        tags: ['Data'],
        security,
        parameters: [
          query('since', { type: 'string', default: 'now' }, '`now`: changes from now on; `0`: every item first (the whole store, tombstones included), then changes; `<epoch>:<seq>`: changes after that position (an earlier event\'s `id`).'),
          query('type', { type: 'string' }, 'Only items of this type.'),
          { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'The `id` of the last event received; sent by `EventSource` when it reconnects. Takes precedence over `since`.' },
        ],
        responses: {
          '200': { description: 'The event stream; it stays open until the client or the server closes it.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errors(400, 401, 503),
        },
      },
    },
    '/api/v1/items/{id}': {
      get: {
        summary: 'Get an item',
        tags: ['Data'],
        security,
        parameters: [idParameter, query('include_deleted', { type: 'boolean', default: false }, 'Return the tombstone of a deleted item.')],
        responses: { '200': { description: 'The item.', content: json('Item') }, ...errors(401, 404) },
      },
      put: {
        summary: 'Create or replace an item',
        tags: ['Data'],
        security,
        parameters: [idParameter],
        requestBody: { required: true, content: json('UpdateItemRequest') },
        responses: { '200': { description: 'The item as written.', content: json('Item') }, ...errors(400, 401, 413, 503) },
      },
      delete: {
        summary: 'Delete an item',
        description: 'Writes a tombstone that replicates; a deletion beats a concurrent edit. Recover with `restore`.',
        tags: ['Data'],
        security,
        parameters: [idParameter],
        responses: { '200': { description: 'The tombstone.', content: json('Item') }, ...errors(401, 404, 503) },
      },
    },
    '/api/v1/items/{id}/history': {
      get: {
        summary: "An item's history",
        tags: ['Data'],
        security,
        parameters: [
          idParameter,
          query('cursor', { type: 'integer' }, '`next_cursor` of the previous page (older entries).'),
          query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size.'),
        ],
        responses: { '200': { description: 'Superseded versions, newest first.', content: json('HistoryList') }, ...errors(400, 401, 404) },
      },
    },
    '/api/v1/items/{id}/restore': {
      post: {
        summary: 'Restore an item from its history',
        description: 'Writes the chosen version (default: the latest that was not a deletion) again, as a new write that replicates.',
        tags: ['Data'],
        security,
        parameters: [idParameter],
        requestBody: { required: false, content: jsonWithExample('RestoreItemRequest', {}) },
        responses: { '200': { description: 'The restored item.', content: json('Item') }, ...errors(400, 401, 404, 503) },
      },
    },
    '/api/v1/conflicts': {
      get: {
        summary: 'The conflict log',
        tags: ['Data'],
        security,
        parameters: [
          query('unacknowledged', { type: 'boolean' }, '`true`: only entries not yet acknowledged; `false`: only acknowledged ones.'),
          query('item_id', { type: 'string' }, 'Only conflicts of this item.'),
          query('cursor', { type: 'integer' }, '`next_cursor` of the previous page.'),
          query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size.'),
        ],
        responses: { '200': { description: 'Conflicts, oldest first, with both versions and the result.', content: json('ConflictList') }, ...errors(400, 401) },
      },
    },
    '/api/v1/conflicts/acknowledge': {
      post: {
        summary: 'Acknowledge conflicts',
        tags: ['Data'],
        security,
        requestBody: { required: true, content: jsonWithExample('AcknowledgeConflictsRequest', { ids: [1] }) },
        responses: { '200': { description: 'How many were newly acknowledged.', content: json('AcknowledgeConflictsResponse') }, ...errors(400, 401) },
      },
    },
    '/api/v1/sync/status': {
      get: {
        summary: 'Sync status',
        tags: ['Sync'],
        security,
        responses: { '200': { description: 'This node and every peer: state, cursor, pending changes, last sync, last error.', content: json('SyncStatus') }, ...errors(401) },
      },
    },
    '/api/v1/sync/now': {
      post: {
        summary: 'Sync now',
        description: 'Runs a round with every known peer (or the one named by `peer`) and answers when all finished.',
        tags: ['Sync'],
        security,
        parameters: [query('peer', { type: 'string' }, 'Only this peer: a `peer_id` or `address` from the sync status. Unknown: `404 peer_not_found`.')],
        responses: {
          '200': { description: 'One report per peer.', content: json('SyncNowResponse') },
          ...errors(401),
          '404': { description: 'No such peer (`peer_not_found`).', content: json('ErrorResponse') },
        },
      },
    },
  };
}

/** The data API's schemas, for the document's `components.schemas`. */
export const dataApiSchemas: Readonly<Record<string, object>> = {
  Item: itemSchema,
  ItemList: itemListSchema,
  ItemChange: itemChangeSchema,
  ChangeFeedReady: changeFeedReadySchema,
  ChangeFeedReset: changeFeedResetSchema,
  CreateItemRequest: createItemRequestSchema,
  UpdateItemRequest: updateItemRequestSchema,
  RestoreItemRequest: restoreItemRequestSchema,
  HistoryEntry: historyEntrySchema,
  HistoryList: historyListSchema,
  Conflict: conflictSchema,
  ConflictList: conflictListSchema,
  AcknowledgeConflictsRequest: acknowledgeConflictsRequestSchema,
  AcknowledgeConflictsResponse: acknowledgeConflictsResponseSchema,
  SyncStatus: syncStatusSchema,
  SyncNowResponse: syncNowResponseSchema,
  SyncHealth: syncHealthSchema,
};

/** The document's tags for the data API. */
export const dataApiTags = [
  { name: 'Data', description: 'The replicated data store: items, history, conflicts.' },
  { name: 'Sync', description: 'LAN sync status and control.' },
] as const;
