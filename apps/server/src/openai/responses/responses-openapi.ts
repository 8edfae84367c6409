import { createResponseRequestSchema } from './create-response-schema.js';

/**
 * The Responses API's part of the node's OpenAPI document: paths and the schemas of what the
 * routes send (the subset of OpenAI's objects this server fills; the tests check real answers
 * against OpenAI's own pinned specification).
 */

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string): object => ({ 'application/json': { schema: ref(schema) } });
const security = [{ bearer: [] }, {}];

function errors(descriptions: Record<number, string>): Record<string, object> {
  return Object.fromEntries(Object.entries(descriptions).map(([status, description]) => [status, { description, content: json('ErrorResponse') }]));
}

const responseIdParameter = { name: 'response_id', in: 'path', required: true, schema: { type: 'string' }, description: 'A `resp_…` id.' };

/** A request Swagger UI pre-fills; it succeeds on any node with a model loaded. */
const createExample = { input: 'Tell me a story about a dog.', instructions: 'You tell short stories.', max_output_tokens: 48, temperature: 0 };

const outputText = {
  type: 'object',
  required: ['type', 'text', 'annotations', 'logprobs'],
  properties: { type: { type: 'string', enum: ['output_text', 'input_text'] }, text: { type: 'string' }, annotations: { type: 'array' }, logprobs: { type: 'array' } },
} as const;

const item = {
  type: 'object',
  title: 'ResponseItem',
  required: ['id', 'type', 'status'],
  description: 'A `message` (role and text `content`), a `function_call` (`call_id`, `name`, `arguments`) or a `function_call_output` (`call_id`, `output`).',
  properties: {
    id: { type: 'string', description: '`msg_…`, `fc_…` or `fco_…`; usable in an `item_reference`.' },
    type: { type: 'string', enum: ['message', 'function_call', 'function_call_output'] },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete'] },
    role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'] },
    content: { type: 'array', items: outputText },
    call_id: { type: 'string' },
    name: { type: 'string' },
    arguments: { type: 'string', description: 'JSON text.' },
    output: { type: 'string' },
  },
} as const;

const responseObject = {
  type: 'object',
  title: 'Response',
  required: ['id', 'object', 'created_at', 'status', 'error', 'incomplete_details', 'instructions', 'model', 'output', 'tools', 'tool_choice', 'parallel_tool_calls', 'metadata', 'temperature', 'top_p'],
  properties: {
    id: { type: 'string' },
    object: { type: 'string', enum: ['response'] },
    created_at: { type: 'integer', description: 'Unix seconds.' },
    completed_at: { type: ['integer', 'null'] },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete'], description: '`incomplete` when `max_output_tokens` (or the context) cut the answer.' },
    error: { type: 'null' },
    incomplete_details: { anyOf: [{ type: 'object', properties: { reason: { type: 'string', enum: ['max_output_tokens'] } } }, { type: 'null' }] },
    model: { type: 'string' },
    output: { type: 'array', items: ref('ResponseItem') },
    previous_response_id: { type: ['string', 'null'] },
    store: { type: 'boolean' },
    usage: {
      type: 'object',
      description: 'Absent while in progress.',
      properties: {
        input_tokens: { type: 'integer' },
        input_tokens_details: { type: 'object', properties: { cached_tokens: { type: 'integer' }, cache_write_tokens: { type: 'integer' } } },
        output_tokens: { type: 'integer' },
        output_tokens_details: { type: 'object', properties: { reasoning_tokens: { type: 'integer', enum: [0] } } },
        total_tokens: { type: 'integer' },
      },
    },
  },
  description: 'Also echoes the request settings: `instructions`, `max_output_tokens`, `temperature`, `top_p`, `text`, `tools`, `tool_choice`, `metadata`…',
} as const;

const itemList = {
  type: 'object',
  title: 'ResponseItemList',
  required: ['object', 'data', 'first_id', 'last_id', 'has_more'],
  properties: { object: { type: 'string', enum: ['list'] }, data: { type: 'array', items: ref('ResponseItem') }, first_id: { type: 'string' }, last_id: { type: 'string' }, has_more: { type: 'boolean' } },
} as const;

const deleted = {
  type: 'object',
  title: 'DeletedResponse',
  required: ['id', 'object', 'deleted'],
  properties: { id: { type: 'string' }, object: { type: 'string', enum: ['response'] }, deleted: { type: 'boolean', enum: [true] } },
} as const;

/** The schemas the Responses paths refer to. */
export const responsesSchemas = { CreateResponse: createResponseRequestSchema, Response: responseObject, ResponseItem: item, ResponseItemList: itemList, DeletedResponse: deleted };

/** The Responses API's paths. */
export function responsesPaths(): Record<string, object> {
  const notFound = { 404: 'No stored response with this id (never stored, `store: false`, or deleted).', 401: 'An API key is configured and the request has none or a wrong one.' };
  return {
    '/v1/responses': {
      post: {
        summary: 'Create a model response',
        description:
          'OpenAI\'s Responses API over the local model: text or message-item `input`, `instructions`, function tools, ' +
          '`text.format` (JSON / JSON schema), `previous_response_id`. With `stream: true`, server-sent events named after their ' +
          '`type`: `response.created`, `response.in_progress`, `response.output_item.added`, `response.content_part.added`, ' +
          '`response.output_text.delta`…, `response.output_text.done`, `response.content_part.done`, `response.output_item.done`, ' +
          'function calls with `response.function_call_arguments.delta`/`.done`, then `response.completed` or `response.incomplete`; ' +
          'a later failure is an `error` event. Stored responses replicate to every node of the office.',
        tags: ['OpenAI'],
        security,
        requestBody: { required: true, content: { 'application/json': { schema: ref('CreateResponse'), example: createExample } } },
        responses: {
          '200': { description: 'The `Response`, or with `stream: true` its events.', content: { 'application/json': { schema: ref('Response') }, 'text/event-stream': { schema: { type: 'string' } } } },
          ...errors({
            400: 'Invalid request or a field this server does not serve (`param` names it), `previous_response_not_found`, or `context_length_exceeded`.',
            401: 'An API key is configured and the request has none or a wrong one.',
            404: 'Unknown model (`model_not_found`).',
            413: 'Body larger than `TROSYN_BODY_LIMIT`.',
            503: 'No model loaded, model loading, queue full or shutting down.',
          }),
        },
      },
    },
    '/v1/responses/{response_id}': {
      get: {
        summary: 'Retrieve a stored response',
        tags: ['OpenAI'],
        security,
        parameters: [responseIdParameter],
        responses: { '200': { description: 'The stored response, as it was answered.', content: json('Response') }, ...errors(notFound) },
      },
      delete: {
        summary: 'Delete a stored response',
        description: 'Writes a tombstone that replicates: the response is gone on every node. Responses that continued it can no longer be continued.',
        tags: ['OpenAI'],
        security,
        parameters: [responseIdParameter],
        responses: { '200': { description: 'Deleted.', content: json('DeletedResponse') }, ...errors(notFound) },
      },
    },
    '/v1/responses/{response_id}/input_items': {
      get: {
        summary: 'List the input items of a stored response',
        tags: ['OpenAI'],
        security,
        parameters: [
          responseIdParameter,
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'order', in: 'query', required: false, schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' } },
          { name: 'after', in: 'query', required: false, schema: { type: 'string' }, description: 'An item id: list the items after it.' },
        ],
        responses: { '200': { description: 'One page of the items.', content: json('ResponseItemList') }, ...errors({ ...notFound, 400: 'Invalid `limit`, `order` or `after`.' }) },
      },
    },
  };
}
