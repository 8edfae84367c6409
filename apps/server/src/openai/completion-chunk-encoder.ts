import type { CompletionDelta, Usage } from '../engine.js';
import { completionFinishReason } from './completion-response.js';
import { CompletionLogprobsBuilder } from './logprobs.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

/**
 * Turns the engine's completion deltas into streamed `text_completion` objects (the same shape
 * as the non-streamed response, as OpenAI streams them): one per text delta and a last one with
 * an empty text and the `finish_reason`, all with the choice's `index`. With `echo`, the prompt
 * is the first chunk. Stateful: one per choice of a stream. The usage chunk (only with
 * `include_usage`) covers every choice: {@link CompletionChunkEncoder.usageChunk}.
 */
export class CompletionChunkEncoder {
  readonly #meta: ResponseMeta;
  readonly #index: number;
  readonly #logprobs: CompletionLogprobsBuilder;
  #pendingEcho: string;

  constructor(meta: ResponseMeta, echoedPrompt: string, index = 0) {
    this.#meta = meta;
    this.#pendingEcho = echoedPrompt;
    this.#index = index;
    this.#logprobs = new CompletionLogprobsBuilder(echoedPrompt.length);
  }

  /** The last chunk of a stream with `include_usage`: empty `choices`, the usage of all choices. */
  usageChunk(usage: Usage): object {
    return { ...this.#base(), choices: [], usage: toOpenAiUsage(usage) };
  }

  /** The chunks for one delta, in order. */
  encode(delta: CompletionDelta): readonly object[] {
    const chunks: object[] = [];
    if (this.#pendingEcho !== '') {
      chunks.push(this.#chunk(this.#pendingEcho, null));
      this.#pendingEcho = '';
    }
    if (delta.type === 'text') {
      if (delta.text !== '') chunks.push(this.#chunk(delta.text, null, delta.logprobs === undefined ? null : this.#logprobs.next(delta.logprobs)));
    } else {
      chunks.push(this.#chunk('', completionFinishReason(delta.finishReason)));
    }
    return chunks;
  }

  #base(): Record<string, unknown> {
    const meta = this.#meta;
    return { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, system_fingerprint: meta.systemFingerprint };
  }

  #chunk(text: string, finishReason: string | null, logprobs: object | null = null): object {
    return { ...this.#base(), choices: [{ text, index: this.#index, logprobs, finish_reason: finishReason }] };
  }
}
