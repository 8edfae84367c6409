import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, type ChatRequest, type ToolDefinition } from '../src/index.js';
import { testModel } from './test-models.js';

// Regression (#14): an unbounded integer or number could be a digit string JSON.parse turns into
// Infinity (`6e226…`, an exponent of up to 16 digits in node-llama-cpp's tool-argument grammar, 3
// in ours) or an integer past 2^53. A forced call then failed with generation-failed ("Expected
// type "integer" but got "number"", node-llama-cpp's own check) or carried `null` for the
// number; a json_schema answer came back `stop` holding `26779e418`. Random weights write long
// digit strings readily; batch size 32 keeps this model's logits finite on every CPU (README).
const counts = { type: 'object', properties: { n: { type: 'integer' }, x: { type: 'number' } }, required: ['n', 'x'] } as const;
const count: ToolDefinition = { name: 'count', parameters: counts };
const seeds = Array.from({ length: 8 }, (_, index) => index + 1);

function expectSafeValues(json: string): void {
  const value = JSON.parse(json) as { n: unknown; x: unknown };
  expect(Number.isSafeInteger(value.n), `n in ${json}`).toBe(true);
  expect(Number.isFinite(value.x), `x in ${json}`).toBe(true);
}

describe('unbounded integer and number values (synthetic-gemma3n-tiny, random weights)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3n-tiny.gguf'), threads: 1, contextSize: 1024, batchSize: 32 });
  }, 60_000);
  afterAll(async () => {
    await engine?.dispose();
  });

  it('gives forced tool calls whose integer argument is a safe integer and number argument finite', async () => {
    for (const seed of seeds) {
      const request: ChatRequest = { messages: [{ role: 'user', content: 'How many?' }], maxTokens: 120, temperature: 1, seed, tools: [count], toolChoice: 'required' };
      const result = await engine.chat(request);
      expect(result.finishReason, `seed ${seed}`).toBe('tool_calls');
      expectSafeValues(result.toolCalls?.[0]?.arguments ?? '');
    }
  }, 180_000);

  it('gives json_schema answers whose integer is a safe integer and number finite', async () => {
    for (const seed of seeds) {
      const result = await engine.chat({
        messages: [{ role: 'user', content: 'How many?' }], maxTokens: 120, temperature: 1, seed,
        responseFormat: { type: 'json_schema', schema: { ...counts, additionalProperties: false } },
      });
      if (result.finishReason === 'length') continue;
      expect(result.finishReason, `seed ${seed}`).toBe('stop');
      expectSafeValues(result.content ?? '');
    }
  }, 180_000);
});
