import { getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, EmbeddingEngine, LlmEngine, LlmError } from '../src/index.js';
import { testModel } from './test-models.js';

const cat = 'The little cat sat on the mat.';
const similarCat = 'The small cat sat on the rug.';
const unrelated = 'Quarterly revenue exceeded analyst expectations.';

describe('EmbeddingEngine (stories260K)', () => {
  let embedder: EmbeddingEngine;
  beforeAll(async () => {
    embedder = await EmbeddingEngine.load({ modelPath: testModel('stories260K.gguf'), contextSize: 64 });
  });
  afterAll(async () => {
    await embedder?.dispose();
  });

  it('scores similar texts closer than unrelated ones', async () => {
    const { vectors } = await embedder.embed({ input: [cat, similarCat, unrelated] });
    const [a, b, c] = vectors as [Float32Array, Float32Array, Float32Array];
    expect(cosineSimilarity(a, b)).toBeGreaterThan(cosineSimilarity(a, c));
    expect(cosineSimilarity(a, b)).toBeGreaterThan(cosineSimilarity(b, c));
  });

  it('returns unit-length vectors of the model\'s size, in input order, and counts the tokens', async () => {
    expect(embedder.info).toMatchObject({ id: 'stories260K', dimensions: 64, contextSize: 64 });
    const { vectors, promptTokens } = await embedder.embed({ input: [cat, unrelated, cat] });
    expect(vectors.map((vector) => vector.length)).toEqual([64, 64, 64]);
    for (const vector of vectors) expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    expect([...vectors[2]!]).toEqual([...vectors[0]!]);
    expect(promptTokens).toBeGreaterThan(3 * 5);
  });

  it('truncates to dimensions and renormalises; refuses more dimensions than the model has', async () => {
    const full = (await embedder.embed({ input: [cat] })).vectors[0]!;
    const short = (await embedder.embed({ input: [cat], dimensions: 8 })).vectors[0]!;
    expect(short).toHaveLength(8);
    expect(Math.hypot(...short)).toBeCloseTo(1, 5);
    const scale = short[0]! / full[0]!;
    for (let i = 0; i < 8; i++) expect(short[i]!).toBeCloseTo(full[i]! * scale, 5);
    const error = (await embedder.embed({ input: [cat], dimensions: 65 }).catch((e: unknown) => e)) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.details).toMatchObject({ param: 'dimensions' });
  });

  it('embeds token ids like the text they spell', async () => {
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: testModel('stories260K.gguf') });
    const tokens = [...model.tokenize(cat)].map(Number);
    await model.dispose();
    await llama.dispose();
    const { vectors } = await embedder.embed({ input: [cat, tokens] });
    expect(cosineSimilarity(vectors[0]!, vectors[1]!)).toBeCloseTo(1, 6);
  });

  it('refuses an input longer than the context (naming it) and an empty one, before evaluating anything', async () => {
    const long = 'the cat sat on the mat and '.repeat(20);
    const overflow = (await embedder.embed({ input: [cat, long] }).catch((e: unknown) => e)) as LlmError;
    expect(overflow.code).toBe('context-overflow');
    expect(overflow.details).toMatchObject({ param: 'input[1]', index: 1, contextSize: 63 });
    const empty = (await embedder.embed({ input: [''] }).catch((e: unknown) => e)) as LlmError;
    expect(empty.code).toBe('invalid-request');
    expect(empty.details).toMatchObject({ param: 'input[0]' });
  });

  it('reports its occupancy: one batch embedded at a time, the others queued', async () => {
    expect(embedder.stats()).toEqual({ slots: 1, slotsInUse: 0, queueDepth: 0, maxQueue: 32 });
    const batches = [0, 1, 2].map(() => embedder.embed({ input: Array.from({ length: 8 }, () => cat) }));
    expect(embedder.stats()).toMatchObject({ slotsInUse: 1, queueDepth: 2 });
    await Promise.all(batches);
    expect(embedder.stats()).toMatchObject({ slotsInUse: 0, queueDepth: 0 });
  });

  it('fails with aborted when the signal fires first', async () => {
    const error = (await embedder.embed({ input: [cat], signal: AbortSignal.abort() }).catch((e: unknown) => e)) as LlmError;
    expect(error.code).toBe('aborted');
  });
});

describe('LlmEngine.createEmbeddingEngine (the chat model)', () => {
  it('embeds with the loaded model while it still generates, and the same vectors as a dedicated load', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 256 });
    const dedicated = await EmbeddingEngine.load({ modelPath: testModel('stories260K.gguf'), contextSize: 256 });
    try {
      const shared = await engine.createEmbeddingEngine();
      expect(shared.info).toMatchObject({ id: 'stories260K', dimensions: 64, contextSize: 256 });
      const [fromShared, completion] = await Promise.all([
        shared.embed({ input: [cat, unrelated] }),
        engine.complete({ prompt: 'Once upon a time', maxTokens: 8, temperature: 0 }),
      ]);
      expect(completion.text.length).toBeGreaterThan(0);
      const fromDedicated = await dedicated.embed({ input: [cat, unrelated] });
      expect(cosineSimilarity(fromShared.vectors[0]!, fromDedicated.vectors[0]!)).toBeCloseTo(1, 5);
      await shared.dispose();
      const disposed = (await shared.embed({ input: [cat] }).catch((e: unknown) => e)) as LlmError;
      expect(disposed.code).toBe('disposed');
    } finally {
      await dedicated.dispose();
      await engine.dispose();
    }
  });
});
