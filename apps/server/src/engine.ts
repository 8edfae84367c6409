/**
 * The engine port: the subset of `@trosyn/llm`'s `LlmEngine` that the HTTP layer calls.
 *
 * The app depends on this shape, not on the class (STYLE: "depend on the shape you use"), so
 * route tests can inject a small test double and `main.ts` can inject the real engine. The
 * types mirror the `@trosyn/llm` contract field for field; `LlmEngine` satisfies `Engine`
 * structurally, which `src/load-llm-engine.ts` checks at compile time.
 */

/** Why generation stopped. */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** Exact token accounting of one request. */
export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedPromptTokens: number;
}

/** A function call the model made. `arguments` is JSON text. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** A function the model may call. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** Output format constraint (JSON mode / JSON schema through a grammar). */
export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly schema: Readonly<Record<string, unknown>>; readonly name?: string };

/** Sampling and limits shared by completion and chat. */
export interface GenerationOptions {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly minP?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly logitBias?: Readonly<Record<string, number>>;
  readonly responseFormat?: ResponseFormat;
  readonly signal?: AbortSignal;
  /** Per-token log probabilities with this many alternatives (0–20); off when undefined. */
  readonly logprobs?: number;
}

/** A generated token's log probability and the most likely alternatives at its position. */
export interface TokenLogprob {
  readonly token: string;
  readonly bytes: readonly number[];
  readonly logprob: number;
  readonly topLogprobs: readonly { readonly token: string; readonly bytes: readonly number[]; readonly logprob: number }[];
}

/** A text completion request: the prompt as text, or as token ids of the model's vocabulary. */
export interface CompletionRequest extends GenerationOptions {
  readonly prompt: string | readonly number[];
}

/** One chat message, already normalised from OpenAI's wire shape. */
export type ChatMessage =
  | { readonly role: 'system' | 'developer' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string | null; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

/** A chat completion request. */
export interface ChatRequest extends GenerationOptions {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
}

/** Result of a non-streamed completion. */
export interface CompletionResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  readonly logprobs?: readonly TokenLogprob[];
}

/** Result of a non-streamed chat completion. */
export interface ChatResult {
  readonly content: string | null;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  readonly logprobs?: readonly TokenLogprob[];
}

/** One item of a streamed completion; the last item is `done`. */
export type CompletionDelta =
  | { readonly type: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: Usage };

/** One item of a streamed chat completion; the last item is `done`. Tool calls arrive whole. */
export type ChatDelta =
  | { readonly type: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly type: 'tool-call'; readonly index: number; readonly id: string; readonly name: string; readonly arguments: string }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: Usage };

/** What the loaded model is. */
export interface ModelInfo {
  readonly id: string;
  readonly path: string;
  readonly architecture: string;
  readonly parameterCount: number | undefined;
  readonly quantization: string | undefined;
  readonly trainedContextLength: number | undefined;
  readonly contextSize: number;
  readonly hasChatTemplate: boolean;
  readonly fileSizeBytes: number;
  readonly loadedAt: Date;
}

/** Slot and queue occupancy. */
export interface EngineStats {
  readonly slots: number;
  readonly slotsInUse: number;
  readonly queueDepth: number;
  readonly maxQueue: number;
}

/** How the engine runs its model (what `/health` and the operator console show). */
export interface EngineRuntime {
  /** The chat format in use (node-llama-cpp's chat wrapper, e.g. `JinjaTemplate`, `Gemma`). */
  readonly chatWrapper: string;
  /** Where the chat format came from: the GGUF's template, `LLM_CHAT_TEMPLATE`, or the fallback for a file without one. */
  readonly chatFormatSource?: 'gguf' | 'configured' | 'fallback';
  readonly threads?: number;
  /** `configured` (`LLM_THREADS`), `model-size` (the default rule) or `measured` (timed at load). */
  readonly threadsSource?: 'configured' | 'model-size' | 'measured';
  /** Tokens per decode call (`LLM_BATCH_SIZE`, else node-llama-cpp's default). */
  readonly batchSize?: number;
}

/** What one request to the engine came to, reported once it is over. Times in milliseconds from the call. */
export interface GenerationEvent {
  readonly kind: 'completion' | 'chat';
  readonly streamed: boolean;
  /** `completed`, or the engine's error code (`aborted`, `queue-full`, `context-overflow`, …). */
  readonly outcome: string;
  readonly finishReason: FinishReason | undefined;
  readonly promptTokens: number | undefined;
  readonly cachedPromptTokens: number | undefined;
  readonly completionTokens: number;
  /** Wait for a slot; undefined when the request never got one. */
  readonly queueMs: number | undefined;
  /** Until the first generated token (queue and prompt included); undefined without a token. */
  readonly timeToFirstTokenMs: number | undefined;
  /** Mean time between generated tokens after the first; undefined with fewer than two. */
  readonly timePerOutputTokenMs: number | undefined;
  readonly durationMs: number;
}

/** The engine's events, by name. */
export interface EngineEvents {
  /** One per request, once it is over. */
  generation: GenerationEvent;
}

/** What an embedding model serves. */
export interface EmbeddingModelInfo {
  readonly id: string;
  readonly path: string;
  /** Components of each vector. */
  readonly dimensions: number;
  /** Tokens one input may have at most. */
  readonly contextSize: number;
}

/** A batch of inputs to embed: text, or token ids. */
export interface EmbeddingRequest {
  readonly input: readonly (string | readonly number[])[];
  readonly dimensions?: number;
  readonly signal?: AbortSignal;
}

/** One unit-length vector per input, and the tokens evaluated. */
export interface EmbeddingResult {
  readonly vectors: readonly Float32Array[];
  readonly promptTokens: number;
}

/** The embedding surface the server uses (implemented by `@trosyn/llm`'s `EmbeddingEngine`). */
export interface Embedder {
  readonly info: EmbeddingModelInfo;
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
  /** Optional: how busy it is (`@trosyn/llm` embeds one batch at a time behind a queue); advertised to peers. */
  stats?(): EngineStats;
  dispose(): Promise<void>;
}

/** Where generation really runs when the engine forwards it (an upstream engine), as `/health` shows it. */
export interface EngineBackend {
  readonly kind: 'upstream';
  /** The OpenAI API base URL of the upstream. */
  readonly url: string;
  /** `down`: the last request or probe could not reach it (generation answers 503 meanwhile). */
  readonly status: 'up' | 'down';
  /** Why it is down. */
  readonly error: string | undefined;
  readonly checkedAt: Date | undefined;
}

/** The engine surface the server uses (implemented by `@trosyn/llm`'s `LlmEngine`). */
export interface Engine {
  readonly info: ModelInfo;
  /** Embeddings over this engine's model (used when no dedicated embedding model is configured). */
  createEmbeddingEngine(): Promise<Embedder>;
  /** Optional: engines that are not `LlmEngine` (test doubles, upstreams) may not know it. */
  readonly runtime?: EngineRuntime;
  /** Optional: an engine that forwards generation elsewhere says where, and whether it answers. */
  backend?(): EngineBackend;
  complete(request: CompletionRequest): Promise<CompletionResult>;
  streamComplete(request: CompletionRequest): AsyncIterable<CompletionDelta>;
  chat(request: ChatRequest): Promise<ChatResult>;
  streamChat(request: ChatRequest): AsyncIterable<ChatDelta>;
  stats(): EngineStats;
  /** Subscribes to the engine's events; returns the function that unsubscribes. */
  on<K extends keyof EngineEvents>(name: K, listener: (event: EngineEvents[K]) => void): () => void;
  dispose(): Promise<void>;
}
