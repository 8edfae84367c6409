import { Hono } from 'hono';
import type { ModelHost } from '../model-host.js';
import type { RecentRequests } from '../recent-requests.js';
import type { AppEnv } from '../request-scope.js';
import type { SyncHealth } from '../sync/lan-sync-service.js';
import { booleanQuery, integerQuery } from './data-api/items-route.js';

/** What the admin routes read. */
export interface AdminRouteDependencies {
  readonly model: ModelHost;
  readonly recentRequests: RecentRequests;
  /** The node's id and name (from the data store); absent when the app runs without one. */
  readonly sync?: () => SyncHealth;
  readonly version: string;
  /** `performance.now()` at process start. */
  readonly startedAt: number;
  readonly adminKeyConfigured: boolean;
  readonly apiKeyConfigured: boolean;
}

/**
 * The operator's routes behind the admin key (the console reads them):
 * `GET /api/v1/admin/node` (what `/health` does not say: version, start time, the model's chat
 * format, whether keys are configured) and `GET /api/v1/admin/requests` (the recent requests
 * with status, outcome and tokens).
 */
export function adminRoute(deps: AdminRouteDependencies): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/api/v1/admin/node', (c) => {
      const state = deps.model.state;
      const engine = state.status === 'loaded' ? deps.model.require().engine : undefined;
      const sync = deps.sync?.();
      return c.json({
        object: 'node',
        node_id: sync?.node_id ?? null,
        node_name: sync?.node_name ?? null,
        version: deps.version,
        started_at: new Date(Date.now() - (performance.now() - deps.startedAt)).toISOString(),
        model: { status: state.status, path: state.path, chat_format: engine?.runtime?.chatWrapper ?? null },
        access: { admin_key_configured: deps.adminKeyConfigured, api_key_configured: deps.apiKeyConfigured },
      });
    })
    .get('/api/v1/admin/requests', (c) => {
      const limit = integerQuery(c, 'limit', 1, 500) ?? 100;
      const includeConsole = booleanQuery(c, 'include_console') ?? false;
      return c.json({
        object: 'list',
        data: deps.recentRequests.list({ limit, includeConsole }).map((request) => ({
          object: 'request',
          request_id: request.requestId,
          method: request.method,
          path: request.path,
          status: request.status,
          outcome: request.outcome ?? null,
          started_at: request.startedAt.toISOString(),
          duration_ms: request.durationMs,
          prompt_tokens: request.promptTokens ?? null,
          completion_tokens: request.completionTokens ?? null,
          cached_tokens: request.cachedTokens ?? null,
          client: request.client ?? null,
        })),
      });
    });
}
