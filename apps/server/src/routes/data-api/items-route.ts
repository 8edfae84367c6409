import { Hono, type Context } from 'hono';
import { ApiError } from '../../errors.js';
import { createRequestValidator } from '../../openai/request-validator.js';
import { readJsonBody } from '../../read-json-body.js';
import type { AppEnv } from '../../request-scope.js';
import type { DataApiDependencies } from './data-api-dependencies.js';
import { createItemRequestSchema, restoreItemRequestSchema, updateItemRequestSchema } from './data-schemas.js';
import { engineCall } from './engine-call.js';
import { historyEntryJson, itemJson } from './item-json.js';
import type { JsonValue } from '@trosyn/sync-core';

interface CreateItemBody {
  readonly id?: string;
  readonly type: string;
  readonly data: JsonValue;
}
interface UpdateItemBody {
  readonly type: string;
  readonly data: JsonValue;
}
interface RestoreItemBody {
  readonly history_id?: number;
}

const validateCreate = createRequestValidator<CreateItemBody>(createItemRequestSchema);
const validateUpdate = createRequestValidator<UpdateItemBody>(updateItemRequestSchema);
const validateRestore = createRequestValidator<RestoreItemBody>(restoreItemRequestSchema);

/** Reads an optional integer query parameter within bounds. */
export function integerQuery(c: Context, name: string, min: number, max: number): number | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ApiError('invalid-request', `Invalid value for '${name}': expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`, { param: name });
  }
  return Number(value);
}

/** Reads an optional boolean query parameter (`true` / `false`). */
export function booleanQuery(c: Context, name: string): boolean | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ApiError('invalid-request', `Invalid value for '${name}': expected true or false, got ${JSON.stringify(value)}.`, { param: name });
}

function notFound(id: string): ApiError {
  return new ApiError('item-not-found', `No item with id '${id}'.`, { param: 'id' });
}

/**
 * The items API: `GET/POST /api/v1/items`, `GET/PUT/DELETE /api/v1/items/{id}`,
 * `GET /api/v1/items/{id}/history` and `POST /api/v1/items/{id}/restore`. Every write is a
 * local write of the replicated store: the sync scheduler pushes it to the peers at once.
 */
export function itemsRoute(deps: DataApiDependencies): Hono<AppEnv> {
  const { engine } = deps;
  return new Hono<AppEnv>()
    .get('/api/v1/items', async (c) => {
      const limit = integerQuery(c, 'limit', 1, 1000) ?? 100;
      const type = c.req.query('type');
      const cursor = c.req.query('cursor');
      const includeDeleted = booleanQuery(c, 'include_deleted') ?? false;
      const page = await engineCall(
        () => engine.list({ limit, includeDeleted, ...(type === undefined || type === '' ? {} : { type }), ...(cursor === undefined || cursor === '' ? {} : { cursor }) }),
      );
      return c.json({ object: 'list', data: page.items.map(itemJson), next_cursor: page.nextCursor ?? null });
    })
    .post('/api/v1/items', async (c) => {
      const body = validateCreate(await readJsonBody(c));
      // One transaction checks that the id is free and writes: two creates of one id cannot both succeed.
      const item = await engineCall(() => engine.create({ type: body.type, data: body.data, ...(body.id === undefined ? {} : { id: body.id }) }), 'data');
      return c.json(itemJson(item), 201);
    })
    .get('/api/v1/items/:id/history', async (c) => {
      const id = c.req.param('id');
      const limit = integerQuery(c, 'limit', 1, 1000) ?? 100;
      const before = integerQuery(c, 'cursor', 1, Number.MAX_SAFE_INTEGER);
      const entries = await engineCall(() => engine.history(id, { limit, ...(before === undefined ? {} : { before }) }), 'id');
      if (entries.length === 0 && (await engineCall(() => engine.get(id, { includeDeleted: true }), 'id')) === undefined) throw notFound(id);
      // Newest first: the next page holds older entries, if one exists past this full page.
      const last = entries.length === limit ? entries[entries.length - 1]!.historyId : undefined;
      const more = last !== undefined && (await engineCall(() => engine.history(id, { limit: 1, before: last }), 'id')).length > 0;
      return c.json({ object: 'list', data: entries.map(historyEntryJson), next_cursor: more ? last : null });
    })
    .post('/api/v1/items/:id/restore', async (c) => {
      const id = c.req.param('id');
      const text = await c.req.text();
      const body = text.trim() === '' ? {} : validateRestore(await readJsonBody(c));
      const item = await engineCall(() => engine.restore(id, body.history_id === undefined ? {} : { historyId: body.history_id }), 'history_id');
      return c.json(itemJson(item));
    })
    .get('/api/v1/items/:id', async (c) => {
      const id = c.req.param('id');
      const item = await engineCall(() => engine.get(id, { includeDeleted: booleanQuery(c, 'include_deleted') ?? false }), 'id');
      if (item === undefined) throw notFound(id);
      return c.json(itemJson(item));
    })
    .put('/api/v1/items/:id', async (c) => {
      const id = c.req.param('id');
      const body = validateUpdate(await readJsonBody(c));
      const item = await engineCall(() => engine.put({ id, type: body.type, data: body.data }), 'data');
      return c.json(itemJson(item));
    })
    .delete('/api/v1/items/:id', async (c) => {
      const id = c.req.param('id');
      const tombstone = await engineCall(() => engine.delete(id), 'id');
      if (tombstone === undefined) throw notFound(id);
      return c.json(itemJson(tombstone));
    });
}
