import type { ChatResult, ToolCall } from '../engine.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

function toolCallsOf(calls: readonly ToolCall[]): readonly object[] {
  return calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

/** Builds a non-streamed `chat.completion` object, as OpenAI's `CreateChatCompletionResponse`. */
export function buildChatCompletion(meta: ResponseMeta, result: ChatResult): object {
  const message = {
    role: 'assistant',
    content: result.content,
    refusal: null,
    ...(result.toolCalls.length > 0 ? { tool_calls: toolCallsOf(result.toolCalls) } : {}),
    annotations: [],
  };
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: result.finishReason }],
    usage: toOpenAiUsage(result.usage),
    system_fingerprint: meta.systemFingerprint,
  };
}
