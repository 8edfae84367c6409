import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';
import { invalidRequest } from './errors.js';
import type { ChatMessage, ToolCall } from './types.js';

/**
 * Turns OpenAI-style messages into node-llama-cpp's chat history.
 *
 * Tool results are attached to the assistant's function calls they answer (matched by
 * `toolCallId`), which is how node-llama-cpp feeds them back to the model: the chat wrapper
 * renders each call followed by its result. The history always ends with a model item: a
 * fresh empty one after a user/system message, or the last assistant message itself, which the
 * model then continues (after tool results, that is the answer that uses them).
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidRequest('messages', 'messages must be a non-empty array.');
  }
  const history: ChatHistoryItem[] = [];
  // Calls of the latest assistant message, by id, waiting for their tool results.
  let openCalls = new Map<string, ChatModelFunctionCall>();
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text: requireString(message.content, `${param}.content`) });
        openCalls = new Map();
        break;
      case 'user':
        history.push({ type: 'user', text: requireString(message.content, `${param}.content`) });
        openCalls = new Map();
        break;
      case 'assistant': {
        const response: ChatModelResponse['response'] = [];
        if (message.content !== null && message.content !== undefined) {
          response.push(requireString(message.content, `${param}.content`));
        }
        openCalls = new Map();
        const calls: readonly ToolCall[] = message.toolCalls ?? [];
        calls.forEach((call, callIndex) => {
          const callParam = `${param}.toolCalls[${callIndex}]`;
          const functionCall: ChatModelFunctionCall = {
            type: 'functionCall',
            name: requireString(call.name, `${callParam}.name`),
            params: parseArguments(call.arguments, `${callParam}.arguments`),
            result: null,
            startsNewChunk: callIndex === 0,
          };
          response.push(functionCall);
          openCalls.set(requireString(call.id, `${callParam}.id`), functionCall);
        });
        history.push({ type: 'model', response });
        break;
      }
      case 'tool': {
        const call = openCalls.get(message.toolCallId);
        if (call === undefined) {
          throw invalidRequest(
            `${param}.toolCallId`,
            `${param} answers tool call "${String(message.toolCallId)}", which the preceding assistant message did not make.`,
          );
        }
        call.result = parseResult(requireString(message.content, `${param}.content`));
        break;
      }
      default:
        throw invalidRequest(`${param}.role`, `${param} has unknown role "${String((message as { role: unknown }).role)}".`);
    }
  });
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalidRequest(param, `${param} must be a string.`);
  return value;
}

function parseArguments(text: unknown, param: string): unknown {
  const source = requireString(text, param);
  if (source.trim() === '') return {};
  try {
    return JSON.parse(source) as unknown;
  } catch {
    throw invalidRequest(param, `${param} must be JSON text.`);
  }
}

// A tool result is usually JSON; when it is not, the model sees the text as is.
function parseResult(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
