import type { CompletionRequest } from '../engine.js';
import { ApiError } from '../errors.js';
import { mapGenerationOptions } from './map-generation-options.js';
import type { CompletionBody } from './wire-types.js';

function promptText(prompt: CompletionBody['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  if (prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (prompt.length > 0 && typeof prompt[0] !== 'string') {
    throw new ApiError('invalid-request', "Invalid value for 'prompt': token-id prompts are not supported; send the prompt as a string.", { param: 'prompt', openaiCode: 'unsupported_value' });
  }
  throw new ApiError('invalid-request', `Invalid value for 'prompt': send one prompt (a string, or an array of exactly one string); got an array of ${prompt.length}. Make one request per prompt.`, { param: 'prompt', openaiCode: 'unsupported_value' });
}

/**
 * Maps a validated text completion body to a `@trosyn/llm` completion request (without a
 * signal). Returns `echo` separately: the route prepends the prompt to the answer.
 */
export function mapCompletionRequest(body: CompletionBody): { readonly request: CompletionRequest; readonly echo: boolean } {
  if (body.best_of != null && body.best_of !== 1) {
    throw new ApiError('invalid-request', `Invalid value for 'best_of': ${body.best_of}. Only 1 is supported.`, { param: 'best_of', openaiCode: 'unsupported_value' });
  }
  if (body.logprobs != null) {
    throw new ApiError('invalid-request', "Invalid value for 'logprobs': log probabilities are not supported by this server; omit it or send null.", { param: 'logprobs', openaiCode: 'unsupported_value' });
  }
  if (body.suffix != null && body.suffix !== '') {
    throw new ApiError('invalid-request', "Invalid value for 'suffix': insertion (suffix) is not supported by this server.", { param: 'suffix', openaiCode: 'unsupported_value' });
  }
  const prompt = promptText(body.prompt);
  return { request: { ...mapGenerationOptions(body, body.max_tokens), prompt }, echo: body.echo === true };
}
