import { Hono } from 'hono';
import { ApiError } from '../errors.js';
import type { AppEnv } from '../request-scope.js';
import type { NodeMetrics } from './node-metrics.js';

/**
 * `GET /metrics`: the node's metrics in the Prometheus text format; `404` naming
 * `TROSYN_METRICS` when they are off. The app guards it as an admin route.
 */
export function metricsRoute(metrics: NodeMetrics | undefined): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/metrics', async (c) => {
    if (metrics === undefined) throw new ApiError('route-not-found', 'Metrics are off on this node (TROSYN_METRICS=false).');
    return c.body(await metrics.render(), 200, { 'content-type': metrics.contentType });
  });
}
