import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';

// stories260K-chat's template ends each turn with a newline, which its chat wrapper turned into
// a stop trigger: JSON answers used to end at their first newline with finish_reason "stop" (#14).
const storySchema = {
  type: 'object',
  properties: { title: { type: 'string' }, mood: { type: 'string', enum: ['happy', 'sad'] }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['title', 'mood', 'tags'],
  additionalProperties: false,
};
const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] } },
};

describe('structured output over HTTP (stories260K-chat, official openai client)', () => {
  let server: ServerProcess;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startServerProcess({
      env: { LLM_MODEL_PATH: resolve(testModelsDir(), 'stories260K-chat.gguf'), LLM_THREADS: '1', LLM_CONTEXT_SIZE: '1024' },
      waitForModel: true,
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('answers json_schema with finish_reason stop only for complete, parseable JSON', async () => {
    const completion = await client.chat.completions.create({
      model: 'stories260K-chat',
      messages: [{ role: 'user', content: 'Tell me a story as JSON.' }],
      max_tokens: 400,
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'story', schema: storySchema, strict: true } },
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(JSON.parse(choice?.message.content ?? '')).toMatchObject({ mood: expect.stringMatching(/^(happy|sad)$/) as unknown });

    const cut = await client.chat.completions.create({
      model: 'stories260K-chat',
      messages: [{ role: 'user', content: 'Tell me a story as JSON.' }],
      max_tokens: 8,
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'story', schema: storySchema } },
    });
    expect(cut.choices[0]?.finish_reason).toBe('length');
  });

  // #14: an integer 0–150 came back as 90006, a 0–5 rating as -30, `^[0-9]{3}$` as a sentence, with a 200.
  it('enforces bounds and patterns of a strict json_schema, and refuses a keyword it cannot enforce with 400', async () => {
    const schema = {
      type: 'object',
      properties: {
        age: { type: 'integer', minimum: 0, maximum: 150 },
        rating: { type: 'number', minimum: 0, maximum: 5 },
        code: { type: 'string', pattern: '^[0-9]{3}$' },
      },
      required: ['age', 'rating', 'code'],
      additionalProperties: false,
    };
    const validate = new Ajv().compile(schema);
    for (const seed of [1, 2, 3]) {
      const completion = await client.chat.completions.create({
        model: 'stories260K-chat',
        messages: [{ role: 'user', content: 'Describe a person as JSON.' }],
        max_tokens: 200,
        temperature: 1,
        seed,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
      });
      const choice = completion.choices[0];
      expect(choice?.finish_reason).toBe('stop');
      expect(validate(JSON.parse(choice?.message.content ?? '')), choice?.message.content ?? '').toBe(true);
    }
    const error = await client.chat.completions
      .create({
        model: 'stories260K-chat',
        messages: [{ role: 'user', content: 'Pick a number.' }],
        response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'object', properties: { n: { type: 'integer', multipleOf: 5 } } } } },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'unsupported_value', param: 'response_format.json_schema.schema' });
    expect((error as Error).message).toContain('"multipleOf" at /properties/n/multipleOf');
  });

  it('returns a forced tool call cut by max_tokens as a partial call with finish_reason length, streamed and not', async () => {
    const request = {
      model: 'stories260K-chat',
      messages: [{ role: 'user' as const, content: 'Weather?' }],
      tools: [weatherTool],
      tool_choice: 'required' as const,
      max_tokens: 30,
      temperature: 0,
    };
    const completion = await client.chat.completions.create(request);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(30);
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    const partial = call?.type === 'function' ? call.function : undefined;
    expect(partial?.name).toBe('get_weather');
    expect(partial?.arguments).toMatch(/^\{\s*"city"/);

    const stream = await client.chat.completions.create({ ...request, stream: true });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const toolCall of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += toolCall.function?.name ?? '';
        args += toolCall.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect({ name, args, finish }).toEqual({ name: 'get_weather', args: partial?.arguments, finish: 'length' });
  });
});
