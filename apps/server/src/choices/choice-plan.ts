import { randomInt } from 'node:crypto';
import { ApiError } from '../errors.js';

/** Most choices one request may ask for (prompts × `n`), as OpenAI's limit of `n`. */
export const MAX_CHOICES = 128;

/** Which prompt and sampling seed each choice of a request uses. */
export interface ChoicePlan {
  /** Choices per prompt (`n`). */
  readonly perPrompt: number;
  /** All choices, in OpenAI's `index` order: prompt 0's `n` choices, then prompt 1's, … */
  readonly choices: readonly PlannedChoice[];
}

/** One choice of a {@link ChoicePlan}. */
export interface PlannedChoice {
  /** The choice's `index` on the wire. */
  readonly index: number;
  /** Which prompt it answers (always 0 for chat). */
  readonly promptIndex: number;
  /** The seed to sample with; undefined leaves the request's own (or none). */
  readonly seed: number | undefined;
}

/**
 * Plans the choices of a request with `promptCount` prompts and `n` choices each. With n > 1,
 * every choice of a prompt gets its own seed — the request's `seed` plus its position, or a
 * random base when there is none — so that sampled choices differ (requests started in the same
 * millisecond would otherwise share llama.cpp's time-based default seed) and a seeded request
 * stays repeatable.
 */
export function planChoices(promptCount: number, n: number, seed: number | undefined, param = 'n'): ChoicePlan {
  if (promptCount * n > MAX_CHOICES) {
    throw new ApiError(
      'invalid-request',
      `Invalid value for '${param}': ${promptCount} prompt(s) × n = ${n} asks for ${promptCount * n} choices; at most ${MAX_CHOICES} per request.`,
      { param, openaiCode: 'invalid_value' },
    );
  }
  const base = n === 1 ? undefined : (seed ?? randomInt(0, 2 ** 31));
  const choices: PlannedChoice[] = [];
  for (let promptIndex = 0; promptIndex < promptCount; promptIndex++) {
    for (let j = 0; j < n; j++) {
      choices.push({ index: promptIndex * n + j, promptIndex, seed: base === undefined ? undefined : (base + j) % 2 ** 32 });
    }
  }
  return { perPrompt: n, choices };
}
