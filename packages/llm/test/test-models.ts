import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Path of a test model in `TROSYN_TEST_MODELS_DIR` (run_tests.sh sets it to the shared test
 * models). A missing variable or file fails the test with what to do: model-dependent tests
 * never skip silently and never download.
 */
export function testModel(
  file: 'stories260K.gguf' | 'stories260K-chat.gguf' | 'synthetic-gemma3-270m-q4_k_m.gguf' | 'synthetic-gemma3n-tiny.gguf',
): string {
  const dir = process.env.TROSYN_TEST_MODELS_DIR;
  if (dir === undefined || dir === '') {
    throw new Error(
      `TROSYN_TEST_MODELS_DIR is not set. Point it at the folder holding the test GGUF models (${file}), ` +
        'e.g. TROSYN_TEST_MODELS_DIR=../shared/models; ./run_tests.sh sets it itself.',
    );
  }
  const file_ = path.resolve(dir, file);
  if (!existsSync(file_)) {
    throw new Error(`Test model ${file_} is missing (TROSYN_TEST_MODELS_DIR=${dir}). Copy ${file} there; tests never download.`);
  }
  return file_;
}

/** The template the shared stories260K-chat.gguf carries (its README), for the supplied-template path. */
export const storiesTemplate =
  "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

/** Collects a stream into its text and its final item. */
export async function collect<T extends { readonly type: string }>(stream: AsyncIterable<T>): Promise<{ readonly deltas: T[]; readonly text: string }> {
  const deltas: T[] = [];
  let text = '';
  for await (const delta of stream) {
    deltas.push(delta);
    if (delta.type === 'text') text += (delta as unknown as { text: string }).text;
  }
  return { deltas, text };
}
