import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../engine.js';
import { ApiError } from '../../errors.js';
import { mapGenerationOptions } from '../map-generation-options.js';
import type { CreateResponseBody, ResponseSettings, TextFormatBody, ToolBody } from './response-wire-types.js';

/** A Responses request mapped for the engine: everything but the messages. */
export interface MappedResponseRequest {
  readonly chat: Omit<ChatRequest, 'messages'>;
  /** What the response object echoes. */
  readonly settings: ResponseSettings;
}

function unsupported(param: string, message: string): ApiError {
  return new ApiError('invalid-request', message, { param, openaiCode: 'unsupported_parameter' });
}

// Fields of OpenAI's `CreateResponse` of which only the "off" values are served (see the schema).
function refuseUnsupported(body: CreateResponseBody): void {
  if (body.background === true) throw unsupported('background', "'background' is not supported: responses are generated while the request waits; send false or omit it.");
  if (body.include != null && body.include.length > 0) {
    throw unsupported('include', `Invalid value for 'include': ${JSON.stringify(body.include[0])} is not supported by this server; send an empty list or omit it.`);
  }
  if (body.reasoning != null && (body.reasoning.effort != null || body.reasoning.summary != null)) {
    throw unsupported('reasoning', "'reasoning' is not supported: the models on this node have no separate reasoning; omit it or send null.");
  }
  if (body.top_logprobs != null && body.top_logprobs > 0) throw unsupported('top_logprobs', "'top_logprobs' is not supported by /v1/responses on this server; send 0 or omit it.");
  if (body.truncation === 'auto') {
    throw unsupported('truncation', "Invalid value for 'truncation': 'auto' is not supported; a conversation longer than the context is a 400 (context_length_exceeded). Send 'disabled' or omit it.");
  }
  if (body.text?.verbosity != null && body.text.verbosity !== 'medium') {
    throw unsupported('text.verbosity', `Invalid value for 'text.verbosity': '${body.text.verbosity}' is not supported; send 'medium' or omit it.`);
  }
  for (const field of ['conversation', 'prompt', 'context_management', 'moderation'] as const) {
    if (body[field] != null) {
      const hint = field === 'conversation' ? ' Continue a conversation with previous_response_id instead.' : '';
      throw unsupported(field, `'${field}' is not supported by this server; omit it or send null.${hint}`);
    }
  }
}

function mapTools(tools: readonly ToolBody[]): { definitions: ToolDefinition[]; echoed: ResponseSettings['tools'] } {
  const definitions: ToolDefinition[] = [];
  const echoed: ResponseSettings['tools'][number][] = [];
  for (const [index, tool] of tools.entries()) {
    if (tool.type !== 'function') {
      throw new ApiError(
        'invalid-request',
        `Invalid value for 'tools[${index}].type': '${tool.type}' tools are not supported; this node serves 'function' tools only (no hosted tools).`,
        { param: `tools[${index}].type`, openaiCode: 'unsupported_value' },
      );
    }
    if (tool.name === undefined) {
      throw new ApiError('invalid-request', `Missing required parameter: 'tools[${index}].name'.`, { param: `tools[${index}].name`, openaiCode: 'missing_required_parameter' });
    }
    definitions.push({
      name: tool.name,
      ...(tool.description == null ? {} : { description: tool.description }),
      ...(tool.parameters == null ? {} : { parameters: tool.parameters }),
      ...(tool.strict === true ? { strict: true } : {}),
    });
    echoed.push({ type: 'function', name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? null });
  }
  return { definitions, echoed };
}

function mapToolChoice(choice: CreateResponseBody['tool_choice'], tools: readonly ToolDefinition[]): ResponseSettings['tool_choice'] {
  if (choice == null) return 'auto';
  if (typeof choice === 'string') {
    if (choice === 'required' && tools.length === 0) {
      throw new ApiError('invalid-request', "Invalid value for 'tool_choice': 'required' needs at least one tool in 'tools'.", { param: 'tool_choice' });
    }
    return choice;
  }
  if (choice.type !== 'function') {
    throw new ApiError('invalid-request', `Invalid value for 'tool_choice.type': '${choice.type}' is not supported; use 'none', 'auto', 'required' or a function.`, { param: 'tool_choice.type', openaiCode: 'unsupported_value' });
  }
  const name = choice.name;
  if (name === undefined) throw new ApiError('invalid-request', "Missing required parameter: 'tool_choice.name'.", { param: 'tool_choice.name', openaiCode: 'missing_required_parameter' });
  if (!tools.some((tool) => tool.name === name)) {
    throw new ApiError('invalid-request', `Invalid value for 'tool_choice': no function named '${name}' in 'tools'.`, { param: 'tool_choice.name' });
  }
  return { type: 'function', name };
}

function mapFormat(format: TextFormatBody | undefined): { responseFormat: ResponseFormat | undefined; echoed: TextFormatBody } {
  if (format === undefined || format.type === 'text') return { responseFormat: undefined, echoed: { type: 'text' } };
  if (format.type === 'json_object') return { responseFormat: { type: 'json_object' }, echoed: { type: 'json_object' } };
  if (format.name === undefined) {
    throw new ApiError('invalid-request', "Missing required parameter: 'text.format.name'.", { param: 'text.format.name', openaiCode: 'missing_required_parameter' });
  }
  // No schema: any JSON value, as for a schema-less `json_schema` on the chat route.
  const schema = format.schema ?? {};
  return {
    responseFormat: { type: 'json_schema', schema, name: format.name },
    echoed: { type: 'json_schema', name: format.name, schema, ...(format.description === undefined ? {} : { description: format.description }), strict: format.strict ?? null },
  };
}

/**
 * Maps a validated `POST /v1/responses` body to the engine's chat options (sampling, tools,
 * tool choice, JSON format) and to the settings the response echoes. The conversation itself
 * (`instructions`, `input`, `previous_response_id`) is assembled by the route. Throws
 * {@link ApiError} `invalid-request` naming the field for what this server does not serve.
 */
export function mapResponseRequest(body: CreateResponseBody): MappedResponseRequest {
  refuseUnsupported(body);
  const { temperature, top_p, top_k, min_p, seed, stop, presence_penalty, frequency_penalty } = body;
  const options = mapGenerationOptions({ temperature, top_p, top_k, min_p, seed, stop, presence_penalty, frequency_penalty }, body.max_output_tokens);
  const tools = mapTools(body.tools ?? []);
  const toolChoice = mapToolChoice(body.tool_choice, tools.definitions);
  const format = mapFormat(body.text?.format);
  const engineToolChoice: ToolChoice = typeof toolChoice === 'string' ? toolChoice : { name: toolChoice.name };
  const hasTools = tools.definitions.length > 0;
  return {
    chat: {
      ...options,
      ...(hasTools ? { tools: tools.definitions, toolChoice: engineToolChoice } : {}),
      ...(format.responseFormat === undefined ? {} : { responseFormat: format.responseFormat }),
    },
    settings: {
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      previous_response_id: body.previous_response_id ?? null,
      store: body.store ?? true,
      temperature: body.temperature ?? null,
      top_p: body.top_p ?? null,
      text: { format: format.echoed },
      tools: tools.echoed,
      tool_choice: toolChoice,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      metadata: body.metadata ?? {},
      ...(body.user === undefined ? {} : { user: body.user }),
      safety_identifier: body.safety_identifier ?? null,
      prompt_cache_key: body.prompt_cache_key ?? null,
      truncation: 'disabled',
      background: false,
      service_tier: 'default',
      reasoning: null,
      max_tool_calls: body.max_tool_calls ?? null,
    },
  };
}
