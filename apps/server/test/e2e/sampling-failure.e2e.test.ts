import { resolve } from 'node:path';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';

// Regression: on synthetic-gemma3n-tiny (gemma3n, random weights) a JSON answer or a forced tool
// call made node-llama-cpp reject outside any awaited promise when the model's logits were NaN
// (llama.cpp's AMX kernels at the default batch size): the request hung and the server exited.
// Now such a request gets 500 generation_failed with a message, and the server goes on serving.
const MODEL = 'synthetic-gemma3n-tiny';
const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/** What a request ended with: its finish reason, or the error code the server answered. */
async function outcome(run: () => Promise<string | null | undefined>): Promise<string> {
  try {
    return String(await run());
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    expect(error).toMatchObject({ status: 500, code: 'generation_failed' });
    expect(error.message).toMatch(/grammar does not allow/);
    return 'generation_failed';
  }
}

describe('grammar requests on a gemma3n model whose logits may be NaN (official openai client)', () => {
  let server: ServerProcess;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startServerProcess({
      env: { LLM_MODEL_PATH: resolve(testModelsDir(), `${MODEL}.gguf`), LLM_THREADS: '1', LLM_CONTEXT_SIZE: '1024' },
      waitForModel: true,
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('answers json_schema and forced tool calls, or fails them with 500 generation_failed, and keeps serving', async () => {
    const base = { model: MODEL, messages: [{ role: 'user' as const, content: 'Weather?' }], max_tokens: 60, temperature: 0 };
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const outcomes = [
      await outcome(async () => {
        const completion = await client.chat.completions.create({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'w', schema } } });
        return completion.choices[0]?.finish_reason;
      }),
      await outcome(async () => {
        const completion = await client.chat.completions.create({ ...base, tools: [weatherTool], tool_choice: 'required' });
        return completion.choices[0]?.finish_reason;
      }),
      await outcome(async () => {
        const stream = await client.chat.completions.create({ ...base, tools: [weatherTool], tool_choice: 'required', stream: true });
        let finish: string | null = null;
        for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
        return finish;
      }),
    ];
    for (const ended of outcomes) expect(['stop', 'length', 'tool_calls', 'generation_failed']).toContain(ended);

    // Still alive, the slot free: a plain answer runs to its limit.
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const plain = await client.chat.completions.create({ ...base, max_tokens: 4 });
    expect(plain.choices[0]?.finish_reason).toBe('length');
    expect(plain.usage?.completion_tokens).toBe(4);
  }, 180_000);
});
