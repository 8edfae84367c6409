import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './request-scope.js';

/** One finished request, as the console's Activity view lists it (never a prompt or a body). */
export interface RecentRequest {
  readonly requestId: string;
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  readonly status: number;
  /** A stream's end: `completed`, `error` or `client-disconnected`; undefined for other responses. */
  readonly outcome: string | undefined;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly promptTokens: number | undefined;
  readonly completionTokens: number | undefined;
  readonly cachedTokens: number | undefined;
  /** `console` for the console's own requests (it sends `X-Trosyn-Client: console`). */
  readonly client: 'console' | undefined;
}

/** Options of {@link RecentRequests.list}. */
export interface RecentRequestsListOptions {
  readonly limit: number;
  /** Include the console's own requests (its polling would otherwise crowd out the rest). */
  readonly includeConsole: boolean;
}

/**
 * The last `capacity` finished requests of the node, newest first: a fixed ring, so memory stays
 * bounded however busy the node is.
 */
export class RecentRequests {
  readonly #capacity: number;
  readonly #ring: RecentRequest[] = [];
  #next = 0;

  constructor(capacity = 500) {
    this.#capacity = capacity;
  }

  /** Records a finished request, dropping the oldest when full. */
  record(request: RecentRequest): void {
    if (this.#ring.length < this.#capacity) this.#ring.push(request);
    else this.#ring[this.#next] = request;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** The most recent requests first. */
  list(options: RecentRequestsListOptions): RecentRequest[] {
    const newestFirst: RecentRequest[] = [];
    for (let offset = 1; offset <= this.#ring.length && newestFirst.length < options.limit; offset++) {
      const request = this.#ring[(this.#next - offset + this.#ring.length) % this.#ring.length]!;
      if (options.includeConsole || request.client !== 'console') newestFirst.push(request);
    }
    return newestFirst;
  }
}

/**
 * Middleware (after `requestScope`): records each request in `recent` once its response, or its
 * stream, has ended, with the status, outcome and token usage the routes left in the scope.
 */
export function recordRecentRequests(recent: RecentRequests): MiddlewareHandler<AppEnv> {
  return async function recordRecentRequestsMiddleware(c, next) {
    // The console's page and scripts are not the node's activity.
    if (c.req.path === '/console' || c.req.path.startsWith('/console/')) {
      await next();
      return;
    }
    const startedAt = new Date();
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = c.res.status;
      const scope = c.get('scope');
      void scope.ended.then(() => {
        const usage = scope.usage;
        recent.record({
          requestId: c.get('requestId'),
          method: c.req.method,
          path: c.req.path,
          status,
          outcome: scope.outcome,
          startedAt,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          promptTokens: usage?.promptTokens,
          completionTokens: usage?.completionTokens,
          cachedTokens: usage?.cachedPromptTokens,
          client: c.req.header('x-trosyn-client') === 'console' ? 'console' : undefined,
        });
      });
    }
  };
}
