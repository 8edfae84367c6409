import { basename } from 'node:path';
import { SYNC_PROTOCOL_VERSION } from '@trosyn/sync-core';
import type { Logger } from '../logger.js';
import type { LentBytes } from '../sync/lent-bytes.js';
import { ModelChunkReader } from './model-chunk-reader.js';
import { ModelDigestCache, type ModelDigest } from './model-digest.js';
import {
  MODEL_CHUNK_BYTES,
  type ModelChunkRequest,
  type ModelOfferRequest,
  type ModelOfferResponse,
  type ModelShareError,
} from './model-share-protocol.js';

/** Construction config of {@link ModelShareServer}. */
export interface ModelShareServerConfig {
  /** The node's `LLM_MODEL_PATH`: the only file it ever gives. */
  readonly modelPath: string;
  /** `LAN_SYNC_NODE_NAME`, told to askers. */
  readonly nodeName: string;
  /** `LLM_MODEL_SHARE`: false answers every offer request with "not shared". */
  readonly enabled: boolean;
  /** `LLM_MODEL_SHARE_MAX_MBPS` in bytes per second, for all peers together; undefined: no cap. */
  readonly maxBytesPerSecond: number | undefined;
  readonly logger: Logger;
  readonly chunkBytes?: number;
}

/** Smallest chunk a capped node gives. */
const MIN_CHUNK_BYTES = 64 * 1024;
/** Longest a capped node takes to send one chunk, seconds. */
const MAX_CHUNK_SECONDS = 2;

/**
 * The chunk size this node gives: {@link MODEL_CHUNK_BYTES}, or less under a low bandwidth cap,
 * so that the few chunks an asker has in flight are all answered well within its request
 * timeout (they are answered one after the other, each paced).
 */
export function chunkBytesFor(maxBytesPerSecond: number | undefined): number {
  if (maxBytesPerSecond === undefined) return MODEL_CHUNK_BYTES;
  let bytes = MODEL_CHUNK_BYTES;
  while (bytes > MIN_CHUNK_BYTES && bytes > maxBytesPerSecond * MAX_CHUNK_SECONDS) bytes /= 2;
  return bytes;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function refusal(code: ModelShareError['code'], message: string): ModelShareError {
  return { type: 'error', protocol: SYNC_PROTOCOL_VERSION, code, message };
}

/**
 * The giving side of model distribution: answers authenticated peers' `model-offer` and
 * `model-chunk` requests for this node's own model file (by file name; no other file is ever
 * read), paced to `LLM_MODEL_SHARE_MAX_MBPS`. Chunks are read a few ahead of the asker
 * ({@link ModelChunkReader}), so memory stays at a few chunks whatever the model's size.
 */
export class ModelShareServer {
  readonly #config: ModelShareServerConfig;
  readonly #digests: ModelDigestCache;
  readonly #reader = new ModelChunkReader();
  readonly #chunkBytes: number;
  /** When the paced channel is free again (ms, `performance.now()`). */
  #nextSendAt = 0;
  readonly #servedTo = new Set<string>();

  constructor(config: ModelShareServerConfig) {
    this.#config = config;
    this.#chunkBytes = config.chunkBytes ?? chunkBytesFor(config.maxBytesPerSecond);
    this.#digests = new ModelDigestCache(this.#chunkBytes);
  }

  /**
   * Answers one model-sharing request of the authenticated peer `peerId`. A chunk comes as
   * binary (`chunkFrame`), lent: give it back once sealed, and its buffer holds a later chunk.
   */
  async answer(request: ModelOfferRequest | ModelChunkRequest, peerId: string): Promise<ModelOfferResponse | LentBytes | ModelShareError> {
    if (typeof request.file !== 'string') return refusal('invalid-message', "'file' must be a file name");
    return request.type === 'model-offer' ? this.#offer(request) : this.#chunk(request, peerId);
  }

  async #offer(request: ModelOfferRequest): Promise<ModelOfferResponse> {
    const found = await this.#current(request.file);
    if (typeof found === 'string') return { type: 'model-offer', available: false, file: request.file, reason: found };
    return { type: 'model-offer', available: true, file: request.file, nodeName: this.#config.nodeName, ...found.digest };
  }

  /** The shared file's current version and digest, or why there is none for `file`. */
  async #current(file: string): Promise<{ readonly version: string; readonly digest: ModelDigest } | string> {
    if (!this.#config.enabled) return 'model sharing is off on this node (LLM_MODEL_SHARE=false)';
    if (file !== basename(this.#config.modelPath)) return `this node's model is ${basename(this.#config.modelPath)}`;
    try {
      return await this.#digests.current(this.#config.modelPath);
    } catch {
      return 'this node does not have its model file either';
    }
  }

  async #chunk(request: ModelChunkRequest, peerId: string): Promise<LentBytes | ModelShareError> {
    const found = await this.#current(request.file);
    if (typeof found === 'string') return refusal('model-unavailable', found);
    const { version, digest } = found;
    if (digest.sha256 !== request.sha256) return refusal('model-unavailable', `this node's ${request.file} changed: its sha256 is now ${digest.sha256}`);
    if (!Number.isInteger(request.index) || request.index < 0 || request.index >= digest.chunkSha256.length) {
      return refusal('invalid-message', `chunk index ${String(request.index)} is not within 0..${digest.chunkSha256.length - 1}`);
    }
    if (!this.#servedTo.has(peerId)) {
      this.#servedTo.add(peerId);
      this.#config.logger.log('info', 'sharing the model with a peer', { event: 'model-share', peer_id: peerId, file: request.file, bytes: digest.size });
    }
    const offset = request.index * this.#chunkBytes;
    await this.#pace(Math.min(this.#chunkBytes, digest.size - offset));
    const source = { path: this.#config.modelPath, version, size: digest.size, chunkBytes: this.#chunkBytes, chunks: digest.chunkSha256.length };
    return this.#reader.read(source, request.index);
  }

  // Reserves the chunk's share of the node-wide rate, then waits for its turn.
  async #pace(bytes: number): Promise<void> {
    const rate = this.#config.maxBytesPerSecond;
    if (rate === undefined) return;
    const now = performance.now();
    const start = Math.max(now, this.#nextSendAt);
    this.#nextSendAt = start + (bytes / rate) * 1000;
    if (start > now) await sleep(start - now);
  }
}
