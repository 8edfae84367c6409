import { afterEach, describe, expect, it } from 'vitest';
import { LlmEngine, LlmError, type CompletionDelta } from '../src/index.js';
import { withDecodeBatches } from './decode-batches.js';
import { testModel } from './test-models.js';

const prompts = ['Once upon a time', 'The dog', 'Lily and Ben', 'A big red ball'];

describe('LlmEngine concurrency', () => {
  const engines: LlmEngine[] = [];
  const load = async (parallel: number, maxQueue: number): Promise<LlmEngine> => {
    const engine = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 1024, parallel, maxQueue });
    engines.push(engine);
    return engine;
  };
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.dispose()));
  });

  // Decodes are counted, not timed: a shared machine's load moves wall time, not how the work is batched.
  it('finishes N parallel requests correctly, decoding them together in one batch per step', async () => {
    const { result: engine, sizes } = await withDecodeBatches(() => load(4, 8));
    const options = { maxTokens: 200, temperature: 0 } as const;
    await engine.complete({ prompt: 'warm up', maxTokens: 4 });
    sizes.length = 0;
    const sequential = [];
    for (const prompt of prompts) sequential.push(await engine.complete({ prompt, ...options }));
    const sequentialDecodes = sizes.length;
    sizes.length = 0;
    let peakInUse = 0;
    const watcher = setInterval(() => {
      peakInUse = Math.max(peakInUse, engine.stats().slotsInUse);
    }, 1);
    const parallel = await Promise.all(prompts.map((prompt) => engine.complete({ prompt, ...options })));
    clearInterval(watcher);
    expect(parallel.map((r) => r.text)).toEqual(sequential.map((r) => r.text));
    expect(parallel.every((r) => r.usage.completionTokens === 200 && r.finishReason === 'length')).toBe(true);
    expect(peakInUse).toBe(4);
    // One decode per token sequentially; together, one step decodes a token of each of the four.
    expect(sequentialDecodes).toBeGreaterThanOrEqual(4 * 199);
    expect(sizes.length).toBeLessThanOrEqual(200 + 4);
    expect(sizes.filter((size) => size === 4).length).toBeGreaterThanOrEqual(190);
  });

  it('frees the slot promptly on abort mid-generation, and the queued request then runs', async () => {
    const engine = await load(1, 4);
    const controller = new AbortController();
    const long = engine.streamComplete({ prompt: 'Once upon a time', maxTokens: 900, temperature: 0, signal: controller.signal });
    const iterator = long[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect((first.value as CompletionDelta).type).toBe('text');
    const queued = engine.complete({ prompt: 'The dog', maxTokens: 10, temperature: 0 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(engine.stats()).toMatchObject({ slots: 1, slotsInUse: 1, queueDepth: 1 });
    const abortedAt = performance.now();
    controller.abort();
    const error = (await (async () => {
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next());
    })().catch((e: unknown) => e)) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.code).toBe('aborted');
    const result = await queued;
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(result.usage.completionTokens).toBe(10);
    expect(engine.stats()).toMatchObject({ slotsInUse: 0, queueDepth: 0 });
  });

  it('aborts a non-streamed request and a queued one with aborted', async () => {
    const engine = await load(1, 4);
    const running = new AbortController();
    const waiting = new AbortController();
    const first = engine.complete({ prompt: 'Once upon a time', maxTokens: 900, signal: running.signal }).catch((e: unknown) => e);
    const second = engine.complete({ prompt: 'The dog', maxTokens: 900, signal: waiting.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(engine.stats().queueDepth).toBe(1);
    waiting.abort();
    expect(((await second) as LlmError).code).toBe('aborted');
    expect(engine.stats().queueDepth).toBe(0);
    running.abort();
    expect(((await first) as LlmError).code).toBe('aborted');
    expect(engine.stats().slotsInUse).toBe(0);
    const already = (await engine.complete({ prompt: 'x', signal: AbortSignal.abort() }).catch((e: unknown) => e)) as LlmError;
    expect(already.code).toBe('aborted');
  });

  it('frees the slot when a stream consumer stops early', async () => {
    const engine = await load(1, 0);
    for await (const delta of engine.streamComplete({ prompt: 'Once upon a time', maxTokens: 900 })) {
      expect(delta.type).toBe('text');
      break;
    }
    expect(engine.stats().slotsInUse).toBe(0);
    expect((await engine.complete({ prompt: 'The dog', maxTokens: 3 })).usage.completionTokens).toBe(3);
  });

  it('rejects with queue-full when every slot is busy and the queue is at its bound', async () => {
    const engine = await load(1, 1);
    const controller = new AbortController();
    const running = engine.complete({ prompt: 'Once upon a time', maxTokens: 900, signal: controller.signal }).catch((e: unknown) => e);
    const queued = engine.complete({ prompt: 'The dog', maxTokens: 3, temperature: 0 });
    const full = (await engine.complete({ prompt: 'A cat', maxTokens: 3 }).catch((e: unknown) => e)) as LlmError;
    expect(full).toBeInstanceOf(LlmError);
    expect(full.code).toBe('queue-full');
    expect(full.details).toMatchObject({ maxQueue: 1 });
    // A stream reports it from its first next(), before any delta.
    const iterator = engine.streamChat({ messages: [{ role: 'user', content: 'hi' }] })[Symbol.asyncIterator]();
    expect(((await iterator.next().catch((e: unknown) => e)) as LlmError).code).toBe('queue-full');
    controller.abort();
    expect(((await running) as LlmError).code).toBe('aborted');
    expect((await queued).usage.completionTokens).toBe(3);
  });
});
