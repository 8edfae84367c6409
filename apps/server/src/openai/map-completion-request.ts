import type { CompletionRequest } from '../engine.js';
import { ApiError } from '../errors.js';
import { mapGenerationOptions } from './map-generation-options.js';
import type { CompletionBody } from './wire-types.js';

/** One prompt of a completion request: text, or token ids of the loaded model's vocabulary. */
export type CompletionPrompt = string | readonly number[];

/** A completion body mapped for the engine: one request per prompt, in prompt order. */
export interface MappedCompletion {
  /** The engine requests (without a signal), one per prompt. */
  readonly requests: readonly CompletionRequest[];
  /** Choices per prompt. */
  readonly n: number;
  /** Whether to prepend each prompt to its answer. */
  readonly echo: boolean;
}

// OpenAI's four shapes: a string, strings, token ids, arrays of token ids. A string list and
// an array of token arrays are several prompts; a flat array of numbers is one prompt.
function promptsOf(prompt: CompletionBody['prompt']): readonly CompletionPrompt[] {
  if (typeof prompt === 'string') return [prompt];
  if (prompt.length === 0) {
    throw new ApiError('invalid-request', "Invalid value for 'prompt': the array is empty; send at least one prompt.", { param: 'prompt', openaiCode: 'empty_array' });
  }
  if (typeof prompt[0] === 'number') return [prompt as readonly number[]];
  return prompt as readonly (string | readonly number[])[];
}

function checkTokens(prompt: CompletionPrompt, param: string): void {
  if (typeof prompt === 'string') return;
  if (prompt.length === 0) throw new ApiError('invalid-request', `Invalid value for '${param}': a token-id prompt needs at least one token.`, { param, openaiCode: 'invalid_value' });
  const negative = prompt.findIndex((token) => token < 0);
  if (negative !== -1) throw new ApiError('invalid-request', `Invalid value for '${param}[${negative}]': token ids are ≥ 0.`, { param: `${param}[${negative}]`, openaiCode: 'invalid_value' });
}

/**
 * Maps a validated text completion body to `@trosyn/llm` completion requests (without a
 * signal), one per prompt; `n` and `echo` are returned for the route.
 */
export function mapCompletionRequest(body: CompletionBody): MappedCompletion {
  if (body.best_of != null && body.best_of !== 1 && body.best_of !== (body.n ?? 1)) {
    throw new ApiError('invalid-request', `Invalid value for 'best_of': ${body.best_of}. Only best_of = n (or 1) is supported: every choice generated is returned.`, { param: 'best_of', openaiCode: 'unsupported_value' });
  }
  if (body.suffix != null && body.suffix !== '') {
    throw new ApiError('invalid-request', "Invalid value for 'suffix': insertion (suffix) is not supported by this server.", { param: 'suffix', openaiCode: 'unsupported_value' });
  }
  const prompts = promptsOf(body.prompt);
  const several = prompts.length > 1 || (Array.isArray(body.prompt) && typeof body.prompt[0] !== 'number');
  prompts.forEach((prompt, index) => checkTokens(prompt, several ? `prompt[${index}]` : 'prompt'));
  const echo = body.echo === true;
  if (echo && prompts.some((prompt) => typeof prompt !== 'string')) {
    throw new ApiError('invalid-request', "Invalid value for 'echo': echo needs text prompts; send the prompt as a string, or leave echo unset for token-id prompts.", { param: 'echo', openaiCode: 'unsupported_value' });
  }
  const options = { ...mapGenerationOptions(body, body.max_tokens), ...(body.logprobs == null ? {} : { logprobs: body.logprobs }) };
  return { requests: prompts.map((prompt) => ({ ...options, prompt })), n: body.n ?? 1, echo };
}
