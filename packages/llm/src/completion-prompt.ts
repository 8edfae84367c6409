import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { invalidRequest } from './errors.js';

/** A completion prompt as node-llama-cpp takes it, and the tokens the model will see. */
export interface CompletionPromptTokens {
  /** What `LlamaCompletion` is given: it prepends the BOS token itself. */
  readonly body: Token[];
  /** `body` with the BOS token the model adds: what is evaluated and counted as prompt tokens. */
  readonly tokens: Token[];
}

/**
 * Tokenizes a completion prompt given as text, or checks one given as token ids (each must be
 * in the vocabulary; a leading BOS is dropped, since node-llama-cpp adds its own and a doubled
 * BOS degrades the output). `bos` is the token node-llama-cpp prepends, if any.
 */
export function completionPromptTokens(
  model: LlamaModel,
  prompt: string | readonly number[],
  bos: Token | undefined,
  vocabularySize: number,
): CompletionPromptTokens {
  let body: Token[];
  if (typeof prompt === 'string') {
    body = model.tokenize(prompt, false, bos === undefined ? undefined : 'trimLeadingSpace');
  } else if (Array.isArray(prompt)) {
    prompt.forEach((token: unknown, index) => {
      if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 0 || token >= vocabularySize) {
        throw invalidRequest(`prompt[${index}]`, `prompt[${index}] must be a token id from 0 to ${vocabularySize - 1} (the model's vocabulary).`);
      }
    });
    body = (bos !== undefined && prompt[0] === bos ? prompt.slice(1) : [...prompt]) as Token[];
  } else {
    throw invalidRequest('prompt', 'prompt must be a string or an array of token ids.');
  }
  const tokens = bos === undefined ? body : [bos, ...body];
  if (tokens.length === 0) throw invalidRequest('prompt', 'prompt must not be empty for this model (it has no BOS token).');
  return { body, tokens };
}

/** Mirrors node-llama-cpp's choice of a BOS token for raw completion input. */
export function beginningToken(lib: typeof NodeLlamaCppModule, model: LlamaModel): Token | undefined {
  const type = model.vocabularyType;
  if (type === lib.LlamaVocabularyType.rwkv || type === lib.LlamaVocabularyType.ugm) return undefined;
  if (type === lib.LlamaVocabularyType.wpm || model.tokens.shouldPrependBosToken) return model.tokens.bos ?? undefined;
  return undefined;
}
