import { samplingProperties } from '../schemas/sampling-properties.js';

// `type: [string, array]` with `items` rather than `anyOf`: a wrong field deep inside an item
// is then reported with its own path (`input[0].content[1].text`), not as a wrong `input`.
const contentPart = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' }, text: { type: 'string' }, refusal: { type: 'string' } },
} as const;

const inputItem = {
  type: 'object',
  properties: {
    type: { type: 'string', description: '`message` (the default), `function_call`, `function_call_output` or `item_reference`.' },
    id: { type: ['string', 'null'] },
    role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'] },
    content: { type: ['string', 'array'], items: contentPart, description: 'Text, or parts of type `input_text` (`output_text`, `refusal` in assistant messages).' },
    call_id: { type: ['string', 'null'] },
    name: { type: 'string' },
    arguments: { type: 'string' },
    output: { type: ['string', 'array'], items: contentPart },
    status: { type: ['string', 'null'] },
  },
} as const;

const textFormat = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['text', 'json_object', 'json_schema'] },
    name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
    description: { type: 'string' },
    schema: { type: 'object' },
    strict: { type: ['boolean', 'null'] },
  },
  description: '`json_object` constrains the output to JSON; `json_schema` (with `name` and `schema`) to the schema, through a grammar.',
} as const;

const tool = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', description: 'Only `function` tools: the model runs on this node, without hosted tools.' },
    name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
    description: { type: ['string', 'null'] },
    parameters: { type: ['object', 'null'] },
    strict: { type: ['boolean', 'null'] },
  },
} as const;

const toolChoice = {
  anyOf: [
    { type: 'string', enum: ['none', 'auto', 'required'] },
    { type: 'object', required: ['type'], properties: { type: { type: 'string' }, name: { type: 'string' } } },
    { type: 'null' },
  ],
} as const;

// Fields of OpenAI's `CreateResponse` that only some values of are served: the mapper refuses
// the others with a 400 naming the field, so they are typed here and checked there.
const partlySupported = {
  background: { type: ['boolean', 'null'], description: 'Only `false`: responses are generated while the request waits.' },
  include: { type: ['array', 'null'], items: { type: 'string' }, description: 'Only an empty list.' },
  reasoning: { type: ['object', 'null'], description: 'Only null or `{"effort": null}`: the models here do not reason separately.' },
  top_logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 20, description: 'Only 0.' },
  truncation: { type: ['string', 'null'], enum: ['auto', 'disabled', null], description: 'Only `disabled`: a conversation too long for the context is a 400.' },
  service_tier: { type: ['string', 'null'], description: 'Accepted and answered as `default`.' },
  conversation: { description: 'Not supported: use `previous_response_id`.' },
  prompt: { description: 'Not supported (prompt templates live in OpenAI\'s dashboard).' },
  context_management: { description: 'Not supported.' },
  moderation: { description: 'Only null.' },
} as const;

/**
 * JSON Schema of a `POST /v1/responses` body: validates requests and is embedded in
 * `/openapi.json`. Unlike the chat route, a field that is not part of OpenAI's `CreateResponse`
 * (nor one of the documented llama.cpp sampling extensions) is a 400 naming it, as OpenAI does.
 */
export const createResponseRequestSchema = {
  type: 'object',
  title: 'CreateResponse',
  additionalProperties: false,
  properties: {
    model: samplingProperties.model,
    input: {
      type: ['string', 'array'],
      items: inputItem,
      description: 'A user message as text, or a list of items: messages, `function_call`, `function_call_output`, `item_reference`.',
    },
    instructions: { type: ['string', 'null'], description: 'A system message placed first; not carried over by `previous_response_id`.' },
    previous_response_id: { type: ['string', 'null'], description: 'Continue the conversation of a stored response (from any node of the office).' },
    store: { type: ['boolean', 'null'], description: 'Store the response in the replicated data store (default true), for GET and `previous_response_id`.' },
    stream: { type: ['boolean', 'null'], description: 'Stream Responses events (`response.created` … `response.completed`) as server-sent events.' },
    stream_options: { type: ['object', 'null'], properties: { include_obfuscation: { type: 'boolean' } }, description: 'Accepted; no obfuscation is added.' },
    max_output_tokens: { type: ['integer', 'null'], minimum: 1, description: 'Upper bound of generated tokens; a cut answer has status `incomplete`.' },
    temperature: samplingProperties.temperature,
    top_p: samplingProperties.top_p,
    top_k: samplingProperties.top_k,
    min_p: samplingProperties.min_p,
    seed: samplingProperties.seed,
    stop: samplingProperties.stop,
    presence_penalty: samplingProperties.presence_penalty,
    frequency_penalty: samplingProperties.frequency_penalty,
    text: {
      type: ['object', 'null'],
      properties: { format: textFormat, verbosity: { type: ['string', 'null'], enum: ['low', 'medium', 'high', null], description: 'Only `medium`.' } },
    },
    tools: { type: ['array', 'null'], items: tool, maxItems: 128 },
    tool_choice: toolChoice,
    parallel_tool_calls: { type: ['boolean', 'null'] },
    max_tool_calls: { type: ['integer', 'null'], minimum: 1, description: 'Accepted and echoed: it bounds hosted tools, which this server has none of.' },
    metadata: { type: ['object', 'null'], additionalProperties: { type: 'string', maxLength: 512 }, maxProperties: 16, description: 'Echoed and stored with the response.' },
    user: { type: 'string', description: 'Echoed; not used.' },
    safety_identifier: { type: ['string', 'null'], maxLength: 64, description: 'Echoed; not used.' },
    prompt_cache_key: { type: ['string', 'null'], description: 'Echoed; the slot cache works without it.' },
    prompt_cache_retention: { type: ['string', 'null'], description: 'Accepted; not used.' },
    prompt_cache_options: { type: ['object', 'null'], description: 'Accepted; not used.' },
    ...partlySupported,
  },
} as const;
