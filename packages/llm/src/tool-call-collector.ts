import { randomUUID } from 'node:crypto';
import type { ToolCall } from './types.js';

/** One piece of a function call's parameters as node-llama-cpp streams it (`onFunctionCallParamsChunk`). */
export interface ParamsChunk {
  readonly callIndex: number;
  readonly functionName: string;
  readonly paramsChunk: string;
}

/** A call node-llama-cpp finished and parsed. */
export interface FinishedCall {
  readonly functionName: string;
  readonly params?: unknown;
}

/** A new OpenAI-style tool call id (`call_` and 24 hex digits). */
export function newToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/**
 * Collects the function calls of one generation, including one cut short by `maxTokens`.
 *
 * node-llama-cpp reports only finished calls in its result; a call that `maxTokens` cut is
 * dropped, and a forced call (`toolChoice: 'required'`) then vanished with all its tokens.
 * OpenAI returns what was generated (the partial arguments, finish reason `length`), so the
 * parameter chunks are kept as they stream and the calls are rebuilt from them.
 */
export class ToolCallCollector {
  readonly #chunks = new Map<number, { name: string; text: string }>();

  /** Records one streamed parameters chunk; pass it as `onFunctionCallParamsChunk`. */
  readonly onChunk = (chunk: ParamsChunk): void => {
    const call = this.#chunks.get(chunk.callIndex);
    if (call === undefined) this.#chunks.set(chunk.callIndex, { name: chunk.functionName, text: chunk.paramsChunk });
    else call.text += chunk.paramsChunk;
  };

  /**
   * The calls of the generation. Finished calls carry their parsed parameters re-serialised; when
   * the generation was cut (`cut`), calls past the finished ones carry their raw partial text.
   * `soleFunction` names the only callable function of a forced call: a call cut before its
   * parameters began is still that function's, with empty arguments.
   */
  calls(finished: readonly FinishedCall[] | undefined, cut: boolean, soleFunction: string | undefined): ToolCall[] {
    const calls: ToolCall[] = (finished ?? []).map((call) => ({
      id: newToolCallId(),
      name: call.functionName,
      arguments: JSON.stringify(call.params ?? {}),
    }));
    if (!cut) return calls;
    const partial = [...this.#chunks.entries()].filter(([index]) => index >= calls.length).sort(([a], [b]) => a - b);
    for (const [, call] of partial) calls.push({ id: newToolCallId(), name: call.name, arguments: call.text });
    if (calls.length === 0 && soleFunction !== undefined) calls.push({ id: newToolCallId(), name: soleFunction, arguments: '' });
    return calls;
  }
}
