import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, prepareCpuVariants, type ChatDelta, type ChatRequest, type ToolDefinition } from '../src/index.js';
import { writeNanLogitsModel } from './nan-model.js';
import { collect, testModel } from './test-models.js';

const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const weather: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] },
};
const jsonAnswer: ChatRequest = { messages: [{ role: 'user', content: 'Weather?' }], maxTokens: 60, temperature: 0, responseFormat: { type: 'json_schema', schema } };
const forcedCall: ChatRequest = { messages: [{ role: 'user', content: 'Weather?' }], maxTokens: 60, temperature: 0, tools: [weather], toolChoice: 'required' };

// This file loads other models before gemma3n-tiny in one process: the CPU variant (chosen once per
// process) is decided for all of them first, as an application loading several models does.
beforeAll(() => prepareCpuVariants([testModel('synthetic-gemma3n-tiny.gguf')]));

// Regression: with NaN logits llama.cpp's sampler picks a token the grammar refuses; node-llama-cpp
// rejected inside its detached batch dispatcher: the request hung and Node exited on the
// unhandled rejection. Now the request gets generation-failed and the slot serves the next one.
describe('LlmEngine when sampling fails (a model whose logits are NaN)', () => {
  let engine: LlmEngine;
  let model: Awaited<ReturnType<typeof writeNanLogitsModel>>;
  const warnings: string[] = [];
  beforeAll(async () => {
    model = await writeNanLogitsModel();
    engine = await LlmEngine.load({
      modelPath: model.path,
      threads: 1,
      contextSize: 2048,
      logger: (level, message) => {
        if (level === 'warn') warnings.push(message);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.dispose();
    await model?.dispose();
  });

  it('fails a grammar-constrained request with generation-failed naming the sampler error, and stays usable', async () => {
    for (const request of [jsonAnswer, forcedCall, { ...jsonAnswer, responseFormat: { type: 'json_object' as const } }]) {
      const error = await engine.chat(request).catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        code: 'generation-failed',
        message: expect.stringMatching(/grammar does not allow.*NaN.*Failed to accept token in sampler/s) as unknown,
        details: { sampler: expect.stringContaining('grammar') as unknown },
      });
    }
    const streamed = await collect<ChatDelta>(engine.streamChat(forcedCall)).catch((caught: unknown) => caught);
    expect(streamed).toMatchObject({ code: 'generation-failed' });
    expect(warnings.some((line) => line.startsWith('sampling failed: Failed to accept token in sampler'))).toBe(true);
    // The single slot was freed: a request without a grammar still runs to its token limit.
    const plain = await engine.chat({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 5, temperature: 0 });
    expect(plain).toMatchObject({ finishReason: 'length', usage: { completionTokens: 5 } });
  }, 60_000);
});

// The issue's own Gemma 3n fixture. On CPUs where llama.cpp picks its Sapphire Rapids (AMX)
// kernels, this random-weight file gives NaN logits once the context's batch size reaches 64
// (the default is 512); below that, and on other CPUs, its logits are numbers.
describe('LlmEngine grammar requests on synthetic-gemma3n-tiny', () => {
  it('never takes the process down at the default batch size: an answer or generation-failed', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3n-tiny.gguf'), threads: 1, contextSize: 1024 });
    try {
      for (const request of [jsonAnswer, forcedCall]) {
        const outcome = await engine.chat(request).then(
          (result) => result.finishReason,
          (error: unknown) => (error as { code?: string }).code,
        );
        expect(['stop', 'length', 'tool_calls', 'generation-failed']).toContain(outcome);
      }
    } finally {
      await engine.dispose();
    }
  }, 120_000);

  it('returns a forced tool call cut by maxTokens 60 as the partial call with finish reason length, streamed and not', async () => {
    // One string parameter: random weights rarely close a string, so 60 tokens cut the call.
    const lookup: ToolDefinition = { name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } };
    const request: ChatRequest = { ...forcedCall, tools: [lookup] };
    const engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3n-tiny.gguf'), threads: 1, contextSize: 1024, batchSize: 32 });
    try {
      const cut = await engine.chat(request);
      expect(cut).toMatchObject({ content: null, finishReason: 'length', usage: { completionTokens: 60 } });
      expect(cut.toolCalls).toMatchObject([{ name: 'lookup', arguments: expect.stringMatching(/^\{/) as unknown }]);
      const { deltas } = await collect<ChatDelta>(engine.streamChat(request));
      expect(deltas.filter((delta) => delta.type === 'tool-call')).toMatchObject([{ name: 'lookup', arguments: expect.stringMatching(/^\{/) as unknown }]);
      expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'length', usage: { completionTokens: 60 } });
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});
