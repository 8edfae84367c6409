import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { jinjaWrapper, resolveChatFormat, type ChatFormat, type ChatFormatOverride } from './chat-format.js';
import { cpuVariantsForEngine } from './cpu-variants.js';
import { errorMessage, invalidRequest, LlmError } from './errors.js';
import { checkModelFile, isModelUri, modelHint } from './model-file.js';
import { describeGguf, readModelInfo } from './model-info.js';
import { SamplingFailureGuard } from './sampling-failure-guard.js';
import { chooseThreads, type ThreadChoice } from './thread-default.js';
import { measureThreads } from './thread-probe.js';
import type { LlmEngineConfig, LogLevel, ModelInfo, RuntimeInfo } from './types.js';

export type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** Defaults chosen from measurement on a 2-vCPU machine; threads depend on the model (`chooseThreads`). */
export const engineDefaults = Object.freeze({ contextSize: 2048, gpuLayers: 0, parallel: 1, maxQueue: 32 });

/** The settings a loaded engine runs with. */
export interface EngineSettings {
  readonly contextSize: number;
  readonly parallel: number;
  readonly maxQueue: number;
  /** Bounds logit-bias token ids; an id past the vocabulary must never reach llama.cpp. */
  readonly vocabularySize: number;
}

/** Where the engine logs: the configured `logger`, or the package's default (errors to stderr). */
export type Logger = NonNullable<LlmEngineConfig['logger']>;

/** One of the context's sequences: a request generates on it, and its KV cache outlives the request. */
export interface Slot {
  readonly index: number;
  readonly sequence: LlamaContextSequence;
}

/** The node-llama-cpp objects an engine owns. */
export interface Native {
  readonly lib: NodeLlamaCpp;
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chatWrapper: ChatWrapper;
  readonly samplingGuard: SamplingFailureGuard | undefined;
}

/** Everything {@link loadEngine} prepared, for `LlmEngine`'s constructor. */
export interface LoadedEngine {
  readonly info: ModelInfo;
  readonly runtime: RuntimeInfo;
  readonly settings: EngineSettings;
  readonly native: Native;
  readonly slots: readonly Slot[];
  readonly log: Logger;
}

/**
 * Validates `config`, resolves the model file, picks ggml's CPU variant and the threads, loads the
 * model and creates its context with one sequence per slot, and resolves the chat format; on a
 * failure, frees whatever was loaded and throws `invalid-request`, `model-not-found` or
 * `model-invalid` (naming the path and what to do). The body of `LlmEngine.load`.
 */
export async function loadEngine(config: LlmEngineConfig): Promise<LoadedEngine> {
  const settings = validateConfig(config);
  const log = config.logger ?? defaultLogger;
  const lib = await import('node-llama-cpp');
  // A supplied template is checked before anything is loaded (the wrapper renders it once to learn its capabilities).
  if (config.chatTemplate !== undefined) jinjaWrapper(lib, config.chatTemplate);
  const source = await resolveModelSource(lib, settings.modelPath, config.modelsDirectory, config.onDownloadProgress);
  const file = await checkModelFile(source);
  const cpuVariants = await cpuVariantsForEngine(file.path, (await readModelInfo(file.path)).architecture);
  const llama = await lib.getLlama({
    gpu: settings.gpuLayers > 0 ? 'auto' : false,
    // Never compile llama.cpp at run time; a local source build (README) is still preferred when present.
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    ...(settings.cmakeOptions === undefined ? {} : { cmakeOptions: { ...settings.cmakeOptions } }),
    logLevel: config.logger === undefined ? lib.LlamaLogLevel.error : lib.LlamaLogLevel.warn,
    logger: (level, message) => log(toLogLevel(level), message.trimEnd()),
  });
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: file.path, gpuLayers: settings.gpuLayers });
  } catch (cause) {
    await llama.dispose();
    throw new LlmError(
      'model-invalid',
      `Could not load the model file ${file.path}: ${errorMessage(cause)}. The file may be corrupt or truncated, or its ` +
        `architecture unsupported by this llama.cpp; download it again. ${modelHint}`,
      { path: file.path },
      { cause },
    );
  }
  const sizeChoice = chooseThreads(settings.threads, file.size);
  let threadChoice: ThreadChoice;
  try {
    threadChoice = 'measure' in sizeChoice ? await measureThreads(model, sizeChoice) : sizeChoice;
  } catch (cause) {
    await model.dispose();
    await llama.dispose();
    throw new LlmError('model-invalid', `Could not evaluate ${file.path} to choose its threads: ${errorMessage(cause)}. ${modelHint}`, { path: file.path }, { cause });
  }
  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize: settings.contextSize,
      sequences: settings.parallel,
      threads: threadChoice.threads,
      ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
    });
  } catch (cause) {
    await model.dispose();
    await llama.dispose();
    throw new LlmError(
      'model-invalid',
      `Could not create a context of ${settings.contextSize} tokens × ${settings.parallel} sequence(s) for ${file.path}: ` +
        `${errorMessage(cause)}. Lower contextSize or parallel.`,
      { path: file.path, contextSize: settings.contextSize, parallel: settings.parallel },
      { cause },
    );
  }
  let chatFormat: ChatFormat;
  try {
    chatFormat = resolveChatFormat(lib, model, chatFormatOverride(config));
  } catch (error) {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    throw error;
  }
  const chatWrapper = chatFormat.wrapper;
  const samplingGuard = SamplingFailureGuard.install(context, (failure) => log('warn', `sampling failed: ${failure.message}`));
  if (samplingGuard === undefined) log('warn', 'this node-llama-cpp has no known sampling hook: a failing sampler may crash the process');
  const slots: Slot[] = [];
  for (let index = 0; index < settings.parallel; index++) slots.push({ index, sequence: context.getSequence() });
  const metadata = model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } };
  const info: ModelInfo = Object.freeze({
    ...describeGguf(model.fileInfo, file.path, file.size, (type) => lib.GgufFileType[type]),
    contextSize: context.contextSize,
    loadedAt: new Date(),
  });
  const runtime: RuntimeInfo = Object.freeze({
    buildType: llama.buildType,
    gpu: llama.gpu,
    threads: context.currentThreads,
    threadsSource: threadChoice.source,
    parallel: settings.parallel,
    batchSize: context.batchSize,
    skippedCpuVariants: cpuVariants.skipped,
    chatWrapper: chatWrapper.wrapperName,
    chatFormatSource: chatFormat.source,
  });
  log(
    'info',
    `loaded ${info.path} (${info.architecture}, ${info.quantization ?? 'unquantized'}): ${runtime.parallel} slot(s) × ` +
      `${info.contextSize} tokens, threads ${threadChoice.reason}, batch ${runtime.batchSize}, ${runtime.buildType} llama.cpp` +
      (cpuVariants.skipped.length === 0 ? ', ' : ` without CPU variant(s) ${cpuVariants.skipped.join(', ')} (${cpuVariants.source}), `) +
      `chat format ${runtime.chatWrapper} (${runtime.chatFormatSource})`,
  );
  return {
    info,
    runtime,
    settings: Object.freeze({
      contextSize: context.contextSize,
      parallel: settings.parallel,
      maxQueue: settings.maxQueue,
      vocabularySize: metadata.tokenizer?.ggml?.tokens?.length ?? 0,
    }),
    native: { lib, llama, model, context, chatWrapper, samplingGuard },
    slots,
    log,
  };
}

function chatFormatOverride(config: LlmEngineConfig): ChatFormatOverride {
  if (config.chatTemplate !== undefined) return { template: config.chatTemplate };
  return config.chatFormat === undefined ? undefined : { builtIn: config.chatFormat };
}

function validateConfig(config: LlmEngineConfig) {
  if (typeof config !== 'object' || config === null) throw invalidRequest('config', 'LlmEngine.load needs a config object.');
  if (typeof config.modelPath !== 'string' || config.modelPath.trim() === '') {
    throw invalidRequest('modelPath', `modelPath must be a GGUF file path or an hf: URI. ${modelHint}`);
  }
  const integer = (value: number | undefined, param: string, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min) throw invalidRequest(param, `${param} must be an integer ≥ ${min}.`);
    return value;
  };
  if (config.chatTemplate !== undefined && (typeof config.chatTemplate !== 'string' || config.chatTemplate.trim() === '')) {
    throw invalidRequest('chatTemplate', 'chatTemplate must be a non-empty Jinja template string.');
  }
  return Object.freeze({
    modelPath: config.modelPath,
    contextSize: integer(config.contextSize, 'contextSize', engineDefaults.contextSize, 16),
    gpuLayers: integer(config.gpuLayers, 'gpuLayers', engineDefaults.gpuLayers, 0),
    threads: config.threads === undefined ? undefined : integer(config.threads, 'threads', 1, 1),
    parallel: integer(config.parallel, 'parallel', engineDefaults.parallel, 1),
    maxQueue: integer(config.maxQueue, 'maxQueue', engineDefaults.maxQueue, 0),
    batchSize: config.batchSize === undefined ? undefined : integer(config.batchSize, 'batchSize', 0, 1),
    cmakeOptions: validateCmakeOptions(config.cmakeOptions),
  });
}

function validateCmakeOptions(options: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Object.values(options).some((value) => typeof value !== 'string')) {
    throw invalidRequest('cmakeOptions', 'cmakeOptions must map CMake option names to string values, e.g. { GGML_OPENMP: "ON" }.');
  }
  return Object.freeze({ ...options });
}

async function resolveModelSource(
  lib: NodeLlamaCpp,
  modelPath: string,
  directory: string | undefined,
  onProgress: LlmEngineConfig['onDownloadProgress'],
): Promise<string> {
  if (!isModelUri(modelPath)) return modelPath;
  try {
    return await lib.resolveModelFile(modelPath, {
      ...(directory === undefined ? {} : { directory }),
      cli: process.stderr.isTTY,
      ...(onProgress === undefined ? {} : { onProgress: (status) => onProgress({ downloadedBytes: status.downloadedSize, totalBytes: status.totalSize }) }),
    });
  } catch (cause) {
    throw new LlmError(
      'model-not-found',
      `Could not resolve or download the model ${modelPath}: ${errorMessage(cause)}. ${modelHint}`,
      { path: modelPath },
      { cause },
    );
  }
}

function toLogLevel(level: string): LogLevel {
  switch (level) {
    case 'fatal':
    case 'error':
      return 'error';
    case 'warn':
      return 'warn';
    case 'debug':
      return 'debug';
    default:
      return 'info';
  }
}

function defaultLogger(level: LogLevel, message: string): void {
  if (level === 'error') console.error(`[@trosyn/llm] ${message}`);
}
