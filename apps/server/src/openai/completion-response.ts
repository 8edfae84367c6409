import type { CompletionResult, FinishReason, Usage } from '../engine.js';
import { CompletionLogprobsBuilder } from './logprobs.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

/** Text completions have no tool calls; OpenAI's enum for them is `stop | length | content_filter`. */
export function completionFinishReason(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

/**
 * Builds a non-streamed `text_completion` object, as OpenAI's `CreateCompletionResponse`: one
 * choice per result in index order, `echoedPrompt(index)` before each text, the usage of all.
 */
export function buildCompletion(meta: ResponseMeta, results: readonly CompletionResult[], echoedPrompt: (index: number) => string, usage: Usage): object {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: results.map((result, index) => ({
      text: echoedPrompt(index) + result.text,
      index,
      logprobs: result.logprobs === undefined ? null : new CompletionLogprobsBuilder(echoedPrompt(index).length).next(result.logprobs),
      finish_reason: completionFinishReason(result.finishReason),
    })),
    usage: toOpenAiUsage(usage),
    system_fingerprint: meta.systemFingerprint,
  };
}
