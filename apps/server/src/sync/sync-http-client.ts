import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { LanSyncError } from './errors.js';
import { SYNC_CLOCK_HEADER, SYNC_PATHS, SYNC_PORT_HEADER } from './sync-paths.js';

/** An HTTP answer of a peer's sync port, read whole (bounded). */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  /** The peer's clock when it answered (`x-trosyn-clock-ms`), if it sent it. */
  readonly peerClockMs: number | undefined;
  readonly body: Buffer;
}

/** Construction config of {@link SyncHttpClient}. */
export interface SyncHttpClientConfig {
  /** The peer's sync port, `http://host:port` or `https://host:port`. */
  readonly url: URL;
  /** Per HTTP request: no answer within this time rejects with `timeout`. */
  readonly timeoutMs: number;
  /** Largest accepted response body. */
  readonly maxResponseBytes: number;
  /** This node's own sync port, sent with handshake requests so the peer can sync back. */
  readonly localSyncPort: number | undefined;
}

/**
 * POSTs to one peer's sync port over kept-alive connections: bounded bodies, a timeout, abort,
 * one resend when a reused connection turns out closed, byte counts. Over HTTPS the certificate
 * is not verified: the handshake authenticates the peer.
 */
export class SyncHttpClient {
  readonly #config: SyncHttpClientConfig;
  readonly #url: URL;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  #bytesSent = 0;
  #bytesReceived = 0;

  constructor(config: SyncHttpClientConfig) {
    this.#config = config;
    this.#url = config.url;
    const https = this.#url.protocol === 'https:';
    // One connection is enough for a peer: a round is sequential, a live push rarely overlaps it.
    const agentOptions = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 4, maxFreeSockets: 2, scheduling: 'lifo' as const };
    this.#agent = https ? new HttpsAgent({ ...agentOptions, rejectUnauthorized: false }) : new HttpAgent(agentOptions);
    this.#request = https ? (httpsRequest as unknown as typeof httpRequest) : httpRequest;
  }

  /** The peer's sync URL (origin). */
  get url(): string {
    return this.#url.origin;
  }

  /** Bytes of request and response bodies so far. */
  get bytes(): { readonly sent: number; readonly received: number } {
    return { sent: this.#bytesSent, received: this.#bytesReceived };
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.#agent.destroy();
  }

  async post(path: string, body: Buffer, contentType: string, signal: AbortSignal | undefined): Promise<HttpAnswer> {
    try {
      return await this.#postOnce(path, body, contentType, signal);
    } catch (error) {
      // A kept-alive connection the peer closed meanwhile (it restarted, or its idle timeout hit):
      // the request never reached it, so sending it once more on a fresh connection is safe (Node's
      // documented pattern, `request.reusedSocket`). A duplicate would be refused as a replay anyway.
      if (!(error instanceof StaleConnectionError)) throw error;
      return this.#postOnce(path, body, contentType, signal);
    }
  }

  #postOnce(path: string, body: Buffer, contentType: string, signal: AbortSignal | undefined): Promise<HttpAnswer> {
    signal?.throwIfAborted();
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': body.length };
      if (path !== SYNC_PATHS.messages && this.#config.localSyncPort !== undefined) headers[SYNC_PORT_HEADER] = this.#config.localSyncPort;
      const request = this.#request(new URL(path, this.#url), { method: 'POST', agent: this.#agent, headers, timeout: this.#config.timeoutMs });
      const onAbort = (): void => {
        request.destroy();
        fail(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('timeout', () => {
        request.destroy();
        fail(new LanSyncError('timeout', `${this.url} did not answer ${path} within ${this.#config.timeoutMs} ms`));
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        fail(new (stale ? StaleConnectionError : LanSyncError)('unreachable', `${this.url}: ${error.message}`, { cause: error }));
      });
      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.#config.maxResponseBytes) {
            request.destroy();
            fail(new LanSyncError('malformed-frame', `${this.url} sent more than ${this.#config.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => fail(new LanSyncError('unreachable', `${this.url}: ${error.message}`, { cause: error })));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          this.#bytesReceived += size;
          const peerClock = Number(response.headers[SYNC_CLOCK_HEADER]);
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            peerClockMs: Number.isFinite(peerClock) && peerClock > 0 ? peerClock : undefined,
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
          });
        });
      });
      this.#bytesSent += body.length;
      request.end(body);
    });
  }
}

/** A reused keep-alive connection was closed by the peer before it answered. */
class StaleConnectionError extends LanSyncError {}

/** Refusal codes of a session the peer no longer knows: a new handshake and one retry mend them. */
export const SESSION_EXPIRED_CODES: ReadonlySet<string> = new Set(['unknown-session', 'session-expired', 'wrong-session']);

/** The JSON error body of a refusal (`{ error: { code, message } }`), if it is one. */
export function parseErrorBody(body: Buffer): { code: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') return { code: parsed.error.code, message: String(parsed.error.message ?? '') };
  } catch {
    // not JSON: the status alone says what happened
  }
  return undefined;
}

/** `promise`, rejected early with the signal's reason when it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
