import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './request-scope.js';

/**
 * Middleware: puts `X-Request-Id` on responses a handler builds itself (the OpenAI streams, the
 * change feed). Hono's request-id middleware sets the header on the context, which only the
 * context's own helpers (`c.json`, `c.body`) copy; the SDKs read it from streamed answers too.
 */
export function requestIdOnEveryResponse(): MiddlewareHandler<AppEnv> {
  return async function requestIdHeader(c, next) {
    await next();
    if (!c.res.headers.has('x-request-id')) c.res.headers.set('x-request-id', c.get('requestId'));
  };
}
