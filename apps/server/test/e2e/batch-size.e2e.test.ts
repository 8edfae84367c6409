import { resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';

// Regression: synthetic-gemma3n-tiny's logits are NaN in node-llama-cpp's prebuilt binary on CPUs
// with its Sapphire Rapids (AMX) kernels once the context's batch size is 40 or more, so behind
// the server every JSON answer and forced tool call ended in 500 generation_failed and there was
// no way to set the batch size. LLM_BATCH_SIZE=32 gives finite logits on every CPU: both requests
// must come back as valid JSON. (The engine now also keeps gemma3n models off that CPU variant,
// so the default batch size works too: test/cpu-variants.test.ts in @trosyn/llm; this test keeps
// the variable itself honest.)
const MODEL = 'synthetic-gemma3n-tiny';
const schema = {
  type: 'object',
  properties: { city: { enum: ['Oslo', 'Lima'] }, days: { type: 'integer', minimum: 1, maximum: 7 }, metric: { type: 'boolean' } },
  required: ['city', 'days', 'metric'],
  additionalProperties: false,
};
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Oslo', 'Lima'] }, metric: { type: 'boolean' } }, required: ['city', 'metric'] },
  },
};

describe('LLM_BATCH_SIZE on a real server process (official openai client)', () => {
  let server: ServerProcess;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startServerProcess({
      env: { LLM_MODEL_PATH: resolve(testModelsDir(), `${MODEL}.gguf`), LLM_THREADS: '1', LLM_CONTEXT_SIZE: '1024', LLM_BATCH_SIZE: '32' },
      waitForModel: true,
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('reports the batch size in /health and in the load log line', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { model: { batch_size: number } };
    expect(health.model.batch_size).toBe(32);
    expect(server.stdout.some((line) => line.includes('batch 32'))).toBe(true);
  });

  it('answers a json_schema request on gemma3n-tiny with valid JSON', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Weather?' }], max_tokens: 200, temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    const answer = JSON.parse(choice?.message.content ?? '') as { city: string; days: number; metric: boolean };
    expect(['Oslo', 'Lima']).toContain(answer.city);
    expect(answer.days).toBeGreaterThanOrEqual(1);
    expect(answer.days).toBeLessThanOrEqual(7);
    expect(typeof answer.metric).toBe('boolean');
  }, 120_000);

  it('answers tool_choice "required" on gemma3n-tiny with a call whose arguments are valid JSON', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Weather?' }], max_tokens: 200, temperature: 0,
      tools: [weatherTool], tool_choice: 'required',
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function.name : undefined).toBe('get_weather');
    const args = JSON.parse(call?.type === 'function' ? call.function.arguments : '') as { city: string; metric: boolean };
    expect(['Oslo', 'Lima']).toContain(args.city);
    expect(typeof args.metric).toBe('boolean');
  }, 120_000);
});
