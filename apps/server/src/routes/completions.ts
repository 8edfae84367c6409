import { Hono } from 'hono';
import type { CompletionDelta } from '../engine.js';
import { CompletionChunkEncoder } from '../openai/completion-chunk-encoder.js';
import { buildCompletion } from '../openai/completion-response.js';
import { mapCompletionRequest } from '../openai/map-completion-request.js';
import { createRequestValidator } from '../openai/request-validator.js';
import { resolveModel } from '../openai/resolve-model.js';
import { createResponseMeta } from '../openai/response-meta.js';
import { completionRequestSchema } from '../openai/schemas/completion-request-schema.js';
import type { CompletionBody } from '../openai/wire-types.js';
import { readJsonBody } from '../read-json-body.js';
import type { AppEnv } from '../request-scope.js';
import type { GenerationRouteDependencies } from './route-dependencies.js';
import { streamGeneration } from './stream-generation.js';

/** `POST /v1/completions`: OpenAI (legacy) text completions, streamed (SSE) or not. */
export function completionsRoute(deps: GenerationRouteDependencies): Hono<AppEnv> {
  const validate = createRequestValidator<CompletionBody>(completionRequestSchema);
  return new Hono<AppEnv>().post('/v1/completions', async (c) => {
    const body = validate(await readJsonBody(c));
    const { request, echo } = mapCompletionRequest(body);
    const loaded = deps.model.require();
    resolveModel(body.model, loaded.info, deps.modelAliases);
    const meta = createResponseMeta('cmpl', loaded.info.id, loaded.fingerprint);
    const scope = c.var.scope;
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, c.req.raw.signal, deps.shutdownSignal]);
    const echoed = echo ? request.prompt : '';

    if (body.stream !== true) {
      const result = await loaded.engine.complete({ ...request, signal }).catch((error: unknown) => {
        if (c.req.raw.signal.aborted) scope.outcome = 'client-disconnected';
        throw error;
      });
      scope.usage = result.usage;
      return c.json(buildCompletion(meta, result, echoed));
    }

    const encoder = new CompletionChunkEncoder(meta, body.stream_options?.include_usage === true, echoed);
    return streamGeneration<CompletionDelta>({
      scope,
      source: loaded.engine.streamComplete({ ...request, signal }),
      encode: (delta) => encoder.encode(delta),
      promptParam: 'prompt',
      keepAliveMs: deps.sseKeepAliveMs,
      abort,
    });
  });
}
