import type { UpstreamSettings } from '../config.js';
import type { EngineBackend } from '../engine.js';
import type { Logger } from '../logger.js';
import { networkReason, unreachable, upstreamHttpError, UpstreamEngineError } from './upstream-error.js';

/** An answer whose headers arrived; `done()` ends the time limit and must be called when the body is read. */
export interface UpstreamResponse {
  readonly response: Response;
  /** Stops the wait-for-answer timer (a stream then runs under its own idle limit). */
  readonly done: () => void;
}

/**
 * HTTP to one upstream engine: authentication, the `LLM_UPSTREAM_TIMEOUT` limit, errors mapped
 * to the engine port's family, and whether the upstream is reachable (for `/health`), which
 * every request and probe updates and the log reports when it changes.
 */
export class UpstreamClient {
  readonly #settings: UpstreamSettings;
  readonly #logger: Logger;
  #status: 'up' | 'down' = 'up';
  #error: string | undefined;
  #checkedAt: Date | undefined;

  constructor(settings: UpstreamSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  get url(): string {
    return this.#settings.url;
  }

  get timeoutMs(): number {
    return this.#settings.timeoutMs;
  }

  /** Reachability as of the last request or probe. */
  backend(): EngineBackend {
    return { kind: 'upstream', url: this.#settings.url, status: this.#status, error: this.#error, checkedAt: this.#checkedAt };
  }

  /**
   * Sends `body` as JSON (POST) or nothing (GET) to `path` under the base URL. Resolves once the
   * headers of a 2xx arrived; throws {@link UpstreamEngineError} otherwise: `aborted` when
   * `signal` fired, `upstream-timeout`, `upstream-unavailable`, or the mapping of the upstream's
   * own error answer.
   */
  async send(path: string, body: object | undefined, signal: AbortSignal | undefined, timeoutMs = this.#settings.timeoutMs): Promise<UpstreamResponse> {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new Error('timeout')), timeoutMs);
    const done = (): void => clearTimeout(timeout);
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#settings.apiKey !== undefined) headers['authorization'] = `Bearer ${this.#settings.apiKey}`;
    let response: Response;
    try {
      response = await fetch(`${this.#settings.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal]),
      });
    } catch (error) {
      done();
      throw this.#failure(error, signal, timer.signal);
    }
    this.#mark('up', undefined);
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      done();
      throw upstreamHttpError(this.#settings.url, response.status, text);
    }
    return { response, done };
  }

  /** Reads a whole JSON answer under the same time limit as its headers. */
  async json(path: string, body: object | undefined, signal: AbortSignal | undefined, timeoutMs?: number): Promise<string> {
    const { response, done } = await this.send(path, body, signal, timeoutMs);
    try {
      return await response.text();
    } catch (error) {
      throw this.#failure(error, signal, undefined);
    } finally {
      done();
    }
  }

  /** The error for a failed fetch or body read, marking the upstream down when it is the network. */
  #failure(error: unknown, signal: AbortSignal | undefined, timer: AbortSignal | undefined): UpstreamEngineError {
    if (error instanceof UpstreamEngineError) return error;
    if (signal?.aborted === true) return new UpstreamEngineError('aborted', 'The request was aborted.', {}, error);
    if (timer?.aborted === true) {
      return new UpstreamEngineError('upstream-timeout', `The upstream engine at ${this.#settings.url} did not answer within ${this.#settings.timeoutMs / 1000} s (LLM_UPSTREAM_TIMEOUT).`, {}, error);
    }
    this.#mark('down', networkReason(error));
    return unreachable(this.#settings.url, error);
  }

  /** Records reachability seen from outside a request (the engine's periodic probe). */
  markDown(reason: string): void {
    this.#mark('down', reason);
  }

  /** Records that a probe reached the upstream. */
  markUp(): void {
    this.#mark('up', undefined);
  }

  #mark(status: 'up' | 'down', error: string | undefined): void {
    const changed = status !== this.#status;
    this.#status = status;
    this.#error = error;
    this.#checkedAt = new Date();
    if (!changed) return;
    if (status === 'down') this.#logger.log('warn', 'upstream down', { url: this.#settings.url, error });
    else this.#logger.log('info', 'upstream up', { url: this.#settings.url });
  }
}
