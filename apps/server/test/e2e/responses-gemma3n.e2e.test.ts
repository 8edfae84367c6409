import { resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec, assertResponseEventMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';

// The Responses API on the architecture Trosyn ships by default (gemma3n), through its real
// chat template, which folds the system text into the first user turn. The model has random
// weights: only the shape of the answers is checked, not their text.

const MODEL = 'synthetic-gemma3n-tiny';

let server: ServerProcess;
let client: OpenAI;

beforeAll(async () => {
  loadOpenAiSpec();
  server = await startServerProcess({
    env: { LLM_MODEL_PATH: resolve(testModelsDir(), `${MODEL}.gguf`), LLM_THREADS: '1', LLM_CONTEXT_SIZE: '1024' },
    waitForModel: true,
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
});

afterAll(async () => {
  await server?.stop();
});

describe('the Responses API on a gemma3n model', () => {
  it('answers with instructions, streams, and continues with previous_response_id', async () => {
    const first = await client.responses.create({ model: MODEL, instructions: 'Answer briefly.', input: 'Hello there.', max_output_tokens: 8, temperature: 0 });
    assertMatchesSpec('Response', first);
    expect(first.usage!.output_tokens).toBeGreaterThan(0);
    expect(first.usage!.output_tokens).toBeLessThanOrEqual(8);

    const stream = await client.responses.create({ model: MODEL, previous_response_id: first.id, input: 'And now?', max_output_tokens: 8, temperature: 0, stream: true });
    let last: OpenAI.Responses.ResponseStreamEvent | undefined;
    for await (const event of stream) {
      assertResponseEventMatchesSpec(event);
      last = event;
    }
    expect(last?.type === 'response.completed' || last?.type === 'response.incomplete').toBe(true);
    const second = last!.type === 'response.completed' || last!.type === 'response.incomplete' ? last!.response : undefined;
    expect(second!.previous_response_id).toBe(first.id);
    expect(second!.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
  });
});
