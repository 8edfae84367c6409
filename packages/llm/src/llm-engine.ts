import type { ChatWrapperGenerateContextStateOptions, LlamaContextSequence, Token, TokenBias } from 'node-llama-cpp';
import { toChatHistory } from './chat-history.js';
import { forceFunctionCall, withoutTemplateStops } from './chat-wrapper-views.js';
import { beginningToken, completionPromptTokens } from './completion-prompt.js';
import { EmbeddingEngine } from './embedding-engine.js';
import { EventListeners, type LlmEngineEvents } from './engine-events.js';
import { loadEngine, type EngineSettings, type Logger, type Native, type Slot } from './engine-loader.js';
import { errorMessage, invalidRequest, LlmError } from './errors.js';
import { GenerationMeter, type GenerationEvent } from './generation-meter.js';
import { streamGeneration, type Generation } from './generation-stream.js';
import { resolveSampling, type ResolvedSampling } from './sampling-options.js';
import { abortedError, SlotPool } from './slot-pool.js';
import { checkStructuredAnswer, ResponseFormatGrammars } from './response-format-grammars.js';
import { ToolCallCollector } from './tool-call-collector.js';
import { resolveToolChoice, toFunctions } from './tool-choice.js';
import { checkToolCallArguments, checkToolParameters } from './tool-parameter-checks.js';
import { MAX_TOP_LOGPROBS, TokenProbabilities } from './token-probabilities.js';
import type {
  ChatDelta,
  ChatMessage,
  ChatRequest,
  ChatResult,
  CompletionDelta,
  CompletionRequest,
  CompletionResult,
  EngineStats,
  FinishReason,
  GenerationOptions,
  LlmEngineConfig,
  ModelInfo,
  RuntimeInfo,
  ToolDefinition,
} from './types.js';

/**
 * Local LLM inference over node-llama-cpp: one model, one context with `parallel`
 * sequences (slots) that decode in one batch, and a bounded FIFO queue in front.
 *
 * node-llama-cpp is imported lazily by {@link LlmEngine.load}; importing this package loads
 * no native code.
 *
 * @example
 * ```ts
 * import { LlmEngine } from '@trosyn/llm';
 * const engine = await LlmEngine.load({ modelPath: 'models/gemma-3n-e2b.gguf', parallel: 2 });
 * const { text } = await engine.complete({ prompt: 'Once upon a time', maxTokens: 32, temperature: 0 });
 * for await (const delta of engine.streamChat({ messages: [{ role: 'user', content: 'Hi!' }] })) {
 *   if (delta.type === 'text') process.stdout.write(delta.text);
 * }
 * await engine.dispose();
 * ```
 */
export class LlmEngine {
  /** What the model file says about itself, and the context size in use. */
  readonly info: ModelInfo;
  /** The llama.cpp binary and the settings in use. */
  readonly runtime: RuntimeInfo;
  readonly #config: EngineSettings;
  readonly #native: Native;
  readonly #pool: SlotPool<Slot>;
  readonly #disposeController = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #log: Logger;
  readonly #events = new EventListeners<LlmEngineEvents>((error) => this.#log('error', `a generation event listener failed: ${errorMessage(error)}`));
  readonly #formats: ResponseFormatGrammars;
  #disposed: Promise<void> | undefined;

  private constructor(info: ModelInfo, runtime: RuntimeInfo, config: EngineSettings, native: Native, slots: readonly Slot[], log: Logger) {
    this.#formats = new ResponseFormatGrammars(native.llama);
    this.info = info;
    this.runtime = runtime;
    this.#config = config;
    this.#native = native;
    this.#pool = new SlotPool(slots, config.maxQueue);
    this.#log = log;
  }

  /**
   * Loads a GGUF model (a path, or an `hf:` URI downloaded through node-llama-cpp's
   * `resolveModelFile`) and creates its context. Fails with `model-not-found` or
   * `model-invalid` (both naming the path and what to do), or `invalid-request` for a bad option.
   */
  static async load(config: LlmEngineConfig): Promise<LlmEngine> {
    const { info, runtime, settings, native, slots, log } = await loadEngine(config);
    return new LlmEngine(info, runtime, settings, native, slots, log);
  }

  /** Generates a completion of `prompt`. */
  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const probabilities = this.#probabilities(request);
    const generation = await this.#track(this.#metered('completion', false, (meter) => this.#complete(request, undefined, meter, probabilities)));
    return {
      text: generation.text,
      finishReason: generation.finishReason,
      usage: generation.usage,
      ...(probabilities === undefined ? {} : { logprobs: probabilities.take(generation.text.length) }),
    };
  }

  /**
   * Streams a completion: text deltas, then one `done` item. A typed error (`queue-full`,
   * `context-overflow`, `invalid-request`) is thrown by the first `next()`, before any delta.
   * Leaving the loop early aborts the generation and frees the slot.
   */
  async *streamComplete(request: CompletionRequest): AsyncIterable<CompletionDelta> {
    // Without tool calls the stream only yields the text and done items CompletionDelta has.
    const probabilities = this.#probabilities(request);
    const start = (signal: AbortSignal, onText: (text: string) => void): Promise<Generation> =>
      this.#metered('completion', true, (meter) => this.#complete({ ...request, signal }, onText, meter, probabilities));
    yield* this.#stream(request, start, false, probabilities) as AsyncGenerator<CompletionDelta>;
  }

  /** Answers a conversation; may return tool calls (finish reason `tool_calls`). */
  async chat(request: ChatRequest): Promise<ChatResult> {
    const probabilities = this.#probabilities(request);
    const generation = await this.#track(this.#metered('chat', false, (meter) => this.#chat(request, undefined, meter, probabilities)));
    return {
      content: generation.text === '' && generation.toolCalls.length > 0 ? null : generation.text,
      toolCalls: generation.toolCalls,
      finishReason: generation.finishReason,
      usage: generation.usage,
      ...(probabilities === undefined ? {} : { logprobs: probabilities.take(generation.text.length) }),
    };
  }

  /**
   * Streams a chat answer: text deltas, complete tool calls, then one `done` item. Errors
   * before generation are thrown by the first `next()`.
   */
  async *streamChat(request: ChatRequest): AsyncIterable<ChatDelta> {
    const probabilities = this.#probabilities(request);
    const start = (signal: AbortSignal, onText: (text: string) => void): Promise<Generation> =>
      this.#metered('chat', true, (meter) => this.#chat({ ...request, signal }, onText, meter, probabilities));
    yield* this.#stream(request, start, true, probabilities);
  }

  /**
   * Number of tokens `text` is made of when it is a completion prompt, not counting the BOS
   * token the model may add (special-token text is not parsed).
   */
  async countTokens(text: string): Promise<number> {
    this.#assertOpen();
    if (typeof text !== 'string') throw invalidRequest('text', 'text must be a string.');
    const { lib, model } = this.#native;
    return model.tokenize(text, false, beginningToken(lib, model) === undefined ? undefined : 'trimLeadingSpace').length;
  }

  /**
   * Subscribes to the engine's events: `generation`, one per request once it is over, with its
   * outcome, tokens and timings (what an application turns into metrics). Returns the function
   * that unsubscribes.
   */
  on<K extends keyof LlmEngineEvents>(name: K, listener: (event: LlmEngineEvents[K]) => void): () => void {
    return this.#events.on(name, listener);
  }

  /**
   * An {@link EmbeddingEngine} over this engine's model: an embedding context of its own (one
   * input at a time, `threads` as this engine's), the weights shared. Dispose it before this engine.
   */
  createEmbeddingEngine(options: { readonly contextSize?: number; readonly maxQueue?: number } = {}): Promise<EmbeddingEngine> {
    this.#assertOpen();
    return EmbeddingEngine.fromLoadedModel(this.#native.model, this.info.path, {
      contextSize: options.contextSize ?? this.#config.contextSize,
      threads: this.runtime.threads,
      maxQueue: options.maxQueue ?? this.#config.maxQueue,
    });
  }

  /**
   * The prompt a chat request's messages (and tools) become (the chat format's rendering, special
   * tokens as their text, e.g. `<bos><start_of_turn>user\n…`): what the model sees before it answers.
   */
  renderChatPrompt(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): string {
    this.#assertOpen();
    const { model, lib } = this.#native;
    const functions = toFunctions(tools, 'auto');
    const state = this.#native.chatWrapper.generateContextState({
      chatHistory: toChatHistory(messages),
      ...(functions === undefined ? {} : { availableFunctions: functions, documentFunctionParams: true }),
    });
    return state.contextText.values
      .map((value) => {
        if (typeof value === 'string') return value;
        if (value instanceof lib.SpecialTokensText) return value.value;
        return model.detokenize(value.tokenize(model.tokenizer), true);
      })
      .join('');
  }

  /** Slots, slots in use and queue depth right now. */
  stats(): EngineStats {
    this.#assertOpen();
    return { slots: this.#pool.size, slotsInUse: this.#pool.inUse, queueDepth: this.#pool.queueDepth, maxQueue: this.#pool.maxQueue };
  }

  /** Whether {@link LlmEngine.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed !== undefined;
  }

  /**
   * Aborts running requests, rejects queued ones (`disposed`), and frees the context, model and
   * llama.cpp backend. Idempotent: later calls return the same promise.
   */
  dispose(): Promise<void> {
    this.#disposed ??= this.#dispose();
    return this.#disposed;
  }

  /** Same as {@link LlmEngine.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #dispose(): Promise<void> {
    this.#pool.close(new LlmError('disposed', 'The LLM engine was disposed.'));
    this.#disposeController.abort(new LlmError('disposed', 'The LLM engine was disposed.'));
    await Promise.allSettled([...this.#inFlight]);
    const { context, model, llama } = this.#native;
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }

  #assertOpen(): void {
    if (this.#disposed !== undefined) throw new LlmError('disposed', 'The LLM engine was disposed; load a new one.');
  }

  // Runs one request with a meter and reports it as a `generation` event when it settles.
  #metered(kind: GenerationEvent['kind'], streamed: boolean, run: (meter: GenerationMeter) => Promise<Generation>): Promise<Generation> {
    const meter = new GenerationMeter(kind, streamed);
    const work = run(meter);
    work.then(
      (generation) => this.#events.emit('generation', meter.completed(generation.finishReason, generation.usage)),
      (error: unknown) => this.#events.emit('generation', meter.failed(error)),
    );
    return work;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const forget = (): void => {
      this.#inFlight.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  #stream(
    request: { readonly signal?: AbortSignal; readonly stop?: readonly string[] },
    start: (signal: AbortSignal, onText: (text: string) => void) => Promise<Generation>,
    withToolCalls: boolean,
    probabilities: TokenProbabilities | undefined,
  ): AsyncGenerator<ChatDelta> {
    this.#assertOpen();
    return streamGeneration(request, start, { withToolCalls, probabilities, track: (run) => this.#track(run), log: this.#log });
  }

  async #complete(
    request: CompletionRequest,
    onText: ((text: string) => void) | undefined,
    meter: GenerationMeter,
    probabilities: TokenProbabilities | undefined,
  ): Promise<Generation> {
    this.#assertOpen();
    const sampling = resolveSampling(request, this.#config.vocabularySize);
    const { model, lib } = this.#native;
    const { body: promptBody, tokens: promptTokens } = completionPromptTokens(model, request.prompt, beginningToken(lib, model), this.#config.vocabularySize);
    const maxTokens = this.#budget(promptTokens.length, sampling.maxTokens, 0);
    const format = await this.#formats.prepare(sampling.responseFormat);
    const grammar = format?.grammar;
    return this.#withSlot(request.signal, promptTokens, meter, async (slot, signal) => {
      const cachedPromptTokens = await reusePrefix(slot.sequence, promptTokens);
      const outputBefore = slot.sequence.tokenMeter.usedOutputTokens;
      const completion = new lib.LlamaCompletion({ contextSequence: slot.sequence });
      const detach = probabilities?.attach(slot.sequence);
      try {
        const result = await completion.generateCompletionWithMeta(promptBody, {
          ...this.#samplingFor(sampling, maxTokens),
          ...(grammar === undefined ? {} : { grammar }),
          signal,
          onToken: meter.onToken,
          // The overflow check above guarantees the room; never let node-llama-cpp drop prompt tokens.
          disableContextShift: true,
          contextShiftSize: 1,
          ...(onText === undefined ? {} : { onTextChunk: onText }),
        });
        const finishReason: FinishReason = result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
        if (finishReason === 'stop') checkStructuredAnswer(result.response, format, this.#log);
        return {
          text: result.response,
          finishReason,
          toolCalls: [],
          usage: {
            promptTokens: promptTokens.length,
            completionTokens: slot.sequence.tokenMeter.usedOutputTokens - outputBefore,
            cachedPromptTokens,
          },
        };
      } finally {
        detach?.();
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  async #chat(
    request: ChatRequest,
    onText: ((text: string) => void) | undefined,
    meter: GenerationMeter,
    probabilities: TokenProbabilities | undefined,
  ): Promise<Generation> {
    this.#assertOpen();
    const sampling = resolveSampling(request, this.#config.vocabularySize);
    const { model, lib } = this.#native;
    const history = toChatHistory(request.messages);
    const toolChoice = resolveToolChoice(request.toolChoice, request.tools);
    const functions = toolChoice === 'none' ? undefined : toFunctions(request.tools, toolChoice);
    const toolChecks = functions === undefined ? new Map() : checkToolParameters(request.tools);
    if (functions !== undefined && sampling.responseFormat.type !== 'text') {
      throw invalidRequest('responseFormat', 'responseFormat cannot be combined with tools; send one or the other.');
    }
    const forced = functions !== undefined && (toolChoice === 'required' || typeof toolChoice === 'object');
    const constrained = sampling.responseFormat.type !== 'text';
    const chatWrapper = forced
      ? forceFunctionCall(this.#native.chatWrapper, lib)
      : constrained
        ? withoutTemplateStops(this.#native.chatWrapper)
        : this.#native.chatWrapper;
    const stateOptions: ChatWrapperGenerateContextStateOptions = {
      chatHistory: history,
      ...(functions === undefined ? {} : { availableFunctions: functions }),
      documentFunctionParams: true,
    };
    let promptTokens: Token[];
    try {
      promptTokens = chatWrapper.generateContextState(stateOptions).contextText.tokenize(model.tokenizer);
    } catch (cause) {
      throw new LlmError('invalid-request', `The chat template could not render these messages: ${errorMessage(cause)}`, { param: 'messages' }, { cause });
    }
    // node-llama-cpp compresses the history when prompt + 1 free token does not fit; refuse that case too.
    const maxTokens = this.#budget(promptTokens.length, sampling.maxTokens, 1);
    const format = await this.#formats.prepare(sampling.responseFormat);
    const grammar = format?.grammar;
    return this.#withSlot(request.signal, promptTokens, meter, async (slot, signal) => {
      const cachedPromptTokens = await reusePrefix(slot.sequence, promptTokens);
      const outputBefore = slot.sequence.tokenMeter.usedOutputTokens;
      const chat = new lib.LlamaChat({ contextSequence: slot.sequence, chatWrapper });
      const detach = probabilities?.attach(slot.sequence);
      try {
        const common = {
          ...this.#samplingFor(sampling, maxTokens),
          signal,
          onToken: meter.onToken,
          ...(onText === undefined ? {} : { onTextChunk: onText }),
        };
        const collector = new ToolCallCollector();
        const result =
          functions === undefined
            ? await chat.generateResponse(history, { ...common, ...(grammar === undefined ? {} : { grammar }) })
            : await chat.generateResponse(history, {
                ...common,
                functions,
                documentFunctionParams: true,
                onFunctionCallParamsChunk: collector.onChunk,
              });
        const cut = result.metadata.stopReason === 'maxTokens';
        const names = Object.keys(functions ?? {});
        const toolCalls = collector.calls(result.functionCalls, cut, forced && names.length === 1 ? names[0] : undefined);
        const finishReason: FinishReason = cut ? 'length' : toolCalls.length > 0 ? 'tool_calls' : 'stop';
        if (finishReason === 'tool_calls') checkToolCallArguments(toolCalls, toolChecks, this.#log);
        if (finishReason === 'stop') checkStructuredAnswer(result.response, format, this.#log);
        return {
          text: result.response,
          finishReason,
          toolCalls,
          usage: {
            promptTokens: promptTokens.length,
            completionTokens: slot.sequence.tokenMeter.usedOutputTokens - outputBefore,
            cachedPromptTokens,
          },
        };
      } finally {
        detach?.();
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  /** A recorder of token probabilities when the request asks for them (`logprobs`). */
  #probabilities(request: GenerationOptions): TokenProbabilities | undefined {
    const top = request.logprobs;
    if (top === undefined) return undefined;
    if (!Number.isSafeInteger(top) || top < 0 || top > MAX_TOP_LOGPROBS) {
      throw invalidRequest('logprobs', `logprobs must be an integer from 0 to ${MAX_TOP_LOGPROBS} (alternatives per token).`);
    }
    return new TokenProbabilities(this.#native.model, top);
  }

  /** Resolves max tokens against the context: never truncates, fails with both numbers instead. */
  #budget(promptTokens: number, requested: number | undefined, reserve: number): number {
    const contextSize = this.#config.contextSize;
    const room = contextSize - reserve - promptTokens;
    const maxTokens = requested ?? room;
    if (room < 1 || maxTokens > room) {
      throw new LlmError(
        'context-overflow',
        `The prompt has ${promptTokens} tokens and ${requested === undefined ? 'at least 1' : maxTokens} more were requested, ` +
          `but the context holds ${contextSize} tokens per request. Shorten the prompt, lower maxTokens, or load the model with a larger contextSize.`,
        { promptTokens, maxTokens: requested ?? 1, contextSize },
      );
    }
    return maxTokens;
  }

  #samplingFor(sampling: ResolvedSampling, maxTokens: number) {
    return {
      maxTokens,
      temperature: sampling.temperature,
      topP: sampling.topP,
      topK: sampling.topK,
      minP: sampling.minP,
      ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
      repeatPenalty: sampling.repeatPenalty === false ? (false as const) : { ...sampling.repeatPenalty },
      ...(sampling.stop.length === 0 ? {} : { customStopTriggers: sampling.stop }),
      ...(sampling.logitBias.size === 0 ? {} : { tokenBias: this.#tokenBias(sampling.logitBias) }),
    };
  }

  #tokenBias(bias: ReadonlyMap<number, number | 'never'>): TokenBias {
    const tokenBias = new this.#native.lib.TokenBias(this.#native.model.tokenizer);
    for (const [token, amount] of bias) tokenBias.set(token as Token, amount === 'never' ? 'never' : { logit: amount });
    return tokenBias;
  }

  /** Runs `work` on a slot taken from the queue; the slot goes back (to the next in line) afterwards. */
  async #withSlot<T>(
    requestSignal: AbortSignal | undefined,
    promptTokens: readonly Token[],
    meter: GenerationMeter,
    work: (slot: Slot, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const signal = requestSignal === undefined ? this.#disposeController.signal : AbortSignal.any([requestSignal, this.#disposeController.signal]);
    const sharedPrefix = (slot: Slot): number => slot.sequence.compareContextTokens(promptTokens as Token[]).firstDifferentIndex;
    const slot = await this.#pool.acquire(signal, sharedPrefix).catch((error: unknown) => {
      throw this.#abortError(requestSignal, error);
    });
    meter.slotAcquired(promptTokens.length);
    try {
      if (signal.aborted) throw this.#abortError(requestSignal, undefined);
      return await work(slot, signal);
    } catch (error) {
      if (signal.aborted) throw this.#abortError(requestSignal, error);
      throw this.#generationError(error);
    } finally {
      this.#pool.release(slot);
    }
  }

  #abortError(requestSignal: AbortSignal | undefined, error: unknown): LlmError {
    if (requestSignal?.aborted === true) return abortedError(requestSignal);
    if (this.#disposeController.signal.aborted) return new LlmError('disposed', 'The LLM engine was disposed during the request.', {}, { cause: error });
    return this.#generationError(error);
  }

  #generationError(error: unknown): LlmError {
    if (error instanceof LlmError) return error;
    const failure = this.#native.samplingGuard?.explain(error);
    if (failure !== undefined) {
      return new LlmError('generation-failed', `Generation failed: ${failure.explanation} (${failure.message}).`, { sampler: failure.message }, { cause: error });
    }
    return new LlmError('generation-failed', `Generation failed: ${errorMessage(error)}`, {}, { cause: error });
  }
}

/**
 * Brings the slot's KV cache to the longest reusable prefix of `tokens` (keeping at least the
 * last token to evaluate) and returns how many prompt tokens it kept: the cached count.
 * node-llama-cpp's own alignment step then finds nothing left to erase.
 */
async function reusePrefix(sequence: LlamaContextSequence, tokens: readonly Token[]): Promise<number> {
  if (tokens.length <= 1) {
    if (sequence.nextTokenIndex > 0) await sequence.clearHistory();
    return 0;
  }
  await sequence.adaptStateToTokens(tokens.slice(0, -1), false);
  return sequence.nextTokenIndex;
}
