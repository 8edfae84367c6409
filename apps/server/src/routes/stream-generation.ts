import type { Usage } from '../engine.js';
import { toErrorResponse, type OpenAiErrorBody } from '../error-handler.js';
import { createSseResponse } from '../openai/sse-response.js';
import type { RequestScope } from '../request-scope.js';

/** What the streams yield: engine deltas, the last of which (`done`) carries the usage, or Responses events. */
type EngineDelta = { readonly type: string; readonly usage?: Usage };

/** Options of {@link streamGeneration}. */
export interface StreamGenerationOptions<T extends EngineDelta> {
  /** The request's bookkeeping: usage and the stream's outcome go to the request log. */
  readonly scope: RequestScope;
  /** The engine's stream of deltas; its last item is `done` with the usage. */
  readonly source: AsyncIterable<T>;
  /** OpenAI chunk objects for one delta. */
  readonly encode: (delta: T) => readonly object[];
  /** The request field an error about the prompt names (`messages` or `prompt`). */
  readonly promptParam: string;
  /** See `createSseResponse`. */
  readonly keepAliveMs: number;
  /** Aborted when the client goes away, which frees the engine's slot. */
  readonly abort: AbortController;
  /**
   * The Responses API's framing: named events, no `[DONE]`, and a failure after the 200 as the
   * stream's own `error` event instead of a `{"error": …}` payload.
   */
  readonly sse?: { readonly namedEvents: true; readonly errorEvent: (body: OpenAiErrorBody) => object };
  /** Extra response headers (`X-Trosyn-Served-By`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The streamed answer of both generation routes: SSE through {@link createSseResponse}, with the
 * usage and the outcome (`completed`, `error`, `client-disconnected`) recorded on the request
 * scope for the request log, which is written when the stream ends, not when the handler returns.
 */
export async function streamGeneration<T extends EngineDelta>(options: StreamGenerationOptions<T>): Promise<Response> {
  const { scope, abort } = options;
  const end = scope.deferEnd();
  try {
    const response = await createSseResponse<T>({
      source: options.source,
      encode: (delta) => {
        if (delta.type === 'done') scope.usage = delta.usage;
        return options.encode(delta);
      },
      errorPayload: (error) => {
        const body = toErrorResponse(error, { promptParam: options.promptParam }).body;
        return options.sse === undefined ? body : options.sse.errorEvent(body);
      },
      namedEvents: options.sse?.namedEvents === true,
      keepAliveMs: options.keepAliveMs,
      onCancel: () => abort.abort(new Error('client disconnected')),
      onEnd: (error) => end(error === undefined ? 'completed' : abort.signal.aborted ? 'client-disconnected' : 'error'),
    });
    for (const [name, value] of Object.entries(options.headers ?? {})) response.headers.set(name, value);
    return response;
  } catch (error) {
    end('error');
    throw error;
  }
}
