/**
 * `@trosyn/llm`: local LLM inference over node-llama-cpp — GGUF loading, completion and chat
 * (streaming), tools, JSON schema output, parallel slots with a bounded queue.
 *
 * Importing this module loads no native code: node-llama-cpp is imported by `LlmEngine.load`.
 *
 * @packageDocumentation
 */
export { LlmEngine } from './llm-engine.js';
export { engineDefaults } from './engine-loader.js';
export {
  EmbeddingEngine,
  type EmbeddingContextOptions,
  type EmbeddingEngineConfig,
  type EmbeddingInput,
  type EmbeddingModelInfo,
  type EmbeddingRequest,
  type EmbeddingResult,
} from './embedding-engine.js';
export { cosineSimilarity } from './embedding-vector.js';
export { LlmError, isLlmError, type LlmErrorCode } from './errors.js';
export type { LlmEngineEvents } from './engine-events.js';
export type { GenerationEvent } from './generation-meter.js';
export { samplingDefaults } from './sampling-options.js';
export { isModelUri, modelIdFromPath } from './model-file.js';
export { readModelInfo, type GgufModelInfo } from './model-info.js';
export { prepareCpuVariants, SKIP_CPU_VARIANTS_VARIABLE, type CpuVariantChoice } from './cpu-variants.js';
export type {
  ChatDelta,
  ChatMessage,
  ChatRequest,
  ChatResult,
  CompletionDelta,
  CompletionRequest,
  CompletionResult,
  DownloadProgress,
  EngineStats,
  FinishReason,
  GenerationOptions,
  JsonSchemaResponseFormat,
  LlmEngineConfig,
  LogLevel,
  ModelInfo,
  ResponseFormat,
  RuntimeInfo,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  TokenLogprob,
  Usage,
} from './types.js';
