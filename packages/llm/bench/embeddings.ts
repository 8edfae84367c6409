// `pnpm --filter @trosyn/llm bench` (second part): embeddings per second for a batch of 64 short
// texts, the package's EmbeddingEngine against node-llama-cpp's LlamaEmbeddingContext called
// directly, same model, context size and threads, interleaved run by run. Prints figures,
// asserts nothing.
//
// Environment: BENCH_EMBEDDING_MODEL (a GGUF path; default: the synthetic 270M benchmark model
// from TROSYN_TEST_MODELS_DIR, ../shared/models or models/, else stories260K), BENCH_REPS
// (default 7), BENCH_THREADS (default 1).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { EmbeddingEngine } from '@trosyn/llm';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const reps = Number(process.env.BENCH_REPS ?? 7);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const contextSize = 512;
const batchSize = 64;

function findModel(): string {
  if (process.env.BENCH_EMBEDDING_MODEL !== undefined) return path.resolve(process.env.BENCH_EMBEDDING_MODEL);
  const dirs = [process.env.TROSYN_TEST_MODELS_DIR, path.join(repoRoot, '..', 'shared', 'models'), path.join(repoRoot, 'models')];
  for (const name of ['synthetic-gemma3-270m-q4_k_m.gguf', 'stories260K.gguf']) {
    for (const dir of dirs) if (dir !== undefined && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  throw new Error('No benchmark model found: set BENCH_EMBEDDING_MODEL or TROSYN_TEST_MODELS_DIR.');
}

// Short texts of a few words each, different in every run (no cache can help either side).
const batchFor = (run: number): string[] =>
  Array.from({ length: batchSize }, (_, index) => `Note ${run}-${index}: the printer on floor ${index % 5} needs paper.`);

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const modelPath = findModel();
console.log(`model ${path.basename(modelPath)}, batch of ${batchSize} texts, context ${contextSize}, ${threads} thread(s), ${reps} runs each (interleaved)`);

// node-llama-cpp directly: its embedding context, one text after another (it embeds one input at a time).
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const direct = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads });
const engine = await EmbeddingEngine.load({ modelPath, contextSize, threads });

const directRate: number[] = [];
const engineRate: number[] = [];
// One warm-up each.
for (const text of batchFor(-1)) await direct.getEmbeddingFor(text);
await engine.embed({ input: batchFor(-2) });
for (let run = 0; run < reps; run++) {
  let started = performance.now();
  for (const text of batchFor(2 * run)) await direct.getEmbeddingFor(text);
  directRate.push((batchSize * 1000) / (performance.now() - started));
  started = performance.now();
  await engine.embed({ input: batchFor(2 * run + 1) });
  engineRate.push((batchSize * 1000) / (performance.now() - started));
}
const d = median(directRate);
const e = median(engineRate);
console.log(`node-llama-cpp LlamaEmbeddingContext  ${d.toFixed(0).padStart(6)} embeddings/s (median; range ${Math.min(...directRate).toFixed(0)}–${Math.max(...directRate).toFixed(0)})`);
console.log(`@trosyn/llm EmbeddingEngine           ${e.toFixed(0).padStart(6)} embeddings/s (median; range ${Math.min(...engineRate).toFixed(0)}–${Math.max(...engineRate).toFixed(0)})`);
console.log(`ratio EmbeddingEngine / direct: ${(e / d).toFixed(3)} (normalising, tokenizing and the queue included)`);
await engine.dispose();
await direct.dispose();
await model.dispose();
await llama.dispose();
