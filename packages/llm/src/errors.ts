/**
 * Every failure the package reports, as a string `code` an application can switch on.
 *
 * - `model-not-found`: the model file does not exist (details: `path`).
 * - `model-invalid`: the file exists but is not a loadable GGUF model (details: `path`).
 * - `queue-full`: every slot is busy and the wait queue is at its bound (details: `maxQueue`).
 * - `context-overflow`: prompt tokens plus max tokens exceed the context
 *   (details: `promptTokens`, `maxTokens`, `contextSize`).
 * - `aborted`: the request's `AbortSignal` fired (queued or mid-generation).
 * - `disposed`: the engine was disposed before or during the call.
 * - `invalid-request`: a parameter is out of range or malformed (details: `param`).
 * - `generation-failed`: llama.cpp or node-llama-cpp failed while generating (see `cause`;
 *   details: `sampler`, llama.cpp's message, when the sampler failed — e.g. a model with NaN logits).
 * - `unsupported-schema`: a JSON schema uses a keyword the grammar cannot enforce (details:
 *   `param`, `keyword`, `path` — a JSON pointer into the schema). Refused before generating.
 * - `output-invalid`: a grammar-constrained answer ended but does not match its format or
 *   schema (details: `text`, and `errors` for a schema). The grammar should make this
 *   impossible: it is a bug, reported instead of returning a valid-looking answer.
 */
export type LlmErrorCode =
  | 'model-not-found'
  | 'model-invalid'
  | 'queue-full'
  | 'context-overflow'
  | 'aborted'
  | 'disposed'
  | 'invalid-request'
  | 'generation-failed'
  | 'unsupported-schema'
  | 'output-invalid';

/**
 * The one error class of `@trosyn/llm`. Carries a `code` and the data needed to diagnose it
 * in `details`; never mentions HTTP (the application maps codes to statuses).
 *
 * @example
 * ```ts
 * try { await engine.complete({ prompt, maxTokens: 100_000 }); }
 * catch (error) {
 *   if (error instanceof LlmError && error.code === 'context-overflow') console.log(error.details);
 * }
 * ```
 */
export class LlmError extends Error {
  /** What went wrong, as a stable string. */
  readonly code: LlmErrorCode;
  /** Diagnostic data, e.g. `{ promptTokens, maxTokens, contextSize }` for `context-overflow`. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: LlmErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

/** True when `error` is an {@link LlmError}, optionally with the given code. */
export function isLlmError(error: unknown, code?: LlmErrorCode): error is LlmError {
  return error instanceof LlmError && (code === undefined || error.code === code);
}

/** The `invalid-request` error for parameter `param`. */
export function invalidRequest(param: string, message: string): LlmError {
  return new LlmError('invalid-request', message, { param });
}

/** The message of a thrown value, whatever was thrown (node-llama-cpp and llama.cpp throw plain strings too). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
