import type { CompletionDelta } from '../engine.js';
import { completionFinishReason } from './completion-response.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

/**
 * Turns the engine's completion deltas into streamed `text_completion` objects (the same shape
 * as the non-streamed response, as OpenAI streams them): one per text delta, a last one with an
 * empty text and the `finish_reason`, and with `include_usage` a chunk with empty `choices` and
 * the usage. With `echo`, the prompt is the first chunk. Stateful: one per stream.
 */
export class CompletionChunkEncoder {
  readonly #meta: ResponseMeta;
  readonly #includeUsage: boolean;
  #pendingEcho: string;

  constructor(meta: ResponseMeta, includeUsage: boolean, echoedPrompt: string) {
    this.#meta = meta;
    this.#includeUsage = includeUsage;
    this.#pendingEcho = echoedPrompt;
  }

  /** The chunks for one delta, in order. */
  encode(delta: CompletionDelta): readonly object[] {
    const chunks: object[] = [];
    if (this.#pendingEcho !== '') {
      chunks.push(this.#chunk(this.#pendingEcho, null));
      this.#pendingEcho = '';
    }
    if (delta.type === 'text') {
      if (delta.text !== '') chunks.push(this.#chunk(delta.text, null));
    } else {
      chunks.push(this.#chunk('', completionFinishReason(delta.finishReason)));
      if (this.#includeUsage) chunks.push({ ...this.#base(), choices: [], usage: toOpenAiUsage(delta.usage) });
    }
    return chunks;
  }

  #base(): Record<string, unknown> {
    const meta = this.#meta;
    return { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, system_fingerprint: meta.systemFingerprint };
  }

  #chunk(text: string, finishReason: string | null): object {
    return { ...this.#base(), choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }] };
  }
}
