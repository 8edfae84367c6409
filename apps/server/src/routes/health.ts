import { Hono } from 'hono';
import type { ActivityTracker } from '../activity-tracker.js';
import type { EngineBackend, EngineRuntime } from '../engine.js';
import type { ModelHost, ModelState } from '../model-host.js';
import type { AppEnv } from '../request-scope.js';
import type { EmbeddingModelState } from '../embedding-host.js';
import type { PoolHealth } from '../pool/pool-health.js';
import type { SyncHealth } from '../sync/lan-sync-service.js';

/** What `/health` needs. */
export interface HealthRouteDependencies {
  readonly model: ModelHost;
  readonly tracker: ActivityTracker;
  /** `performance.now()` at start. */
  readonly startedAt: number;
  /** The `sync` section (enabled, node id, peers); absent when the app runs without a data store. */
  readonly sync?: () => SyncHealth;
  /** The dedicated embedding model's state (`LLM_EMBEDDING_MODEL_PATH`); undefined: the chat model embeds. */
  readonly embeddingModel?: () => EmbeddingModelState | undefined;
  /** The `pool` section (pooled inference: mode, status settings, peers' advertisements); absent without a pool. */
  readonly pool?: () => PoolHealth;
}

function embeddingModelReport(state: EmbeddingModelState): object {
  switch (state.status) {
    case 'loaded':
      return { status: 'loaded', path: state.path, id: state.info.id, dimensions: state.info.dimensions, context_size: state.info.contextSize };
    case 'loading':
      return { status: 'loading', path: state.path };
    case 'error':
      return { status: 'error', path: state.path, message: state.message };
  }
}

function backendReport(backend: EngineBackend): object {
  return { url: backend.url, status: backend.status, error: backend.error ?? null, checked_at: backend.checkedAt?.toISOString() ?? null };
}

function modelReport(state: ModelState, runtime: EngineRuntime | undefined, backend: EngineBackend | undefined): object {
  switch (state.status) {
    case 'loaded': {
      const info = state.info;
      return {
        ...(backend === undefined ? {} : { upstream: backendReport(backend) }),
        status: 'loaded',
        id: info.id,
        path: info.path,
        architecture: info.architecture,
        parameter_count: info.parameterCount ?? null,
        quantization: info.quantization ?? null,
        context_size: info.contextSize,
        trained_context_length: info.trainedContextLength ?? null,
        has_chat_template: info.hasChatTemplate,
        file_size_bytes: info.fileSizeBytes,
        loaded_at: info.loadedAt.toISOString(),
        ...(runtime === undefined
          ? {}
          : {
              threads: runtime.threads ?? null,
              threads_source: runtime.threadsSource ?? null,
              batch_size: runtime.batchSize ?? null,
              chat_format: runtime.chatWrapper,
              chat_format_source: runtime.chatFormatSource ?? null,
            }),
      };
    }
    case 'loading':
      return {
        status: 'loading',
        path: state.path,
        download: state.download === undefined ? null : { downloaded_bytes: state.download.downloadedBytes, total_bytes: state.download.totalBytes },
        ...(state.detail === undefined ? {} : { detail: state.detail }),
      };
    case 'missing':
      return {
        status: 'missing',
        path: state.path,
        hint:
          (state.askingPeers === true ? 'Asking the LAN peers for this file (it is fetched and loaded as soon as one offers it); or download ' : 'Download ') +
          'the default model with `pnpm model:pull`, or set LLM_MODEL_PATH to a GGUF file, then restart.',
      };
    case 'error':
      return { status: 'error', path: state.path, message: state.message };
  }
}

/**
 * `GET /health`: always 200 while the process serves (a liveness check), with `status` `ok`
 * (model loaded), `degraded` (no model, or its upstream is down: LLM routes answer 503; or the dedicated
 * embedding model failed to load) or `draining` (shutting down).
 * Reads only in-memory counters, so it stays fast while the model is busy.
 */
export function healthRoute(deps: HealthRouteDependencies): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/health', (c) => {
    const state = deps.model.state;
    const engine = state.status === 'loaded' ? deps.model.require().engine : undefined;
    const stats = engine?.stats();
    const backend = engine?.backend?.();
    const serving = state.status === 'loaded' && backend?.status !== 'down';
    const embedding = deps.embeddingModel?.();
    const status = deps.tracker.draining ? 'draining' : serving && embedding?.status !== 'error' ? 'ok' : 'degraded';
    return c.json({
      status,
      model: modelReport(state, engine?.runtime, backend),
      uptime_seconds: Math.round((performance.now() - deps.startedAt) / 100) / 10,
      slots: { total: stats?.slots ?? 0, in_use: stats?.slotsInUse ?? 0 },
      queue: { depth: stats?.queueDepth ?? 0, max: stats?.maxQueue ?? 0 },
      requests_in_flight: deps.tracker.active,
      ...(embedding === undefined ? {} : { embedding_model: embeddingModelReport(embedding) }),
      ...(deps.sync === undefined ? {} : { sync: deps.sync() }),
      ...(deps.pool === undefined ? {} : { pool: deps.pool() }),
    });
  });
}
