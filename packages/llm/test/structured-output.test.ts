import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, type ChatDelta, type ChatMessage, type LlmError, type ToolDefinition } from '../src/index.js';
import { collect, testModel } from './test-models.js';

const ask: readonly ChatMessage[] = [{ role: 'user', content: 'Tell me a story as JSON.' }];
const storySchema = {
  type: 'object',
  properties: { title: { type: 'string' }, mood: { type: 'string', enum: ['happy', 'sad'] }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['title', 'mood', 'tags'],
  additionalProperties: false,
};
const weather: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] },
};

describe('LlmEngine structured output (stories260K-chat, whose template stops on a newline)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), threads: 1, contextSize: 1024 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  // Regression (#14): the template's "\n" stop trigger ended the answer inside the JSON
  // (`{ "title": …, "tags": [` with finish reason stop after 50 of 400 tokens).
  it('does not end a json_schema answer on a template stop trigger: stop means complete JSON', async () => {
    const result = await engine.chat({ messages: ask, maxTokens: 400, temperature: 0, responseFormat: { type: 'json_schema', schema: storySchema } });
    expect(result.finishReason).toBe('stop');
    const value = JSON.parse(result.content ?? '') as { mood: string; tags: unknown[] };
    expect(['happy', 'sad']).toContain(value.mood);
    expect(Array.isArray(value.tags)).toBe(true);
    const { deltas, text } = await collect<ChatDelta>(
      engine.streamChat({ messages: ask, maxTokens: 400, temperature: 0, responseFormat: { type: 'json_schema', schema: storySchema } }),
    );
    expect(text).toBe(result.content);
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
  });

  it('calls a json_object answer that maxTokens cut `length`, and one that ended `stop` only when it parses', async () => {
    for (const maxTokens of [8, 400]) {
      const result = await engine.chat({ messages: ask, maxTokens, temperature: 0, responseFormat: { type: 'json_object' } });
      if (result.finishReason === 'stop') expect(typeof JSON.parse(result.content ?? '')).toBe('object');
      else expect(result).toMatchObject({ finishReason: 'length', usage: { completionTokens: maxTokens } });
    }
    const cut = await engine.chat({ messages: ask, maxTokens: 8, temperature: 0, responseFormat: { type: 'json_schema', schema: storySchema } });
    expect(cut.finishReason).toBe('length');
    expect(() => JSON.parse(cut.content ?? '')).toThrow();
  });

  it('refuses stop strings with a JSON response format (they would cut the JSON)', async () => {
    const error = (await engine.chat({ messages: ask, stop: ['}'], responseFormat: { type: 'json_object' } }).catch((caught: unknown) => caught)) as LlmError;
    expect(error).toMatchObject({ code: 'invalid-request', details: { param: 'stop' } });
  });

  // Regression (#14): a forced call cut by maxTokens came back with no tool call at all.
  it('returns a forced tool call cut by maxTokens as the partial call with finish reason length, streamed and not', async () => {
    const request = { messages: [{ role: 'user', content: 'Weather?' }] as const, tools: [weather], toolChoice: 'required' as const, temperature: 0 };
    const cut = await engine.chat({ ...request, maxTokens: 30 });
    expect(cut.finishReason).toBe('length');
    expect(cut.usage.completionTokens).toBe(30);
    expect(cut.toolCalls).toHaveLength(1);
    expect(cut.toolCalls[0]).toMatchObject({ name: 'get_weather', arguments: expect.stringMatching(/^\{\s*"city"/) as unknown });
    expect(() => JSON.parse(cut.toolCalls[0]?.arguments ?? '')).toThrow();
    const { deltas } = await collect<ChatDelta>(engine.streamChat({ ...request, maxTokens: 30 }));
    expect(deltas.filter((delta) => delta.type === 'tool-call')).toEqual([
      { type: 'tool-call', index: 0, id: expect.stringMatching(/^call_/) as unknown, name: 'get_weather', arguments: cut.toolCalls[0]?.arguments },
    ]);
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'length' });

    // Cut before its arguments began: the forced function's call, with empty arguments.
    const early = await engine.chat({ ...request, maxTokens: 3 });
    expect(early).toMatchObject({ finishReason: 'length', toolCalls: [{ name: 'get_weather', arguments: '' }] });

    const whole = await engine.chat({ ...request, maxTokens: 300 });
    expect(whole.finishReason).toBe('tool_calls');
    expect(JSON.parse(whole.toolCalls[0]?.arguments ?? '')).toHaveProperty('city');
  });

  // #14: the function-calling grammar ignores bounds; a strict tool that relies on them is refused,
  // not ignored; a non-strict one (zod's .min() in every AI SDK tool) is served, bounds best effort.
  it('refuses a strict tool whose parameters use a keyword tool calls cannot enforce, and serves a non-strict one', async () => {
    const parameters = { type: 'object', properties: { stars: { type: 'integer', minimum: 0, maximum: 5 } }, required: ['stars'] };
    const strict: ToolDefinition = { name: 'rate', parameters, strict: true };
    const error = await engine.chat({ messages: [{ role: 'user', content: 'Rate it.' }], tools: [weather, strict], toolChoice: 'required' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unsupported-schema', details: { param: 'tools[1].parameters', keyword: 'minimum', path: '/properties/stars/minimum' } });
    const loose: ToolDefinition = { name: 'rate', parameters };
    const served = await engine.chat({ messages: [{ role: 'user', content: 'Rate it.' }], tools: [loose], toolChoice: 'required', temperature: 0, maxTokens: 200 });
    expect(served.finishReason).toBe('tool_calls');
    expect(Number.isInteger((JSON.parse(served.toolCalls[0]?.arguments ?? '') as { stars: unknown }).stars)).toBe(true);
  });
});

// Gemma-shaped (Gemma 4 template, 262,144-token vocabulary, random weights). The issue's own
// Gemma 3n fixture has its test in sampling-failure.test.ts (with batchSize 32: at 64 and more its
// logits are NaN on CPUs with llama.cpp's AMX kernels).
describe('LlmEngine forced tool call cut by maxTokens (synthetic gemma3 270M, Gemma 4 template)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3-270m-q4_k_m.gguf'), contextSize: 1024 });
  }, 120_000);
  afterAll(async () => {
    await engine?.dispose();
  });

  it('returns the partial call with finish reason length, streamed and not', async () => {
    const request = { messages: [{ role: 'user', content: 'Weather?' }] as const, tools: [weather], toolChoice: 'required' as const, temperature: 0, maxTokens: 24 };
    const cut = await engine.chat(request);
    expect(cut).toMatchObject({ content: null, finishReason: 'length', usage: { completionTokens: 24 } });
    expect(cut.toolCalls).toHaveLength(1);
    expect(cut.toolCalls[0]?.name).toBe('get_weather');
    expect(cut.toolCalls[0]?.arguments).toMatch(/^\{/);
    const { deltas } = await collect<ChatDelta>(engine.streamChat(request));
    // Random weights make near-ties, so the cached prompt of the second run may change the last
    // token: the call and its start are compared, not every byte.
    expect(deltas.filter((delta) => delta.type === 'tool-call')).toMatchObject([{ name: 'get_weather', arguments: expect.stringMatching(/^\{/) as unknown }]);
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'length', usage: { completionTokens: 24 } });
  }, 120_000);
});
