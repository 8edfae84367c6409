import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '../logger.js';
import type { ModelLoadContext } from '../model-host.js';
import { CHUNK_HEADER_BYTES, decodeChunkPieces, type ModelOfferResponse } from './model-share-protocol.js';
import { BackgroundFlush } from './background-flush.js';
import { WholeFileHash } from './whole-file-hash.js';

/** A sealed request/response channel to one authenticated peer (an `HttpSyncTransport`). */
export interface PeerChannel {
  request(message: object, options?: { signal?: AbortSignal }): Promise<unknown>;
  /**
   * The opened answer's bytes, unparsed (chunks are binary), as the pieces they were opened in
   * (a chunk is decrypted as it arrives and never joined), and with `sha256From` the sha256 (hex)
   * of those bytes from that byte on, hashed as they were decrypted (`HttpSyncTransport.requestPieces`).
   */
  requestPieces(message: object, options: { signal?: AbortSignal; sha256From?: number }): Promise<{ readonly plaintext: readonly Buffer[]; readonly sha256: string | undefined }>;
  close(): void;
}

/** A peer the fetcher may ask. */
export interface ModelPeer {
  readonly nodeId: string;
  readonly name: string | undefined;
  /** `host:port` of its sync port. */
  readonly address: string;
}

/** A model transfer as `/api/v1/sync/status` shows it (`model_transfer`). */
export interface ModelTransferStatus {
  readonly file: string;
  /**
   * `waiting`: no peer offers the file (yet); `fetching`: a transfer runs; `verifying`: every byte is
   * in and the file's sha256 is being checked (chunks garbled on the way are fetched again meanwhile);
   * `done`: fetched and checked.
   */
  readonly state: 'waiting' | 'fetching' | 'verifying' | 'done';
  readonly peer_id: string | null;
  readonly peer_name: string | null;
  readonly bytes: number;
  readonly total_bytes: number | null;
  readonly bytes_per_second: number | null;
  readonly eta_seconds: number | null;
  readonly sha256: string | null;
}

/** Construction config of {@link ModelFetcher}. */
export interface ModelFetcherConfig {
  /** The peers this node has authenticated with, now. */
  readonly peers: () => readonly ModelPeer[];
  /** Opens a sealed channel to a peer (its own session). */
  readonly openChannel: (peer: ModelPeer) => PeerChannel;
  readonly logger: Logger;
  /** Pause between two rounds of asking when no peer has the model. Default 3 s. */
  readonly retryMs?: number;
}

type Offer = Extract<ModelOfferResponse, { available: true }>;

/** What a partial download is of: kept beside it, so a restart continues only the same file. */
interface PartMeta {
  readonly sha256: string;
  readonly size: number;
  readonly chunkBytes: number;
}

/** Chunk requests on the wire at once (memory stays at a few chunks). */
const CHUNKS_IN_FLIGHT = 3;
/** Tries per chunk before the peer is given up for this round. */
const MAX_CHUNK_ATTEMPTS = 5;
const PROGRESS_LOG_INTERVAL_MS = 2000;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1);

/** A transfer's status from `peer`'s `offer`, every byte counted; the fetch loop overrides the progress. */
const transferFrom = (file: string, state: ModelTransferStatus['state'], peer: ModelPeer, offer: Offer): ModelTransferStatus => ({
  file, state, peer_id: peer.nodeId, peer_name: peer.name ?? null, bytes: offer.size, total_bytes: offer.size, bytes_per_second: null, eta_seconds: null, sha256: offer.sha256,
});

/** Writes all of `pieces`, in order, at `position`: one `writev` (which may take fewer bytes than asked: then the rest). */
async function writeAll(handle: FileHandle, pieces: readonly Buffer[], position: number): Promise<void> {
  let rest = pieces;
  for (let at = position; rest.length > 0; ) {
    const { bytesWritten } = await handle.writev(rest as Buffer[], at);
    if (bytesWritten === 0) throw new Error('the partial model file took no more bytes');
    at += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
}

/** `pieces` without their first `bytes` bytes (views, no copy). */
function skipBytes(pieces: readonly Buffer[], bytes: number): readonly Buffer[] {
  let index = 0;
  while (index < pieces.length && bytes >= pieces[index]!.length) bytes -= pieces[index++]!.length;
  const rest = pieces.slice(index);
  if (bytes > 0) rest[0] = rest[0]!.subarray(bytes);
  return rest;
}

/** Where chunk `index` of the offered file lies: its offset and length. */
function chunkExtent(offer: Offer, index: number): { readonly offset: number; readonly length: number } {
  const offset = index * offer.chunkBytes;
  return { offset, length: Math.min(offer.chunkBytes, offer.size - offset) };
}

/**
 * Chunk `index` as the partial file holds it, read into `buffer` (at least the chunk's length),
 * when it is whole and matches its advertised sha256; undefined otherwise.
 */
async function checkedChunkOnDisk(handle: FileHandle, offer: Offer, index: number, buffer: Buffer): Promise<Buffer | undefined> {
  const { offset, length } = chunkExtent(offer, index);
  const { bytesRead } = await handle.read(buffer, 0, length, offset);
  const bytes = buffer.subarray(0, bytesRead);
  return bytesRead === length && sha256(bytes) === offer.chunkSha256[index] ? bytes : undefined;
}

/** Partial-file paths of a model path: the bytes so far, and what they are of. */
export function partPaths(modelPath: string): { readonly part: string; readonly meta: string } {
  return { part: `${modelPath}.part`, meta: `${modelPath}.part.json` };
}

/**
 * The receiving side of model distribution: asks the authenticated peers which of them has
 * this node's model file (by file name), fetches it chunk by chunk over the sealed peer
 * channel into `<model>.part`, and checks the whole file against the sha256 the sender
 * advertised before it is renamed into place. When that fails, every chunk is checked against
 * its advertised sha256 and the bad ones are fetched again, verified. A restart (even after
 * SIGKILL) continues the partial file: its chunks are checked again and it is cut at the
 * first bad one.
 */
export class ModelFetcher {
  readonly #config: ModelFetcherConfig;
  /** One channel per peer, kept between rounds of asking (a new one would mean a new handshake). */
  readonly #channels = new Map<string, PeerChannel>();
  #status: ModelTransferStatus | undefined;
  /**
   * Chunks found bad once (on disk or after the whole file's check): fetched verified from then
   * on, so one a peer keeps garbling fails its check without being written again, and a
   * transfer that only fetches it again makes no progress (`pnpm model:pull --wait` gives up).
   */
  readonly #suspectChunks = new Set<number>();

  constructor(config: ModelFetcherConfig) {
    this.#config = config;
  }

  /** The transfer in progress or last finished; undefined before the model was ever missing. */
  get status(): ModelTransferStatus | undefined {
    return this.#status;
  }

  /**
   * Resolves true once `modelPath` holds the verified model, false when `context.signal` fired.
   * `onFound` is called when a peer offers it (the node then reports `loading` instead of `missing`).
   */
  async fetch(modelPath: string, context: ModelLoadContext, onFound: () => void): Promise<boolean> {
    const file = basename(modelPath);
    const { logger } = this.#config;
    let announced = false;
    try {
      return await this.#fetchLoop(modelPath, file, context, onFound, () => {
        if (!announced) logger.log('warn', 'no model file; asking the LAN peers for it', { event: 'model-wanted', file, peers: this.#config.peers().length });
        announced = true;
      });
    } finally {
      for (const channel of this.#channels.values()) channel.close();
      this.#channels.clear();
    }
  }

  async #fetchLoop(modelPath: string, file: string, context: ModelLoadContext, onFound: () => void, announce: () => void): Promise<boolean> {
    const { logger } = this.#config;
    for (;;) {
      if (context.signal.aborted) return false;
      const found = await this.#findOffer(file, context.signal);
      if (found === undefined) {
        this.#status = { file, state: 'waiting', peer_id: null, peer_name: null, bytes: 0, total_bytes: null, bytes_per_second: null, eta_seconds: null, sha256: null };
        announce();
        await sleep(this.#config.retryMs ?? 3000, context.signal);
        continue;
      }
      onFound();
      const { channel, offer } = found;
      const peer = { ...found.peer, name: found.peer.name ?? offer.nodeName };
      try {
        await this.#transfer(modelPath, peer, channel, offer, context);
        return true;
      } catch (error) {
        if (context.signal.aborted) return false;
        logger.log('warn', 'model transfer interrupted; will ask the peers again', { event: 'model-transfer-failed', peer_id: peer.nodeId, error: error instanceof Error ? error.message : String(error) });
        context.report(`the transfer of ${file} from ${peer.name ?? peer.nodeId} failed (${error instanceof Error ? error.message : String(error)}); asking the peers again`);
        // A fresh session next time: the failure may have been the channel's.
        channel.close();
        this.#channels.delete(peer.nodeId);
        await sleep(1000, context.signal);
      }
    }
  }

  async #findOffer(file: string, signal: AbortSignal): Promise<{ peer: ModelPeer; channel: PeerChannel; offer: Offer } | undefined> {
    for (const peer of this.#config.peers()) {
      let channel = this.#channels.get(peer.nodeId);
      if (channel === undefined) {
        channel = this.#config.openChannel(peer);
        this.#channels.set(peer.nodeId, channel);
      }
      try {
        const offer = (await channel.request({ type: 'model-offer', file }, { signal })) as ModelOfferResponse;
        if (offer.type === 'model-offer' && offer.available) return { peer, channel, offer };
      } catch (error) {
        if (signal.aborted) return undefined;
        this.#config.logger.log('info', 'peer could not be asked for the model', { event: 'model-offer-failed', peer_id: peer.nodeId, error: error instanceof Error ? error.message : String(error) });
        channel.close();
        this.#channels.delete(peer.nodeId);
      }
    }
    return undefined;
  }

  async #transfer(modelPath: string, peer: ModelPeer, channel: PeerChannel, offer: Offer, context: ModelLoadContext): Promise<void> {
    const { logger } = this.#config;
    const { part, meta } = partPaths(modelPath);
    const file = basename(modelPath);
    const handle = await this.#openPart(part, meta, offer);
    // The whole file's sha256, over exactly the bytes written, in file order: the verified
    // partial file's chunks, then each chunk once it is written. One pass, on a thread of its
    // own; the file is not read back.
    const whole = new WholeFileHash();
    const resumedBytes = await this.#verifiedPrefix(handle, offer, whole).catch(async (error: unknown) => {
      whole.close();
      await handle.close();
      throw error;
    });
    let sha256OfWritten: string;
    try {
      const first = resumedBytes / offer.chunkBytes;
      logger.log('info', 'fetching the model from a peer', {
        event: 'model-transfer-started', peer_id: peer.nodeId, peer_name: peer.name, address: peer.address, file, bytes: offer.size, sha256: offer.sha256, resumed_bytes: resumedBytes,
      });
      const startedAt = performance.now();
      let lastLog = startedAt;
      let bytes = resumedBytes;
      // A few chunks are asked for ahead, so the giver reads and seals the next ones while this
      // node checks and writes the current one; they are still written in order.
      const inFlight = new Map<number, Promise<readonly Buffer[]>>();
      const flushing = new BackgroundFlush(handle);
      const ask = (index: number): void => {
        if (index >= offer.chunkSha256.length || inFlight.has(index)) return;
        const pending = this.#chunk(channel, peer, offer, index, file, context.signal, this.#suspectChunks.has(index));
        pending.catch(() => undefined); // awaited in order below; a failure ahead is reported there
        inFlight.set(index, pending);
      };
      for (let index = first; index < offer.chunkSha256.length; index += 1) {
        // Stops between chunks on dispose (shutdown): the partial file stays for the next start.
        context.signal.throwIfAborted();
        for (let ahead = index; ahead < index + CHUNKS_IN_FLIGHT; ahead += 1) ask(ahead);
        const data = await inFlight.get(index)!;
        inFlight.delete(index);
        const chunkBytes = data.reduce((sum, piece) => sum + piece.length, 0);
        bytes += chunkBytes;
        await writeAll(handle, data, index * offer.chunkBytes);
        flushing.wrote(chunkBytes);
        await whole.update(data); // the pieces are the hash thread's from here on
        const seconds = (performance.now() - startedAt) / 1000;
        const rate = seconds > 0 ? (bytes - resumedBytes) / seconds : 0;
        const eta = rate > 0 ? Math.ceil((offer.size - bytes) / rate) : null;
        context.onDownloadProgress({ downloadedBytes: bytes, totalBytes: offer.size });
        this.#status = { ...transferFrom(file, 'fetching', peer, offer), bytes, bytes_per_second: Math.round(rate), eta_seconds: eta };
        context.report(`fetching ${file} from peer ${peer.name ?? peer.nodeId} (${peer.address}): ${megabytes(bytes)} of ${megabytes(offer.size)} MB, ${megabytes(rate)} MB/s, ETA ${eta ?? '?'} s`);
        if (performance.now() - lastLog >= PROGRESS_LOG_INTERVAL_MS) {
          lastLog = performance.now();
          logger.log('info', 'model transfer progress', { event: 'model-transfer-progress', peer_id: peer.nodeId, bytes, total_bytes: offer.size, bytes_per_second: Math.round(rate), eta_seconds: eta });
        }
      }
      this.#status = transferFrom(file, 'verifying', peer, offer);
      context.report(`checking the sha256 of ${file} (${megabytes(offer.size)} MB from peer ${peer.name ?? peer.nodeId})`);
      await flushing.done();
      await handle.sync();
      sha256OfWritten = await whole.digest();
    } finally {
      whole.close();
      await handle.close();
    }
    // A chunk garbled on the way (the giver's disk, a changed file) shows only here: the file's
    // chunks are then checked on disk, the bad ones fetched again, and the file hashed anew.
    const sha256OfFile = sha256OfWritten === offer.sha256 ? sha256OfWritten : ((await this.#repairChunks(part, peer, channel, offer, file, context.signal)) ?? sha256OfWritten);
    // The whole file against the advertised sha256 (and its size on disk) before it may be loaded.
    const digest = { sha256: sha256OfFile, size: (await stat(part)).size };
    if (digest.sha256 !== offer.sha256 || digest.size !== offer.size) {
      await rm(part, { force: true });
      await rm(meta, { force: true });
      logger.log('error', 'fetched model rejected: its sha256 is not the one the peer advertised', { event: 'model-rejected', peer_id: peer.nodeId, expected: offer.sha256, actual: digest.sha256 });
      throw new Error(`the fetched file's sha256 ${digest.sha256} is not the advertised ${offer.sha256}`);
    }
    await rename(part, modelPath);
    await rm(meta, { force: true });
    this.#status = { ...transferFrom(file, 'done', peer, offer), eta_seconds: 0 };
    logger.log('info', 'model fetched from a peer', { event: 'model-transfer-done', peer_id: peer.nodeId, file, bytes: offer.size, sha256: offer.sha256, resumed_bytes: resumedBytes });
  }

  /** Opens the partial file, starting it anew when it is of another file (or there is none). */
  async #openPart(part: string, meta: string, offer: Offer): Promise<FileHandle> {
    const wanted: PartMeta = { sha256: offer.sha256, size: offer.size, chunkBytes: offer.chunkBytes };
    let previous: PartMeta | undefined;
    try {
      previous = JSON.parse(await readFile(meta, 'utf8')) as PartMeta;
    } catch {
      previous = undefined;
    }
    const same = previous?.sha256 === wanted.sha256 && previous.size === wanted.size && previous.chunkBytes === wanted.chunkBytes;
    if (!same) {
      await rm(part, { force: true });
      await writeFile(meta, JSON.stringify(wanted));
    }
    return open(part, same && (await stat(part).catch(() => undefined)) !== undefined ? 'r+' : 'w+');
  }

  /** Bytes of the partial file that hold verified whole chunks; cut there (a torn or corrupt chunk is fetched again). */
  async #verifiedPrefix(handle: FileHandle, offer: Offer, whole: WholeFileHash): Promise<number> {
    const { size } = await handle.stat();
    let good = 0;
    for (let index = 0; index < offer.chunkSha256.length; index += 1) {
      const { offset, length } = chunkExtent(offer, index);
      if (offset + length > size) break;
      // A buffer per chunk: a good one goes on to the hash thread.
      const chunk = await checkedChunkOnDisk(handle, offer, index, Buffer.allocUnsafeSlow(length));
      if (chunk === undefined) {
        this.#config.logger.log('warn', 'partial model chunk on disk does not match; fetching it again', { event: 'model-chunk-rejected', index, source: 'disk' });
        this.#suspectChunks.add(index);
        break;
      }
      await whole.update([chunk]);
      good = offset + length;
    }
    if (good < size) await handle.truncate(good);
    return good;
  }

  /**
   * After a whole-file mismatch: checks every chunk of the partial file against its advertised
   * sha256, fetches the bad ones again (verified) into place, and returns the sha256 of the file
   * as it then is, hashed in the same pass. Undefined when no chunk was bad: then the offer's
   * whole sha256 is not that of its own chunks, and the file is rejected.
   */
  async #repairChunks(part: string, peer: ModelPeer, channel: PeerChannel, offer: Offer, file: string, signal: AbortSignal): Promise<string | undefined> {
    const handle = await open(part, 'r+');
    try {
      const whole = createHash('sha256');
      const buffer = Buffer.allocUnsafe(offer.chunkBytes);
      let repaired = 0;
      for (let index = 0; index < offer.chunkSha256.length; index += 1) {
        const onDisk = await checkedChunkOnDisk(handle, offer, index, buffer);
        if (onDisk !== undefined) {
          whole.update(onDisk);
          continue;
        }
        this.#config.logger.log('warn', 'model chunk rejected: it does not match the advertised sha256; fetching it again', { event: 'model-chunk-rejected', source: 'peer', peer_id: peer.nodeId, index, attempt: 1 });
        this.#suspectChunks.add(index);
        const data = await this.#chunk(channel, peer, offer, index, file, signal, true);
        await writeAll(handle, data, chunkExtent(offer, index).offset);
        for (const piece of data) whole.update(piece);
        repaired += 1;
      }
      if (repaired === 0) return undefined;
      await handle.sync();
      return whole.digest('hex');
    } finally {
      await handle.close();
    }
  }

  /**
   * Chunk `index` as the pieces it was opened in, of the advertised length; with `verify`, also
   * checked against its advertised sha256 (hashed as it is decrypted). The transfer's first pass
   * does not verify: the whole file's sha256 covers every chunk, and a second hash of every byte
   * on the receiving thread cost a quarter of the transfer's speed. Chunks fetched again do.
   */
  async #chunk(channel: PeerChannel, peer: ModelPeer, offer: Offer, index: number, file: string, signal: AbortSignal, verify: boolean): Promise<readonly Buffer[]> {
    const expected = chunkExtent(offer, index).length;
    for (let attempt = 1; ; attempt += 1) {
      const request = { type: 'model-chunk', file, sha256: offer.sha256, index };
      // The chunk's bytes are hashed as they are decrypted, after the chunk header.
      const answer = await channel.requestPieces(request, verify ? { signal, sha256From: CHUNK_HEADER_BYTES } : { signal });
      const response = decodeChunkPieces(answer.plaintext);
      if ('type' in response) throw new Error(`${peer.name ?? peer.nodeId} refused chunk ${index}: ${response.message}`);
      const { data } = response;
      if (response.index === index && response.bytes === expected && (!verify || answer.sha256 === offer.chunkSha256[index])) return data;
      this.#config.logger.log('warn', 'model chunk rejected: it does not match the advertised sha256; fetching it again', { event: 'model-chunk-rejected', source: 'peer', peer_id: peer.nodeId, index, attempt });
      if (attempt >= MAX_CHUNK_ATTEMPTS) throw new Error(`chunk ${index} from ${peer.name ?? peer.nodeId} failed its sha256 check ${attempt} times`);
      await sleep(500 * attempt, signal);
      signal.throwIfAborted();
    }
  }
}
