import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmError } from './errors.js';
import { checkModelFile, isModelUri, modelIdFromPath } from './model-file.js';

describe('checkModelFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trosyn-llm-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file as model-not-found, naming the path and what to do', async () => {
    const missing = path.join(dir, 'nope.gguf');
    const error = (await checkModelFile(missing).catch((e: unknown) => e)) as LlmError;
    expect(error.code).toBe('model-not-found');
    expect(error.details).toEqual({ path: missing });
    expect(error.message).toContain(missing);
    expect(error.message).toContain('pnpm model:pull');
    expect(error.message).toContain('LLM_MODEL_PATH');
  });

  it('reports a file without the GGUF magic (e.g. an LFS pointer) as model-invalid', async () => {
    const pointer = path.join(dir, 'pointer.gguf');
    await writeFile(pointer, 'version https://git-lfs.github.com/spec/v1\n');
    const error = (await checkModelFile(pointer).catch((e: unknown) => e)) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.code).toBe('model-invalid');
    expect(error.message).toContain(pointer);
  });

  it('accepts a GGUF header and reports the size', async () => {
    const file = path.join(dir, 'header.gguf');
    await writeFile(file, Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'));
    expect(await checkModelFile(file)).toEqual({ path: file, size: 8 });
  });
});

describe('modelIdFromPath / isModelUri', () => {
  it('derives the OpenAI model id from the file name', () => {
    expect(modelIdFromPath('/m/gemma-3n-e2b.gguf')).toBe('gemma-3n-e2b');
    expect(modelIdFromPath('/m/big-00001-of-00003.gguf')).toBe('big');
  });
  it('tells URIs from paths', () => {
    expect(isModelUri('hf:unsloth/gemma-3n-E2B-it-GGUF:Q4_K_M')).toBe(true);
    expect(isModelUri('https://example.com/m.gguf')).toBe(true);
    expect(isModelUri('./models/m.gguf')).toBe(false);
  });
});
