import { Hono } from 'hono';
import type { EmbeddingHost } from '../embedding-host.js';
import { buildEmbeddingList } from '../openai/embedding-response.js';
import { createRequestValidator } from '../openai/request-validator.js';
import { resolveModel } from '../openai/resolve-model.js';
import { embeddingRequestSchema } from '../openai/schemas/embedding-request-schema.js';
import { SERVED_BY_HEADER } from '../pool/served-by.js';
import { readJsonBody } from '../read-json-body.js';
import type { AppEnv } from '../request-scope.js';

/** A validated `POST /v1/embeddings` body. */
interface EmbeddingBody {
  readonly input: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  readonly model?: string;
  readonly encoding_format?: 'float' | 'base64' | null;
  readonly dimensions?: number | null;
}

/** What the embeddings route needs from the app. */
export interface EmbeddingsRouteDependencies {
  readonly embeddings: EmbeddingHost;
  readonly modelAliases: readonly string[];
  readonly shutdownSignal: AbortSignal;
}

// A flat array of numbers is one input (token ids); other arrays are one input per item.
function inputsOf(input: EmbeddingBody['input']): readonly (string | readonly number[])[] {
  if (typeof input === 'string') return [input];
  if (typeof input[0] === 'number') return [input as readonly number[]];
  return input as readonly (string | readonly number[])[];
}

/**
 * `POST /v1/embeddings`: OpenAI embeddings from the dedicated embedding model, or else the chat
 * model; from a LAN peer that serves the named model when this node has none for it
 * (`LLM_POOL`). The whole batch goes through the engine as one request.
 */
export function embeddingsRoute(deps: EmbeddingsRouteDependencies): Hono<AppEnv> {
  const validate = createRequestValidator<EmbeddingBody>(embeddingRequestSchema);
  return new Hono<AppEnv>().post('/v1/embeddings', async (c) => {
    const body = validate(await readJsonBody(c));
    const { embedder, servedBy } = await deps.embeddings.require(body.model, deps.modelAliases);
    resolveModel(body.model, embedder.info, deps.modelAliases);
    if (servedBy !== undefined) c.header(SERVED_BY_HEADER, servedBy);
    const signal = AbortSignal.any([c.req.raw.signal, deps.shutdownSignal]);
    const result = await embedder.embed({
      input: inputsOf(body.input),
      ...(body.dimensions == null ? {} : { dimensions: body.dimensions }),
      signal,
    });
    c.var.scope.usage = { promptTokens: result.promptTokens, completionTokens: 0, cachedPromptTokens: 0 };
    return c.json(buildEmbeddingList(embedder.info.id, result.vectors, body.encoding_format ?? 'float', result.promptTokens));
  });
}
