import type { ConflictResolverFunction } from '@trosyn/sync-core';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { ActivityTracker } from './activity-tracker.js';
import { createApp } from './app.js';
import type { ServerConfig } from './config.js';
import { EmbeddingHost } from './embedding-host.js';
import type { Embedder } from './engine.js';
import type { Logger } from './logger.js';
import { createNodeMetrics } from './metrics/node-metrics.js';
import { ModelHost, type ModelHostConfig } from './model-host.js';
import { createModelSharing } from './peer-models/model-sharing.js';
import { createPooledInference } from './pool/pooled-inference.js';
import type { PeerRequestHandler } from './sync/lan-sync-service.js';
import { LanSyncService } from './sync/lan-sync-service.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  /**
   * Loads the engine for a model path (`loadLlmEngine` in production), or connects to the
   * upstream engine (`UpstreamEngine.connect`) when `config.upstream` is set.
   */
  readonly loadEngine: ModelHostConfig['load'];
  /** Loads the dedicated embedding model when `LLM_EMBEDDING_MODEL_PATH` is set (`loadEmbeddingEngine`). */
  readonly loadEmbedder?: (modelPath: string) => Promise<Embedder>;
  readonly version?: string;
  /**
   * The data store's conflict resolver, for apps that start the node themselves (wins over
   * `LAN_SYNC_CONFLICT_RESOLVER`); see `@trosyn/sync-core`'s `resolveConflict` option.
   */
  readonly resolveConflict?: ConflictResolverFunction;
}

/** A listening node. */
export interface RunningServer {
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  readonly url: string;
  readonly port: number;
  readonly model: ModelHost;
  readonly embeddings: EmbeddingHost;
  /** The data store and LAN sync. */
  readonly sync: LanSyncService;
  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish for up to
   * `shutdownTimeoutMs`, then abort the rest, close connections and dispose the model. LAN sync
   * stops at once (mDNS goodbye, scheduler, sync server); the database closes last.
   * Idempotent.
   */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Starts a node: listens first, then loads the model in the background, so `/health` and
 * `/docs` answer while the model loads (or when there is none).
 *
 * @example
 * ```ts
 * const server = await startServer({ config, logger, loadEngine: (path) => loadLlmEngine(path, config.llm, logger) });
 * process.once('SIGTERM', () => void server.close());
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const startedAt = performance.now();
  const tracker = new ActivityTracker();
  const shutdown = new AbortController();
  const sharing = createModelSharing(config, logger);
  const pool = createPooledInference({
    mode: config.pool,
    status: config.poolStatus,
    nodeName: config.lanSync.nodeName,
    modelFile: config.upstream === undefined ? config.llm.modelPath : undefined,
    modelAliases: config.modelAliases,
    logger,
  });
  const handlers = [sharing.peerRequests, pool.peerRequests].filter((handler): handler is PeerRequestHandler => handler !== undefined);
  const sync = await LanSyncService.start({
    settings: config.lanSync,
    dataDir: config.dataDir,
    store: config.store,
    logger,
    peerRequests: {
      handles: (request) => handlers.some((handler) => handler.handles(request)),
      answer: (request, peerId) => handlers.find((handler) => handler.handles(request))!.answer(request, peerId),
    },
    streamRequests: pool.streamRequests,
    isQuietRequest: (request) => pool.peerRequests.handles(request),
    modelTransfer: () => sharing.transferStatus(),
    ...(options.resolveConflict === undefined ? {} : { resolveConflict: options.resolveConflict }),
  });
  const fetchMissing = sharing.fetchMissing(sync);
  const model = new ModelHost({
    modelPath: config.upstream?.url ?? config.llm.modelPath,
    load: options.loadEngine,
    onStateChange: (state) => {
      const level = state.status === 'error' ? 'error' : state.status === 'missing' ? 'warn' : 'info';
      logger.log(level, `model ${state.status}`, { path: state.path, ...(state.status === 'error' ? { error: state.message } : {}), ...(state.status === 'loaded' ? { id: state.info.id } : {}) });
    },
    ...(fetchMissing === undefined ? {} : { fetchMissing }),
  });
  const embeddingPath = config.llm.embeddingModelPath;
  const loadEmbedder = options.loadEmbedder;
  const embeddings = new EmbeddingHost({
    chat: model,
    ...(embeddingPath === undefined || loadEmbedder === undefined ? {} : { dedicated: { path: embeddingPath, load: loadEmbedder } }),
    onStateChange: (state) => {
      logger.log(state.status === 'error' ? 'error' : 'info', `embedding model ${state.status}`, { path: state.path, ...(state.status === 'error' ? { error: state.message } : {}) });
    },
  });
  pool.attach(sync, model, embeddings);
  const metrics = config.metrics ? createNodeMetrics({ model, sync, pool }) : undefined;
  const app = createApp({ model, embeddings, config: { ...config, nodeName: config.lanSync.nodeName }, logger, tracker, shutdownSignal: shutdown.signal, startedAt, data: sync, pool: () => pool.health(), metrics, ...(options.version === undefined ? {} : { version: options.version }) });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (error) {
    metrics?.dispose();
    await sync.close();
    throw error;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.log('info', 'listening', { url, docs: `${url}/docs`, ...(config.upstream === undefined ? { model_path: config.llm.modelPath } : { upstream: config.upstream.url }), api_key: config.apiKey === undefined ? 'off' : 'on' });
  if (config.apiKey === undefined && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    logger.log('warn', 'the API is reachable from the network without an API key; set TROSYN_API_KEY', { host: config.host });
  }
  void model.start();
  void embeddings.start();

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    tracker.drain();
    pool.close();
    const syncStopped = sync.stopSync();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const finished = await Promise.race([tracker.whenIdle().then(() => true), delay(config.shutdownTimeoutMs).then(() => false)]);
    if (!finished) {
      logger.log('warn', 'shutdown deadline reached: aborting in-flight generations', { in_flight: tracker.active });
      shutdown.abort(new Error('server shutting down'));
      await Promise.race([tracker.whenIdle(), delay(2000)]);
    }
    server.closeAllConnections();
    await closed;
    await syncStopped;
    metrics?.dispose();
    await sync.close();
    // Embedding contexts over the chat model go before the model itself.
    await embeddings.dispose();
    await model.dispose();
    logger.log('info', 'stopped');
  };
  return {
    url,
    port: address.port,
    model,
    embeddings,
    sync,
    close: () => (closing ??= close()),
  };
}
