import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmbeddingEngine, LlmEngine, prepareCpuVariants, SKIP_CPU_VARIANTS_VARIABLE, type ChatRequest } from '../src/index.js';
import { testModel } from './test-models.js';

const amx = /\bamx_(?:int8|tile)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

// The fix an application uses when it loads two models at once (the Trosyn server's chat and
// dedicated embedding models): decide the variant from both files first, then load both
// concurrently. Whichever engine reaches ggml first, the gemma3n model decodes real tokens.
describe('prepareCpuVariants before a chat and an embedding engine load at the same time', () => {
  it.skipIf(process.env[SKIP_CPU_VARIANTS_VARIABLE] !== undefined)('keeps the gemma3n chat model off its faulty variant and both engines work', async () => {
    const gemma3n = testModel('synthetic-gemma3n-tiny.gguf');
    const stories = testModel('stories260K.gguf');
    const choice = await prepareCpuVariants([stories, gemma3n, '/nonexistent/model.gguf']);
    expect(choice).toEqual(amx ? { skipped: ['sapphirerapids'], source: 'model-architecture' } : { skipped: [], source: 'none' });
    expect(await prepareCpuVariants([stories])).toEqual(choice); // decided once per process
    // The embedding engine is started first, as the race had it.
    const [embedder, engine] = await Promise.all([
      EmbeddingEngine.load({ modelPath: stories, contextSize: 64 }),
      LlmEngine.load({ modelPath: gemma3n, threads: 1, contextSize: 1024 }),
    ]);
    try {
      expect(engine.runtime.skippedCpuVariants).toEqual(choice.skipped);
      const schema = { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'], additionalProperties: false };
      const request: ChatRequest = { messages: [{ role: 'user', content: 'Weather?' }], maxTokens: 40, temperature: 0, responseFormat: { type: 'json_schema', schema } };
      const answer = await engine.chat(request);
      expect(answer.finishReason).toBe('stop');
      expect(JSON.parse(answer.content ?? '')).toEqual({ city: expect.any(String) as unknown });
      const { vectors } = await embedder.embed({ input: ['The little cat sat on the mat.'] });
      expect(vectors[0]?.every((value) => Number.isFinite(value))).toBe(true);
    } finally {
      await Promise.all([engine.dispose(), embedder.dispose()]);
    }
  }, 120_000);
});
