import type { EmbeddingHost } from '../embedding-host.js';
import { ApiError, isEngineError } from '../errors.js';
import type { Logger } from '../logger.js';
import { encodeVector } from './peer-embedder.js';
import { poolErrorOf } from './pool-generation-server.js';
import type { PoolEventSink } from './pool-events.js';
import type { PoolEmbedRequest, PoolStreamItem } from './pool-protocol.js';

function isInput(input: unknown): input is PoolEmbedRequest['input'] {
  return Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string' || (Array.isArray(item) && item.every((token) => Number.isInteger(token))));
}

/**
 * The serving side of forwarded embeddings: embeds a peer's batch with this node's own
 * embedding model (never forwarded again) and answers one item with the vectors as float32
 * bytes, or the error a client of this node would get.
 */
export async function* servePoolEmbedding(
  embeddings: EmbeddingHost,
  message: Partial<PoolEmbedRequest>,
  peerId: string,
  signal: AbortSignal,
  logger: Logger,
  report?: PoolEventSink,
): AsyncGenerator<PoolStreamItem> {
  if (!isInput(message.input) || (message.dimensions !== undefined && !Number.isInteger(message.dimensions))) {
    yield { type: 'error', error: { family: 'engine', code: 'invalid-request', message: 'not a forwarded embedding request', details: {} } };
    return;
  }
  const input = message.input;
  const startedAt = performance.now();
  let outcome = 'completed';
  let promptTokens = 0;
  try {
    const { embedder } = await embeddings.requireLocal();
    if (message.model !== embedder.info.id) {
      throw new ApiError('model-not-found', `The model '${String(message.model)}' does not exist. This node embeds with '${embedder.info.id}'.`, { param: 'model' });
    }
    const result = await embedder.embed({ input, ...(message.dimensions === undefined ? {} : { dimensions: message.dimensions }), signal });
    promptTokens = result.promptTokens;
    yield { type: 'embedding', embedding: { model: embedder.info.id, vectors: result.vectors.map(encodeVector), promptTokens } };
  } catch (error) {
    outcome = signal.aborted ? 'aborted' : isEngineError(error) || error instanceof ApiError ? error.code : 'generation-failed';
    if (!signal.aborted) yield { type: 'error', error: poolErrorOf(error) };
  } finally {
    if (signal.aborted) outcome = 'aborted';
    const durationMs = performance.now() - startedAt;
    report?.({ direction: 'served', peer: peerId, kind: 'embedding', outcome, promptTokens, completionTokens: 0, durationMs });
    logger.log('info', 'served a peer\'s embeddings', { event: 'pool-served', peer_id: peerId, kind: 'embedding', outcome, duration_ms: Math.round(durationMs) });
  }
}
