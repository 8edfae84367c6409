import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { TokenLogprob } from './types.js';

/** Most alternatives per token (OpenAI's `top_logprobs` bound). */
export const MAX_TOP_LOGPROBS = 20;

/** OpenAI's value for a token the sampler had ruled out (probability 0): a finite stand-in for −∞. */
const RULED_OUT_LOGPROB = -9999;

/** Generated tokens kept as detokenizing context: enough for a leading space or a multi-byte character. */
const CONTEXT_TOKENS = 8;

interface Entry {
  readonly logprob: TokenLogprob;
  /** Where the token's text starts in the generated text. */
  readonly start: number;
}

type Evaluate = LlamaContextSequence['evaluate'];

/**
 * Records the log probability of each token a generation samples, and of the most likely
 * alternatives, from the probabilities llama.cpp's sampler computes (node-llama-cpp's
 * `evaluateWithMetadata`): the distribution the token was drawn from, after repetition
 * penalties, logit bias and, at temperature > 0, top-k / top-p / min-p and temperature.
 *
 * node-llama-cpp's `LlamaChat` and `LlamaCompletion` generate through `sequence.evaluate`; while
 * attached, the slot's sequence evaluates with metadata instead, so the engine's usual
 * generation path (chat templates, stop triggers, tools) is untouched. Tokens are matched to the
 * text by position: {@link TokenProbabilities.take} hands out the tokens that begin before a
 * given length of the generated text, each once.
 */
export class TokenProbabilities {
  readonly #model: LlamaModel;
  readonly #top: number;
  readonly #entries: Entry[] = [];
  readonly #generated: Token[] = [];
  #length = 0;
  #taken = 0;

  /** `top`: alternatives per token, 0–20. */
  constructor(model: LlamaModel, top: number) {
    this.#model = model;
    this.#top = Math.min(Math.max(0, Math.floor(top)), MAX_TOP_LOGPROBS);
  }

  /**
   * Makes `sequence` record probabilities until the returned function is called. The sequence
   * must belong to this generation alone (a slot) while attached.
   */
  attach(sequence: LlamaContextSequence): () => void {
    const record = (token: Token, probabilities: ReadonlyMap<Token, number>): void => this.#record(token, probabilities);
    const evaluate: Evaluate = async function* evaluateWithProbabilities(tokens, options) {
      const iterator = sequence.evaluateWithMetadata(tokens, { probabilities: true }, options);
      let input: Token | Token[] | undefined = undefined;
      try {
        for (;;) {
          const { value, done } = await iterator.next(input);
          if (done === true) return;
          record(value.token, value.probabilities);
          input = (yield value.token) ?? undefined;
        }
      } finally {
        await iterator.return();
      }
    };
    // An own property shadows the prototype's method; deleting it restores the method.
    Object.defineProperty(sequence, 'evaluate', { value: evaluate, configurable: true, writable: true });
    return () => {
      delete (sequence as { evaluate?: Evaluate }).evaluate;
    };
  }

  /** The recorded tokens that begin before `length` characters of generated text and were not taken yet. */
  take(length: number): readonly TokenLogprob[] {
    const taken: TokenLogprob[] = [];
    while (this.#taken < this.#entries.length && this.#entries[this.#taken]!.start < length) taken.push(this.#entries[this.#taken++]!.logprob);
    return taken;
  }

  #record(token: Token, probabilities: ReadonlyMap<Token, number>): void {
    const context = this.#generated.slice(-CONTEXT_TOKENS);
    const text = (candidate: Token): string => this.#model.detokenize([candidate], false, context);
    const entry = (candidate: Token, probability: number | undefined) => {
      const piece = text(candidate);
      return { token: piece, bytes: [...Buffer.from(piece, 'utf8')], logprob: toLogprob(probability) };
    };
    const top: TokenLogprob['topLogprobs'][number][] = [];
    // The map is sorted from the most to the least likely token.
    for (const [candidate, probability] of probabilities) {
      if (top.length >= this.#top) break;
      top.push(entry(candidate, probability));
    }
    const own = entry(token, probabilities.get(token));
    this.#entries.push({ logprob: { ...own, topLogprobs: top }, start: this.#length });
    this.#length += own.token.length;
    this.#generated.push(token);
  }
}

function toLogprob(probability: number | undefined): number {
  return probability === undefined || probability <= 0 ? RULED_OUT_LOGPROB : Math.log(probability);
}
