import type { TokenLogprob } from '../engine.js';

/** One token of OpenAI's chat `logprobs.content`. */
export interface ChatTokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: readonly number[];
  readonly top_logprobs: readonly { readonly token: string; readonly logprob: number; readonly bytes: readonly number[] }[];
}

/** OpenAI's chat `choices[].logprobs` for some tokens: `{content, refusal: null}`. */
export function toChatLogprobs(tokens: readonly TokenLogprob[]): { readonly content: readonly ChatTokenLogprob[]; readonly refusal: null } {
  return {
    content: tokens.map((entry) => ({
      token: entry.token,
      logprob: entry.logprob,
      bytes: entry.bytes,
      top_logprobs: entry.topLogprobs.map((top) => ({ token: top.token, logprob: top.logprob, bytes: top.bytes })),
    })),
    refusal: null,
  };
}

/** OpenAI's (legacy) completion `choices[].logprobs`. */
export interface CompletionLogprobs {
  readonly tokens: readonly string[];
  readonly token_logprobs: readonly number[];
  readonly top_logprobs: readonly Readonly<Record<string, number>>[];
  readonly text_offset: readonly number[];
}

/**
 * Builds the completion `logprobs` of a choice piece by piece (a stream's chunks, or the whole
 * text at once): `text_offset` counts characters from the start of the choice's text, echoed
 * prompt included. Stateful: one per choice.
 */
export class CompletionLogprobsBuilder {
  #offset: number;

  /** `startOffset`: characters before the first generated token (the echoed prompt). */
  constructor(startOffset: number) {
    this.#offset = startOffset;
  }

  /** The `logprobs` object of the next tokens. */
  next(tokens: readonly TokenLogprob[]): CompletionLogprobs {
    const text_offset: number[] = [];
    for (const entry of tokens) {
      text_offset.push(this.#offset);
      this.#offset += entry.token.length;
    }
    return {
      tokens: tokens.map((entry) => entry.token),
      token_logprobs: tokens.map((entry) => entry.logprob),
      // Alternatives whose texts coincide keep the likelier one (the first).
      top_logprobs: tokens.map((entry) => {
        const top: Record<string, number> = {};
        for (const alternative of entry.topLogprobs) if (!(alternative.token in top)) top[alternative.token] = alternative.logprob;
        return top;
      }),
      text_offset,
    };
  }
}
