import { Hono } from 'hono';
import type { ChatDelta } from '../engine.js';
import { ChatChunkEncoder } from '../openai/chat-chunk-encoder.js';
import { buildChatCompletion } from '../openai/chat-completion-response.js';
import { mapChatRequest } from '../openai/map-chat-request.js';
import { createRequestValidator } from '../openai/request-validator.js';
import { resolveModel } from '../openai/resolve-model.js';
import { createResponseMeta } from '../openai/response-meta.js';
import { chatCompletionRequestSchema } from '../openai/schemas/chat-completion-request-schema.js';
import type { ChatCompletionBody } from '../openai/wire-types.js';
import { readJsonBody } from '../read-json-body.js';
import type { AppEnv } from '../request-scope.js';
import type { GenerationRouteDependencies } from './route-dependencies.js';
import { streamGeneration } from './stream-generation.js';

/** `POST /v1/chat/completions`: OpenAI chat completions, streamed (SSE) or not. */
export function chatCompletionsRoute(deps: GenerationRouteDependencies): Hono<AppEnv> {
  const validate = createRequestValidator<ChatCompletionBody>(chatCompletionRequestSchema);
  return new Hono<AppEnv>().post('/v1/chat/completions', async (c) => {
    const body = validate(await readJsonBody(c));
    const request = mapChatRequest(body);
    const loaded = deps.model.require();
    resolveModel(body.model, loaded.info, deps.modelAliases);
    const meta = createResponseMeta('chatcmpl', loaded.info.id, loaded.fingerprint);
    const scope = c.var.scope;
    // Aborted when the client disconnects (the request signal), when the stream is cancelled,
    // or when a shutdown runs out of time: the engine then frees the slot.
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, c.req.raw.signal, deps.shutdownSignal]);

    if (body.stream !== true) {
      const result = await loaded.engine.chat({ ...request, signal }).catch((error: unknown) => {
        if (c.req.raw.signal.aborted) scope.outcome = 'client-disconnected';
        throw error;
      });
      scope.usage = result.usage;
      return c.json(buildChatCompletion(meta, result));
    }

    const encoder = new ChatChunkEncoder(meta, body.stream_options?.include_usage === true);
    return streamGeneration<ChatDelta>({
      scope,
      source: loaded.engine.streamChat({ ...request, signal }),
      encode: (delta) => encoder.encode(delta),
      promptParam: 'messages',
      keepAliveMs: deps.sseKeepAliveMs,
      abort,
    });
  });
}
