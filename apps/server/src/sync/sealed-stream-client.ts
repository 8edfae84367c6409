import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { LanSyncError } from './errors.js';
import { STREAM_LENGTH_BYTES } from './sealed-stream-route.js';
import { SEALED_FRAME_MEDIA_TYPE } from './sync-paths.js';

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
 * streams, never shared while one streams), without the sync requests' socket limit or timeout
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

  /** Closes every connection. */
  destroy(): void {
    this.#agent.destroy();
  }
}
