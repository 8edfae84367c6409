import { resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';
import { openAiClientOf, storiesModelEnv } from './stories-model.js';

const cat = 'The little cat sat on the mat.';
const similarCat = 'The small cat sat on the rug.';
const unrelated = 'Quarterly revenue exceeded analyst expectations.';

let server: ServerProcess;
let client: OpenAI;

beforeAll(async () => {
  loadOpenAiSpec();
  server = await startServerProcess({
    env: {
      ...storiesModelEnv({ contextSize: 256 }),
      // A dedicated embedding model: here the plain stories260K file, so that it has its own id.
      LLM_EMBEDDING_MODEL_PATH: resolve(testModelsDir(), 'stories260K.gguf'),
    },
    waitForModel: true,
  });
  client = openAiClientOf(server, { timeoutMs: 60_000 });
  // The embedding model loads in the background too.
  for (let attempt = 0; attempt < 100; attempt++) {
    const models = await client.models.list();
    if (models.data.some((model) => model.id === 'stories260K')) break;
    await new Promise((done) => setTimeout(done, 100));
  }
});

afterAll(async () => {
  await server?.stop();
});

const cosine = (a: readonly number[], b: readonly number[]): number => a.reduce((sum, value, index) => sum + value * b[index]!, 0);

describe('POST /v1/embeddings with the official openai client (dedicated model stories260K.gguf)', () => {
  it('lists the embedding model beside the chat model', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['stories260K-chat', 'stories260K']);
  });

  it('scores similar texts closer than unrelated ones (the SDK asks for base64 by default)', async () => {
    const response = await client.embeddings.create({ model: 'stories260K', input: [cat, similarCat, unrelated] });
    assertMatchesSpec('CreateEmbeddingResponse', response);
    const [a, b, c] = response.data.map((item) => item.embedding) as [number[], number[], number[]];
    for (const vector of [a, b, c]) {
      expect(vector).toHaveLength(64);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
    }
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
    expect(cosine(a, b)).toBeGreaterThan(cosine(b, c));
    expect(response.model).toBe('stories260K');
    expect(response.usage.prompt_tokens).toBeGreaterThan(15);
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens);
  });

  it('gives the same vectors as float arrays, shortened ones with dimensions, token-id inputs', async () => {
    const base64 = await client.embeddings.create({ model: 'stories260K', input: cat });
    const floats = await client.embeddings.create({ model: 'stories260K', input: cat, encoding_format: 'float' });
    assertMatchesSpec('CreateEmbeddingResponse', floats);
    expect(floats.data[0]!.embedding).toEqual(base64.data[0]!.embedding);
    const short = await client.embeddings.create({ model: 'stories260K', input: cat, dimensions: 16, encoding_format: 'float' });
    expect(short.data[0]!.embedding).toHaveLength(16);
    expect(Math.hypot(...short.data[0]!.embedding)).toBeCloseTo(1, 5);
    const ids = await client.embeddings.create({ model: 'stories260K', input: [[1, 100, 200], [1, 300]], encoding_format: 'float' });
    expect(ids.data.map((item) => item.index)).toEqual([0, 1]);
  });

  it('answers an input longer than the context, and too many dimensions, with 400s naming the field', async () => {
    const long = 'the cat sat on the mat and '.repeat(40);
    const overflow = await client.embeddings.create({ model: 'stories260K', input: [cat, long] }).catch((error: unknown) => error);
    expect(overflow).toBeInstanceOf(OpenAI.BadRequestError);
    expect((overflow as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    expect((overflow as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input[1]');
    const tooWide = await client.embeddings.create({ model: 'stories260K', input: cat, dimensions: 65 }).catch((error: unknown) => error);
    expect(tooWide).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooWide as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('dimensions');
  });

  it('embeds a batch of 64 inputs in one request', async () => {
    const input = Array.from({ length: 64 }, (_, index) => `Story number ${index}: the dog ran to the park.`);
    const response = await client.embeddings.create({ model: 'stories260K', input, encoding_format: 'float' });
    expect(response.data).toHaveLength(64);
    expect(response.data.map((item) => item.index)).toEqual(input.map((_, index) => index));
  });
});
