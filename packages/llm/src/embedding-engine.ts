import type { LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import { cpuVariantsForEngine } from './cpu-variants.js';
import { shapeEmbedding } from './embedding-vector.js';
import { errorMessage, invalidRequest, LlmError } from './errors.js';
import { checkModelFile, modelHint, modelIdFromPath } from './model-file.js';
import { readModelInfo } from './model-info.js';
import { abortedError, SlotPool } from './slot-pool.js';
import type { EngineStats, LogLevel } from './types.js';

/** One input to embed: text, or token ids of the model's vocabulary. */
export type EmbeddingInput = string | readonly number[];

/** A request to {@link EmbeddingEngine.embed}. */
export interface EmbeddingRequest {
  /** The inputs, embedded in order (one vector each). */
  readonly input: readonly EmbeddingInput[];
  /** Keep the first `dimensions` components (then renormalise); at most the model's size. */
  readonly dimensions?: number;
  /** Aborting stops between inputs (or removes the request from the queue); fails with `aborted`. */
  readonly signal?: AbortSignal;
}

/** Result of {@link EmbeddingEngine.embed}. */
export interface EmbeddingResult {
  /** One unit-length (L2) vector per input, in input order. */
  readonly vectors: readonly Float32Array[];
  /** Tokens evaluated over all inputs (including the BOS/EOS tokens the model adds). */
  readonly promptTokens: number;
}

/** What an {@link EmbeddingEngine} serves. */
export interface EmbeddingModelInfo {
  /** File name without `.gguf`. */
  readonly id: string;
  readonly path: string;
  /** Components of each vector the model produces. */
  readonly dimensions: number;
  /** Tokens one input may have at most (including BOS/EOS). */
  readonly contextSize: number;
}

/** Construction config of {@link EmbeddingEngine.load}. */
export interface EmbeddingEngineConfig {
  /** A GGUF file (an embedding model such as nomic-embed or bge; any model works). */
  readonly modelPath: string;
  /** Tokens per input. Default: 2048 (capped at what the model was trained on). */
  readonly contextSize?: number;
  /** CPU threads. Default 1 (see the README's measurements). */
  readonly threads?: number;
  /** Batch requests allowed to wait while one is embedded. Default 32; beyond it → `queue-full`. */
  readonly maxQueue?: number;
  readonly gpuLayers?: number;
  readonly logger?: (level: LogLevel, message: string) => void;
}

/** Options of an embedding engine over a model that is already loaded. */
export interface EmbeddingContextOptions {
  readonly contextSize?: number;
  readonly threads?: number;
  readonly maxQueue?: number;
}

const defaults = Object.freeze({ contextSize: 2048, threads: 1, maxQueue: 32 });

interface Owned {
  /** Disposed with the engine when it loaded them itself; undefined when the model is shared. */
  readonly dispose: (() => Promise<void>) | undefined;
}

/**
 * Embeddings over node-llama-cpp's embedding context: a batch of inputs goes through the one
 * context input by input (node-llama-cpp reads the pooled vector of a single sequence), behind a
 * bounded FIFO queue. Vectors are L2-normalised, optionally truncated (`dimensions`).
 *
 * @example
 * ```ts
 * const embedder = await EmbeddingEngine.load({ modelPath: 'models/nomic-embed-text-v1.5.Q8_0.gguf' });
 * const { vectors } = await embedder.embed({ input: ['The cat sat.', 'A dog ran.'] });
 * // or, over the chat model already loaded: await llmEngine.createEmbeddingEngine()
 * ```
 */
export class EmbeddingEngine {
  /** The model and its vector size. */
  readonly info: EmbeddingModelInfo;
  readonly #model: LlamaModel;
  readonly #context: LlamaEmbeddingContext;
  readonly #pool: SlotPool<LlamaEmbeddingContext>;
  readonly #owned: Owned;
  #disposed: Promise<void> | undefined;

  private constructor(info: EmbeddingModelInfo, model: LlamaModel, context: LlamaEmbeddingContext, maxQueue: number, owned: Owned) {
    this.info = info;
    this.#model = model;
    this.#context = context;
    this.#pool = new SlotPool([context], maxQueue);
    this.#owned = owned;
  }

  /** Loads a GGUF file of its own for embeddings. Fails with `model-not-found` / `model-invalid`. */
  static async load(config: EmbeddingEngineConfig): Promise<EmbeddingEngine> {
    if (typeof config?.modelPath !== 'string' || config.modelPath.trim() === '') {
      throw invalidRequest('modelPath', `modelPath must be a GGUF file path. ${modelHint}`);
    }
    const file = await checkModelFile(config.modelPath);
    const lib = await import('node-llama-cpp');
    const log = config.logger;
    const gpuLayers = config.gpuLayers ?? 0;
    // The chat engine and this one share ggml's CPU variant: whichever loads first decides for both.
    await cpuVariantsForEngine(file.path, (await readModelInfo(file.path)).architecture);
    const llama = await lib.getLlama({
      gpu: gpuLayers > 0 ? 'auto' : false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      logLevel: log === undefined ? lib.LlamaLogLevel.error : lib.LlamaLogLevel.warn,
      ...(log === undefined ? {} : { logger: (level: string, message: string) => log(level === 'error' || level === 'fatal' ? 'error' : 'warn', message.trimEnd()) }),
    });
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file.path, gpuLayers });
    } catch (cause) {
      await llama.dispose();
      throw new LlmError('model-invalid', `Could not load the embedding model ${file.path}: ${errorMessage(cause)}. ${modelHint}`, { path: file.path }, { cause });
    }
    try {
      return await EmbeddingEngine.#create(model, file.path, config, {
        dispose: async () => {
          await model.dispose();
          await llama.dispose();
        },
      });
    } catch (error) {
      await model.dispose();
      await llama.dispose();
      throw error;
    }
  }

  /**
   * An embedding engine over a model that is already loaded (the chat model): a context of its
   * own, the weights shared. Used by `LlmEngine.createEmbeddingEngine()`.
   * @internal
   */
  static fromLoadedModel(model: LlamaModel, path: string, options: EmbeddingContextOptions = {}): Promise<EmbeddingEngine> {
    return EmbeddingEngine.#create(model, path, options, { dispose: undefined });
  }

  static async #create(model: LlamaModel, path: string, options: EmbeddingContextOptions, owned: Owned): Promise<EmbeddingEngine> {
    const trained = model.trainContextSize;
    const contextSize = Math.min(options.contextSize ?? defaults.contextSize, trained > 0 ? trained : Number.MAX_SAFE_INTEGER);
    let context: LlamaEmbeddingContext;
    try {
      // The batch holds a whole input: each input is evaluated in one decode.
      context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads: options.threads ?? defaults.threads });
    } catch (cause) {
      throw new LlmError('model-invalid', `Could not create an embedding context for ${path}: ${errorMessage(cause)}.`, { path }, { cause });
    }
    const info: EmbeddingModelInfo = Object.freeze({ id: modelIdFromPath(path), path, dimensions: model.embeddingVectorSize, contextSize });
    return new EmbeddingEngine(info, model, context, options.maxQueue ?? defaults.maxQueue, owned);
  }

  /**
   * Embeds every input, in order. Checks all of them first: an empty input is `invalid-request`
   * (param `input[i]`), one longer than the context is `context-overflow` naming it; nothing is
   * evaluated then.
   */
  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    if (this.#disposed !== undefined) throw new LlmError('disposed', 'The embedding engine was disposed; load a new one.');
    if (!Array.isArray(request?.input) || request.input.length === 0) throw invalidRequest('input', 'input must be a non-empty array.');
    const dimensions = request.dimensions;
    if (dimensions !== undefined && (!Number.isSafeInteger(dimensions) || dimensions < 1 || dimensions > this.info.dimensions)) {
      throw invalidRequest(
        'dimensions',
        `dimensions must be an integer from 1 to ${this.info.dimensions}: the model ${this.info.id} makes vectors of ${this.info.dimensions} components.`,
      );
    }
    const prepared = request.input.map((input, index) => this.#prepare(input, index));
    const signal = request.signal;
    const context = await this.#pool.acquire(signal).catch((error: unknown) => {
      throw signal?.aborted === true ? abortedError(signal) : error;
    });
    try {
      const vectors: Float32Array[] = [];
      for (const tokens of prepared) {
        if (signal?.aborted === true) throw abortedError(signal);
        const embedding = await context.getEmbeddingFor(tokens);
        vectors.push(shapeEmbedding(embedding.vector, dimensions));
      }
      return { vectors, promptTokens: prepared.reduce((sum, tokens) => sum + context.calculateInputLength(tokens), 0) };
    } catch (error) {
      if (error instanceof LlmError) throw error;
      throw new LlmError('generation-failed', `Embedding failed: ${errorMessage(error)}`, {}, { cause: error });
    } finally {
      this.#pool.release(context);
    }
  }

  /**
   * Occupancy: one batch is embedded at a time (`slots` 1), the others wait in the queue. Pooled
   * inference advertises it, so a busy node's embeddings can go to an idle peer.
   */
  stats(): EngineStats {
    return { slots: this.#pool.size, slotsInUse: this.#pool.inUse, queueDepth: this.#pool.queueDepth, maxQueue: this.#pool.maxQueue };
  }

  /** Frees the context (and the model, when this engine loaded it). Idempotent. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      this.#pool.close(new LlmError('disposed', 'The embedding engine was disposed.'));
      await this.#context.dispose();
      await this.#owned.dispose?.();
    })();
    return this.#disposed;
  }

  #prepare(input: EmbeddingInput, index: number): Token[] {
    const param = `input[${index}]`;
    let tokens: Token[];
    if (typeof input === 'string') {
      if (input === '') throw invalidRequest(param, `${param} is empty; every input needs some text.`);
      tokens = this.#model.tokenize(input);
    } else if (Array.isArray(input)) {
      const vocabulary = vocabularySize(this.#model);
      if (input.length === 0) throw invalidRequest(param, `${param} is an empty token array.`);
      input.forEach((token: unknown, position) => {
        if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 0 || token >= vocabulary) {
          throw invalidRequest(`${param}[${position}]`, `${param}[${position}] must be a token id from 0 to ${vocabulary - 1}.`);
        }
      });
      tokens = [...input] as Token[];
    } else {
      throw invalidRequest(param, `${param} must be a string or an array of token ids.`);
    }
    const length = this.#context.calculateInputLength(tokens);
    // node-llama-cpp's own rule: an input must leave one position of the context free.
    if (length >= this.info.contextSize) {
      throw new LlmError(
        'context-overflow',
        `${param} has ${length} tokens, but an input may have at most ${this.info.contextSize - 1} for this embedding context. Shorten or split it.`,
        { promptTokens: length, maxTokens: 0, contextSize: this.info.contextSize - 1, param, index },
      );
    }
    return tokens;
  }
}

function vocabularySize(model: LlamaModel): number {
  const metadata = model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } };
  return metadata.tokenizer?.ggml?.tokens?.length ?? Number.MAX_SAFE_INTEGER;
}
