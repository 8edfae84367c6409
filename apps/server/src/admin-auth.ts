import type { Context, MiddlewareHandler } from 'hono';
import { BearerKey, bearerToken } from './bearer-key.js';
import { ApiError } from './errors.js';
import { isLoopbackAddress } from './loopback-address.js';
import type { AppEnv } from './request-scope.js';

/** Options of {@link adminAuth}. */
export interface AdminAuthOptions {
  /** `TROSYN_ADMIN_KEY`; undefined: admin routes answer loopback clients only. */
  readonly adminKey: string | undefined;
  /** `TROSYN_API_KEY`, recognised only to tell its holder that it does not open admin routes. */
  readonly apiKey?: string | undefined;
}

// The peer of the TCP connection, when served by @hono/node-server (undefined in `app.request()`).
function remoteAddress(c: Context<AppEnv>): string | undefined {
  return c.env?.incoming?.socket.remoteAddress;
}

/**
 * Middleware guarding the operator's routes (`/metrics`, the console).
 *
 * - With an admin key: `Authorization: Bearer <TROSYN_ADMIN_KEY>` is required, from anywhere
 *   (`401` without it or with a wrong key; `403` for the client key `TROSYN_API_KEY`, which
 *   never opens admin routes).
 * - Without one: only requests from this machine pass (a loopback peer address and no
 *   `Forwarded` / `X-Forwarded-For` header, since a local reverse proxy would otherwise make
 *   the whole network look local); others get `403` saying how to open the route.
 *
 * @example
 * ```ts
 * app.use('/metrics', adminAuth({ adminKey: config.adminKey, apiKey: config.apiKey }));
 * ```
 */
export function adminAuth(options: AdminAuthOptions): MiddlewareHandler<AppEnv> {
  const adminKey = options.adminKey === undefined ? undefined : new BearerKey(options.adminKey);
  const apiKey = options.apiKey === undefined ? undefined : new BearerKey(options.apiKey);
  return async function adminAuthMiddleware(c, next) {
    if (adminKey === undefined) {
      const address = remoteAddress(c);
      const forwarded = c.req.header('forwarded') !== undefined || c.req.header('x-forwarded-for') !== undefined;
      if (address === undefined || !isLoopbackAddress(address) || forwarded) {
        throw new ApiError(
          'forbidden',
          `${c.req.path} is an admin route. No admin key is configured, so it answers requests from this machine only ` +
            '(127.0.0.1 or ::1, not forwarded by a proxy). Open it here, or set TROSYN_ADMIN_KEY on the server and send ' +
            "'Authorization: Bearer ADMIN_KEY'.",
          { openaiCode: 'admin_loopback_only' },
        );
      }
      await next();
      return;
    }
    const token = bearerToken(c.req.header('authorization'));
    if (token === undefined) {
      throw new ApiError('unauthorized', `${c.req.path} is an admin route: send the admin key in the Authorization header: 'Authorization: Bearer ADMIN_KEY' (TROSYN_ADMIN_KEY on the server).`, { openaiCode: 'missing_api_key' });
    }
    if (adminKey.matches(token)) {
      await next();
      return;
    }
    if (apiKey?.matches(token) === true) {
      throw new ApiError('forbidden', `${c.req.path} is an admin route: the client key (TROSYN_API_KEY) does not open it; use the admin key (TROSYN_ADMIN_KEY).`, { openaiCode: 'admin_key_required' });
    }
    throw new ApiError('unauthorized', 'Incorrect admin key provided. Use the key configured as TROSYN_ADMIN_KEY on this server.');
  };
}
