import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { SYNC_PROTOCOL_VERSION } from '@trosyn/sync-core';
import type { Logger } from '../logger.js';
import { ModelDigestCache } from './model-digest.js';
import {
  MODEL_CHUNK_BYTES,
  encodeChunk,
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function refusal(code: ModelShareError['code'], message: string): ModelShareError {
  return { type: 'error', protocol: SYNC_PROTOCOL_VERSION, code, message };
}

/**
 * The giving side of model distribution: answers authenticated peers' `model-offer` and
 * `model-chunk` requests for this node's own model file (by file name; no other file is ever
 * read), paced to `LLM_MODEL_SHARE_MAX_MBPS`. One chunk is read per request, so memory stays at
 * a chunk per peer whatever the model's size.
 */
export class ModelShareServer {
  readonly #config: ModelShareServerConfig;
  readonly #digests: ModelDigestCache;
  readonly #chunkBytes: number;
  /** When the paced channel is free again (ms, `performance.now()`). */
  #nextSendAt = 0;
  readonly #servedTo = new Set<string>();

  constructor(config: ModelShareServerConfig) {
    this.#config = config;
    this.#chunkBytes = config.chunkBytes ?? MODEL_CHUNK_BYTES;
    this.#digests = new ModelDigestCache(this.#chunkBytes);
  }

  /** Answers one model-sharing request of the authenticated peer `peerId`; a chunk comes as binary ({@link encodeChunk}). */
  async answer(request: ModelOfferRequest | ModelChunkRequest, peerId: string): Promise<ModelOfferResponse | Buffer | ModelShareError> {
    if (typeof request.file !== 'string') return refusal('invalid-message', "'file' must be a file name");
    return request.type === 'model-offer' ? this.#offer(request) : this.#chunk(request, peerId);
  }

  async #offer(request: ModelOfferRequest): Promise<ModelOfferResponse> {
    const unavailable = (reason: string): ModelOfferResponse => ({ type: 'model-offer', available: false, file: request.file, reason });
    if (!this.#config.enabled) return unavailable('model sharing is off on this node (LLM_MODEL_SHARE=false)');
    if (request.file !== basename(this.#config.modelPath)) return unavailable(`this node's model is ${basename(this.#config.modelPath)}`);
    try {
      const digest = await this.#digests.digest(this.#config.modelPath);
      return { type: 'model-offer', available: true, file: request.file, nodeName: this.#config.nodeName, ...digest };
    } catch {
      return unavailable('this node does not have its model file either');
    }
  }

  async #chunk(request: ModelChunkRequest, peerId: string): Promise<Buffer | ModelShareError> {
    const offer = await this.#offer({ type: 'model-offer', file: request.file });
    if (!offer.available) return refusal('model-unavailable', offer.reason);
    if (offer.sha256 !== request.sha256) return refusal('model-unavailable', `this node's ${request.file} changed: its sha256 is now ${offer.sha256}`);
    if (!Number.isInteger(request.index) || request.index < 0 || request.index >= offer.chunkSha256.length) {
      return refusal('invalid-message', `chunk index ${String(request.index)} is not within 0..${offer.chunkSha256.length - 1}`);
    }
    if (!this.#servedTo.has(peerId)) {
      this.#servedTo.add(peerId);
      this.#config.logger.log('info', 'sharing the model with a peer', { event: 'model-share', peer_id: peerId, file: request.file, bytes: offer.size });
    }
    const offset = request.index * this.#chunkBytes;
    const length = Math.min(this.#chunkBytes, offer.size - offset);
    await this.#pace(length);
    const file = await open(this.#config.modelPath, 'r');
    try {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return encodeChunk(request.index, buffer.subarray(0, bytesRead));
    } finally {
      await file.close();
    }
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
