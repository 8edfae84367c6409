import type { ChatDelta, Usage } from '../engine.js';
import { toChatLogprobs } from './logprobs.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

/** Size of the pieces a tool call's JSON arguments are streamed in, like OpenAI's per-token pieces. */
const ARGUMENT_PIECE_LENGTH = 24;

/**
 * Turns the engine's chat deltas into OpenAI `chat.completion.chunk` objects: a first chunk with
 * the role, one chunk per text delta, tool calls as OpenAI streams them (a chunk with index, id,
 * type and name, then the arguments in pieces) and a final chunk with `finish_reason`, all with
 * the choice's `index`. Stateful: one per choice of a stream. The usage chunk (empty `choices`,
 * only with `include_usage`) covers every choice: {@link ChatChunkEncoder.usageChunk}.
 */
export class ChatChunkEncoder {
  readonly #meta: ResponseMeta;
  readonly #includeUsage: boolean;
  readonly #index: number;
  #started = false;

  constructor(meta: ResponseMeta, includeUsage: boolean, index = 0) {
    this.#meta = meta;
    this.#includeUsage = includeUsage;
    this.#index = index;
  }

  /** The last chunk of a stream with `include_usage`: empty `choices`, the usage of all choices. */
  usageChunk(usage: Usage): object {
    return { ...this.#base(), choices: [], usage: toOpenAiUsage(usage) };
  }

  /** The chunks for one delta, in order. */
  encode(delta: ChatDelta): readonly object[] {
    const chunks: object[] = [];
    if (!this.#started) {
      this.#started = true;
      chunks.push(this.#chunk({ role: 'assistant', content: '', refusal: null }));
    }
    switch (delta.type) {
      case 'text':
        if (delta.text !== '') chunks.push(this.#chunk({ content: delta.text }, null, delta.logprobs === undefined ? null : toChatLogprobs(delta.logprobs)));
        break;
      case 'tool-call': {
        chunks.push(this.#chunk({ tool_calls: [{ index: delta.index, id: delta.id, type: 'function', function: { name: delta.name, arguments: '' } }] }));
        for (let start = 0; start < delta.arguments.length; start += ARGUMENT_PIECE_LENGTH) {
          const piece = delta.arguments.slice(start, start + ARGUMENT_PIECE_LENGTH);
          chunks.push(this.#chunk({ tool_calls: [{ index: delta.index, function: { arguments: piece } }] }));
        }
        break;
      }
      case 'done':
        chunks.push(this.#chunk({}, delta.finishReason));
        break;
    }
    return chunks;
  }

  #base(): Record<string, unknown> {
    const meta = this.#meta;
    return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: meta.systemFingerprint };
  }

  #chunk(delta: object, finishReason: string | null = null, logprobs: object | null = null): object {
    return {
      ...this.#base(),
      choices: [{ index: this.#index, delta, logprobs, finish_reason: finishReason }],
      // OpenAI sends `usage: null` on every chunk but the last when usage was requested.
      ...(this.#includeUsage ? { usage: null } : {}),
    };
  }
}
