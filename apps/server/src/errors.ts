/**
 * Every failure the HTTP layer itself detects, as a string `code`.
 *
 * - `invalid-request`: a parameter is missing, has the wrong type or an unsupported value
 *   (`param` names it; `openaiCode` refines it, e.g. `invalid_type`).
 * - `invalid-json`: the body is not parseable JSON or not a JSON object.
 * - `body-too-large`: the body exceeds the configured limit.
 * - `unauthorized`: an API key is configured and the request has none or a wrong one.
 * - `forbidden`: an admin route asked with the client key, or from the network while no admin
 *   key is configured.
 * - `model-not-found`: the requested model id is not the loaded model.
 * - `route-not-found`: no such method + path.
 * - `model-not-loaded`: no model file was found, or it failed to load.
 * - `model-loading`: the model is still loading in the background.
 * - `shutting-down`: the server is draining for shutdown.
 * - `item-not-found`: the data API has no item (or history entry) with that id.
 * - `item-exists`: `POST /api/v1/items` with the id of an existing item.
 *
 * Errors from the engine (`LlmError` of `@trosyn/llm`) are not wrapped: `error-handler.ts`
 * maps both families to HTTP statuses in one place.
 */
export type ApiErrorCode =
  | 'invalid-request'
  | 'invalid-json'
  | 'body-too-large'
  | 'unauthorized'
  | 'forbidden'
  | 'model-not-found'
  | 'route-not-found'
  | 'model-not-loaded'
  | 'model-loading'
  | 'shutting-down'
  | 'item-not-found'
  | 'peer-not-found'
  | 'item-exists';

/** Construction options of an {@link ApiError}. */
export interface ApiErrorOptions {
  /** The request field at fault, in OpenAI's notation (`messages[0].content`). */
  readonly param?: string | null;
  /** A more specific OpenAI `code` than the default of the error's `code`. */
  readonly openaiCode?: string | null;
  /** Seconds a client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /**
   * False when retrying the same request cannot help (sent as `x-should-retry: false`, which
   * the OpenAI SDKs obey before their own rule of retrying every 5xx).
   */
  readonly shouldRetry?: boolean;
  readonly cause?: unknown;
}

/**
 * The one error class of the HTTP layer. Carries no HTTP status: `error-handler.ts` decides it.
 *
 * @example
 * ```ts
 * throw new ApiError('invalid-request', "'n' must be 1", { param: 'n', openaiCode: 'unsupported_value' });
 * ```
 */
export class ApiError extends Error {
  /** What went wrong, as a stable string. */
  readonly code: ApiErrorCode;
  /** The request field at fault, or null. */
  readonly param: string | null;
  /** OpenAI's `error.code` to send, when more specific than the default for `code`. */
  readonly openaiCode: string | null | undefined;
  /** Seconds for `Retry-After`, when retrying later can help. */
  readonly retryAfterSeconds: number | undefined;
  /** False when a retry cannot help (`x-should-retry: false`); undefined: the client decides. */
  readonly shouldRetry: boolean | undefined;

  constructor(code: ApiErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.param = options.param ?? null;
    this.openaiCode = options.openaiCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.shouldRetry = options.shouldRetry;
  }
}

/** The shape of `@trosyn/llm`'s `LlmError`, as far as the error handler reads it. */
export interface EngineErrorShape extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * True for an `LlmError` from `@trosyn/llm`. Checked by shape (`name` + string `code`) rather
 * than `instanceof` so that a second copy of the package (or a test double) is still recognised.
 */
export function isEngineError(error: unknown): error is EngineErrorShape {
  return (
    error instanceof Error &&
    error.name === 'LlmError' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { details?: unknown }).details === 'object'
  );
}
