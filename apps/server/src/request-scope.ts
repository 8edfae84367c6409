import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { ActivityTracker } from './activity-tracker.js';
import type { Usage } from './engine.js';
import { ApiError } from './errors.js';
import type { Logger } from './logger.js';
import { routePatternOf } from './route-pattern.js';

/**
 * Per-request bookkeeping shared by the routes and the request-log middleware: the token usage
 * to log, and the end of a streamed response, which comes after the handler has returned.
 */
export class RequestScope {
  /** Token usage, set by the generation routes. */
  usage: Usage | undefined;
  /** Set by a route when the response is a stream; resolved when the stream has ended. */
  #streamEnd: Promise<void> | undefined;
  /** Outcome of a stream: `completed`, `error` or `client-disconnected`. */
  outcome: string | undefined;

  /** Marks the response as a stream; call the returned function when it ends. */
  deferEnd(): (outcome: string) => void {
    let resolve!: () => void;
    this.#streamEnd = new Promise((done) => (resolve = done));
    return (outcome) => {
      this.outcome ??= outcome;
      resolve();
    };
  }

  /** Resolves when the response is complete (immediately unless it is a stream). */
  get ended(): Promise<void> {
    return this.#streamEnd ?? Promise.resolve();
  }
}

/** Hono variables the app sets on every request. */
export interface AppVariables {
  readonly scope: RequestScope;
  /** Set by Hono's request-id middleware (also sent as `X-Request-Id`). */
  readonly requestId: string;
}

/** The app's Hono environment. */
export interface AppEnv {
  /** Node's request and response, when served by `@hono/node-server` (not in `app.request()`). */
  Bindings: Partial<HttpBindings> | undefined;
  Variables: AppVariables;
}

/** A request that is over (a stream: when its stream ended), as the request log writes it. */
export interface RequestEndEvent {
  readonly method: string;
  /** The pattern of the route that answered (`/api/v1/items/:id`); undefined when none did. */
  readonly route: string | undefined;
  readonly status: number;
  readonly durationMs: number;
  /** A stream's or generation's outcome (`completed`, `error`, `client-disconnected`), when set. */
  readonly outcome: string | undefined;
}

/** Options of {@link requestScope}. */
export interface RequestScopeOptions {
  readonly logger: Logger;
  readonly tracker: ActivityTracker;
  /** Called for every request that is over (metrics). */
  readonly onRequestEnd?: (event: RequestEndEvent) => void;
}

/**
 * Middleware: creates the {@link RequestScope}, counts the request in flight, refuses it while
 * draining, and writes one structured log line when the response (or its stream) is complete:
 * method, path, status, duration, tokens — never prompt text.
 */
export function requestScope(options: RequestScopeOptions): MiddlewareHandler<AppEnv> {
  return async function requestScopeMiddleware(c, next) {
    const started = performance.now();
    if (options.tracker.draining) {
      throw new ApiError('shutting-down', 'The server is shutting down; retry on another node or in a moment.', { retryAfterSeconds: 5 });
    }
    const end = options.tracker.begin();
    const scope = new RequestScope();
    c.set('scope', scope);
    try {
      await next();
    } finally {
      const status = c.res.status;
      void scope.ended.then(() => {
        end();
        const usage = scope.usage;
        const durationMs = performance.now() - started;
        options.onRequestEnd?.({ method: c.req.method, route: routePatternOf(c), status, durationMs, outcome: scope.outcome });
        options.logger.log('info', 'request', {
          method: c.req.method,
          path: c.req.path,
          status,
          duration_ms: Math.round(durationMs * 10) / 10,
          ...(usage === undefined ? {} : { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, cached_tokens: usage.cachedPromptTokens }),
          ...(scope.outcome === undefined ? {} : { outcome: scope.outcome }),
          request_id: c.get('requestId'),
        });
      });
    }
  };
}
