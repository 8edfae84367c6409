/**
 * Failures of an upstream engine, in the engine port's error family.
 *
 * The HTTP layer maps engine errors by shape (`name` `LlmError`, a string `code`, `details`; see
 * `isEngineError`), so an upstream's failure reaches the client exactly like the same failure of
 * a local model: a context overflow is a 400 `context_length_exceeded`, a full queue a 503
 * `queue_full`. Only what has no local twin gets its own code:
 *
 * - `upstream-unavailable`: the upstream cannot be reached, or answers that it has no model yet
 *   (503 `upstream_unavailable`).
 * - `upstream-timeout`: it did not start answering, or stalled mid-stream, for longer than
 *   `LLM_UPSTREAM_TIMEOUT` (504 `upstream_timeout`).
 * - `upstream-failed`: it answered with something this node cannot pass on as the client's
 *   fault: a 5xx, a rejected `LLM_UPSTREAM_API_KEY`, a body that is not OpenAI's (502 `upstream_error`).
 */
export type UpstreamErrorCode =
  | 'invalid-request'
  | 'context-overflow'
  | 'queue-full'
  | 'aborted'
  | 'disposed'
  | 'model-not-found'
  | 'upstream-unavailable'
  | 'upstream-timeout'
  | 'upstream-failed';

/** An engine error raised by the upstream engine (see the module comment). */
export class UpstreamEngineError extends Error {
  readonly code: UpstreamErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: UpstreamErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    // The engine port's error family: the error handler recognises it by this name.
    this.name = 'LlmError';
    this.code = code;
    this.details = details;
  }
}

/** OpenAI's error body, as far as it is read here; every field may be missing from a foreign engine. */
interface ForeignErrorBody {
  readonly error?: { readonly message?: unknown; readonly param?: unknown; readonly code?: unknown; readonly type?: unknown } | string;
  readonly message?: unknown;
  readonly detail?: unknown;
}

function messageOf(body: ForeignErrorBody | undefined, fallback: string): string {
  if (body === undefined) return fallback;
  if (typeof body.error === 'string') return body.error;
  if (typeof body.error?.message === 'string') return body.error.message;
  if (typeof body.message === 'string') return body.message;
  if (typeof body.detail === 'string') return body.detail;
  return fallback;
}

function stringField(body: ForeignErrorBody | undefined, key: 'param' | 'code'): string | undefined {
  const error = body?.error;
  if (error === undefined || typeof error === 'string') return undefined;
  const value = error[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Maps an upstream's non-2xx answer to the node's error family. `bodyText` is the raw body
 * (OpenAI's `{"error": …}` from Trosyn, vLLM and llama-server; Ollama's `{"error": "…"}`).
 */
export function upstreamHttpError(url: string, status: number, bodyText: string): UpstreamEngineError {
  let body: ForeignErrorBody | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as ForeignErrorBody;
  } catch {
    body = undefined;
  }
  const text = bodyText.trim().slice(0, 300);
  const upstreamMessage = messageOf(body, text === '' ? `HTTP ${status}` : text);
  const code = stringField(body, 'code');
  const param = stringField(body, 'param');
  const details = { status, ...(param === undefined ? {} : { param }), ...(code === undefined ? {} : { upstreamCode: code }) };
  if (status === 401 || status === 403) {
    return new UpstreamEngineError('upstream-failed', `The upstream engine at ${url} refused this node's credentials (HTTP ${status}: ${upstreamMessage}); check LLM_UPSTREAM_API_KEY.`, details);
  }
  if (code === 'context_length_exceeded') return new UpstreamEngineError('context-overflow', upstreamMessage, details);
  if (status === 404 && (code === 'model_not_found' || /model/i.test(upstreamMessage))) {
    return new UpstreamEngineError('model-not-found', `The upstream engine at ${url} does not serve this model: ${upstreamMessage}`, details);
  }
  if (status === 429 || code === 'queue_full') return new UpstreamEngineError('queue-full', `The upstream engine at ${url} is busy: ${upstreamMessage}`, details);
  if (status === 503) {
    return new UpstreamEngineError('upstream-unavailable', `The upstream engine at ${url} cannot serve requests now: ${upstreamMessage}`, details);
  }
  if (status >= 400 && status < 500) return new UpstreamEngineError('invalid-request', upstreamMessage, details);
  return new UpstreamEngineError('upstream-failed', `The upstream engine at ${url} failed (HTTP ${status}): ${upstreamMessage}`, details);
}

/** Why a connection attempt failed, in a few words (`connect ECONNREFUSED 127.0.0.1:9`). */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const nested = (cause as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested[0] instanceof Error) return nested[0].message;
    return cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The error of an upstream that could not be reached at all. */
export function unreachable(url: string, error: unknown): UpstreamEngineError {
  return new UpstreamEngineError(
    'upstream-unavailable',
    `The upstream engine at ${url} is unreachable (${networkReason(error)}). Check that it runs and that LLM_UPSTREAM_URL points at it; GET /health shows its state.`,
    {},
    error,
  );
}
