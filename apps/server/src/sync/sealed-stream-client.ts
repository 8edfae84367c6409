import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { LanSyncError } from './errors.js';
import { STREAM_LENGTH_BYTES } from './sealed-stream-route.js';
import type { Session, StreamHold } from '@trosyn/crypto';
import { parseErrorBody, SESSION_EXPIRED_CODES } from './sync-http-client.js';
import { POOL_REQUEST_ASSOCIATED_DATA, SEALED_FRAME_MEDIA_TYPE, SEALED_STREAM_MEDIA_TYPE, streamFrameAssociatedData, SYNC_PATHS } from './sync-paths.js';

/** Options of {@link SealedStreamClient.exchange}. */
export interface ExchangeOptions {
  readonly signal: AbortSignal | undefined;
  /** Largest sealed frame accepted. */
  readonly maxFrameBytes: number;
  /** Whether an unknown or expired session may be answered with `renew` (once per request). */
  readonly mayRenew: boolean;
  /** Counts bytes sent and received. */
  readonly count: (sent: number, received: number) => void;
}

/**
 * The sealed frames of a streamed answer (`sealed-stream-route.ts`), each yielded as soon as it
 * is whole. A frame larger than `maxFrameBytes`, or a body cut inside a frame, is an error.
 */
export async function* readSealedStream(body: Readable, maxFrameBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= STREAM_LENGTH_BYTES) {
      const length = pending.readUInt32BE(0);
      if (length > maxFrameBytes) throw new LanSyncError('malformed-frame', `a streamed frame of ${length} bytes is larger than ${maxFrameBytes}`);
      if (pending.length < STREAM_LENGTH_BYTES + length) break;
      yield pending.subarray(STREAM_LENGTH_BYTES, STREAM_LENGTH_BYTES + length);
      pending = pending.subarray(STREAM_LENGTH_BYTES + length);
    }
  }
  if (pending.length > 0) throw new LanSyncError('unreachable', 'the streamed answer ended inside a frame');
}

/**
 * POSTs of streamed requests to one peer's sync port: a connection each (kept alive between
 * streams, never shared while one streams, so closing it aborts that stream alone), without the sync requests' socket limit or timeout
 * (a generation may stream for minutes). Over HTTPS the certificate is not verified: the
 * handshake authenticates the peer, as for sync.
 */
export class SealedStreamClient {
  readonly #url: URL;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(url: URL) {
    this.#url = url;
    const https = url.protocol === 'https:';
    this.#agent = https ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: false }) : new HttpAgent({ keepAlive: true });
    this.#request = https ? (httpsRequest as unknown as typeof httpRequest) : httpRequest;
  }

  /** Sends `frame` to `path`; resolves with the answer once its headers arrived. `signal` destroys the connection. */
  post(path: string, frame: Buffer, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = this.#request(new URL(path, this.#url), {
        method: 'POST',
        agent: this.#agent,
        headers: { 'content-type': SEALED_FRAME_MEDIA_TYPE, 'content-length': frame.length },
        ...(signal === undefined ? {} : { signal }),
      });
      request.on('error', (error) => reject(signal?.aborted === true ? signal.reason : new LanSyncError('unreachable', `${this.#url.origin}: ${error.message}`, { cause: error })));
      request.on('response', resolve);
      request.end(frame);
    });
  }

  /**
   * Sends `plaintext` sealed by `session` to `POST /sync/v1/pool/generate` and yields the opened
   * messages of the streamed answer, each checked against its request and position. Any number
   * of exchanges may run at once on one session, each on a connection of its own. Returns
   * `renew` when the peer refused the session as unknown or expired (nothing ran) and `mayRenew`,
   * else throws the refusal. Aborting `signal`, or returning early, closes the connection.
   */
  async *exchange(session: Session, plaintext: string, options: ExchangeOptions): AsyncGenerator<unknown, 'answered' | 'renew'> {
    // Taken while the session is live (the request itself is sealed under the session's expiry):
    // the answer may be read past it, for at most one session lifetime (see `holdForStream`).
    const hold = session.holdForStream(Number.POSITIVE_INFINITY);
    try {
      return yield* this.#exchangeHeld(session, hold, plaintext, options);
    } finally {
      hold.release();
    }
  }

  async *#exchangeHeld(session: Session, hold: StreamHold, plaintext: string, options: ExchangeOptions): AsyncGenerator<unknown, 'answered' | 'renew'> {
    const { signal } = options;
    const sequence = session.sealedCount;
    const frame = session.sealFrame(plaintext, POOL_REQUEST_ASSOCIATED_DATA);
    const response = await this.post(SYNC_PATHS.poolGenerate, frame, signal);
    options.count(frame.length, 0);
    if (!String(response.headers['content-type'] ?? '').startsWith(SEALED_STREAM_MEDIA_TYPE)) {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const remote = parseErrorBody(Buffer.concat(chunks));
      if (response.statusCode === 401 && remote !== undefined && SESSION_EXPIRED_CODES.has(remote.code) && options.mayRenew) return 'renew';
      throw new LanSyncError('http-status', `${this.#url.origin} answered ${response.statusCode}${remote === undefined ? '' : ` ${remote.code}: ${remote.message}`}`, {
        status: response.statusCode ?? 0,
        ...(remote === undefined ? {} : { remoteCode: remote.code }),
      });
    }
    let index = 0;
    try {
      for await (const sealed of readSealedStream(response, options.maxFrameBytes)) {
        options.count(0, sealed.length);
        // Opened by its position, not through the session's replay window: other streams of the
        // same session interleave with this one in any order (see `openFrameBoundTo`). Each
        // position is accepted once, as this loop reads it; through the hold, also past the
        // session's expiry.
        const opened = hold.openFrameBoundTo(sealed, streamFrameAssociatedData(sequence, index));
        index += 1;
        yield JSON.parse(opened.plaintext.toString('utf8')) as unknown;
      }
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      if (error instanceof LanSyncError || (error instanceof Error && error.name === 'CryptoError')) throw error;
      throw new LanSyncError('unreachable', `${this.#url.origin} cut the streamed answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      // Early return (the consumer stopped): closing the connection tells the peer to stop.
      if (!response.complete) response.destroy();
    }
    return 'answered';
  }

  /** Closes every connection. */
  destroy(): void {
    this.#agent.destroy();
  }
}
