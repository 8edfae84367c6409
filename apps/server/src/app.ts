import { hostname } from 'node:os';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { ActivityTracker } from './activity-tracker.js';
import { adminAuth } from './admin-auth.js';
import { apiKeyAuth } from './api-key-auth.js';
import { limitRequestBody } from './body-limit.js';
import type { ServerConfig } from './config.js';
import { toErrorResponse } from './error-handler.js';
import { EmbeddingHost } from './embedding-host.js';
import { ApiError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { metricsRoute } from './metrics/metrics-route.js';
import type { NodeMetrics } from './metrics/node-metrics.js';
import type { ModelHost } from './model-host.js';
import { createOpenApiDocument } from './openai/openapi-document.js';
import { RecentRequests, recordRecentRequests } from './recent-requests.js';
import { requestIdOnEveryResponse } from './request-id-header.js';
import { requestScope, type AppEnv } from './request-scope.js';
import { adminRoute } from './routes/admin-route.js';
import { chatCompletionsRoute } from './routes/chat-completions.js';
import { completionsRoute } from './routes/completions.js';
import { consoleRoute } from './routes/console.js';
import { docsRoute } from './routes/docs.js';
import { faviconRoute } from './routes/favicon.js';
import { healthRoute } from './routes/health.js';
import type { PoolHealth } from './pool/pool-health.js';
import { embeddingsRoute } from './routes/embeddings.js';
import { modelsRoute } from './routes/models.js';
import { responsesRoute } from './routes/responses.js';
import { ResponseStore } from './openai/responses/response-store.js';
import type { DataApiDependencies } from './routes/data-api/data-api-dependencies.js';
import { changesRoute } from './routes/data-api/changes-route.js';
import { conflictsRoute } from './routes/data-api/conflicts-route.js';
import { itemsRoute } from './routes/data-api/items-route.js';
import { syncRoute } from './routes/data-api/sync-route.js';

/** The settings `createApp` reads (a subset of {@link ServerConfig}). */
export type AppConfig = Pick<ServerConfig, 'apiKey' | 'adminKey' | 'modelAliases' | 'corsOrigins' | 'bodyLimitBytes' | 'sseKeepAliveMs'> & {
  /** This node's name (`LAN_SYNC_NODE_NAME`): `owned_by` of its models in `/v1/models`. Default: the host name. */
  readonly nodeName: string;
};

/** Everything the app is built from; only `model` is required. */
export interface AppDependencies {
  /** The node's model (use `ModelHost.fromEngine(engine)` around an engine that is loaded). */
  readonly model: ModelHost;
  /** Embeddings: a dedicated model (`LLM_EMBEDDING_MODEL_PATH`). Default: over the chat model. */
  readonly embeddings?: EmbeddingHost;
  readonly config?: Partial<AppConfig>;
  /** Structured request logs. Default: silent. */
  readonly logger?: Logger;
  /** In-flight requests, for graceful shutdown. */
  readonly tracker?: ActivityTracker;
  /** Aborts every generation when fired (the end of a shutdown deadline). */
  readonly shutdownSignal?: AbortSignal;
  /** `performance.now()` at process start, for `/health` uptime. */
  readonly startedAt?: number;
  /** Version shown in `/openapi.json`. */
  readonly version?: string;
  /** The replicated data store and LAN sync (`LanSyncService`): mounts the data API under `/api/v1`. */
  readonly data?: DataApiDependencies;
  /** `/health`'s `pool` section (pooled inference, `createPooledInference`); absent: no section. */
  readonly pool?: () => PoolHealth;
  /** The recent requests the console lists. Default: a new ring of 500. */
  readonly recentRequests?: RecentRequests;
  /**
   * The node's metrics (`createNodeMetrics`), served at `/metrics` as an admin route and fed
   * with every request. Without them `/metrics` answers 404 (`TROSYN_METRICS=false`).
   */
  readonly metrics?: NodeMetrics | undefined;
}

const defaults: AppConfig = {
  apiKey: undefined, adminKey: undefined, modelAliases: [], corsOrigins: [], bodyLimitBytes: 4 * 1024 * 1024, sseKeepAliveMs: 2000, nodeName: hostname(),
};

// The field holding the prompt, for `context_length_exceeded` errors.
function promptParamOf(path: string): string | undefined {
  if (path.endsWith('/chat/completions')) return 'messages';
  if (path.endsWith('/completions')) return 'prompt';
  if (path === '/v1/responses') return 'input';
  if (path.endsWith('/embeddings')) return 'input';
  return undefined;
}

/**
 * Builds the node's Hono app: the OpenAI routes under `/v1` and, with `data`, the data API
 * under `/api/v1` (both behind the API key when one is set), `/health`, `/openapi.json`,
 * `/docs` and `/redoc`. Routes are separate modules mounted
 * here, so further features (LAN sync, the data API) mount their own.
 *
 * @example
 * ```ts
 * const app = createApp({ model: ModelHost.fromEngine(engine), config: { apiKey: 'secret-key' } });
 * const response = await app.request('/v1/models', { headers: { authorization: 'Bearer secret-key' } });
 * ```
 */
export function createApp(deps: AppDependencies): Hono<AppEnv> {
  const config: AppConfig = { ...defaults, ...deps.config };
  const logger = deps.logger ?? silentLogger;
  const tracker = deps.tracker ?? new ActivityTracker();
  const shutdownSignal = deps.shutdownSignal ?? new AbortController().signal;
  const routeDeps = { model: deps.model, modelAliases: config.modelAliases, sseKeepAliveMs: config.sseKeepAliveMs, shutdownSignal };

  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(requestIdOnEveryResponse());
  const metrics = deps.metrics;
  app.use(requestScope({ logger, tracker, ...(metrics === undefined ? {} : { onRequestEnd: metrics.recordRequest }) }));
  const recentRequests = deps.recentRequests ?? new RecentRequests();
  app.use(recordRecentRequests(recentRequests));
  if (config.corsOrigins.length > 0) {
    app.use(cors({ origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins], exposeHeaders: ['x-request-id', 'retry-after', 'x-should-retry'] }));
  }
  const limitBody = limitRequestBody(config.bodyLimitBytes, () => {
    throw new ApiError('body-too-large', `The request body is larger than this server's limit of ${config.bodyLimitBytes} bytes (TROSYN_BODY_LIMIT).`);
  });
  app.use('/v1/*', limitBody);
  app.use('/api/*', limitBody);
  // The operator's routes: the admin key, or this machine only when none is set. Before the
  // client key's check, so a wrong key on an admin route is told about the admin key.
  const adminOnly = adminAuth({ adminKey: config.adminKey, apiKey: config.apiKey });
  app.use('/api/v1/admin/*', adminOnly);
  if (metrics !== undefined) app.use('/metrics', adminOnly);
  if (config.apiKey !== undefined) {
    const clientAuth = apiKeyAuth(config.apiKey, { adminKey: config.adminKey });
    app.use('/v1/*', clientAuth);
    app.use('/api/*', clientAuth);
  }

  app.route('/', chatCompletionsRoute(routeDeps));
  app.route('/', completionsRoute(routeDeps));
  const embeddings = deps.embeddings ?? new EmbeddingHost({ chat: deps.model });
  app.route('/', embeddingsRoute({ embeddings, modelAliases: config.modelAliases, shutdownSignal }));
  app.route('/', modelsRoute({ ...routeDeps, embeddings, nodeName: config.nodeName }));
  const data = deps.data;
  app.route('/', responsesRoute({ ...routeDeps, store: data === undefined ? undefined : new ResponseStore(data.engine) }));
  const startedAt = deps.startedAt ?? performance.now();
  const syncHealth = data === undefined ? {} : { sync: () => data.health() };
  app.route('/', healthRoute({ model: deps.model, tracker, startedAt, embeddingModel: () => embeddings.state, ...syncHealth, ...(deps.pool === undefined ? {} : { pool: deps.pool }) }));
  app.route('/', adminRoute({
    model: deps.model, recentRequests, version: deps.version ?? '0.0.0', startedAt, ...syncHealth,
    adminKeyConfigured: config.adminKey !== undefined, apiKeyConfigured: config.apiKey !== undefined,
  }));
  if (data !== undefined) {
    app.route('/', itemsRoute(data));
    app.route('/', changesRoute(data, { stopSignal: tracker.drainSignal, logger }));
    app.route('/', conflictsRoute(data));
    app.route('/', syncRoute(data));
  }
  app.route('/', docsRoute(createOpenApiDocument(deps.version ?? '0.0.0')));
  app.route('/', consoleRoute());
  app.route('/', faviconRoute());
  app.route('/', metricsRoute(metrics));

  const respondWithError = (error: unknown, c: Context<AppEnv>): Response => {
    const promptParam = promptParamOf(c.req.path);
    const response = toErrorResponse(error, promptParam === undefined ? {} : { promptParam });
    if (response.unexpected) {
      logger.log('error', 'unexpected error', { method: c.req.method, path: c.req.path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
    return c.json(response.body, response.status as ContentfulStatusCode, response.headers);
  };
  app.notFound((c) => respondWithError(new ApiError('route-not-found', `Invalid URL (${c.req.method} ${c.req.path}). See /docs for the endpoints.`), c));
  app.onError(respondWithError);
  return app;
}
