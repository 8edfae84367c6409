import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';

const amx = /\bamx_(?:int8|tile)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const CHAT = 'synthetic-gemma3n-tiny';

// Regression: the server loads the chat model and a dedicated embedding model at the same time,
// and ggml picks its CPU variant once per process. The embedding engine (stories260K, llama)
// reached ggml first and kept the Sapphire Rapids variant, on which the gemma3n chat model
// computes NaN: JSON answers failed and text came back empty. The server now decides the
// variant from both files before either loads.
describe('a gemma3n chat model with a dedicated embedding model (real server process)', () => {
  let server: ServerProcess;
  let client: OpenAI;
  beforeAll(async () => {
    const env = {
      LLM_MODEL_PATH: resolve(testModelsDir(), `${CHAT}.gguf`),
      LLM_EMBEDDING_MODEL_PATH: resolve(testModelsDir(), 'stories260K.gguf'),
      LLM_THREADS: '1',
      LLM_CONTEXT_SIZE: '1024',
    };
    server = await startServerProcess({ env, waitForModel: true });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
    for (let attempt = 0; attempt < 200; attempt++) {
      if ((await client.models.list()).data.some((model) => model.id === 'stories260K')) break;
      await new Promise((done) => setTimeout(done, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('loads the chat model without the faulty variant, whichever engine reaches ggml first', () => {
    const loaded = server.stdout.find((line) => line.includes('"component":"llm"') && line.includes(CHAT) && line.includes('loaded'));
    expect(loaded, server.stdout.join('\n')).toBeDefined();
    if (amx) expect(loaded).toContain('without CPU variant(s) sapphirerapids');
  });

  it('answers json_schema with valid JSON and embeds with the dedicated model', async () => {
    const schema = { type: 'object', properties: { city: { enum: ['Oslo', 'Lima'] } }, required: ['city'], additionalProperties: false };
    const completion = await client.chat.completions.create({
      model: CHAT, messages: [{ role: 'user', content: 'Weather?' }], max_tokens: 60, temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(['Oslo', 'Lima']).toContain((JSON.parse(completion.choices[0]?.message.content ?? '') as { city: string }).city);
    const embedding = await client.embeddings.create({ model: 'stories260K', input: 'The little cat sat on the mat.' });
    expect(embedding.data[0]?.embedding.every((value) => Number.isFinite(value))).toBe(true);
  }, 120_000);
});
