import type { ChatDelta } from '../engine.js';
import type { ResponseMeta } from './response-meta.js';
import { toOpenAiUsage } from './usage.js';

/** Size of the pieces a tool call's JSON arguments are streamed in, like OpenAI's per-token pieces. */
const ARGUMENT_PIECE_LENGTH = 24;

/**
 * Turns the engine's chat deltas into OpenAI `chat.completion.chunk` objects: a first chunk with
 * the role, one chunk per text delta, tool calls as OpenAI streams them (a chunk with index, id,
 * type and name, then the arguments in pieces), a final chunk with `finish_reason`, and — only
 * with `include_usage` — a chunk with empty `choices` and the usage. Stateful: one per stream.
 */
export class ChatChunkEncoder {
  readonly #meta: ResponseMeta;
  readonly #includeUsage: boolean;
  #started = false;

  constructor(meta: ResponseMeta, includeUsage: boolean) {
    this.#meta = meta;
    this.#includeUsage = includeUsage;
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
        if (delta.text !== '') chunks.push(this.#chunk({ content: delta.text }));
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
        if (this.#includeUsage) chunks.push({ ...this.#base(), choices: [], usage: toOpenAiUsage(delta.usage) });
        break;
    }
    return chunks;
  }

  #base(): Record<string, unknown> {
    const meta = this.#meta;
    return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: meta.systemFingerprint };
  }

  #chunk(delta: object, finishReason: string | null = null): object {
    return {
      ...this.#base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      // OpenAI sends `usage: null` on every chunk but the last when usage was requested.
      ...(this.#includeUsage ? { usage: null } : {}),
    };
  }
}
