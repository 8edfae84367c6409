import type {
  ChatDelta, ChatRequest, ChatResult, CompletionDelta, CompletionRequest, CompletionResult, Embedder, EmbeddingModelInfo,
  EmbeddingRequest, EmbeddingResult, Engine, EngineStats, FinishReason, GenerationEvent, ModelInfo, EngineRuntime, TokenLogprob, ToolCall, Usage,
} from '../src/engine.js';

/** Shaped like `@trosyn/llm`'s `LlmError` (the app recognises it by shape). */
export class FakeLlmError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'LlmError';
    this.code = code;
    this.details = details;
  }
}

/** What the fake answers next. */
export interface FakeScript {
  readonly pieces?: readonly string[];
  readonly toolCalls?: readonly ToolCall[];
  readonly finishReason?: FinishReason;
  readonly usage?: Usage;
  /** Thrown before the first delta (or by the non-streamed call). */
  readonly error?: FakeLlmError | Error;
  /** Thrown after the first piece. */
  readonly errorAfterFirst?: FakeLlmError;
  readonly firstDelayMs?: number;
  readonly pieceDelayMs?: number;
}

/** The fake's log probability of a piece: one token per piece, `top` alternatives (the piece first). */
export function fakeLogprob(piece: string, top: number): TokenLogprob {
  const bytes = [...Buffer.from(piece, 'utf8')];
  const alternatives = [{ token: piece, bytes, logprob: -0.25 }, { token: 'x', bytes: [120], logprob: -2 }, { token: 'y', bytes: [121], logprob: -3 }];
  return { token: piece, bytes, logprob: -0.25, topLogprobs: alternatives.slice(0, top) };
}

const defaultUsage: Usage = { promptTokens: 7, completionTokens: 3, cachedPromptTokens: 2 };

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(new FakeLlmError('aborted', 'aborted'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new FakeLlmError('aborted', 'aborted'));
    }, { once: true });
  });
}

/** A test double of the engine: scripted answers, recorded requests, honoured abort signals. */
export class FakeEngine implements Engine {
  readonly info: ModelInfo = {
    id: 'fake-model',
    path: '/models/fake-model.gguf',
    architecture: 'llama',
    parameterCount: 1000,
    quantization: 'F32',
    trainedContextLength: 2048,
    contextSize: 512,
    hasChatTemplate: true,
    fileSizeBytes: 4096,
    loadedAt: new Date('2026-01-02T03:04:05Z'),
  };
  readonly runtime: EngineRuntime = { threads: 1, threadsSource: 'model-size', batchSize: 512, chatWrapper: 'JinjaTemplate', chatFormatSource: 'gguf' };
  readonly requests: (ChatRequest | CompletionRequest)[] = [];
  script: FakeScript = { pieces: ['Hello', ' world'] };
  aborted = 0;
  disposed = false;
  slotsInUse = 0;
  readonly #generationListeners = new Set<(event: GenerationEvent) => void>();

  stats(): EngineStats {
    return { slots: 2, slotsInUse: this.slotsInUse, queueDepth: 1, maxQueue: 8 };
  }

  on(name: 'generation', listener: (event: GenerationEvent) => void): () => void {
    this.#generationListeners.add(listener);
    return () => this.#generationListeners.delete(listener);
  }

  /** Reports a request as the real engine does when one is over (the fake itself reports none). */
  emitGeneration(event: GenerationEvent): void {
    for (const listener of this.#generationListeners) listener(event);
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    this.requests.push(request);
    const script = this.script;
    if (script.error !== undefined) throw script.error;
    await sleep(script.firstDelayMs ?? 0, request.signal);
    const pieces = script.pieces ?? [];
    return {
      text: pieces.join(''),
      finishReason: script.finishReason ?? 'stop',
      usage: script.usage ?? defaultUsage,
      ...(request.logprobs === undefined ? {} : { logprobs: pieces.map((piece) => fakeLogprob(piece, request.logprobs!)) }),
    };
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    this.requests.push(request);
    const script = this.script;
    if (script.error !== undefined) throw script.error;
    await sleep(script.firstDelayMs ?? 0, request.signal);
    const toolCalls = script.toolCalls ?? [];
    return {
      content: toolCalls.length > 0 ? null : (script.pieces ?? []).join(''),
      toolCalls,
      finishReason: script.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      usage: script.usage ?? defaultUsage,
      ...(request.logprobs === undefined || toolCalls.length > 0 ? {} : { logprobs: (script.pieces ?? []).map((piece) => fakeLogprob(piece, request.logprobs!)) }),
    };
  }

  streamComplete(request: CompletionRequest): AsyncIterable<CompletionDelta> {
    this.requests.push(request);
    return this.#stream(request.signal, false, request.logprobs) as AsyncIterable<CompletionDelta>;
  }

  streamChat(request: ChatRequest): AsyncIterable<ChatDelta> {
    this.requests.push(request);
    return this.#stream(request.signal, true, request.logprobs);
  }

  /** The embedder `createEmbeddingEngine` hands out (one per engine, as the app memoises it). */
  readonly embedder = new FakeEmbedder();
  embedderCreated = 0;

  async createEmbeddingEngine(): Promise<Embedder> {
    this.embedderCreated += 1;
    return this.embedder;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  async *#stream(signal: AbortSignal | undefined, chat: boolean, logprobs: number | undefined): AsyncGenerator<ChatDelta> {
    const script = this.script;
    try {
      if (script.error !== undefined) throw script.error;
      await sleep(script.firstDelayMs ?? 0, signal);
      let first = true;
      for (const text of script.pieces ?? []) {
        if (!first) await sleep(script.pieceDelayMs ?? 0, signal);
        yield logprobs === undefined ? { type: 'text', text } : { type: 'text', text, logprobs: [fakeLogprob(text, logprobs)] };
        if (first && script.errorAfterFirst !== undefined) throw script.errorAfterFirst;
        first = false;
      }
      if (chat) {
        for (const [index, call] of (script.toolCalls ?? []).entries()) yield { type: 'tool-call', index, ...call };
      }
      const finishReason = script.finishReason ?? ((script.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop');
      yield { type: 'done', finishReason, usage: script.usage ?? defaultUsage };
    } catch (error) {
      if (error instanceof FakeLlmError && error.code === 'aborted') this.aborted += 1;
      throw error;
    }
  }
}

/**
 * A test double of an embedding engine: deterministic vectors derived from the input's text
 * (letter counts, normalised), recorded requests, a scripted error.
 */
export class FakeEmbedder implements Embedder {
  readonly info: EmbeddingModelInfo;
  readonly requests: EmbeddingRequest[] = [];
  error: Error | undefined;
  disposed = false;

  constructor(id = 'fake-model', dimensions = 8) {
    this.info = { id, path: `/models/${id}.gguf`, dimensions, contextSize: 512 };
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    this.requests.push(request);
    if (this.error !== undefined) throw this.error;
    const dimensions = request.dimensions ?? this.info.dimensions;
    const vectors = request.input.map((input) => {
      const text = typeof input === 'string' ? input : input.map((token) => String.fromCharCode(97 + (token % 26))).join('');
      const vector = new Float32Array(dimensions);
      for (const char of text.toLowerCase()) vector[char.charCodeAt(0) % dimensions]! += 1;
      const norm = Math.hypot(...vector) || 1;
      return vector.map((value) => value / norm);
    });
    const promptTokens = request.input.reduce((sum, input) => sum + (typeof input === 'string' ? input.split(' ').length : input.length), 0);
    return { vectors, promptTokens };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
