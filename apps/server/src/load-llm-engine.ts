import type { LlmSettings } from './config.js';
import type { Embedder, Engine } from './engine.js';
import type { Logger } from './logger.js';
import type { DownloadProgress } from './model-host.js';

/**
 * Loads the model with `@trosyn/llm`. The package is imported on first use, so importing the
 * app (tests, tools) never pulls in node-llama-cpp.
 */
export async function loadLlmEngine(
  modelPath: string,
  settings: LlmSettings,
  logger: Logger,
  onDownloadProgress?: (progress: DownloadProgress) => void,
): Promise<Engine> {
  const { LlmEngine, isLlmError } = await import('@trosyn/llm');
  const engine: Engine = await LlmEngine.load({
    modelPath,
    contextSize: settings.contextSize,
    gpuLayers: settings.gpuLayers,
    ...(settings.threads === undefined ? {} : { threads: settings.threads }),
    parallel: settings.parallel,
    maxQueue: settings.maxQueue,
    ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
    ...(settings.chatTemplate === undefined
      ? {}
      : 'template' in settings.chatTemplate
        ? { chatTemplate: settings.chatTemplate.template }
        : { chatFormat: settings.chatTemplate.builtIn }),
    logger: (level, message) => logger.log(level, message, { component: 'llm' }),
    ...(onDownloadProgress === undefined ? {} : { onDownloadProgress }),
  }).catch((error: unknown) => {
    const param = isLlmError(error, 'invalid-request') ? error.details['param'] : undefined;
    // The engine names its option; the operator set an environment variable.
    if (param === 'chatFormat' || param === 'chatTemplate') throw new Error(`LLM_CHAT_TEMPLATE: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    throw error;
  });
  return engine;
}

/** Loads the dedicated embedding model (`LLM_EMBEDDING_MODEL_PATH`) with `@trosyn/llm`. */
export async function loadEmbeddingEngine(modelPath: string, settings: LlmSettings, logger: Logger): Promise<Embedder> {
  const { EmbeddingEngine } = await import('@trosyn/llm');
  const embedder: Embedder = await EmbeddingEngine.load({
    modelPath,
    contextSize: settings.contextSize,
    gpuLayers: settings.gpuLayers,
    ...(settings.threads === undefined ? {} : { threads: settings.threads }),
    maxQueue: settings.maxQueue,
    logger: (level, message) => logger.log(level, message, { component: 'llm-embedding' }),
  });
  return embedder;
}

/**
 * Decides ggml's CPU variant from every local model file before either engine loads. Why: the
 * chat and the dedicated embedding model load at the same time, ggml picks its variant once per
 * process, and the first to load would choose for both (a gemma3n chat model then computed NaN
 * on a variant chosen for the embedding model). Files not there yet are left out; their engine
 * fails with a clear error if the choice is wrong for them.
 */
export async function prepareLlmCpuVariants(modelPaths: readonly string[], logger: Logger): Promise<void> {
  const { prepareCpuVariants } = await import('@trosyn/llm');
  const choice = await prepareCpuVariants(modelPaths);
  if (choice.skipped.length > 0) logger.log('info', 'CPU variants chosen for every model', { skipped: choice.skipped, source: choice.source });
}
