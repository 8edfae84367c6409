const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string): object => ({ 'application/json': { schema: ref(schema) } });
const adminSecurity = [{ adminKey: [] }, {}];
const adminErrors = {
  '401': { description: '`TROSYN_ADMIN_KEY` is set and the request has none or a wrong one.', content: json('ErrorResponse') },
  '403': {
    description: 'The client key (`admin_key_required`), or no admin key is set and the request is not from this machine (`admin_loopback_only`).',
    content: json('ErrorResponse'),
  },
};

/** The admin routes' security scheme (`Authorization: Bearer <TROSYN_ADMIN_KEY>`). */
export const adminSecurityScheme = {
  type: 'http',
  scheme: 'bearer',
  description: '`TROSYN_ADMIN_KEY`. Without one configured, admin routes answer requests from this machine only.',
} as const;

/** `GET /api/v1/admin/node`. */
export const adminNodeSchema = {
  type: 'object',
  title: 'AdminNode',
  required: ['object', 'node_id', 'node_name', 'version', 'started_at', 'model', 'access'],
  properties: {
    object: { const: 'node' },
    node_id: { type: ['string', 'null'] },
    node_name: { type: ['string', 'null'] },
    version: { type: 'string' },
    started_at: { type: 'string', format: 'date-time' },
    model: {
      type: 'object',
      required: ['status', 'path', 'chat_format'],
      properties: {
        status: { type: 'string', enum: ['loaded', 'loading', 'missing', 'error'] },
        path: { type: 'string' },
        chat_format: { type: ['string', 'null'], description: 'The chat wrapper in use (e.g. `JinjaTemplate`), once loaded.' },
      },
    },
    access: {
      type: 'object',
      required: ['admin_key_configured', 'api_key_configured'],
      properties: { admin_key_configured: { type: 'boolean' }, api_key_configured: { type: 'boolean' } },
    },
  },
} as const;

const nullableInteger = { type: ['integer', 'null'] };

/** `GET /api/v1/admin/requests`. */
export const recentRequestListSchema = {
  type: 'object',
  title: 'RecentRequestList',
  required: ['object', 'data'],
  properties: {
    object: { const: 'list' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['object', 'request_id', 'method', 'path', 'status', 'outcome', 'started_at', 'duration_ms', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'client'],
        properties: {
          object: { const: 'request' },
          request_id: { type: 'string' },
          method: { type: 'string' },
          path: { type: 'string', description: 'Without the query string.' },
          status: { type: 'integer' },
          outcome: { type: ['string', 'null'], description: 'Streams: `completed`, `error` or `client-disconnected`.' },
          started_at: { type: 'string', format: 'date-time' },
          duration_ms: { type: 'number' },
          prompt_tokens: nullableInteger,
          completion_tokens: nullableInteger,
          cached_tokens: nullableInteger,
          client: { enum: ['console', null] },
        },
      },
    },
  },
} as const;

/** The admin routes' paths, for the node's one OpenAPI document. */
export function adminPaths(): Record<string, object> {
  return {
    '/api/v1/admin/node': {
      get: {
        summary: 'This node, for its operator',
        description: 'What `/health` does not say: version, start time, the chat format, which keys are configured.',
        tags: ['Admin'],
        security: adminSecurity,
        responses: { '200': { description: 'The node.', content: json('AdminNode') }, ...adminErrors },
      },
    },
    '/api/v1/admin/requests': {
      get: {
        summary: 'Recent requests',
        description: 'The last 500 finished requests, newest first, with status, outcome and tokens (never a prompt or a body).',
        tags: ['Admin'],
        security: adminSecurity,
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          {
            name: 'include_console',
            in: 'query',
            required: false,
            schema: { type: 'boolean', default: false },
            description: "Also list the console's own reads (sent with `X-Trosyn-Client: console`).",
          },
        ],
        responses: { '200': { description: 'Newest first.', content: json('RecentRequestList') }, '400': { description: 'A bad `limit`.', content: json('ErrorResponse') }, ...adminErrors },
      },
    },
  };
}
