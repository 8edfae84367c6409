import type { MiddlewareHandler } from 'hono';
import { BearerKey, bearerToken } from './bearer-key.js';
import { ApiError } from './errors.js';

/** Options of {@link apiKeyAuth}. */
export interface ApiKeyAuthOptions {
  /** `TROSYN_ADMIN_KEY`: the operator's key opens the client routes too (the console uses them). */
  readonly adminKey?: string | undefined;
}

/**
 * Middleware: requires `Authorization: Bearer <apiKey>` (what OpenAI clients send), or the admin
 * key when one is given. Keys are compared in constant time ({@link BearerKey}).
 */
export function apiKeyAuth(apiKey: string, options: ApiKeyAuthOptions = {}): MiddlewareHandler {
  const keys = [new BearerKey(apiKey), ...(options.adminKey === undefined ? [] : [new BearerKey(options.adminKey)])];
  return async function apiKeyAuthMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (token === undefined) {
      throw new ApiError('unauthorized', "You didn't provide an API key. Send it in the Authorization header: 'Authorization: Bearer YOUR_KEY' (the key is TROSYN_API_KEY on the server).", { openaiCode: 'missing_api_key' });
    }
    // Every key is compared, so the time taken does not tell which one matched.
    const matched = keys.map((key) => key.matches(token));
    if (!matched.includes(true)) {
      throw new ApiError('unauthorized', 'Incorrect API key provided. Use the key configured as TROSYN_API_KEY on this server.');
    }
    await next();
  };
}
