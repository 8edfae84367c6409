import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { LlmError } from './errors.js';

/** What to tell a user whose model file is missing. */
export const modelHint =
  'Run `pnpm model:pull` in the Trosyn repository to download the default Gemma 3n E2B model into models/, ' +
  'or set LLM_MODEL_PATH (the `modelPath` option) to an existing GGUF file.';

/** True for what node-llama-cpp's `resolveModelFile` downloads rather than reads (`hf:…`, `https://…`). */
export function isModelUri(modelPath: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(modelPath);
}

/** The model id a file gives: its name without `.gguf` (and without a split suffix). */
export function modelIdFromPath(filePath: string): string {
  return path.basename(filePath).replace(/(-\d{5}-of-\d{5})?\.gguf$/i, '');
}

/**
 * Checks that `filePath` is a readable GGUF file and returns its absolute path and size.
 * Missing → `model-not-found`; a directory or a file without the GGUF magic → `model-invalid`.
 */
export async function checkModelFile(filePath: string): Promise<{ readonly path: string; readonly size: number }> {
  const absolute = path.resolve(filePath);
  let info;
  try {
    info = await stat(absolute);
  } catch (cause) {
    throw new LlmError('model-not-found', `Model file not found: ${absolute}. ${modelHint}`, { path: absolute }, { cause });
  }
  if (!info.isFile()) {
    throw new LlmError('model-invalid', `Model path is not a file: ${absolute}. ${modelHint}`, { path: absolute });
  }
  const magic = Buffer.alloc(4);
  const handle = await open(absolute, 'r');
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic.toString('latin1') !== 'GGUF') {
    throw new LlmError(
      'model-invalid',
      `Not a GGUF model file (no GGUF magic bytes): ${absolute}. It may be a partial download or a Git LFS pointer; ` +
        `download it again. ${modelHint}`,
      { path: absolute },
    );
  }
  return { path: absolute, size: info.size };
}
