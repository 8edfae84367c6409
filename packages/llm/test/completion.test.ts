import { getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, LlmError, type CompletionDelta } from '../src/index.js';
import { collect, testModel } from './test-models.js';

const prompt = 'Once upon a time, there was a little';

describe('LlmEngine completion (stories260K)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 512 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('is deterministic at temperature 0 and gives the model card text', async () => {
    const first = await engine.complete({ prompt, maxTokens: 30, temperature: 0 });
    const second = await engine.complete({ prompt, maxTokens: 30, temperature: 0 });
    expect(second.text).toBe(first.text);
    expect(first.text.startsWith('girl named Lily. She loved to play outside in the park.')).toBe(true);
  });

  it('gives the same text for the same seed at temperature > 0, and varies across seeds', async () => {
    const options = { prompt, maxTokens: 40, temperature: 1.2, topK: 0, topP: 1, minP: 0 } as const;
    const a = await engine.complete({ ...options, seed: 42 });
    const b = await engine.complete({ ...options, seed: 42 });
    expect(b.text).toBe(a.text);
    const others = await Promise.all([1, 2, 3].map(async (seed) => (await engine.complete({ ...options, seed })).text));
    expect(others.some((text) => text !== a.text)).toBe(true);
  });

  it('cuts the output before a stop string, which never appears', async () => {
    const full = await engine.complete({ prompt, maxTokens: 40, temperature: 0 });
    const cut = await engine.complete({ prompt, maxTokens: 40, temperature: 0, stop: ['park'] });
    expect(full.text).toContain('park');
    expect(cut.text).not.toContain('park');
    expect(cut.finishReason).toBe('stop');
    expect(full.text.startsWith(cut.text.trimEnd())).toBe(true);
    expect(cut.text.length).toBeLessThan(full.text.indexOf('park') + 1);
  });

  it('stops at maxTokens with finish reason length and exact usage', async () => {
    const result = await engine.complete({ prompt, maxTokens: 7, temperature: 0 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.completionTokens).toBe(7);
    // BOS + the prompt's tokens.
    expect(result.usage.promptTokens).toBe((await engine.countTokens(prompt)) + 1);
  });

  it('counts prompt tokens reused from the slot cache', async () => {
    await engine.complete({ prompt: 'The dog ran to the', maxTokens: 3, temperature: 0 });
    const again = await engine.complete({ prompt: 'The dog ran to the', maxTokens: 3, temperature: 0 });
    expect(again.usage.cachedPromptTokens).toBe(again.usage.promptTokens - 1);
    const other = await engine.complete({ prompt: 'A cat sat', maxTokens: 3, temperature: 0 });
    expect(other.usage.cachedPromptTokens).toBeLessThanOrEqual(1);
  });

  it('streams deltas that concatenate to the non-streamed text, ending with done', async () => {
    for (const stop of [[], ['park'], ['She', 'ball']]) {
      const whole = await engine.complete({ prompt, maxTokens: 40, temperature: 0, stop });
      const { deltas, text } = await collect<CompletionDelta>(engine.streamComplete({ prompt, maxTokens: 40, temperature: 0, stop }));
      expect(text).toBe(whole.text);
      expect(deltas.filter((d) => d.type === 'text').length).toBeGreaterThan(1);
      const last = deltas.at(-1);
      expect(last).toEqual({ type: 'done', finishReason: whole.finishReason, usage: { ...whole.usage, cachedPromptTokens: expect.any(Number) } });
      // No prefix of the stream may show a stop string, even partly at its end.
      let sofar = '';
      for (const delta of deltas) {
        if (delta.type !== 'text') continue;
        sofar += delta.text;
        for (const s of stop) expect(sofar).not.toContain(s);
      }
    }
  });

  it('produces JSON that parses and validates against a schema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { enum: ['a', 'b'] } } },
      required: ['name', 'age', 'tags'],
      additionalProperties: false,
    };
    const result = await engine.complete({ prompt: 'Person:', maxTokens: 200, temperature: 0, responseFormat: { type: 'json_schema', schema } });
    const value = JSON.parse(result.text) as { name: unknown; age: unknown; tags: unknown };
    expect(Object.keys(value).sort()).toEqual(['age', 'name', 'tags']);
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.age)).toBe(true);
    expect(Array.isArray(value.tags) && value.tags.every((tag) => tag === 'a' || tag === 'b')).toBe(true);
    // JSON mode: any JSON object (this model answers `{ }` at temperature 0); finished means parseable.
    const json = await engine.complete({ prompt: 'Data:', maxTokens: 60, temperature: 0, responseFormat: { type: 'json_object' } });
    expect(json.text.trimStart().startsWith('{')).toBe(true);
    if (json.finishReason === 'stop') expect(JSON.parse(json.text)).toBeTypeOf('object');
  });

  it('applies logit bias (ban) and penalties', async () => {
    const base = await engine.complete({ prompt, maxTokens: 40, temperature: 0 });
    expect(base.text).toContain('Lily');
    // The model's own token ids for " Lily", read with node-llama-cpp directly.
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: testModel('stories260K.gguf') });
    const lilyTokens = model.tokenize(' Lily');
    await model.dispose();
    await llama.dispose();
    const banned = await engine.complete({
      prompt,
      maxTokens: 40,
      temperature: 0,
      logitBias: Object.fromEntries(lilyTokens.map((token) => [String(token), -100])),
    });
    expect(banned.text).not.toBe(base.text);
    expect(banned.text).not.toContain(' Lily');
    const penalised = await engine.complete({ prompt, maxTokens: 40, temperature: 0, frequencyPenalty: 2, presencePenalty: 2 });
    expect(penalised.text).not.toBe(base.text);
  });

  it('takes a prompt as token ids: the same text as the string prompt, with or without a leading BOS', async () => {
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: testModel('stories260K.gguf') });
    const tokens = [...model.tokenize(prompt, false, 'trimLeadingSpace')].map(Number);
    const bos = Number(model.tokens.bos);
    await model.dispose();
    await llama.dispose();
    const fromText = await engine.complete({ prompt, maxTokens: 20, temperature: 0 });
    const fromIds = await engine.complete({ prompt: tokens, maxTokens: 20, temperature: 0 });
    const withBos = await engine.complete({ prompt: [bos, ...tokens], maxTokens: 20, temperature: 0 });
    expect(fromIds.text).toBe(fromText.text);
    expect(withBos.text).toBe(fromText.text);
    expect(fromIds.usage.promptTokens).toBe(fromText.usage.promptTokens);
    const outside = (await engine.complete({ prompt: [1, 512] }).catch((e: unknown) => e)) as LlmError;
    expect(outside.code).toBe('invalid-request');
    expect(outside.details).toMatchObject({ param: 'prompt[1]' });
  });

  it('rejects a prompt that does not fit with context-overflow carrying both numbers', async () => {
    const long = 'the cat sat on the mat. '.repeat(200);
    const error = (await engine.complete({ prompt: long, maxTokens: 10 }).catch((e: unknown) => e)) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.code).toBe('context-overflow');
    expect(error.details).toMatchObject({ maxTokens: 10, contextSize: 512 });
    expect(error.details.promptTokens).toBeGreaterThan(512);
    const tooMany = (await engine.complete({ prompt, maxTokens: 510 }).catch((e: unknown) => e)) as LlmError;
    expect(tooMany.code).toBe('context-overflow');
    expect(tooMany.details).toEqual({ promptTokens: 12, maxTokens: 510, contextSize: 512 });
    // Streams throw the same error from the first next(), before any delta.
    const iterator = engine.streamComplete({ prompt: long })[Symbol.asyncIterator]();
    expect(((await iterator.next().catch((e: unknown) => e)) as LlmError).code).toBe('context-overflow');
  });

  it('fills the rest of the context when maxTokens is omitted', async () => {
    const result = await engine.complete({ prompt, temperature: 0, stop: ['.'] });
    expect(result.finishReason).toBe('stop');
    expect(result.text).toBe('girl named Lily');
  });

  it('rejects invalid parameters with invalid-request naming them', async () => {
    const error = (await engine.complete({ prompt, temperature: -1 }).catch((e: unknown) => e)) as LlmError;
    expect(error.code).toBe('invalid-request');
    expect(error.details).toEqual({ param: 'temperature' });
  });
});
