import { describe, expect, it } from 'vitest';
import { LlmError } from './errors.js';
import { resolveSampling, samplingDefaults } from './sampling-options.js';

const param = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error instanceof LlmError ? error.details.param : error;
  }
  return 'no error';
};

describe('resolveSampling', () => {
  it('fills in llama.cpp server defaults and disables penalties by default', () => {
    const sampling = resolveSampling({}, 100);
    expect(sampling).toMatchObject({ ...samplingDefaults, repeatPenalty: false, stop: [], responseFormat: { type: 'text' } });
    expect(sampling.maxTokens).toBeUndefined();
  });

  it('maps OpenAI penalties, seeds and logit bias', () => {
    const sampling = resolveSampling({ presencePenalty: 0.5, seed: -1, logitBias: { '7': -100, '9': 5, '3': 0 }, stop: ['', 'x'] }, 100);
    expect(sampling.repeatPenalty).toEqual({ lastTokens: 64, penalty: 1, presencePenalty: 0.5, frequencyPenalty: 0, penalizeNewLine: true });
    expect(sampling.seed).toBe(2 ** 32 - 1);
    expect([...sampling.logitBias]).toEqual([
      [7, 'never'],
      [9, 5],
    ]);
    expect(sampling.stop).toEqual(['x']);
  });

  it('names the parameter of every invalid value', () => {
    expect(param(() => resolveSampling({ maxTokens: 0 }, 10))).toBe('maxTokens');
    expect(param(() => resolveSampling({ temperature: -1 }, 10))).toBe('temperature');
    expect(param(() => resolveSampling({ topP: 2 }, 10))).toBe('topP');
    expect(param(() => resolveSampling({ topK: 1.5 }, 10))).toBe('topK');
    expect(param(() => resolveSampling({ frequencyPenalty: 3 }, 10))).toBe('frequencyPenalty');
    expect(param(() => resolveSampling({ logitBias: { '10': 1 } }, 10))).toBe('logitBias');
    expect(param(() => resolveSampling({ logitBias: { '1': 101 } }, 10))).toBe('logitBias');
    expect(param(() => resolveSampling({ stop: [1 as unknown as string] }, 10))).toBe('stop');
    expect(param(() => resolveSampling({ responseFormat: { type: 'xml' } as never }, 10))).toBe('responseFormat.type');
    expect(param(() => resolveSampling({ responseFormat: { type: 'json_schema' } as never }, 10))).toBe('responseFormat.schema');
  });
});
