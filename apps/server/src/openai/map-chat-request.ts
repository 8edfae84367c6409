import type { ChatMessage, ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../engine.js';
import { ApiError } from '../errors.js';
import { mapGenerationOptions } from './map-generation-options.js';
import type { ChatCompletionBody, ContentPartBody, MessageBody } from './wire-types.js';

function unsupportedPart(part: ContentPartBody, param: string): ApiError {
  return new ApiError(
    'invalid-request',
    `Invalid content part in '${param}': '${part.type}' parts are not supported; this server's models take text only (parts of type 'text').`,
    { param: `${param}.type`, openaiCode: 'unsupported_value' },
  );
}

// Text parts are joined with newlines, the way llama.cpp's server flattens them.
function textOf(content: MessageBody['content'], param: string, allowRefusal: boolean): string | null {
  if (content == null || typeof content === 'string') return content ?? null;
  return content
    .map((part, index) => {
      const partParam = `${param}[${index}]`;
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      if (allowRefusal && part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      if (part.type === 'text') throw new ApiError('invalid-request', `Missing required parameter: '${partParam}.text'.`, { param: `${partParam}.text`, openaiCode: 'missing_required_parameter' });
      throw unsupportedPart(part, partParam);
    })
    .join('\n');
}

function mapMessage(message: MessageBody, index: number): ChatMessage {
  const param = `messages[${index}]`;
  switch (message.role) {
    case 'assistant': {
      const content = textOf(message.content, `${param}.content`, true);
      const toolCalls = (message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
      if (content === null && toolCalls.length === 0) {
        throw new ApiError('invalid-request', `Invalid value for '${param}': an assistant message needs 'content' or 'tool_calls'.`, { param: `${param}.content`, openaiCode: 'missing_required_parameter' });
      }
      return toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content };
    }
    case 'tool': {
      if (message.tool_call_id === undefined) {
        throw new ApiError('invalid-request', `Missing required parameter: '${param}.tool_call_id'.`, { param: `${param}.tool_call_id`, openaiCode: 'missing_required_parameter' });
      }
      return { role: 'tool', toolCallId: message.tool_call_id, content: textOf(message.content, `${param}.content`, false) ?? '' };
    }
    default: {
      const content = textOf(message.content, `${param}.content`, false);
      if (content === null) throw new ApiError('invalid-request', `Missing required parameter: '${param}.content'.`, { param: `${param}.content`, openaiCode: 'missing_required_parameter' });
      return { role: message.role, content };
    }
  }
}

function mapResponseFormat(format: ChatCompletionBody['response_format']): ResponseFormat | undefined {
  if (format == null || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  // No schema: any JSON value, as OpenAI does for a schema-less `json_schema`.
  const schema = 'json_schema' in format ? (format.json_schema.schema ?? {}) : {};
  return 'json_schema' in format ? { type: 'json_schema', schema, name: format.json_schema.name } : undefined;
}

function mapToolChoice(body: ChatCompletionBody, tools: readonly ToolDefinition[]): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice == null) return undefined;
  if (typeof choice === 'string') {
    if (choice === 'required' && tools.length === 0) throw new ApiError('invalid-request', "Invalid value for 'tool_choice': 'required' needs at least one tool in 'tools'.", { param: 'tool_choice' });
    return choice;
  }
  if (!tools.some((tool) => tool.name === choice.function.name)) {
    throw new ApiError('invalid-request', `Invalid value for 'tool_choice': no function named '${choice.function.name}' in 'tools'.`, { param: 'tool_choice.function.name' });
  }
  return { name: choice.function.name };
}

/**
 * Maps a validated chat completion body to a `@trosyn/llm` chat request (without a signal).
 * Throws {@link ApiError} `invalid-request` for what the schema cannot express: non-text
 * content, `top_logprobs` without `logprobs`.
 */
export function mapChatRequest(body: ChatCompletionBody): ChatRequest {
  if (body.logprobs !== true && body.top_logprobs != null && body.top_logprobs > 0) {
    throw new ApiError('invalid-request', "Invalid value for 'top_logprobs': it needs 'logprobs': true.", { param: 'top_logprobs', openaiCode: 'invalid_value' });
  }
  const options = {
    ...mapGenerationOptions(body, body.max_completion_tokens ?? body.max_tokens),
    ...(body.logprobs === true ? { logprobs: body.top_logprobs ?? 0 } : {}),
  };
  const messages = body.messages.map(mapMessage);
  const tools: ToolDefinition[] = (body.tools ?? []).map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
    ...(tool.function.parameters === undefined ? {} : { parameters: tool.function.parameters }),
    ...(tool.function.strict === true ? { strict: true } : {}),
  }));
  const toolChoice = mapToolChoice(body, tools);
  const responseFormat = mapResponseFormat(body.response_format);
  return {
    ...options,
    messages,
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice === undefined || tools.length === 0 ? {} : { toolChoice }),
    ...(responseFormat === undefined ? {} : { responseFormat }),
  };
}
