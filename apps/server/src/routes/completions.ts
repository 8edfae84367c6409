import { Hono } from 'hono';
import { planChoices } from '../choices/choice-plan.js';
import { sumChoiceUsage } from '../choices/choice-usage.js';
import { mergeChoiceStreams, type ChoiceStreamItem } from '../choices/merge-choice-streams.js';
import { runChoices } from '../choices/run-choices.js';
import type { CompletionDelta, CompletionRequest } from '../engine.js';
import { CompletionChunkEncoder } from '../openai/completion-chunk-encoder.js';
import { buildCompletion } from '../openai/completion-response.js';
import { mapCompletionRequest } from '../openai/map-completion-request.js';
import { createRequestValidator } from '../openai/request-validator.js';
import { resolveModel } from '../openai/resolve-model.js';
import { createResponseMeta } from '../openai/response-meta.js';
import { completionRequestSchema } from '../openai/schemas/completion-request-schema.js';
import type { CompletionBody } from '../openai/wire-types.js';
import { readJsonBody } from '../read-json-body.js';
import { SERVED_BY_HEADER } from '../pool/served-by.js';
import type { AppEnv } from '../request-scope.js';
import type { GenerationRouteDependencies } from './route-dependencies.js';
import { streamGeneration } from './stream-generation.js';

/**
 * `POST /v1/completions`: OpenAI (legacy) text completions, streamed (SSE) or not. Several
 * prompts and `n` give prompts × n choices, `index` = prompt × n + choice (OpenAI's order).
 */
export function completionsRoute(deps: GenerationRouteDependencies): Hono<AppEnv> {
  const validate = createRequestValidator<CompletionBody>(completionRequestSchema);
  return new Hono<AppEnv>().post('/v1/completions', async (c) => {
    const body = validate(await readJsonBody(c));
    const mapped = mapCompletionRequest(body);
    const plan = planChoices(mapped.requests.length, mapped.n, mapped.requests[0]?.seed);
    const loaded = deps.model.choose({ model: body.model });
    if (loaded.servedBy !== undefined) c.header(SERVED_BY_HEADER, loaded.servedBy);
    resolveModel(body.model, loaded.info, deps.modelAliases);
    const meta = createResponseMeta('cmpl', loaded.info.id, loaded.fingerprint);
    const scope = c.var.scope;
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, c.req.raw.signal, deps.shutdownSignal]);
    const requestFor = (index: number): CompletionRequest => {
      const choice = plan.choices[index]!;
      return { ...mapped.requests[choice.promptIndex]!, ...(choice.seed === undefined ? {} : { seed: choice.seed }), signal };
    };
    const echoed = (index: number): string => {
      const prompt = mapped.requests[plan.choices[index]!.promptIndex]!.prompt;
      return mapped.echo && typeof prompt === 'string' ? prompt : '';
    };
    const count = plan.choices.length;
    const concurrency = loaded.engine.stats().slots;

    if (body.stream !== true) {
      const results = await runChoices(count, concurrency, (index) => loaded.engine.complete(requestFor(index)), () => abort.abort()).catch(
        (error: unknown) => {
          if (c.req.raw.signal.aborted) scope.outcome = 'client-disconnected';
          throw error;
        },
      );
      const usage = sumChoiceUsage(results.map((result) => result.usage), plan.perPrompt);
      scope.usage = usage;
      return c.json(buildCompletion(meta, results, echoed, usage));
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const encoders = plan.choices.map((choice) => new CompletionChunkEncoder(meta, echoed(choice.index), choice.index));
    return streamGeneration<ChoiceStreamItem<CompletionDelta>>({
      scope,
      source: mergeChoiceStreams<CompletionDelta>({
        count,
        concurrency,
        open: (index) => loaded.engine.streamComplete(requestFor(index)),
        sumUsage: (usages) => sumChoiceUsage(usages, plan.perPrompt),
        abort: () => abort.abort(new Error('the stream ended early')),
      }),
      encode: (item) => {
        if (item.type === 'choice') return encoders[item.index]!.encode(item.delta);
        return includeUsage ? [encoders[0]!.usageChunk(item.usage)] : [];
      },
      promptParam: 'prompt',
      keepAliveMs: deps.sseKeepAliveMs,
      abort,
      ...(loaded.servedBy === undefined ? {} : { headers: { [SERVED_BY_HEADER]: loaded.servedBy } }),
    });
  });
}
