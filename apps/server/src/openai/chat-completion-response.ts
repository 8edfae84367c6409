import type { ChatResult, ToolCall, Usage } from '../engine.js';
import { toChatLogprobs } from './logprobs.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

function toolCallsOf(calls: readonly ToolCall[]): readonly object[] {
  return calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

function choiceOf(result: ChatResult, index: number): object {
  const message = {
    role: 'assistant',
    content: result.content,
    refusal: null,
    ...(result.toolCalls.length > 0 ? { tool_calls: toolCallsOf(result.toolCalls) } : {}),
    annotations: [],
  };
  return { index, message, logprobs: result.logprobs === undefined ? null : toChatLogprobs(result.logprobs), finish_reason: result.finishReason };
}

/**
 * Builds a non-streamed `chat.completion` object, as OpenAI's `CreateChatCompletionResponse`:
 * one choice per result (`n`), and the usage of them all.
 */
export function buildChatCompletion(meta: ResponseMeta, results: readonly ChatResult[], usage: Usage): object {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: results.map(choiceOf),
    usage: toOpenAiUsage(usage),
    system_fingerprint: meta.systemFingerprint,
  };
}
