import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, LlmError, readModelInfo } from '../src/index.js';
import { testModel } from './test-models.js';

describe('LlmEngine.load', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trosyn-llm-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file as model-not-found naming the path and what to do', async () => {
    const missing = path.join(dir, 'gemma-3n-e2b.gguf');
    const error = (await LlmEngine.load({ modelPath: missing }).catch((e: unknown) => e)) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.code).toBe('model-not-found');
    expect(error.details).toEqual({ path: missing });
    expect(error.message).toMatch(/pnpm model:pull.*LLM_MODEL_PATH/s);
  });

  it('reports a truncated GGUF file as model-invalid naming the path', async () => {
    const truncated = path.join(dir, 'truncated.gguf');
    const bytes = await readFile(testModel('stories260K.gguf'));
    await writeFile(truncated, bytes.subarray(0, 4096));
    const error = (await LlmEngine.load({ modelPath: truncated }).catch((e: unknown) => e)) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.code).toBe('model-invalid');
    expect(error.details).toMatchObject({ path: truncated });
    expect(error.message).toContain(truncated);
  });

  it('rejects bad config values with invalid-request', async () => {
    const error = (await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), parallel: 0 }).catch((e: unknown) => e)) as LlmError;
    expect([error.code, error.details.param]).toEqual(['invalid-request', 'parallel']);
    const template = (await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), chatTemplate: '{% for message in %}' }).catch(
      (e: unknown) => e,
    )) as LlmError;
    expect([template.code, template.details.param]).toEqual(['invalid-request', 'chatTemplate']);
  });

  it('reads model information from the GGUF header', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 256 });
    try {
      expect(engine.info).toMatchObject({
        id: 'stories260K',
        path: testModel('stories260K.gguf'),
        architecture: 'llama',
        parameterCount: 292_800,
        quantization: undefined,
        trainedContextLength: 2048,
        contextSize: 256,
        hasChatTemplate: false,
        fileSizeBytes: 1_185_376,
      });
      expect(engine.info.loadedAt).toBeInstanceOf(Date);
      // Tests run on node-llama-cpp's prebuilt binary unless a local build is selected explicitly.
      expect(engine.runtime).toMatchObject({ buildType: 'prebuilt', gpu: false, threads: 1, parallel: 1, chatWrapper: 'Llama2Chat' });
    } finally {
      await engine.dispose();
    }
    // The 178 MB model takes seconds to load on 2 vCPUs; its header is enough here.
    expect(await readModelInfo(testModel('synthetic-gemma3-270m-q4_k_m.gguf'))).toEqual({
      id: 'synthetic-gemma3-270m-q4_k_m',
      path: testModel('synthetic-gemma3-270m-q4_k_m.gguf'),
      architecture: 'gemma3',
      parameterCount: 268_098_176,
      quantization: 'Q4_K_M',
      trainedContextLength: 32_768,
      hasChatTemplate: true,
      fileSizeBytes: 178_491_840,
    });
    expect((await readModelInfo(testModel('stories260K-chat.gguf'))).hasChatTemplate).toBe(true);
  });
});

describe('LlmEngine.dispose', () => {
  it('is idempotent, fails running and queued requests, and makes every method throw disposed', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), threads: 1, contextSize: 1024, maxQueue: 2 });
    const running = engine.complete({ prompt: 'Once upon a time', maxTokens: 900 }).catch((e: unknown) => e);
    const queued = engine.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 5 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = engine.dispose();
    expect(engine.dispose()).toBe(first);
    await first;
    await engine.dispose();
    expect(engine.disposed).toBe(true);
    expect(((await running) as LlmError).code).toBe('disposed');
    expect(((await queued) as LlmError).code).toBe('disposed');
    const code = async (work: () => unknown): Promise<unknown> => {
      try {
        await work();
      } catch (error) {
        return (error as LlmError).code;
      }
      return 'no error';
    };
    expect(await code(() => engine.complete({ prompt: 'x' }))).toBe('disposed');
    expect(await code(() => engine.chat({ messages: [{ role: 'user', content: 'x' }] }))).toBe('disposed');
    expect(await code(() => engine.streamComplete({ prompt: 'x' })[Symbol.asyncIterator]().next())).toBe('disposed');
    expect(await code(() => engine.streamChat({ messages: [{ role: 'user', content: 'x' }] })[Symbol.asyncIterator]().next())).toBe('disposed');
    expect(await code(() => engine.countTokens('x'))).toBe('disposed');
    expect(await code(() => engine.stats())).toBe('disposed');
  });
});
