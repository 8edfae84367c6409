import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { avoidFaultyCpuVariants, SKIP_CPU_VARIANTS_VARIABLE } from '../src/cpu-variants.js';
import { LlmEngine, type ChatRequest } from '../src/index.js';
import { testModel } from './test-models.js';

const amx = /\bamx_(?:int8|tile)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

describe('avoidFaultyCpuVariants', () => {
  it('skips the Sapphire Rapids variant for gemma3n on an AMX CPU, nothing for other architectures', async () => {
    const env: NodeJS.ProcessEnv = {};
    expect(await avoidFaultyCpuVariants('gemma3', env)).toEqual({ skipped: [], source: 'none' });
    expect(env[SKIP_CPU_VARIANTS_VARIABLE]).toBeUndefined();
    const choice = await avoidFaultyCpuVariants('gemma3n', env);
    expect(choice).toEqual(amx ? { skipped: ['sapphirerapids'], source: 'model-architecture' } : { skipped: [], source: 'none' });
    expect(env[SKIP_CPU_VARIANTS_VARIABLE]).toBe(amx ? 'sapphirerapids' : undefined);
  });

  it("keeps an operator's own setting, empty included", async () => {
    expect(await avoidFaultyCpuVariants('gemma3n', { [SKIP_CPU_VARIANTS_VARIABLE]: 'zen4, icelake' })).toEqual({ skipped: ['zen4', 'icelake'], source: 'configured' });
    expect(await avoidFaultyCpuVariants('gemma3n', { [SKIP_CPU_VARIANTS_VARIABLE]: '' })).toEqual({ skipped: [], source: 'none' });
  });
});

// Regression: on this repository's CI machine (a Sapphire Rapids VM) ggml picked the prebuilt
// binary's Sapphire Rapids variant, whose kernels give NaN logits for gemma3n models (every
// batch size for the E2B-shaped file, 40 and more for this one): greedy decoding returned <pad>
// and grammar requests failed. The first engine in this process loads a gemma3n file, so the
// engine keeps ggml from that variant; at the default batch size the logits are numbers again.
describe('a gemma3n model at the default batch size', () => {
  it('decodes real tokens and answers a json_schema request with valid JSON', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3n-tiny.gguf'), threads: 1, contextSize: 1024 });
    try {
      expect(engine.runtime.batchSize).toBeGreaterThanOrEqual(64);
      expect(engine.runtime.skippedCpuVariants).toEqual(amx ? ['sapphirerapids'] : []);
      const completion = await engine.complete({ prompt: 'Once upon a time', maxTokens: 8, temperature: 0 });
      expect(completion.text).not.toBe(''); // NaN logits make greedy decoding pick <pad>, which renders as nothing
      const schema = { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'], additionalProperties: false };
      const request: ChatRequest = { messages: [{ role: 'user', content: 'Weather?' }], maxTokens: 40, temperature: 0, responseFormat: { type: 'json_schema', schema } };
      const answer = await engine.chat(request);
      expect(answer.finishReason).toBe('stop');
      expect(JSON.parse(answer.content ?? '')).toEqual({ city: expect.any(String) as unknown });
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});
