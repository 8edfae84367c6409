import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { LanSyncError } from './errors.js';
import {
  decodeRefusal,
  encodeStreamFrame,
  STREAM_FRAME_REFUSAL,
  STREAM_FRAME_SEALED,
  StreamFrameReader,
  SYNC_STREAM_PATH,
  SYNC_STREAM_PROTOCOL,
  type StreamFrameSink,
  type StreamRefusal,
} from './sync-stream.js';

/** The answer to one request on a sync stream (`streamed`: its sealed frame went to the request's sink). */
export type StreamAnswer =
  | { readonly kind: 'sealed'; readonly body: Buffer }
  | { readonly kind: 'streamed' }
  | { readonly kind: 'refused'; readonly refusal: StreamRefusal };

/** Options of {@link SyncStreamConnection.open}. */
export interface OpenSyncStreamOptions {
  /** Upgrade answered within this time, or `timeout`. */
  readonly timeoutMs: number;
  /** Largest accepted answer frame, bytes. */
  readonly maxFrameBytes: number;
}

interface Waiter {
  readonly sink: StreamFrameSink | undefined;
  resolve(answer: StreamAnswer): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The initiator side of a sync stream (see `sync-stream.ts`): one upgraded connection to a
 * peer's sync port. Requests are written to the socket at once and answered in order; a request
 * that times out closes the stream (answers behind it could no longer be matched), and every
 * request still waiting when the stream closes is rejected with `unreachable`.
 */
export class SyncStreamConnection {
  readonly #socket: Socket;
  readonly #reader: StreamFrameReader;
  readonly #waiting: Waiter[] = [];
  readonly #onClose = new Set<() => void>();
  #closed = false;

  private constructor(socket: Socket, head: Buffer, maxFrameBytes: number) {
    this.#socket = socket;
    this.#reader = new StreamFrameReader(maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => this.#fail(new LanSyncError('unreachable', `sync stream: ${error.message}`, { cause: error })));
    socket.on('close', () => this.#fail(new LanSyncError('unreachable', 'the peer closed the sync stream')));
    if (head.length > 0) this.#receive(head);
  }

  /**
   * Upgrades a new connection to `origin` (`http://host:port` or `https://…`; over HTTPS the
   * certificate is not verified: the sealed frames authenticate the peer). Rejects with
   * `http-status` when the peer does not offer streams.
   */
  static open(origin: URL, options: OpenSyncStreamOptions): Promise<SyncStreamConnection> {
    const https = origin.protocol === 'https:';
    const request = (https ? (httpsRequest as unknown as typeof httpRequest) : httpRequest)(new URL(SYNC_STREAM_PATH, origin), {
      method: 'GET',
      agent: false,
      headers: { connection: 'Upgrade', upgrade: SYNC_STREAM_PROTOCOL },
      timeout: options.timeoutMs,
      ...(https ? { rejectUnauthorized: false } : {}),
    });
    return new Promise((resolve, reject) => {
      request.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.setTimeout(0);
        if (response.statusCode !== 101 || String(response.headers.upgrade ?? '').toLowerCase() !== SYNC_STREAM_PROTOCOL) {
          socket.destroy();
          reject(new LanSyncError('http-status', `${origin.origin} answered the stream upgrade with ${response.statusCode}`, { status: response.statusCode ?? 0 }));
          return;
        }
        resolve(new SyncStreamConnection(socket, head, options.maxFrameBytes));
      });
      request.on('response', (response: IncomingMessage) => {
        response.resume();
        reject(new LanSyncError('http-status', `${origin.origin} does not offer sync streams (${response.statusCode})`, { status: response.statusCode ?? 0 }));
      });
      request.on('timeout', () => request.destroy(new LanSyncError('timeout', `${origin.origin} did not answer the stream upgrade within ${options.timeoutMs} ms`)));
      request.on('error', (error) => reject(error instanceof LanSyncError ? error : new LanSyncError('unreachable', `${origin.origin}: ${error.message}`, { cause: error })));
      request.end();
    });
  }

  /** Whether requests can still be sent. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Calls `listener` once the stream is closed. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#onClose.add(listener);
  }

  /**
   * Sends one sealed request frame and resolves with its answer. The frame is written to the
   * socket before this returns. With `timeoutMs`, a missing answer closes the stream. With
   * `sink`, a sealed answer goes to it piece by piece as it arrives (and resolves as `streamed`);
   * a refusal is still gathered.
   */
  request(sealed: Uint8Array, timeoutMs: number, sink?: StreamFrameSink): Promise<StreamAnswer> {
    if (this.#closed) return Promise.reject(new LanSyncError('unreachable', 'the sync stream is closed'));
    return new Promise<StreamAnswer>((resolve, reject) => {
      const waiter: Waiter = { sink, resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => this.#fail(new LanSyncError('timeout', `no answer on the sync stream within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.push(waiter);
      this.#socket.write(encodeStreamFrame(STREAM_FRAME_SEALED, sealed));
    });
  }

  /** Closes the stream; waiting requests reject with `closed`. Idempotent. */
  close(): void {
    this.#fail(new LanSyncError('closed', 'the sync stream was closed'));
  }

  #receive(chunk: Buffer): void {
    let frames;
    try {
      // The frame at `index` of this read answers the request at that place in the queue.
      frames = this.#reader.push(chunk, (kind, index) => (kind === STREAM_FRAME_SEALED ? this.#waiting[index]?.sink : undefined));
    } catch (error) {
      this.#fail(error);
      return;
    }
    for (const frame of frames) {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) {
        this.#fail(new LanSyncError('malformed-frame', 'the peer sent an answer nobody asked for'));
        return;
      }
      clearTimeout(waiter.timer);
      if (frame.streamed === true) waiter.resolve({ kind: 'streamed' });
      else if (frame.kind === STREAM_FRAME_SEALED) waiter.resolve({ kind: 'sealed', body: frame.payload });
      else {
        const refusal = frame.kind === STREAM_FRAME_REFUSAL ? decodeRefusal(frame.payload) : undefined;
        if (refusal === undefined) waiter.reject(new LanSyncError('malformed-frame', `the peer sent a stream frame of kind ${frame.kind}`));
        else waiter.resolve({ kind: 'refused', refusal });
      }
    }
  }

  #fail(error: unknown): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#socket.destroy();
      for (const listener of this.#onClose) listener();
      this.#onClose.clear();
    }
    for (const waiter of this.#waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
