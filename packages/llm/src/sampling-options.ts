import { invalidRequest } from './errors.js';
import type { GenerationOptions, ResponseFormat } from './types.js';

/** Sampling settings after validation and defaults, in node-llama-cpp's terms. */
export interface ResolvedSampling {
  readonly maxTokens: number | undefined;
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly minP: number;
  readonly seed: number | undefined;
  readonly stop: readonly string[];
  readonly repeatPenalty: false | { readonly lastTokens: number; readonly penalty: number; readonly presencePenalty: number; readonly frequencyPenalty: number; readonly penalizeNewLine: boolean };
  /** token id → logit bias, or 'never' for -100. */
  readonly logitBias: ReadonlyMap<number, number | 'never'>;
  readonly responseFormat: ResponseFormat;
}

/** llama.cpp server defaults, so an omitted option means what it means there. */
export const samplingDefaults = Object.freeze({ temperature: 0.8, topP: 0.95, topK: 40, minP: 0.05 });

/** OpenAI applies presence/frequency penalties over the whole output; llama.cpp over a window. */
const penaltyWindow = 64;

/**
 * Validates the generation options of a request (each bad value is an `invalid-request`
 * naming its parameter) and fills in defaults. `vocabularySize` bounds logit-bias token ids.
 */
export function resolveSampling(options: GenerationOptions, vocabularySize: number): ResolvedSampling {
  const maxTokens = optionalInteger(options.maxTokens, 'maxTokens', 1);
  const temperature = optionalNumber(options.temperature, 'temperature', 0, 100) ?? samplingDefaults.temperature;
  const topP = optionalNumber(options.topP, 'topP', 0, 1) ?? samplingDefaults.topP;
  const topK = optionalInteger(options.topK, 'topK', 0) ?? samplingDefaults.topK;
  const minP = optionalNumber(options.minP, 'minP', 0, 1) ?? samplingDefaults.minP;
  const seed = options.seed === undefined ? undefined : toSeed(options.seed);
  const stop = resolveStop(options.stop);
  const presencePenalty = optionalNumber(options.presencePenalty, 'presencePenalty', -2, 2) ?? 0;
  const frequencyPenalty = optionalNumber(options.frequencyPenalty, 'frequencyPenalty', -2, 2) ?? 0;
  const repeatPenalty =
    presencePenalty === 0 && frequencyPenalty === 0
      ? false
      : { lastTokens: penaltyWindow, penalty: 1, presencePenalty, frequencyPenalty, penalizeNewLine: true };
  const responseFormat = resolveResponseFormat(options.responseFormat);
  if (responseFormat.type !== 'text' && stop.length > 0) {
    // A stop string would end a JSON answer before it is complete, and the answer would still look finished.
    throw invalidRequest('stop', `stop cannot be combined with a ${responseFormat.type} responseFormat: it would cut the JSON answer; leave stop out.`);
  }
  return {
    maxTokens,
    temperature,
    topP,
    topK,
    minP,
    seed,
    stop,
    repeatPenalty,
    logitBias: resolveLogitBias(options.logitBias, vocabularySize),
    responseFormat,
  };
}

function optionalNumber(value: unknown, param: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest(param, `${param} must be a number from ${min} to ${max}.`);
  }
  return value;
}

function optionalInteger(value: unknown, param: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidRequest(param, `${param} must be an integer ≥ ${min}.`);
  }
  return value;
}

// llama.cpp seeds are 32-bit unsigned; OpenAI clients may send any integer.
function toSeed(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidRequest('seed', 'seed must be an integer.');
  return ((value % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

function resolveStop(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidRequest('stop', 'stop must be an array of strings.');
  }
  return (value as string[]).filter((item) => item.length > 0);
}

function resolveLogitBias(value: unknown, vocabularySize: number): ReadonlyMap<number, number | 'never'> {
  const bias = new Map<number, number | 'never'>();
  if (value === undefined) return bias;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest('logitBias', 'logitBias must be an object of token id → bias.');
  }
  for (const [key, amount] of Object.entries(value as Record<string, unknown>)) {
    const token = /^\d+$/.test(key) ? Number(key) : Number.NaN;
    if (!Number.isSafeInteger(token) || token >= vocabularySize) {
      throw invalidRequest('logitBias', `logitBias key "${key}" is not a token id of this model (0..${vocabularySize - 1}).`);
    }
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < -100 || amount > 100) {
      throw invalidRequest('logitBias', `logitBias["${key}"] must be a number from -100 to 100.`);
    }
    // OpenAI: -100 "should result in a ban"; other values are added to the logit.
    if (amount !== 0) bias.set(token, amount <= -100 ? 'never' : amount);
  }
  return bias;
}

function resolveResponseFormat(value: unknown): ResponseFormat {
  if (value === undefined) return { type: 'text' };
  const format = value as { type?: unknown; schema?: unknown; name?: unknown };
  if (typeof value !== 'object' || value === null) throw invalidRequest('responseFormat', 'responseFormat must be an object.');
  switch (format.type) {
    case 'text':
    case 'json_object':
      return { type: format.type };
    case 'json_schema':
      if (typeof format.schema !== 'object' || format.schema === null || Array.isArray(format.schema)) {
        throw invalidRequest('responseFormat.schema', 'responseFormat.schema must be a JSON schema object.');
      }
      return {
        type: 'json_schema',
        schema: format.schema as Record<string, unknown>,
        ...(typeof format.name === 'string' ? { name: format.name } : {}),
      };
    default:
      throw invalidRequest('responseFormat.type', 'responseFormat.type must be "text", "json_object" or "json_schema".');
  }
}
