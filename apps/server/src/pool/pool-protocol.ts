/**
 * The pooled-inference messages of the peer channel. `pool-status` travels like the model
 * sharing messages (the plaintext of a sealed request on the sync port, answered sealed);
 * `pool-generate` and `pool-embed` are sent to `POST /sync/v1/pool/generate` and answered by a
 * stream of sealed {@link PoolStreamItem}s, token by token (one item for embeddings).
 */
import type { ChatDelta, ChatRequest, ChatResult, CompletionDelta, CompletionRequest, CompletionResult, EngineStats } from '../engine.js';

/** One model a node serves, with its occupancy when the advertisement was made. */
export interface PoolModel {
  readonly id: string;
  /** sha256 of the GGUF file, once the node has hashed it (it is hashed in the background); null before. */
  readonly sha256: string | null;
  readonly contextSize: number;
  readonly slots: number;
  readonly slotsFree: number;
  readonly queueDepth: number;
  readonly maxQueue: number;
}

/** The model a node's embeddings come from: its dedicated embedding model, or else its chat model. */
export interface PoolEmbeddingModel {
  readonly id: string;
  /** Components of each vector; null until the node has made its embedding context (on its first request). */
  readonly dimensions: number | null;
  readonly contextSize: number;
  /**
   * The embedding engine's occupancy when the advertisement was made (it embeds one batch at a
   * time behind a queue); absent from older nodes and while the engine is not made yet (idle).
   */
  readonly load?: EngineStats;
}

/** What a node serves (`LLM_POOL` other than `off`); empty `models` while it has none loaded. */
export interface PoolAdvertisement {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly models: readonly PoolModel[];
  /** Where its embeddings come from; null (or absent, from an older node) while it has none. */
  readonly embedding?: PoolEmbeddingModel | null;
}

/** Asks a peer what it serves, telling it what this node serves (both learn in one round trip). */
export interface PoolStatusRequest {
  readonly type: 'pool-status';
  readonly node: PoolAdvertisement;
}

/** The answer to a {@link PoolStatusRequest}. */
export interface PoolStatusResponse {
  readonly type: 'pool-status';
  readonly node: PoolAdvertisement;
}

/** A generation forwarded to a peer: the engine request as the routes made it (without its signal). */
export type PoolGenerateRequest =
  | { readonly type: 'pool-generate'; readonly model: string; readonly kind: 'chat'; readonly stream: boolean; readonly request: Omit<ChatRequest, 'signal'> }
  | { readonly type: 'pool-generate'; readonly model: string; readonly kind: 'completion'; readonly stream: boolean; readonly request: Omit<CompletionRequest, 'signal'> };

/** Embeddings forwarded to a peer: one batch, answered by one `embedding` {@link PoolStreamItem}. */
export interface PoolEmbedRequest {
  readonly type: 'pool-embed';
  readonly model: string;
  readonly input: readonly (string | readonly number[])[];
  readonly dimensions?: number;
}

/** The answer to a {@link PoolEmbedRequest}: one vector per input, as float32 bytes in base64 (exact). */
export interface PoolEmbedding {
  readonly model: string;
  readonly vectors: readonly string[];
  readonly promptTokens: number;
}

/** An error of the serving node, carried so the asking node answers exactly as it would. */
export type PoolError =
  | { readonly family: 'engine'; readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> }
  | {
      readonly family: 'api';
      readonly code: string;
      readonly message: string;
      readonly param: string | null;
      readonly retryAfterSeconds: number | undefined;
      readonly shouldRetry: boolean | undefined;
    };

/** One message of a streamed answer: deltas, then a result (non-streamed) or nothing more; an embedding; or an error. */
export type PoolStreamItem =
  | { readonly type: 'delta'; readonly delta: ChatDelta | CompletionDelta }
  | { readonly type: 'result'; readonly result: ChatResult | CompletionResult }
  | { readonly type: 'embedding'; readonly embedding: PoolEmbedding }
  | { readonly type: 'error'; readonly error: PoolError };

/** Whether a request on the peer channel is a pool status one. */
export function isPoolStatusRequest(request: unknown): request is PoolStatusRequest {
  return (request as { type?: unknown } | null)?.type === 'pool-status';
}
