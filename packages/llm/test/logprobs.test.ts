import { getLlama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, type LlmError, type TokenLogprob } from '../src/index.js';
import { collect, testModel } from './test-models.js';

const prompt = 'Once upon a time, there was a little';

function checkEntries(entries: readonly TokenLogprob[], top: number): void {
  for (const entry of entries) {
    expect(entry.logprob).toBeLessThanOrEqual(0);
    expect(entry.bytes).toEqual([...Buffer.from(entry.token, 'utf8')]);
    expect(entry.topLogprobs).toHaveLength(top);
    const alternatives = entry.topLogprobs.map((alternative) => alternative.logprob);
    expect([...alternatives].sort((a, b) => b - a)).toEqual(alternatives);
    expect(alternatives.reduce((sum, logprob) => sum + Math.exp(logprob), 0)).toBeLessThanOrEqual(1 + 1e-6);
  }
}

describe('LlmEngine logprobs (stories260K)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), threads: 1, contextSize: 512 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('gives one entry per generated token, spelling the text, without changing it', async () => {
    const plain = await engine.complete({ prompt, maxTokens: 16, temperature: 0 });
    const withLogprobs = await engine.complete({ prompt, maxTokens: 16, temperature: 0, logprobs: 3 });
    expect(withLogprobs.text).toBe(plain.text);
    expect(plain.logprobs).toBeUndefined();
    const entries = withLogprobs.logprobs!;
    expect(entries).toHaveLength(withLogprobs.usage.completionTokens);
    expect(entries.map((entry) => entry.token).join('')).toBe(withLogprobs.text);
    checkEntries(entries, 3);
    // Greedy: the chosen token is the most likely one.
    for (const entry of entries) expect(entry.logprob).toBeCloseTo(entry.topLogprobs[0]!.logprob, 6);
  });

  it('matches the model\'s own distribution, computed independently with node-llama-cpp', async () => {
    const result = await engine.complete({ prompt, maxTokens: 3, temperature: 0, logprobs: 2 });
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: testModel('stories260K-chat.gguf') });
    const context = await model.createContext({ contextSize: 128, threads: 1 });
    try {
      const sequence = context.getSequence();
      const tokens = [model.tokens.bos!, ...model.tokenize(prompt, false, 'trimLeadingSpace')] as Token[];
      const outputs = await sequence.controlledEvaluate(tokens.map((token, index) => (index === tokens.length - 1 ? [token, { generateNext: { probabilities: true } }] : token)));
      const distribution = outputs.at(-1)!.next.probabilities!;
      const [best, bestProbability] = distribution.entries().next().value as [Token, number];
      expect(result.logprobs![0]!.token).toBe(model.detokenize([best]));
      expect(result.logprobs![0]!.logprob).toBeCloseTo(Math.log(bestProbability), 4);
    } finally {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    }
  });

  it('streams each text delta with the entries of the tokens that begin in it, the same as non-streamed', async () => {
    const whole = await engine.complete({ prompt, maxTokens: 16, temperature: 0, logprobs: 1 });
    const { deltas } = await collect(engine.streamComplete({ prompt, maxTokens: 16, temperature: 0, logprobs: 1 }));
    const streamed = deltas.flatMap((delta) => (delta.type === 'text' ? (delta.logprobs ?? []) : []));
    expect(streamed.map((entry) => entry.token)).toEqual(whole.logprobs!.map((entry) => entry.token));
    streamed.forEach((entry, index) => expect(entry.logprob).toBeCloseTo(whole.logprobs![index]!.logprob, 3));
    for (const delta of deltas) if (delta.type === 'text') expect(delta.logprobs).toBeDefined();
  });

  it('gives chat answers logprobs too, streamed and not', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me a story.' }];
    const whole = await engine.chat({ messages, maxTokens: 12, temperature: 0, logprobs: 2 });
    checkEntries(whole.logprobs!, 2);
    expect(whole.logprobs!.map((entry) => entry.token).join('')).toBe(whole.content);
    const { deltas } = await collect(engine.streamChat({ messages, maxTokens: 12, temperature: 0, logprobs: 2 }));
    const streamed = deltas.flatMap((delta) => (delta.type === 'text' ? (delta.logprobs ?? []) : []));
    expect(streamed.map((entry) => entry.token)).toEqual(whole.logprobs!.map((entry) => entry.token));
    // The second run reuses the prompt's KV cache: other batch shapes, last-digit differences.
    streamed.forEach((entry, index) => expect(entry.logprob).toBeCloseTo(whole.logprobs![index]!.logprob, 3));
  });

  it('reports the sampler\'s distribution at temperature > 0 (entries still spell the text)', async () => {
    const result = await engine.complete({ prompt, maxTokens: 12, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 5, logprobs: 2 });
    expect(result.logprobs!.map((entry) => entry.token).join('')).toBe(result.text);
    checkEntries(result.logprobs!, 2);
    // With top-k, top-p and min-p off the whole vocabulary stays: a sampled token is rarely certain.
    expect(result.logprobs!.some((entry) => entry.logprob < -0.01)).toBe(true);
  });

  it('refuses logprobs outside 0–20', async () => {
    const error = (await engine.complete({ prompt, logprobs: 21 }).catch((e: unknown) => e)) as LlmError;
    expect(error.code).toBe('invalid-request');
    expect(error.details).toMatchObject({ param: 'logprobs' });
  });
});
