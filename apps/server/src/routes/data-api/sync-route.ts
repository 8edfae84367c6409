import { Hono } from 'hono';
import { ApiError } from '../../errors.js';
import type { AppEnv } from '../../request-scope.js';
import type { DataApiDependencies } from './data-api-dependencies.js';

/**
 * `GET /api/v1/sync/status` (this node and every peer: state, cursor, pending changes, last
 * sync, last error) and `POST /api/v1/sync/now` (a round with every known peer, or with the one
 * named by `?peer=`, now; answers when all rounds finished, with one report per peer).
 */
export function syncRoute(deps: DataApiDependencies): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/api/v1/sync/status', async (c) => c.json(await deps.status()))
    .post('/api/v1/sync/now', async (c) => {
      const peer = c.req.query('peer');
      const outcomes = await deps.syncNow(peer === '' ? undefined : peer);
      if (peer !== undefined && peer !== '' && outcomes.length === 0) {
        throw new ApiError('peer-not-found', `No peer '${peer}' to sync with: give a peer_id or address listed by GET /api/v1/sync/status (not offline).`, { param: 'peer' });
      }
      return c.json({
        object: 'list',
        enabled: deps.enabled,
        data: outcomes.map((outcome) => ({
          peer_id: outcome.nodeId ?? null,
          address: outcome.address,
          ok: outcome.error === null,
          error: outcome.error,
          ...(outcome.report === undefined
            ? {}
            : {
                pulled: { pages: outcome.report.pulled.pages, changes: outcome.report.pulled.changes, bytes: outcome.report.pulled.bytes },
                pushed: { pages: outcome.report.pushed.pages, changes: outcome.report.pushed.changes, bytes: outcome.report.pushed.bytes },
                conflicts: outcome.report.conflicts,
                duration_ms: Math.round(outcome.report.durationMs * 100) / 100,
              }),
        })),
      });
    });
}
