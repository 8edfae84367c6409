const errorResponse = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };

/** `GET /metrics` in the node's one OpenAPI document (an admin route; Prometheus text, not JSON). */
export function metricsPaths(): Record<string, object> {
  return {
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        description:
          'Every metric of the node in the Prometheus text format 0.0.4: HTTP requests, generation requests, tokens and ' +
          'their timings, slots and queue, the model state, LAN sync rounds, changes, conflicts, handshakes and refusals, ' +
          'process memory and event-loop lag. The metrics are listed in the server README.',
        tags: ['Admin'],
        security: [{ adminKey: [] }, {}],
        responses: {
          '200': { description: 'The exposition.', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } } },
          '401': { description: '`TROSYN_ADMIN_KEY` is set and the request has none or a wrong one.', content: errorResponse },
          '403': { description: 'The client key (`admin_key_required`), or no admin key is set and the request is not from this machine (`admin_loopback_only`).', content: errorResponse },
          '404': { description: 'Metrics are off (`TROSYN_METRICS=false`).', content: errorResponse },
        },
      },
    },
  };
}
