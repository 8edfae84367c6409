import type { ChatMessage, ToolCall } from '../../engine.js';
import { ApiError } from '../../errors.js';
import type { ResponseItem } from './response-wire-types.js';

type AssistantMessage = Extract<ChatMessage, { readonly role: 'assistant' }>;

/**
 * The chat messages the engine sees for a conversation: `instructions` first as a system
 * message, then the items in order. An assistant message followed by `function_call` items (or
 * function calls in a row) become one assistant message with tool calls, which is how chat
 * templates expect a turn that called tools; each `function_call_output` is a tool message.
 */
export function toChatMessages(instructions: string | null, items: readonly ResponseItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions === null ? [] : [{ role: 'system', content: instructions }];
  for (const item of items) {
    switch (item.type) {
      case 'message': {
        const text = item.content.map((part) => part.text).join('\n');
        messages.push(item.role === 'assistant' ? { role: 'assistant', content: text } : { role: item.role, content: text });
        break;
      }
      case 'function_call': {
        const call: ToolCall = { id: item.call_id, name: item.name, arguments: item.arguments };
        const last = messages.at(-1);
        if (last?.role === 'assistant') {
          const merged: AssistantMessage = { role: 'assistant', content: last.content, toolCalls: [...(last.toolCalls ?? []), call] };
          messages[messages.length - 1] = merged;
        } else {
          messages.push({ role: 'assistant', content: null, toolCalls: [call] });
        }
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', toolCallId: item.call_id, content: item.output });
        break;
    }
  }
  return messages;
}

/**
 * Checks that every `function_call_output` of this request's `input` answers a `function_call`
 * made before it (earlier in `input`, or in the stored conversation), so that a wrong `call_id`
 * is a 400 naming `input[i].call_id` rather than an error about the engine's messages.
 */
export function checkCallOutputs(previous: readonly ResponseItem[], input: readonly ResponseItem[]): void {
  const calls = new Set(previous.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : [])));
  for (const [index, item] of input.entries()) {
    if (item.type === 'function_call') calls.add(item.call_id);
    if (item.type === 'function_call_output' && !calls.has(item.call_id)) {
      throw new ApiError(
        'invalid-request',
        `No function_call with call_id '${item.call_id}' precedes 'input[${index}]' (in input or in the conversation of previous_response_id).`,
        { param: `input[${index}].call_id` },
      );
    }
  }
}
