import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RateLimiter, SealedFramePieces } from '@trosyn/crypto';
import type { Logger } from '../logger.js';
import { LanSyncError } from './errors.js';
import type { SealedAnswer } from './sealed-answer.js';
import { encodeRefusal, encodeStreamFrame, STREAM_FRAME_SEALED, StreamFrameReader, SYNC_STREAM_PATH, SYNC_STREAM_PROTOCOL, type StreamFrame } from './sync-stream.js';
import type { SyncRuntimeEventSink } from './sync-runtime-events.js';

/** Construction config of {@link SyncStreamServer}. */
export interface SyncStreamServerConfig {
  /** Answers one sealed request (the messages route's logic: authentication, limits, logging). */
  readonly answer: (frame: Uint8Array, address: string) => Promise<SealedAnswer>;
  readonly logger: Logger;
  /** An address that used up its failed authentications gets no stream either. */
  readonly failureLimiter: RateLimiter;
  /** Largest sealed request, bytes. */
  readonly maxMessageBytes: number;
  /** Open streams per address. Default 4 (a peer keeps one). */
  readonly maxStreamsPerAddress?: number;
  /** A stream with no traffic for this long is closed (the peer reopens one). Default 65 s. */
  readonly idleTimeoutMs?: number;
  /** Receives rate-limit refusals (metrics). */
  readonly onEvent?: SyncRuntimeEventSink;
}

// Frames read ahead of the one being answered before reading pauses.
const MAX_QUEUED_FRAMES = 16;

/**
 * The responder side of sync streams (see `sync-stream.ts`): accepts `GET /sync/v1/stream`
 * upgrades on the sync port and answers each sealed frame, in order, exactly as the messages
 * route would. A frame that fails authentication (tampered, replayed, wrong session) is refused,
 * counted against the address, and closes the stream; a malformed one (bad length or kind)
 * closes it too. Nothing from a refused frame is applied.
 */
export class SyncStreamServer {
  readonly #config: Required<SyncStreamServerConfig>;
  readonly #open = new Map<string, Set<Socket>>();

  constructor(config: SyncStreamServerConfig) {
    this.#config = { maxStreamsPerAddress: 4, idleTimeoutMs: 65_000, onEvent: () => undefined, ...config };
  }

  /** Handles an HTTP upgrade request of the sync port. */
  accept(request: IncomingMessage, duplex: Duplex, head: Buffer): void {
    const socket = duplex as Socket;
    const address = request.socket.remoteAddress ?? 'unknown';
    const upgrade = String(request.headers.upgrade ?? '').toLowerCase();
    if (request.method !== 'GET' || request.url !== SYNC_STREAM_PATH) return refuseUpgrade(socket, 404, 'route-not-found', `No sync upgrade at ${request.method} ${request.url}.`);
    if (upgrade !== SYNC_STREAM_PROTOCOL) return refuseUpgrade(socket, 400, 'unsupported-protocol', `The sync stream speaks ${SYNC_STREAM_PROTOCOL}, not ${JSON.stringify(upgrade)}.`);
    if (this.#config.failureLimiter.available(address) < 1) {
      this.#config.onEvent({ type: 'rate-limited', limit: 'failed-authentications' });
      return refuseUpgrade(socket, 429, 'rate-limited', `Too many failed authentications from ${address}; try again later.`);
    }
    const streams = this.#open.get(address) ?? new Set<Socket>();
    if (streams.size >= this.#config.maxStreamsPerAddress) {
      this.#config.logger.log('warn', 'sync stream refused', { event: 'sync-request-rejected', address, route: 'stream', code: 'too-many-streams', reason: `${streams.size} streams open` });
      this.#config.onEvent({ type: 'rate-limited', limit: 'streams' });
      return refuseUpgrade(socket, 429, 'too-many-streams', `${address} already has ${streams.size} sync streams open.`);
    }
    streams.add(socket);
    this.#open.set(address, streams);
    socket.once('close', () => {
      streams.delete(socket);
      if (streams.size === 0 && this.#open.get(address) === streams) this.#open.delete(address);
    });
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SYNC_STREAM_PROTOCOL}\r\n\r\n`);
    this.#serve(socket, address, head);
  }

  /** Closes every open stream (the server is stopping). */
  closeAll(): void {
    for (const streams of this.#open.values()) for (const socket of streams) socket.destroy();
    this.#open.clear();
  }

  #serve(socket: Socket, address: string, head: Buffer): void {
    const { logger } = this.#config;
    const reader = new StreamFrameReader(this.#config.maxMessageBytes);
    const queue: StreamFrame[] = [];
    let answering = false;
    // The HTTP server's sockets allow half-open connections: when the peer closes its side, this
    // side is closed too once the frames already received are answered (else the stream would
    // linger, and count against the address, until the idle timeout).
    let peerEnded = false;
    socket.on('end', () => {
      peerEnded = true;
      if (!answering && queue.length === 0) socket.end();
    });
    socket.setNoDelay(true);
    socket.setTimeout(this.#config.idleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy()); // a reset peer; nothing to answer
    const closeWith = (frame: Buffer): void => {
      queue.length = 0;
      socket.end(frame);
    };

    const answerQueued = async (): Promise<void> => {
      answering = true;
      try {
        while (queue.length > 0 && !socket.destroyed && socket.writable) {
          const frame = queue.shift()!;
          if (queue.length < MAX_QUEUED_FRAMES && socket.isPaused()) socket.resume();
          if (frame.kind !== STREAM_FRAME_SEALED) {
            logger.log('warn', 'sync request rejected', { event: 'sync-request-rejected', address, route: 'stream', code: 'malformed-frame', reason: `frame kind ${frame.kind}` });
            closeWith(encodeRefusal({ status: 400, code: 'malformed-frame', message: `A sync stream carries sealed frames (kind ${STREAM_FRAME_SEALED}), not kind ${frame.kind}.` }));
            return;
          }
          const answer = await this.#config.answer(frame.payload, address);
          if (socket.destroyed || !socket.writable) return; // the peer left while we answered
          if (answer.kind === 'sealed') writeSealed(socket, answer.body);
          else if (answer.countsAsFailure) closeWith(encodeRefusal(answer)); // a forgery or replay: no more from this stream
          else socket.write(encodeRefusal(answer));
        }
      } catch (error) {
        logger.log('error', 'sync server error', { event: 'sync-server-error', path: 'stream', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        closeWith(encodeRefusal({ status: 500, code: 'internal-error', message: 'The sync server had an internal error; it has been logged.' }));
      } finally {
        answering = false;
        if (peerEnded && queue.length === 0 && !socket.destroyed) socket.end();
      }
    };

    const receive = (chunk: Buffer): void => {
      let frames: StreamFrame[];
      try {
        frames = reader.push(chunk);
      } catch (error) {
        const reason = error instanceof LanSyncError ? error.message : String(error);
        logger.log('warn', 'sync request rejected', { event: 'sync-request-rejected', address, route: 'stream', code: 'malformed-frame', reason });
        socket.removeListener('data', receive);
        closeWith(encodeRefusal({ status: 413, code: 'malformed-frame', message: reason }));
        return;
      }
      if (frames.length === 0) return;
      queue.push(...frames);
      if (queue.length >= MAX_QUEUED_FRAMES) socket.pause();
      if (!answering) void answerQueued();
    };
    socket.on('data', receive);
    if (head.length > 0) receive(head);
  }
}

/** Writes a sealed answer as one stream frame, its pieces one after the other (one `writev`, no copy). */
function writeSealed(socket: Socket, { head, ciphertext }: SealedFramePieces): void {
  const frameHead = encodeStreamFrame(STREAM_FRAME_SEALED, head, ciphertext.length);
  socket.cork();
  socket.write(frameHead);
  if (ciphertext.length > 0) socket.write(ciphertext);
  socket.uncork();
}

/** Answers an upgrade request with an HTTP error (the usual JSON error body) and closes the connection. */
function refuseUpgrade(socket: Socket, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { message, type: 'sync_error', param: null, code } });
  const reason = status === 404 ? 'Not Found' : status === 429 ? 'Too Many Requests' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
