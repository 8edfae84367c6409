import { Counter, Histogram, type Registry } from 'prom-client';
import type { RequestEndEvent } from '../request-scope.js';

// From a cached GET (sub-millisecond) to a long generation or a change feed that stayed open.
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * HTTP requests by method, route pattern and status, and their latency (a stream's until it
 * ended). Returns the listener of the app's request-end events.
 */
export function createHttpMetrics(registry: Registry): (event: RequestEndEvent) => void {
  const requests = new Counter({
    name: 'trosyn_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern ("unmatched" for a 404 without a route) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'trosyn_http_request_duration_seconds',
    help: 'Time from a request to the end of its response (of its stream, for server-sent events).',
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return function recordRequest(event) {
    const route = event.route ?? 'unmatched';
    requests.inc({ method: event.method, route, status: event.status });
    duration.observe({ method: event.method, route }, event.durationMs / 1000);
  };
}
