import { existsSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

/**
 * The GGUF a benchmark runs: `BENCH_MODEL` when set, else the first of `names` found in
 * `TROSYN_TEST_MODELS_DIR`, `../shared/models` or `models/` beside the repository (each name is
 * looked for in every folder before the next name). Throws, naming them, when none is there.
 */
export function findBenchModel(names: readonly string[]): string {
  const explicit = process.env['BENCH_MODEL'];
  if (explicit !== undefined) return path.resolve(explicit);
  const dirs = [process.env['TROSYN_TEST_MODELS_DIR'], path.join(repoRoot, '..', 'shared', 'models'), path.join(repoRoot, 'models')];
  for (const name of names) {
    for (const dir of dirs) if (dir !== undefined && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  throw new Error(`No benchmark model: set BENCH_MODEL or TROSYN_TEST_MODELS_DIR (a folder with ${names.join(' or ')}).`);
}
