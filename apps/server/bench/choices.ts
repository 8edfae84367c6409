// `pnpm --filter @trosyn/server bench` (last part): one completion request with n = 4 against
// four parallel requests of n = 1, same model, prompt and token budget, over HTTP on 127.0.0.1,
// interleaved run by run. Both should fill the same 4 slots; the figure shows what the fan-out
// of n costs or saves. Prints figures, asserts nothing; bounded (BENCH_REPS runs of 4 × tokens).
//
// Environment: BENCH_MODEL (GGUF path; default: the synthetic 270M model from
// TROSYN_TEST_MODELS_DIR, ../shared/models or models/, else stories260K), BENCH_REPS (default 5),
// BENCH_TOKENS (default 32), BENCH_THREADS (default 1).
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { LlmEngine } from '@trosyn/llm';
import type * as ServerModule from '../src/index.js';
import { findBenchModel } from './bench-model.ts';

// The built app (Node's type stripping cannot load `src/` with its `.js` specifiers).
const { createApp, ModelHost } = (await import(path.resolve(import.meta.dirname, '..', 'dist', 'index.js'))) as typeof ServerModule;

const reps = Number(process.env['BENCH_REPS'] ?? 5);
const maxTokens = Number(process.env['BENCH_TOKENS'] ?? 32);
const threads = Number(process.env['BENCH_THREADS'] ?? 1);
const n = 4;

interface Timed {
  readonly ms: number;
  readonly tokens: number;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const modelPath = findBenchModel(['synthetic-gemma3-270m-q4_k_m.gguf', 'stories260K.gguf']);
const engine = await LlmEngine.load({ modelPath, threads, parallel: n, contextSize: 1024 });
const server = createAdaptorServer({ fetch: createApp({ model: ModelHost.fromEngine(engine) }).fetch }) as HttpServer;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/completions`;

// A different prompt per request: the KV cache helps neither side.
async function complete(prompt: string, choices: number): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, n: choices, max_tokens: maxTokens, temperature: 0.8, seed: 1 }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens;
}

async function timed(work: () => Promise<number>): Promise<Timed> {
  const started = performance.now();
  const tokens = await work();
  return { ms: performance.now() - started, tokens };
}

console.log(`model ${path.basename(modelPath)}, ${n} slots, ${threads} thread(s), ${maxTokens} tokens per choice, ${reps} runs each (interleaved)`);
await complete('Warm-up. Once upon a time', n);
const fanOut: Timed[] = [];
const parallelRequests: Timed[] = [];
for (let run = 0; run < reps; run++) {
  fanOut.push(await timed(() => complete(`Run ${run}a. Once upon a time, there was`, n)));
  parallelRequests.push(
    await timed(async () => {
      const tokens = await Promise.all(Array.from({ length: n }, (_, index) => complete(`Run ${run}b${index}. Once upon a time, there was`, 1)));
      return tokens.reduce((sum, count) => sum + count, 0);
    }),
  );
}
const report = (label: string, runs: readonly Timed[]): number => {
  const rate = median(runs.map((run) => (run.tokens * 1000) / run.ms));
  console.log(`${label}  ${median(runs.map((run) => run.ms)).toFixed(0).padStart(6)} ms per round (median)  ${rate.toFixed(1).padStart(7)} tokens/s`);
  return rate;
};
const a = report('one request, n = 4          ', fanOut);
const b = report('four parallel requests, n = 1', parallelRequests);
console.log(`ratio n = 4 / four requests: ${(a / b).toFixed(3)} (tokens/s)`);
server.close();
await engine.dispose();
