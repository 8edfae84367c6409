import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmbeddingEngine, LlmEngine, LlmError, SKIP_CPU_VARIANTS_VARIABLE } from '../src/index.js';
import { testModel } from './test-models.js';

const amx = /\bamx_(?:int8|tile)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

// Regression: ggml picks its CPU variant once per process, when the first engine loads. An
// embedding model (stories260K, llama) loaded first kept the Sapphire Rapids variant, and a
// gemma3n chat model loaded after it in the same process computed NaN on it, silently. Now the
// later engine refuses to load, naming the variable that fixes it. This file runs in a process
// of its own (vitest forks), so the embedding engine below is the process's first.
describe('a gemma3n engine loaded after another model chose the CPU variant', () => {
  it.skipIf(process.env[SKIP_CPU_VARIANTS_VARIABLE] !== undefined)('fails with model-invalid naming the variable, where it would compute NaN', async () => {
    const embedder = await EmbeddingEngine.load({ modelPath: testModel('stories260K.gguf'), contextSize: 64 });
    try {
      const loading = LlmEngine.load({ modelPath: testModel('synthetic-gemma3n-tiny.gguf'), threads: 1, contextSize: 1024 });
      if (!amx) {
        const engine = await loading;
        expect(engine.runtime.skippedCpuVariants).toEqual([]);
        await engine.dispose();
        return;
      }
      const error = await loading.then(
        async (engine) => {
          await engine.dispose();
          return undefined;
        },
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(LlmError);
      expect((error as LlmError).code).toBe('model-invalid');
      expect((error as LlmError).message).toContain(`${SKIP_CPU_VARIANTS_VARIABLE}=sapphirerapids`);
      expect((error as LlmError).message).toContain('stories260K.gguf');
    } finally {
      await embedder.dispose();
    }
  }, 120_000);
});
