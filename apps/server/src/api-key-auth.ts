import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Middleware: requires `Authorization: Bearer <apiKey>` (what OpenAI clients send). The
 * comparison is constant-time over SHA-256 digests, so neither the key's content nor its length
 * leaks through timing.
 */
export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async function apiKeyAuthMiddleware(c, next) {
    const header = c.req.header('authorization');
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) {
      throw new ApiError('unauthorized', "You didn't provide an API key. Send it in the Authorization header: 'Authorization: Bearer YOUR_KEY' (the key is TROSYN_API_KEY on the server).", { openaiCode: 'missing_api_key' });
    }
    if (!timingSafeEqual(digest(match[1]!.trim()), expected)) {
      throw new ApiError('unauthorized', 'Incorrect API key provided. Use the key configured as TROSYN_API_KEY on this server.');
    }
    await next();
  };
}
