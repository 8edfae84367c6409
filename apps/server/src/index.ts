/**
 * `@trosyn/server`: the Trosyn node's HTTP app (OpenAI-compatible API, health, docs).
 *
 * @packageDocumentation
 */
export { createApp, type AppConfig, type AppDependencies } from './app.js';
export { ActivityTracker } from './activity-tracker.js';
export { ConfigError, DEFAULT_MODEL_PATH, parseConfig, type LanSyncSettings, type LlmSettings, type ParseConfigOptions, type ServerConfig, type StoreSettings } from './config.js';
export type * from './engine.js';
export { toErrorResponse, type ErrorContext, type ErrorResponse, type OpenAiErrorBody } from './error-handler.js';
export { ApiError, isEngineError, type ApiErrorCode, type ApiErrorOptions } from './errors.js';
export { createJsonLogger, silentLogger, type JsonLoggerOptions, type LogFields, type Logger, type LogLevel } from './logger.js';
export { createNodeMetrics, type NodeMetrics, type NodeMetricsSources } from './metrics/node-metrics.js';
export { ModelHost, type LoadedModel, type ModelHostConfig, type ModelState } from './model-host.js';
export { createOpenApiDocument } from './openai/openapi-document.js';
export type { AppEnv, AppVariables } from './request-scope.js';
export { startServer, type RunningServer, type StartServerOptions } from './start-server.js';
export { LanSyncService, SYNC_DATABASE_FILE, type LanSyncServiceOptions, type PeerSyncStatus, type SyncHealth, type SyncStatusReport } from './sync/lan-sync-service.js';
export { HttpSyncTransport, type HttpSyncTransportConfig } from './sync/http-sync-transport.js';
export { SyncScheduler, type PeerTransport, type RoundOutcome, type SyncSchedulerConfig } from './sync/sync-scheduler.js';
export { addressOf, PeerRegistry, type PeerEntry, type PeerLinks, type PeerNews, type PeerSnapshot, type PeerSource, type PeerState, type PeerTarget } from './sync/peer-registry.js';
export { RoundQueue } from './sync/round-queue.js';
export { systemTimers, type TimerHandle, type TimerPort } from './sync/timer-port.js';
export { ManualClock } from './sync/manual-clock.js';
export {
  deferForInbound,
  pickPeerHost,
  pushOnlyPosition,
  retriesOnInbound,
  retryDelayMs,
  stateAfterFailure,
  withJitter,
  INBOUND_QUIET_MS,
  type BackoffSettings,
  type Deferral,
  type PushCandidate,
  type RoundReason,
} from './sync/round-policy.js';
export { createSyncApp, listenSyncServer, type InboundPeer, type ListeningSyncServer, type SyncApp, type SyncServerDependencies } from './sync/sync-server.js';
export { InboundPeerFeed, type InboundPeerListener } from './sync/inbound-peer-feed.js';
export { SYNC_PATHS } from './sync/sync-paths.js';
export { LanSyncError, type LanSyncErrorCode } from './sync/errors.js';
export { LentBytes } from './sync/lent-bytes.js';
export type { DataApiDependencies } from './routes/data-api/data-api-dependencies.js';
export { ModelShareServer, type ModelShareServerConfig } from './peer-models/model-share-server.js';
export { ModelFetcher, partPaths, type ModelFetcherConfig, type ModelPeer, type ModelTransferStatus, type PeerChannel } from './peer-models/model-fetcher.js';
export { isModelShareRequest, MODEL_CHUNK_BYTES } from './peer-models/model-share-protocol.js';
export { UpstreamEngine } from './upstream/upstream-engine.js';
