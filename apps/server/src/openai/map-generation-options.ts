import type { GenerationOptions } from '../engine.js';
import { ApiError } from '../errors.js';
import type { SamplingBody } from './wire-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Maps the sampling fields both endpoints share to `@trosyn/llm` options. `null` means unset.
 * `maxTokens` is the caller's (chat prefers `max_completion_tokens`). `n` is the route's.
 */
export function mapGenerationOptions(body: SamplingBody, maxTokens: number | null | undefined): GenerationOptions {
  const options: Mutable<GenerationOptions> = {};
  if (maxTokens != null) options.maxTokens = maxTokens;
  if (body.temperature != null) options.temperature = body.temperature;
  if (body.top_p != null) options.topP = body.top_p;
  if (body.top_k != null) options.topK = body.top_k;
  if (body.min_p != null) options.minP = body.min_p;
  if (body.seed != null) options.seed = body.seed;
  if (body.presence_penalty != null) options.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) options.frequencyPenalty = body.frequency_penalty;
  if (body.logit_bias != null && Object.keys(body.logit_bias).length > 0) options.logitBias = { ...body.logit_bias };
  if (body.stop != null) {
    const stop = typeof body.stop === 'string' ? [body.stop] : [...body.stop];
    if (stop.some((sequence) => sequence === '')) throw new ApiError('invalid-request', "Invalid value for 'stop': stop sequences must not be empty.", { param: 'stop' });
    if (stop.length > 0) options.stop = stop;
  }
  return options;
}
