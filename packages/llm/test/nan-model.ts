import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { testModel } from './test-models.js';

/**
 * A copy of stories260K-chat.gguf whose `output_norm.weight` (64 F32 values) is NaN, so every
 * logit is NaN on every CPU: the state in which llama.cpp's sampler picks a token the grammar
 * refuses. The caller removes the folder with `dispose()`.
 */
export async function writeNanLogitsModel(): Promise<{ readonly path: string; dispose(): Promise<void> }> {
  const source = testModel('stories260K-chat.gguf');
  const dir = await mkdtemp(path.join(tmpdir(), 'trosyn-nan-model-'));
  const target = path.join(dir, 'stories260K-chat-nan.gguf');
  await copyFile(source, target);
  const info = await readGgufFileInfo(source, { readTensorInfo: true });
  const norm = info.fullTensorInfo?.find((tensor) => tensor.name === 'output_norm.weight');
  if (norm === undefined || norm.ggmlType !== 0) throw new Error(`${source} has no F32 output_norm.weight`);
  const values = Number(norm.dimensions[0]);
  const nan = Buffer.alloc(values * 4);
  for (let index = 0; index < values; index++) nan.writeFloatLE(Number.NaN, index * 4);
  const file = await open(target, 'r+');
  try {
    await file.write(nan, 0, nan.length, Number(norm.fileOffset));
  } finally {
    await file.close();
  }
  return { path: target, dispose: () => rm(dir, { recursive: true, force: true }) };
}
