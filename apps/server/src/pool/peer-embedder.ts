import type { Embedder, EmbeddingModelInfo, EmbeddingRequest, EmbeddingResult } from '../engine.js';
import type { HttpSyncTransport } from '../sync/http-sync-transport.js';
import { errorOf, forwardingFailure, outcomeOf, PeerEngineError, reportForwarded } from './peer-engine.js';
import type { PoolEventSink } from './pool-events.js';
import type { PoolEmbedRequest, PoolEmbeddingModel, PoolStreamItem } from './pool-protocol.js';

/** Where a {@link PeerEmbedder} forwards: a peer serving the embedding model, and the sealed channel to it. */
export interface PeerEmbeddingTarget {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly model: PoolEmbeddingModel;
  /** The sealed channel to the peer (shared by every request forwarded to it, concurrently). */
  channel(): HttpSyncTransport;
  /** Receives one `forwarded` event per request once it is over (metrics). */
  readonly report?: PoolEventSink;
}

/** A vector as it travels: the bytes of its float32 components (little-endian, as OpenAI's base64 encoding). */
export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

/** The vector {@link encodeVector} wrote. */
export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  // Copied into its own buffer: a Float32Array needs a 4-byte aligned offset.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Embeddings served by a peer over the sealed peer channel (`LLM_POOL`), for a node that has no
 * model for them: the batch goes to the peer's `POST /sync/v1/pool/generate` as one
 * `pool-embed` request and the vectors come back exactly (float32 bytes). The peer's errors are
 * rethrown as the same engine or API errors, so the client gets the answer the peer would give.
 */
export class PeerEmbedder implements Embedder {
  readonly info: EmbeddingModelInfo;
  readonly #target: PeerEmbeddingTarget;

  constructor(target: PeerEmbeddingTarget) {
    this.#target = target;
    this.info = {
      id: target.model.id,
      path: `peer:${target.nodeName}/${target.model.id}`,
      // 0 while the peer has not made its embedding context yet; the asking node never reads it.
      dimensions: target.model.dimensions ?? 0,
      contextSize: target.model.contextSize,
    };
  }

  /** The serving node's name (`X-Trosyn-Served-By`). */
  get nodeName(): string {
    return this.#target.nodeName;
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const { signal } = request;
    const message: PoolEmbedRequest = {
      type: 'pool-embed',
      model: this.info.id,
      input: request.input.map((item) => (typeof item === 'string' ? item : [...item])),
      ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
    };
    const startedAt = performance.now();
    let outcome = 'aborted';
    let promptTokens = 0;
    try {
      for await (const raw of this.#target.channel().requestStream(message, signal)) {
        const item = raw as PoolStreamItem;
        if (item.type === 'error') throw errorOf(item.error);
        if (item.type !== 'embedding' || item.embedding.vectors.length !== message.input.length) continue;
        outcome = 'completed';
        promptTokens = item.embedding.promptTokens;
        return { vectors: item.embedding.vectors.map(decodeVector), promptTokens };
      }
      throw new PeerEngineError('upstream-unavailable', `Peer ${this.#target.nodeName} ended the answer without one vector per input.`);
    } catch (error) {
      const failure = forwardingFailure(error, signal, this.#target.nodeName);
      outcome = outcomeOf(failure);
      throw failure;
    } finally {
      reportForwarded(this.#target, 'embedding', outcome, { promptTokens, completionTokens: 0 }, startedAt);
    }
  }

  async dispose(): Promise<void> {}
}
