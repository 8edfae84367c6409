import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, LlmError, type GenerationEvent } from '../src/index.js';
import { collect, testModel } from './test-models.js';

describe('LlmEngine generation events', () => {
  let engine: LlmEngine;
  const events: GenerationEvent[] = [];
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), threads: 1, contextSize: 512, parallel: 1, maxQueue: 0 });
    engine.on('generation', (event) => events.push(event));
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it('reports each request once it is over, with the usage and timings of its tokens', async () => {
    events.length = 0;
    const result = await engine.complete({ prompt: 'Once upon a time', maxTokens: 16, temperature: 0 });
    await collect(engine.streamChat({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 8, temperature: 0 }));
    expect(events).toHaveLength(2);
    const [completion, chat] = events as [GenerationEvent, GenerationEvent];
    expect(completion).toMatchObject({ kind: 'completion', streamed: false, outcome: 'completed', finishReason: result.finishReason });
    expect(completion.promptTokens).toBe(result.usage.promptTokens);
    expect(completion.completionTokens).toBe(result.usage.completionTokens);
    expect(completion.queueMs).toBeGreaterThanOrEqual(0);
    expect(completion.timeToFirstTokenMs).toBeGreaterThan(completion.queueMs!);
    expect(completion.timePerOutputTokenMs).toBeGreaterThan(0);
    expect(completion.durationMs).toBeGreaterThanOrEqual(completion.timeToFirstTokenMs!);
    expect(chat).toMatchObject({ kind: 'chat', streamed: true, outcome: 'completed' });
    expect(chat.completionTokens).toBeGreaterThan(0);
  });

  it('reports a request refused with a full queue, and a stream its consumer left, with their error codes', async () => {
    events.length = 0;
    const stream = engine.streamComplete({ prompt: 'Once upon a time', maxTokens: 200, temperature: 0 });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // the slot is taken
    await expect(engine.complete({ prompt: 'The dog', maxTokens: 4 })).rejects.toThrow(LlmError);
    await iterator.return?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((event) => event.outcome).sort()).toEqual(['aborted', 'queue-full']);
    const aborted = events.find((event) => event.outcome === 'aborted')!;
    expect(aborted.streamed).toBe(true);
    expect(aborted.completionTokens).toBeGreaterThan(0);
  });

  it('keeps generating when a listener throws', async () => {
    const off = engine.on('generation', () => {
      throw new Error('listener bug');
    });
    const result = await engine.complete({ prompt: 'The cat', maxTokens: 4, temperature: 0 });
    off();
    expect(result.usage.completionTokens).toBe(4);
  });
});
