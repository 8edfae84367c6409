/** Log levels passed to {@link LlmEngineConfig.logger}. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Construction config of {@link LlmEngine}. Copied and frozen by `LlmEngine.load`. */
export interface LlmEngineConfig {
  /** A GGUF file path, or a URI node-llama-cpp's `resolveModelFile` understands (`hf:user/repo:quant`). */
  readonly modelPath: string;
  /** Tokens per sequence (slot). Default 2048. */
  readonly contextSize?: number;
  /** Layers offloaded to the GPU. Default 0 (CPU only; no GPU backend is even probed). */
  readonly gpuLayers?: number;
  /**
   * CPU threads for evaluation. Default: 1 for model files under 64 MiB, the machine's cores (at
   * most 4) from 1 GiB up, and in between the faster of 1 and the cores, timed at load (about a
   * dozen single-token decodes each): the faster count there depends on the CPU (README,
   * "Threads"). `runtime.threadsSource` says which applied.
   */
  readonly threads?: number;
  /** Sequences (slots) in the one context: how many requests decode together in a batch. Default 1. */
  readonly parallel?: number;
  /** Requests allowed to wait when every slot is busy. Default 32; beyond it → `queue-full`. */
  readonly maxQueue?: number;
  /** A Jinja chat template used instead of the one in the GGUF file. */
  readonly chatTemplate?: string;
  /**
   * One of node-llama-cpp's built-in chat formats (`gemma`, `chatML`, `llama3.1`, …) used instead
   * of the GGUF file's template. Ignored when `chatTemplate` is set.
   */
  readonly chatFormat?: string;
  /** Batch size (tokens evaluated per decode call). Default: node-llama-cpp's (the context size). */
  readonly batchSize?: number;
  /** Receives llama.cpp's and the engine's log lines. Without it only errors reach stderr. */
  readonly logger?: (level: LogLevel, message: string) => void;
  /** Where `hf:` URIs are downloaded to. Default: node-llama-cpp's models directory. */
  readonly modelsDirectory?: string;
  /** Called as a model URI (`hf:`, `https://`) downloads; not called for a local file or one already downloaded. */
  readonly onDownloadProgress?: (progress: DownloadProgress) => void;
  /**
   * CMake options of a local llama.cpp source build to use instead of the prebuilt binary,
   * e.g. `{ GGML_OPENMP: 'ON' }` after the opt-in build in the README. node-llama-cpp also reads
   * them from `NODE_LLAMA_CPP_CMAKE_OPTION_<NAME>` environment variables. Without a matching
   * local build the prebuilt binary is used; llama.cpp is never compiled at run time.
   */
  readonly cmakeOptions?: Readonly<Record<string, string>>;
}

/** How far a model download has come. */
export interface DownloadProgress {
  readonly downloadedBytes: number;
  /** The size the server announced (the sum of the parts for a split model). */
  readonly totalBytes: number;
}

/** Which llama.cpp binary and settings an engine runs with. */
export interface RuntimeInfo {
  /** `prebuilt` (node-llama-cpp's binary) or `localBuild` (a source build, see the README). */
  readonly buildType: 'prebuilt' | 'localBuild';
  /** GPU backend in use, or false for CPU only. */
  readonly gpu: string | false;
  /** CPU threads per evaluation. */
  readonly threads: number;
  /**
   * `configured` (the `threads` option), `model-size` (the default rule at the ends of the size
   * range) or `measured` (timed at load), see `LlmEngineConfig.threads`.
   */
  readonly threadsSource: 'configured' | 'model-size' | 'measured';
  /** Parallel sequences (slots). */
  readonly parallel: number;
  /** Tokens evaluated per decode call. */
  readonly batchSize: number;
  /**
   * CPU variants of the prebuilt binary ggml was kept from loading (README, "CPU variants"), e.g.
   * `['sapphirerapids']` for a gemma3n model on an AMX CPU; empty when none.
   */
  readonly skippedCpuVariants: readonly string[];
  /** The chat format in use (e.g. `JinjaTemplate`: the file's own template; `Llama2Chat`). */
  readonly chatWrapper: string;
  /**
   * `gguf`: the file's own Jinja template; `configured`: `chatTemplate` / `chatFormat`;
   * `fallback`: the file has no (usable) template, node-llama-cpp's guess from its name and architecture.
   */
  readonly chatFormatSource: 'gguf' | 'configured' | 'fallback';
}

/** What the engine knows about its model, read from the GGUF header. */
export interface ModelInfo {
  /** File name without `.gguf` (used as the OpenAI model id). */
  readonly id: string;
  /** Absolute path of the loaded file. */
  readonly path: string;
  /** `general.architecture`, e.g. `llama`, `gemma3`. */
  readonly architecture: string;
  /** Total parameters (sum of tensor elements), when the header allows computing it. */
  readonly parameterCount: number | undefined;
  /** Quantization name from `general.file_type` (e.g. `MOSTLY_Q4_K_M`), if set. */
  readonly quantization: string | undefined;
  /** The context length the model was trained with (`<arch>.context_length`). */
  readonly trainedContextLength: number | undefined;
  /** The context size of each slot in this engine. */
  readonly contextSize: number;
  /** Whether the file carries `tokenizer.chat_template`. */
  readonly hasChatTemplate: boolean;
  /** File size in bytes. */
  readonly fileSizeBytes: number;
  /** When the model finished loading. */
  readonly loadedAt: Date;
}

/** The JSON schema response format. */
export interface JsonSchemaResponseFormat {
  readonly type: 'json_schema';
  /** A JSON schema (the subset node-llama-cpp turns into a grammar). */
  readonly schema: Readonly<Record<string, unknown>>;
  readonly name?: string;
}

/** Output format: free text, any JSON object, or JSON matching a schema (grammar-constrained). */
export type ResponseFormat = { readonly type: 'text' } | { readonly type: 'json_object' } | JsonSchemaResponseFormat;

/** Sampling and control options shared by completion and chat requests. */
export interface GenerationOptions {
  /** Tokens to generate at most. Default: whatever fits in the context after the prompt. */
  readonly maxTokens?: number;
  /** Default 0.8 (llama.cpp's server default). 0 is greedy and deterministic. */
  readonly temperature?: number;
  /** Nucleus sampling, 0..1. Default 0.95. */
  readonly topP?: number;
  /** Top-K sampling; 0 disables. Default 40. */
  readonly topK?: number;
  /** Min-P sampling, 0..1. Default 0.05. */
  readonly minP?: number;
  /** Sampling seed: the same seed and inputs give the same text at temperature > 0. */
  readonly seed?: number;
  /** Stop strings: generation ends before the first one; it never appears in the output. */
  readonly stop?: readonly string[];
  /** OpenAI-style presence penalty, -2..2 (over the last 64 tokens). */
  readonly presencePenalty?: number;
  /** OpenAI-style frequency penalty, -2..2 (over the last 64 tokens). */
  readonly frequencyPenalty?: number;
  /** Token id (decimal string) → logit bias, -100..100; -100 bans the token. */
  readonly logitBias?: Readonly<Record<string, number>>;
  /** Free text (default), JSON mode, or JSON schema. */
  readonly responseFormat?: ResponseFormat;
  /** Aborting frees the slot (or removes the request from the queue); the call fails with `aborted`. */
  readonly signal?: AbortSignal;
  /**
   * Return each generated token's log probability and this many most likely alternatives
   * (0–20). Off when undefined. Costs a copy of the sampler's distribution per token.
   */
  readonly logprobs?: number;
}

/** A generated token with its log probability (natural log) and the most likely alternatives. */
export interface TokenLogprob {
  /** The token's text. */
  readonly token: string;
  /** Its UTF-8 bytes (a token may hold part of a character). */
  readonly bytes: readonly number[];
  readonly logprob: number;
  /** The most likely tokens at this position, most likely first (`logprobs` of them). */
  readonly topLogprobs: readonly { readonly token: string; readonly bytes: readonly number[]; readonly logprob: number }[];
}

/** A text completion request. */
export interface CompletionRequest extends GenerationOptions {
  /** Text, or token ids of the model's vocabulary (a leading BOS is dropped: the engine adds its own). */
  readonly prompt: string | readonly number[];
}

/** A chat message, in OpenAI's roles. `developer` is treated as `system`. */
export type ChatMessage =
  | { readonly role: 'system' | 'developer' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string | null; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

/** A function the model may call. `parameters` is a JSON schema of its arguments object. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  /**
   * OpenAI's `strict`: the arguments must match `parameters` exactly. A strict tool whose
   * parameters use a keyword the function-calling grammar cannot enforce is refused
   * (`unsupported-schema`); a non-strict one is accepted and such keywords are best effort.
   */
  readonly strict?: boolean;
}

/** `auto`: the model decides; `none`: no tools; `required` / `{name}`: a call is forced by grammar. */
export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** A chat completion request. */
export interface ChatRequest extends GenerationOptions {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
}

/** A function call produced by the model. `arguments` is JSON text. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** Exact token accounting of one request. */
export interface Usage {
  /** Tokens of the rendered prompt (including BOS and template tokens). */
  readonly promptTokens: number;
  /** Tokens generated. */
  readonly completionTokens: number;
  /** Prompt tokens that were already in the slot's KV cache and not evaluated again. */
  readonly cachedPromptTokens: number;
}

/** Why generation ended. */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** Result of {@link LlmEngine.complete}. */
export interface CompletionResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  /** With the `logprobs` option: one entry per token of `text`. */
  readonly logprobs?: readonly TokenLogprob[];
}

/** Result of {@link LlmEngine.chat}. `content` is null when the model only called tools. */
export interface ChatResult {
  readonly content: string | null;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  /** With the `logprobs` option: one entry per token of `content`. */
  readonly logprobs?: readonly TokenLogprob[];
}

/** A streamed completion item. The last one is always `done`. */
export type CompletionDelta =
  | { readonly type: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: Usage };

/** A streamed chat item. Tool calls arrive complete; the last item is always `done`. */
export type ChatDelta =
  | { readonly type: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly type: 'tool-call'; readonly index: number; readonly id: string; readonly name: string; readonly arguments: string }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: Usage };

/** A snapshot of the engine's load. */
export interface EngineStats {
  readonly slots: number;
  readonly slotsInUse: number;
  readonly queueDepth: number;
  readonly maxQueue: number;
}
