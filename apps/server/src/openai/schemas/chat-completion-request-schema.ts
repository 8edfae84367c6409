import { samplingProperties } from './sampling-properties.js';

const contentPart = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', description: 'Only `text` (and `refusal` in assistant messages) is supported.' },
    text: { type: 'string' },
    refusal: { type: 'string' },
  },
} as const;

const toolCall = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['function'] },
    function: {
      type: 'object',
      required: ['name', 'arguments'],
      properties: { name: { type: 'string' }, arguments: { type: 'string' } },
    },
  },
} as const;

const message = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
    content: { anyOf: [{ type: 'string' }, { type: 'array', items: contentPart }, { type: 'null' }] },
    name: { type: 'string' },
    tool_calls: { type: ['array', 'null'], items: toolCall },
    tool_call_id: { type: 'string' },
  },
} as const;

const tool = {
  type: 'object',
  required: ['type', 'function'],
  properties: {
    type: { type: 'string', enum: ['function'] },
    function: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
        description: { type: 'string' },
        parameters: { type: 'object' },
        strict: { type: ['boolean', 'null'] },
      },
    },
  },
} as const;

const toolChoice = {
  anyOf: [
    { type: 'string', enum: ['none', 'auto', 'required'] },
    {
      type: 'object',
      required: ['type', 'function'],
      properties: {
        type: { type: 'string', enum: ['function'] },
        function: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      },
    },
    { type: 'null' },
  ],
} as const;

const responseFormat = {
  anyOf: [
    {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', enum: ['text', 'json_object'] } },
    },
    {
      type: 'object',
      required: ['type', 'json_schema'],
      properties: {
        type: { type: 'string', enum: ['json_schema'] },
        json_schema: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            description: { type: 'string' },
            schema: { type: 'object' },
            strict: { type: ['boolean', 'null'] },
          },
        },
      },
    },
    { type: 'null' },
  ],
  description: '`json_object` constrains the output to JSON; `json_schema` to the given schema (through a grammar).',
} as const;

/**
 * JSON Schema of a `POST /v1/chat/completions` body: validates requests and is embedded in
 * `/openapi.json`. Unknown fields are allowed (ignored), as OpenAI does.
 */
export const chatCompletionRequestSchema = {
  type: 'object',
  title: 'CreateChatCompletionRequest',
  required: ['messages'],
  properties: {
    messages: { type: 'array', minItems: 1, items: message, description: 'The conversation so far. Text content only.' },
    ...samplingProperties,
    max_completion_tokens: { type: ['integer', 'null'], minimum: 1, description: 'Preferred over `max_tokens` when both are set.' },
    response_format: responseFormat,
    tools: { type: ['array', 'null'], items: tool, maxItems: 128 },
    tool_choice: toolChoice,
    parallel_tool_calls: { type: ['boolean', 'null'] },
    logprobs: { type: ['boolean', 'null'], description: 'Return the log probability of each content token (`choices[].logprobs.content`), streamed too.' },
    top_logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 20, description: 'With `logprobs`: the most likely alternatives per token (0–20).' },
  },
} as const;
