import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI, { type APIError, InternalServerError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { runServerToExit, startServerProcess, testModelsDir } from './server-process.js';

const tempDirs: string[] = [];
beforeAll(() => loadOpenAiSpec());
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('server process lifecycle', () => {
  it('starts without a model file, serves /health and /docs, and answers LLM routes with 503', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trosyn-server-'));
    tempDirs.push(dir);
    const modelPath = join(dir, 'absent.gguf');
    // Settings from a .env file in the working directory.
    writeFileSync(join(dir, '.env'), `LLM_MODEL_PATH=${modelPath}\n`);
    const server = await startServerProcess({ env: {}, cwd: dir });
    try {
      const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; model: { status: string; path: string } };
      expect(health).toMatchObject({ status: 'degraded', model: { status: 'missing', path: modelPath } });
      const docs = await fetch(`${server.url}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger-ui');
      expect((await fetch(`${server.url}/redoc`)).status).toBe(200);

      // The SDK's default retries: regression (issue 15) — with `Retry-After: 60` it waited twice
      // 60 s before the user saw this error; `x-should-retry: false` makes it raise at once.
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused' });
      const started = performance.now();
      const error = await client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(InternalServerError);
      expect((error as APIError).status).toBe(503);
      expect((error as APIError).code).toBe('model_not_loaded');
      expect((error as APIError).message).toContain(modelPath);
      expect((error as APIError).headers?.get('retry-after')).toBeNull();
      expect((error as APIError).headers?.get('x-should-retry')).toBe('false');
      const raw = await fetch(`${server.url}/v1/completions`, { method: 'POST', body: '{"prompt":"x"}' });
      assertMatchesSpec('ErrorResponse', await raw.json());
    } finally {
      expect(await server.stop('SIGINT')).toBe(0);
    }
  });

  it('refuses to start on an invalid variable, naming it, without a stack trace', async () => {
    const { code, stderr } = await runServerToExit({ TROSYN_PORT: 'eighty', LLM_MODEL_PATH: '/absent.gguf' });
    expect(code).toBe(1);
    expect(stderr).toContain('TROSYN_PORT');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('finishes an in-flight stream on SIGTERM, then exits 0', async () => {
    const server = await startServerProcess({
      env: { LLM_MODEL_PATH: resolve(testModelsDir(), 'stories260K.gguf'), LLM_THREADS: '1', LLM_CONTEXT_SIZE: '512' },
      waitForModel: true,
    });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.completions.create({ model: 'stories260K', prompt: 'Once upon a time', max_tokens: 200, temperature: 0, stream: true });
    let text = '';
    let finish: string | null = null;
    let signalled = false;
    for await (const chunk of stream) {
      if (!signalled) {
        server.child.kill('SIGTERM');
        signalled = true;
      }
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).not.toBeNull();
    expect(text.length).toBeGreaterThan(0);
    expect(await server.exited).toBe(0);
    expect(server.stdout.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });
});
