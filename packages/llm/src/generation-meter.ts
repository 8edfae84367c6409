import { isLlmError, type LlmErrorCode } from './errors.js';
import type { FinishReason, Usage } from './types.js';

/**
 * What one request to the engine came to, reported once it is over (the engine's `generation`
 * event). Times are milliseconds from the call that made the request.
 */
export interface GenerationEvent {
  readonly kind: 'completion' | 'chat';
  /** Whether the request was streamed (`streamComplete` / `streamChat`). */
  readonly streamed: boolean;
  /** `completed`, or the {@link LlmErrorCode} the request failed with (`aborted` for a consumer that left). */
  readonly outcome: 'completed' | LlmErrorCode;
  /** Set when completed. */
  readonly finishReason: FinishReason | undefined;
  /** Tokens of the rendered prompt; undefined when the request failed before its prompt was measured. */
  readonly promptTokens: number | undefined;
  /** Prompt tokens reused from the slot's KV cache; undefined as `promptTokens`. */
  readonly cachedPromptTokens: number | undefined;
  /** Tokens generated (also those of a generation that was aborted). */
  readonly completionTokens: number;
  /** Until the request had a slot (its wait in the queue); undefined when it never got one. */
  readonly queueMs: number | undefined;
  /** Until the first generated token: queue wait and prompt evaluation. Undefined without a token. */
  readonly timeToFirstTokenMs: number | undefined;
  /** Mean time between generated tokens after the first; undefined with fewer than two tokens. */
  readonly timePerOutputTokenMs: number | undefined;
  /** Until the request was over. */
  readonly durationMs: number;
}

/**
 * Times one request from the call to its end: the slot, the first and the last generated
 * token. The engine feeds it ({@link slotAcquired}, {@link onToken}) and turns it into a
 * {@link GenerationEvent} when the request settles. Pure: the clock is injected.
 */
export class GenerationMeter {
  readonly #kind: GenerationEvent['kind'];
  readonly #streamed: boolean;
  readonly #now: () => number;
  readonly #startedAt: number;
  #slotAt: number | undefined;
  #promptTokens: number | undefined;
  #firstTokenAt: number | undefined;
  #lastTokenAt: number | undefined;
  #tokens = 0;

  constructor(kind: GenerationEvent['kind'], streamed: boolean, now: () => number = () => performance.now()) {
    this.#kind = kind;
    this.#streamed = streamed;
    this.#now = now;
    this.#startedAt = now();
  }

  /** The request got a slot; its prompt has `promptTokens` tokens. */
  slotAcquired(promptTokens: number): void {
    this.#slotAt = this.#now();
    this.#promptTokens = promptTokens;
  }

  /** node-llama-cpp's `onToken`: tokens were generated. An arrow function, to pass as a callback. */
  readonly onToken = (tokens: readonly unknown[]): void => {
    if (tokens.length === 0) return;
    const now = this.#now();
    this.#firstTokenAt ??= now;
    this.#lastTokenAt = now;
    this.#tokens += tokens.length;
  };

  /** The event of a request that completed. */
  completed(finishReason: FinishReason, usage: Usage): GenerationEvent {
    return this.#event('completed', finishReason, usage);
  }

  /** The event of a request that failed with `error` (an `LlmError`; anything else counts as `generation-failed`). */
  failed(error: unknown): GenerationEvent {
    return this.#event(isLlmError(error) ? error.code : 'generation-failed', undefined, undefined);
  }

  #event(outcome: GenerationEvent['outcome'], finishReason: FinishReason | undefined, usage: Usage | undefined): GenerationEvent {
    const since = (at: number | undefined): number | undefined => (at === undefined ? undefined : at - this.#startedAt);
    const between = this.#tokens >= 2 ? (this.#lastTokenAt! - this.#firstTokenAt!) / (this.#tokens - 1) : undefined;
    return {
      kind: this.#kind,
      streamed: this.#streamed,
      outcome,
      finishReason,
      promptTokens: usage?.promptTokens ?? this.#promptTokens,
      cachedPromptTokens: usage?.cachedPromptTokens,
      completionTokens: usage?.completionTokens ?? this.#tokens,
      queueMs: since(this.#slotAt),
      timeToFirstTokenMs: since(this.#firstTokenAt),
      timePerOutputTokenMs: between,
      durationMs: this.#now() - this.#startedAt,
    };
  }
}
