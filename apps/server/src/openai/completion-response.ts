import type { CompletionResult, FinishReason } from '../engine.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

/** Text completions have no tool calls; OpenAI's enum for them is `stop | length | content_filter`. */
export function completionFinishReason(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

/** Builds a non-streamed `text_completion` object, as OpenAI's `CreateCompletionResponse`. */
export function buildCompletion(meta: ResponseMeta, result: CompletionResult, echoedPrompt: string): object {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ text: echoedPrompt + result.text, index: 0, logprobs: null, finish_reason: completionFinishReason(result.finishReason) }],
    usage: toOpenAiUsage(result.usage),
    system_fingerprint: meta.systemFingerprint,
  };
}
