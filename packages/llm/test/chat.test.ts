import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, type ChatDelta, type ChatMessage, type LlmError, type ToolDefinition } from '../src/index.js';
import { collect, storiesTemplate, testModel } from './test-models.js';

const story: readonly ChatMessage[] = [
  { role: 'system', content: 'You tell short stories.' },
  { role: 'user', content: 'Tell me about a dog.' },
];
// The answer at temperature 0, 40 tokens, with the stories template. The models README records the
// same text with a final '.': node-llama-cpp alone ended the prompt with `assistant: `; the
// template's own generation prompt (used since #14) ends with `assistant:`, so the model's first
// token is a space and 40 tokens end just before the period.
const templateAnswer = 'You can have a shiny coin and make you feel better. You can have a new friend';

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] },
};

describe('LlmEngine chat template', () => {
  it('uses the template inside the GGUF file (stories260K-chat)', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), threads: 1, contextSize: 512 });
    try {
      expect(engine.info.hasChatTemplate).toBe(true);
      expect(engine.runtime.chatWrapper).toBe('JinjaTemplate');
      const result = await engine.chat({ messages: story, maxTokens: 40, temperature: 0 });
      expect(result.content?.trim()).toBe(templateAnswer);
      // The prompt count is exact: asking again finds all of it but the last token in the slot's cache.
      const again = await engine.chat({ messages: story, maxTokens: 40, temperature: 0 });
      expect(again.usage.promptTokens).toBe(result.usage.promptTokens);
      expect(again.usage.cachedPromptTokens).toBe(result.usage.promptTokens - 1);
      expect(result.usage.promptTokens).toBeGreaterThan(await engine.countTokens('system: You tell short stories.\nuser: Tell me about a dog.\nassistant:'));
    } finally {
      await engine.dispose();
    }
  });

  it('uses a supplied template instead of the model default, with the same result as the file template', async () => {
    const plain = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 512 });
    const templated = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 512, chatTemplate: storiesTemplate });
    try {
      expect(plain.info.hasChatTemplate).toBe(false);
      const withTemplate = await templated.chat({ messages: story, maxTokens: 40, temperature: 0 });
      const withDefault = await plain.chat({ messages: story, maxTokens: 40, temperature: 0 });
      expect(withTemplate.content?.trim()).toBe(templateAnswer);
      expect(withDefault.content).not.toBe(withTemplate.content);
      expect(withDefault.usage.promptTokens).not.toBe(withTemplate.usage.promptTokens);
    } finally {
      await plain.dispose();
      await templated.dispose();
    }
  });
});

describe('LlmEngine chat (stories260K-chat)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), threads: 1, contextSize: 1024 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('streams deltas that concatenate to the non-streamed content', async () => {
    for (const stop of [[], ['friend'], ['new', 'coin']]) {
      const whole = await engine.chat({ messages: story, maxTokens: 40, temperature: 0, stop });
      const { deltas, text } = await collect<ChatDelta>(engine.streamChat({ messages: story, maxTokens: 40, temperature: 0, stop }));
      expect(text).toBe(whole.content ?? '');
      for (const s of stop) expect(text).not.toContain(s);
      expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: whole.finishReason, usage: { promptTokens: whole.usage.promptTokens, completionTokens: whole.usage.completionTokens } });
    }
  });

  it('ends with finish reason length at maxTokens', async () => {
    const result = await engine.chat({ messages: story, maxTokens: 5, temperature: 0 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.completionTokens).toBe(5);
  });

  it('reuses the cached prefix of a conversation that grows', async () => {
    const first = await engine.chat({ messages: story, maxTokens: 10, temperature: 0 });
    const next = await engine.chat({
      messages: [...story, { role: 'assistant', content: first.content }, { role: 'user', content: 'And then?' }],
      maxTokens: 10,
      temperature: 0,
    });
    expect(next.usage.cachedPromptTokens).toBeGreaterThanOrEqual(first.usage.promptTokens - 1);
    expect(next.usage.cachedPromptTokens).toBeLessThan(next.usage.promptTokens);
  });

  it('produces JSON matching a schema', async () => {
    const schema = { type: 'object', properties: { animal: { enum: ['dog', 'cat'] }, legs: { type: 'integer' } }, required: ['animal', 'legs'] };
    const result = await engine.chat({ messages: story, maxTokens: 100, temperature: 0, responseFormat: { type: 'json_schema', schema } });
    const value = JSON.parse(result.content ?? '') as { animal: unknown; legs: unknown };
    expect(['dog', 'cat']).toContain(value.animal);
    expect(Number.isInteger(value.legs)).toBe(true);
  });

  it('produces a grammar-forced tool call when toolChoice is required', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'What is the weather in Oslo?' }];
    const result = await engine.chat({ messages, tools: [weather], toolChoice: 'required', maxTokens: 80, temperature: 0 });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toHaveLength(1);
    const [call] = result.toolCalls;
    expect(call?.name).toBe('get_weather');
    expect(call?.id).toMatch(/^call_[0-9a-f]{24}$/);
    const args = JSON.parse(call?.arguments ?? '') as { city: unknown; days: unknown };
    expect(typeof args.city).toBe('string');
    expect(Number.isInteger(args.days)).toBe(true);
    // Streaming gives the same call as one complete tool-call delta before done.
    const { deltas } = await collect<ChatDelta>(engine.streamChat({ messages, tools: [weather], toolChoice: { name: 'get_weather' }, maxTokens: 80, temperature: 0 }));
    const toolDeltas = deltas.filter((d) => d.type === 'tool-call');
    expect(toolDeltas).toHaveLength(1);
    expect(toolDeltas[0]).toMatchObject({ index: 0, name: 'get_weather', arguments: call?.arguments });
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
  });

  it('feeds tool results back to the model as function call results', async () => {
    const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo","days":1}' };
    const withResult = (content: string): ChatMessage[] => [
      { role: 'user', content: 'What is the weather in Oslo?' },
      { role: 'assistant', content: null, toolCalls: [call] },
      { role: 'tool', toolCallId: 'call_1', content },
    ];
    const short = await engine.chat({ messages: withResult('{"sky":"clear"}'), tools: [weather], maxTokens: 10, temperature: 0 });
    const longResult = JSON.stringify({ sky: 'clear', detail: 'a long tail of sunshine and wind over the fjord '.repeat(4) });
    const long = await engine.chat({ messages: withResult(longResult), tools: [weather], maxTokens: 10, temperature: 0 });
    // The result text is part of the prompt the model sees: a longer result costs its extra tokens.
    const extra = (await engine.countTokens(longResult)) - (await engine.countTokens('{"sky":"clear"}'));
    expect(long.usage.promptTokens - short.usage.promptTokens).toBeGreaterThanOrEqual(extra - 2);
    expect(['stop', 'length', 'tool_calls']).toContain(short.finishReason);
    // toolChoice none: the tools are not offered, so the prompt is shorter.
    const none = await engine.chat({ messages: withResult('{"sky":"clear"}'), tools: [weather], toolChoice: 'none', maxTokens: 10, temperature: 0 });
    expect(none.usage.promptTokens).toBeLessThan(short.usage.promptTokens);
  });

  it('rejects bad tool requests with invalid-request', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];
    const named = (await engine.chat({ messages, tools: [weather], toolChoice: { name: 'nope' } }).catch((e: unknown) => e)) as LlmError;
    expect([named.code, named.details.param]).toEqual(['invalid-request', 'toolChoice']);
    const required = (await engine.chat({ messages, toolChoice: 'required' }).catch((e: unknown) => e)) as LlmError;
    expect(required.code).toBe('invalid-request');
    const dangling = (await engine.chat({ messages: [...messages, { role: 'tool', toolCallId: 'x', content: '1' }] }).catch((e: unknown) => e)) as LlmError;
    expect(dangling.details.param).toBe('messages[1].toolCallId');
  });

  it('rejects a conversation beyond the context with context-overflow', async () => {
    const long: ChatMessage[] = [{ role: 'user', content: 'the dog ran. '.repeat(400) }];
    const error = (await engine.chat({ messages: long, maxTokens: 10 }).catch((e: unknown) => e)) as LlmError;
    expect(error.code).toBe('context-overflow');
    expect(error.details.contextSize).toBe(1024);
    expect(error.details.promptTokens).toBeGreaterThan(1024);
    const iterator = engine.streamChat({ messages: long })[Symbol.asyncIterator]();
    expect(((await iterator.next().catch((e: unknown) => e)) as LlmError).code).toBe('context-overflow');
  });
});
