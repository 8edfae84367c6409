import { Hono } from 'hono';
import { planChoices } from '../choices/choice-plan.js';
import { sumChoiceUsage } from '../choices/choice-usage.js';
import { mergeChoiceStreams, type ChoiceStreamItem } from '../choices/merge-choice-streams.js';
import { runChoices } from '../choices/run-choices.js';
import type { ChatDelta, ChatRequest } from '../engine.js';
import { ChatChunkEncoder } from '../openai/chat-chunk-encoder.js';
import { conversationKey } from '../pool/pool-choice.js';
import { SERVED_BY_HEADER } from '../pool/served-by.js';
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

/** `POST /v1/chat/completions`: OpenAI chat completions (`n` choices), streamed (SSE) or not. */
export function chatCompletionsRoute(deps: GenerationRouteDependencies): Hono<AppEnv> {
  const validate = createRequestValidator<ChatCompletionBody>(chatCompletionRequestSchema);
  return new Hono<AppEnv>().post('/v1/chat/completions', async (c) => {
    const body = validate(await readJsonBody(c));
    const request = mapChatRequest(body);
    const plan = planChoices(1, body.n ?? 1, request.seed);
    const loaded = deps.model.choose({ model: body.model, affinity: conversationKey(request.messages) });
    if (loaded.servedBy !== undefined) c.header(SERVED_BY_HEADER, loaded.servedBy);
    resolveModel(body.model, loaded.info, deps.modelAliases);
    const meta = createResponseMeta('chatcmpl', loaded.info.id, loaded.fingerprint);
    const scope = c.var.scope;
    // Aborted when the client disconnects (the request signal), when the stream is cancelled,
    // when one choice fails, or when a shutdown runs out of time: the engine then frees the slots.
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, c.req.raw.signal, deps.shutdownSignal]);
    const requestFor = (index: number): ChatRequest => {
      const seed = plan.choices[index]!.seed;
      return { ...request, ...(seed === undefined ? {} : { seed }), signal };
    };
    const count = plan.choices.length;
    const concurrency = loaded.engine.stats().slots;

    if (body.stream !== true) {
      const results = await runChoices(count, concurrency, (index) => loaded.engine.chat(requestFor(index)), () => abort.abort()).catch(
        (error: unknown) => {
          if (c.req.raw.signal.aborted) scope.outcome = 'client-disconnected';
          throw error;
        },
      );
      const usage = sumChoiceUsage(results.map((result) => result.usage), plan.perPrompt);
      scope.usage = usage;
      return c.json(buildChatCompletion(meta, results, usage));
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const encoders = plan.choices.map((choice) => new ChatChunkEncoder(meta, includeUsage, choice.index));
    return streamGeneration<ChoiceStreamItem<ChatDelta>>({
      scope,
      source: mergeChoiceStreams<ChatDelta>({
        count,
        concurrency,
        open: (index) => loaded.engine.streamChat(requestFor(index)),
        sumUsage: (usages) => sumChoiceUsage(usages, plan.perPrompt),
        abort: () => abort.abort(new Error('the stream ended early')),
      }),
      encode: (item) => {
        if (item.type === 'choice') return encoders[item.index]!.encode(item.delta);
        return includeUsage ? [encoders[0]!.usageChunk(item.usage)] : [];
      },
      promptParam: 'messages',
      keepAliveMs: deps.sseKeepAliveMs,
      abort,
      ...(loaded.servedBy === undefined ? {} : { headers: { [SERVED_BY_HEADER]: loaded.servedBy } }),
    });
  });
}
