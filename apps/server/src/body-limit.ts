import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Middleware: refuses a request body larger than `maxBytes` by calling `onTooLarge` (which
 * throws the app's error) before any route reads it.
 *
 * A body announced by `Content-Length` is judged by the header alone: Node's HTTP parser never
 * hands a route more bytes than the header announces. Only a body without one (chunked, or a
 * `Request` built in-process as in `app.request()`) is counted while read, by Hono's
 * `bodyLimit`. Hono's middleware cannot be used for every request: it looks at
 * `c.req.raw.body`, which makes `@hono/node-server` build a full WHATWG `Request` and a web
 * stream around Node's request, GETs included — measured at 0.1–0.3 ms per request on the
 * reference machine, a tenth of a data-API write.
 */
export function limitRequestBody(maxBytes: number, onTooLarge: () => never): MiddlewareHandler {
  const counting = bodyLimit({ maxSize: maxBytes, onError: onTooLarge });
  return async function limitRequestBodyMiddleware(c, next) {
    if (c.req.header('transfer-encoding') === undefined) {
      const announced = c.req.header('content-length');
      if (announced !== undefined) {
        if (Number(announced) > maxBytes) onTooLarge();
        return next();
      }
      // HTTP/1.1: a request with neither header has no body (RFC 9112 §6.3).
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    }
    return counting(c, next);
  };
}
