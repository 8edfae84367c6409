import { Hono } from 'hono';
import { createRequestValidator } from '../../openai/request-validator.js';
import { readJsonBody } from '../../read-json-body.js';
import type { AppEnv } from '../../request-scope.js';
import type { DataApiDependencies } from './data-api-dependencies.js';
import { acknowledgeConflictsRequestSchema } from './data-schemas.js';
import { engineCall } from './engine-call.js';
import { conflictJson } from './item-json.js';
import { booleanQuery, integerQuery } from './items-route.js';

const validateAcknowledge = createRequestValidator<{ readonly ids: readonly number[] }>(acknowledgeConflictsRequestSchema);

/**
 * The conflict log: `GET /api/v1/conflicts` (`unacknowledged`, `item_id`, `cursor`, `limit`),
 * oldest first, and `POST /api/v1/conflicts/acknowledge` to mark entries as reviewed.
 */
export function conflictsRoute(deps: DataApiDependencies): Hono<AppEnv> {
  const { engine } = deps;
  return new Hono<AppEnv>()
    .get('/api/v1/conflicts', async (c) => {
      const limit = integerQuery(c, 'limit', 1, 1000) ?? 100;
      const cursor = integerQuery(c, 'cursor', 0, Number.MAX_SAFE_INTEGER);
      const unacknowledged = booleanQuery(c, 'unacknowledged');
      const itemId = c.req.query('item_id');
      const filters = {
        ...(unacknowledged === undefined ? {} : { acknowledged: !unacknowledged }),
        ...(itemId === undefined || itemId === '' ? {} : { itemId }),
      };
      const page = await engineCall(() => engine.conflicts({ limit, ...(cursor === undefined ? {} : { cursor }), ...filters }), 'item_id');
      // A full page has a next one when one more entry follows it (asked apart: the engine
      // returns at most 1000 entries, and `limit` may be 1000 — issue #20).
      const last = page.length === limit ? page[page.length - 1]!.id : undefined;
      const more = last !== undefined && (await engineCall(() => engine.conflicts({ limit: 1, cursor: last, ...filters }), 'item_id')).length > 0;
      return c.json({ object: 'list', data: page.map(conflictJson), next_cursor: more ? last : null });
    })
    .post('/api/v1/conflicts/acknowledge', async (c) => {
      const body = validateAcknowledge(await readJsonBody(c));
      const acknowledged = await engineCall(() => engine.acknowledgeConflicts(body.ids), 'ids');
      return c.json({ object: 'conflict.acknowledgement', acknowledged });
    });
}
