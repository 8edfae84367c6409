import { ApiError, isEngineError, type ApiErrorCode, type EngineErrorShape } from './errors.js';

/** OpenAI's error body: all four keys are always present. */
export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** A failure turned into what goes on the wire. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: OpenAiErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  /** True when the error is a bug (an unexpected exception): it deserves a stack trace in the log. */
  readonly unexpected: boolean;
}

/** Context the mapping needs that the error itself does not carry. */
export interface ErrorContext {
  /** The request field holding the prompt (`messages` for chat, `prompt` for completions). */
  readonly promptParam?: string;
}

interface Mapping {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
}

// The one table of HTTP statuses for the app's own error codes.
const apiErrorMappings: Readonly<Record<ApiErrorCode, Mapping>> = {
  'invalid-request': { status: 400, type: 'invalid_request_error', code: 'invalid_value' },
  'invalid-json': { status: 400, type: 'invalid_request_error', code: 'invalid_json' },
  'body-too-large': { status: 413, type: 'invalid_request_error', code: 'request_too_large' },
  unauthorized: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  forbidden: { status: 403, type: 'invalid_request_error', code: 'forbidden' },
  'model-not-found': { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  'route-not-found': { status: 404, type: 'invalid_request_error', code: 'unknown_url' },
  'model-not-loaded': { status: 503, type: 'server_error', code: 'model_not_loaded' },
  'model-loading': { status: 503, type: 'server_error', code: 'model_loading' },
  'shutting-down': { status: 503, type: 'server_error', code: 'shutting_down' },
  'item-not-found': { status: 404, type: 'invalid_request_error', code: 'not_found' },
  'peer-not-found': { status: 404, type: 'invalid_request_error', code: 'peer_not_found' },
  'item-exists': { status: 409, type: 'invalid_request_error', code: 'item_exists' },
};

// The same for `@trosyn/llm`'s `LlmError` codes. Unknown codes fall through to 500.
const engineErrorMappings: Readonly<Record<string, Mapping>> = {
  'invalid-request': { status: 400, type: 'invalid_request_error', code: 'invalid_value' },
  'context-overflow': { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
  'queue-full': { status: 503, type: 'server_error', code: 'queue_full' },
  aborted: { status: 503, type: 'server_error', code: 'request_aborted' },
  disposed: { status: 503, type: 'server_error', code: 'shutting_down' },
  'model-not-found': { status: 503, type: 'server_error', code: 'model_not_loaded' },
  'model-invalid': { status: 503, type: 'server_error', code: 'model_not_loaded' },
  'generation-failed': { status: 500, type: 'server_error', code: 'generation_failed' },
  // A grammar-constrained answer that breaks its schema is a server bug: never a 200 that looks valid.
  'output-invalid': { status: 500, type: 'server_error', code: 'output_invalid' },
  // Only an upstream engine (`src/upstream/`) raises these.
  'upstream-unavailable': { status: 503, type: 'server_error', code: 'upstream_unavailable' },
  'upstream-timeout': { status: 504, type: 'server_error', code: 'upstream_timeout' },
  'upstream-failed': { status: 502, type: 'server_error', code: 'upstream_error' },
  'unsupported-schema': { status: 400, type: 'invalid_request_error', code: 'unsupported_value' },
};

// Engine parameter names that differ from the wire's (the engine speaks camelCase options). The
// schema lives in `text.format` on the Responses API, whose prompt field is `input`.
function wireParam(engineParam: string, context: ErrorContext): string {
  const responses = context.promptParam === 'input';
  if (engineParam === 'responseFormat.schema') return responses ? 'text.format.schema' : 'response_format.json_schema.schema';
  const tool = /^tools\[(\d+)\]\.parameters$/.exec(engineParam);
  if (tool !== null && !responses) return `tools[${tool[1]}].function.parameters`;
  return engineParam;
}

/** Seconds a client is asked to wait while the upstream engine is unreachable (it is probed this often). */
const UPSTREAM_RETRY_AFTER_SECONDS = 5;

/** Seconds a client is asked to wait when every slot and the queue are full. */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 1;

function body(message: string, mapping: Mapping, param: string | null, code = mapping.code): OpenAiErrorBody {
  return { error: { message, type: mapping.type, param, code } };
}

function numberDetail(error: EngineErrorShape, key: string): number | undefined {
  const value = error.details[key];
  return typeof value === 'number' ? value : undefined;
}

// OpenAI's own wording, with both numbers, so clients that parse it (LangChain trims history
// on it) keep working.
function contextOverflowMessage(error: EngineErrorShape, promptParam: string): string {
  const promptTokens = numberDetail(error, 'promptTokens');
  const maxTokens = numberDetail(error, 'maxTokens');
  const contextSize = numberDetail(error, 'contextSize');
  if (promptTokens === undefined || contextSize === undefined) return error.message;
  const completion = maxTokens ?? 0;
  return (
    `This model's maximum context length is ${contextSize} tokens. However, you requested ` +
    `${promptTokens + completion} tokens (${promptTokens} in the ${promptParam}, ${completion} in the completion). ` +
    `Please reduce the length of the ${promptParam} or completion.`
  );
}

function fromEngineError(error: EngineErrorShape, context: ErrorContext): ErrorResponse | undefined {
  const mapping = engineErrorMappings[error.code];
  if (mapping === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (error.code === 'queue-full') headers['retry-after'] = String(QUEUE_FULL_RETRY_AFTER_SECONDS);
  if (error.code === 'upstream-unavailable') headers['retry-after'] = String(UPSTREAM_RETRY_AFTER_SECONDS);
  // A model that is missing or failed to load stays so until someone acts: retrying only delays the error.
  if (mapping.code === 'model_not_loaded') headers['x-should-retry'] = 'false';
  if (error.code === 'context-overflow' && typeof error.details['param'] === 'string') {
    // One input of a batch (embeddings): the engine's message names it and its length.
    return { status: mapping.status, body: body(error.message, mapping, error.details['param']), headers, unexpected: false };
  }
  if (error.code === 'context-overflow') {
    const promptParam = context.promptParam ?? 'messages';
    return { status: mapping.status, body: body(contextOverflowMessage(error, promptParam), mapping, promptParam), headers, unexpected: false };
  }
  const engineParam = typeof error.details['param'] === 'string' ? error.details['param'] : null;
  const param = engineParam === null ? null : wireParam(engineParam, context);
  return { status: mapping.status, body: body(error.message, mapping, param), headers, unexpected: mapping.status >= 500 && (error.code === 'generation-failed' || error.code === 'output-invalid') };
}

/**
 * Maps any thrown value to an HTTP status, headers and OpenAI's error body. The only place in
 * the app that knows which error becomes which status.
 */
export function toErrorResponse(error: unknown, context: ErrorContext = {}): ErrorResponse {
  if (error instanceof ApiError) {
    const mapping = apiErrorMappings[error.code];
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    if (error.shouldRetry === false) headers['x-should-retry'] = 'false';
    if (error.code === 'unauthorized') headers['www-authenticate'] = 'Bearer';
    const code = error.openaiCode === undefined ? mapping.code : error.openaiCode;
    return { status: mapping.status, body: body(error.message, mapping, error.param, code), headers, unexpected: false };
  }
  if (isEngineError(error)) {
    const mapped = fromEngineError(error, context);
    if (mapped !== undefined) return mapped;
  }
  return {
    status: 500,
    body: { error: { message: 'The server had an internal error while processing your request; it has been logged.', type: 'server_error', param: null, code: 'internal_error' } },
    headers: {},
    unexpected: true,
  };
}
