/**
 * `@trosyn/server`: the Trosyn node's HTTP app (OpenAI-compatible API, health, docs).
 *
 * @packageDocumentation
 */
export { createApp, type AppConfig, type AppDependencies } from './app.js';
export { ActivityTracker } from './activity-tracker.js';
export { ConfigError, DEFAULT_MODEL_PATH, parseConfig, type LanSyncSettings, type LlmSettings, type ParseConfigOptions, type ServerConfig } from './config.js';
export type * from './engine.js';
export { toErrorResponse, type ErrorContext, type ErrorResponse, type OpenAiErrorBody } from './error-handler.js';
export { ApiError, isEngineError, type ApiErrorCode, type ApiErrorOptions } from './errors.js';
export { createJsonLogger, silentLogger, type JsonLoggerOptions, type LogFields, type Logger, type LogLevel } from './logger.js';
export { ModelHost, type LoadedModel, type ModelHostConfig, type ModelState } from './model-host.js';
export { createOpenApiDocument } from './openai/openapi-document.js';
export type { AppEnv, AppVariables } from './request-scope.js';
export { startServer, type RunningServer, type StartServerOptions } from './start-server.js';
