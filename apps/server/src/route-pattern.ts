import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The pattern of the route that answered the request (`/api/v1/items/:id`), or undefined when
 * no route did (a 404). Middleware (`app.use`, method `ALL`) is not a route. Patterns, unlike
 * paths, are few, so they can label metrics.
 */
export function routePatternOf(c: Context): string | undefined {
  const routes = matchedRoutes(c);
  for (let index = routes.length - 1; index >= 0; index--) {
    const route = routes[index]!;
    // Without parameter constraints: `/v1/models/:id{.+}` → `/v1/models/:id`.
    if (route.method !== 'ALL') return route.path.replace(/(:\w+)\{[^/]*\}/g, '$1');
  }
  return undefined;
}
