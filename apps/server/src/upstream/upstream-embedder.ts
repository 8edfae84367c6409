import type { Embedder, EmbeddingModelInfo, EmbeddingRequest, EmbeddingResult } from '../engine.js';
import type { UpstreamClient } from './upstream-client.js';
import { UpstreamEngineError } from './upstream-error.js';

interface WireEmbeddings {
  readonly data?: readonly { readonly index?: number; readonly embedding?: unknown }[];
  readonly usage?: { readonly prompt_tokens?: number };
}

async function post(client: UpstreamClient, model: string, input: EmbeddingRequest['input'], dimensions: number | undefined, signal: AbortSignal | undefined): Promise<EmbeddingResult> {
  const body = { model, input: input.map((item) => (typeof item === 'string' ? item : [...item])), encoding_format: 'float', ...(dimensions === undefined ? {} : { dimensions }) };
  const text = await client.json('/embeddings', body, signal);
  let answer: WireEmbeddings;
  try {
    answer = JSON.parse(text) as WireEmbeddings;
  } catch {
    answer = {};
  }
  const data = [...(answer.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  if (data.length !== input.length || data.some((entry) => !Array.isArray(entry.embedding))) {
    throw new UpstreamEngineError('upstream-failed', `The upstream engine at ${client.url} answered /embeddings without one vector per input.`);
  }
  return { vectors: data.map((entry) => Float32Array.from(entry.embedding as number[])), promptTokens: answer.usage?.prompt_tokens ?? 0 };
}

/**
 * Embeddings from the upstream's `POST /embeddings`, for a node whose chat model is an upstream
 * and that has no dedicated embedding model. One probe at creation learns the vectors' size.
 */
export async function createUpstreamEmbedder(client: UpstreamClient, model: string, contextSize: number): Promise<Embedder> {
  const probe = await post(client, model, ['dimensions'], undefined, undefined);
  const info: EmbeddingModelInfo = { id: model, path: client.url, dimensions: probe.vectors[0]!.length, contextSize };
  return {
    info,
    embed: (request) => post(client, model, request.input, request.dimensions, request.signal),
    dispose: () => Promise.resolve(),
  };
}
