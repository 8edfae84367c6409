// `pnpm --filter @trosyn/llm bench`: the package against node-llama-cpp used directly, on the
// same model and settings, side by side in one run; then aggregate throughput at 1, 2 and 4
// concurrent requests; then threads and batch size. Prints figures, asserts nothing.
//
// Environment: BENCH_MODEL (a GGUF path; default: the synthetic 270M benchmark model from
// TROSYN_TEST_MODELS_DIR, ../shared/models or models/, else stories260K), BENCH_REPS (default 7),
// BENCH_TOKENS (default 64), BENCH_SECTIONS (comma list of overhead,concurrency,threads,builds;
// default all). The builds section compares the prebuilt binary with a local OpenMP source build
// (README, "Building llama.cpp yourself"), each in its own process.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLlama, LlamaCompletion, LlamaLogLevel } from 'node-llama-cpp';
import { LlmEngine } from '@trosyn/llm';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const reps = Number(process.env.BENCH_REPS ?? 7);
const maxTokens = Number(process.env.BENCH_TOKENS ?? 64);
const sections = new Set((process.env.BENCH_SECTIONS ?? 'overhead,concurrency,threads,builds').split(','));
const contextSize = 2048;
const basePrompt = 'Once upon a time, there was a little';
// A different first word per run: no run reuses another's prompt from the KV cache, in either stack.
const promptFor = (run: number): string => `Story ${run + 1}. ${basePrompt}`;
// The package's defaults at temperature 0 (greedy); node-llama-cpp gets exactly the same.
const sampling = { temperature: 0, topK: 40, topP: 0.95, minP: 0.05 } as const;

function findModel(): string {
  if (process.env.BENCH_MODEL !== undefined) return path.resolve(process.env.BENCH_MODEL);
  const dirs = [process.env.TROSYN_TEST_MODELS_DIR, path.join(repoRoot, '..', 'shared', 'models'), path.join(repoRoot, 'models')];
  for (const name of ['synthetic-gemma3-270m-q4_k_m.gguf', 'stories260K.gguf']) {
    for (const dir of dirs) {
      if (dir !== undefined && existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  throw new Error('No benchmark model found: set BENCH_MODEL or TROSYN_TEST_MODELS_DIR.');
}

interface Run {
  readonly ttftMs: number;
  readonly totalMs: number;
  readonly tokens: number;
  /** Generated tokens per second after the first one (decode speed). */
  readonly decodeTps: number;
  /** Generated tokens per second over the whole request, prompt included. */
  readonly totalTps: number;
  /**
   * CPU time of the whole process (all threads) per generated token. Unlike wall time it
   * hardly moves when other processes compete for the cores, so it shows what the package
   * itself costs even on a busy machine.
   */
  readonly cpuMsPerToken: number;
}

function runFrom(start: number, first: number | undefined, end: number, tokens: number, cpu: NodeJS.CpuUsage): Run {
  const firstAt = first ?? end;
  return {
    cpuMsPerToken: (cpu.user + cpu.system) / 1000 / Math.max(tokens, 1),
    ttftMs: firstAt - start,
    totalMs: end - start,
    tokens,
    decodeTps: tokens > 1 ? ((tokens - 1) * 1000) / (end - firstAt) : 0,
    totalTps: (tokens * 1000) / (end - start),
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (value: number, digits = 1): string => value.toFixed(digits);

async function loadDirect(modelPath: string, threads: number) {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize, sequences: 1, threads });
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence });
  return {
    async run(prompt: string): Promise<Run> {
      let first: number | undefined;
      let tokens = 0;
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await completion.generateCompletionWithMeta(prompt, {
        ...sampling,
        maxTokens,
        repeatPenalty: false,
        // First *text*, as the package's first text delta: both clocks stop at the same event.
        onTextChunk: (text) => {
          if (text !== '') first ??= performance.now();
        },
        onToken: (chunk) => {
          tokens += chunk.length;
        },
      });
      return runFrom(start, first, performance.now(), tokens, process.cpuUsage(cpuStart));
    },
    async dispose(): Promise<void> {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

async function runPackage(engine: LlmEngine, prompt: string): Promise<Run> {
  let first: number | undefined;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let tokens = 0;
  for await (const delta of engine.streamComplete({ prompt, maxTokens, ...sampling })) {
    if (delta.type === 'text') first ??= performance.now();
    else tokens = delta.usage.completionTokens;
  }
  return runFrom(start, first, performance.now(), tokens, process.cpuUsage(cpuStart));
}

/** Tokens/s of a non-streamed completion, prompt included. */
async function runWhole(engine: LlmEngine, prompt: string): Promise<{ readonly tps: number; readonly cpuMsPerToken: number }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = await engine.complete({ prompt, maxTokens, ...sampling });
  const cpu = process.cpuUsage(cpuStart);
  const tokens = result.usage.completionTokens;
  return { tps: (tokens * 1000) / (performance.now() - start), cpuMsPerToken: (cpu.user + cpu.system) / 1000 / tokens };
}

/**
 * Medians, plus the best run: on a machine shared with other jobs, interference only ever
 * slows a run down, so the best of several interleaved runs is the closest to the real cost.
 */
function summary(runs: readonly Run[]) {
  return {
    decodeTps: median(runs.map((r) => r.decodeTps)),
    totalTps: median(runs.map((r) => r.totalTps)),
    ttftMs: median(runs.map((r) => r.ttftMs)),
    cpuMsPerToken: median(runs.map((r) => r.cpuMsPerToken)),
    tokens: median(runs.map((r) => r.tokens)),
    bestTotalTps: Math.max(...runs.map((r) => r.totalTps)),
    bestTtftMs: Math.min(...runs.map((r) => r.ttftMs)),
    bestCpuMsPerToken: Math.min(...runs.map((r) => r.cpuMsPerToken)),
  };
}

async function overhead(modelPath: string, threads: number): Promise<void> {
  console.log(`\n## Package vs node-llama-cpp directly (threads ${threads}, ${maxTokens} tokens, context ${contextSize}, temperature 0, median of ${reps}, interleaved)`);
  const direct = await loadDirect(modelPath, threads);
  const engine = await LlmEngine.load({ modelPath, threads, contextSize });
  const directRuns: Run[] = [];
  const packageRuns: Run[] = [];
  const wholeRuns: { readonly tps: number; readonly cpuMsPerToken: number }[] = [];
  try {
    await direct.run('Warm up.');
    await runPackage(engine, 'Warm up.');
    for (let run = 0; run < reps; run++) {
      // Alternate which goes first so a busy moment on the machine hits both alike.
      // Each run gets its own prompt, so neither stack finds it in its KV cache from a previous run.
      const [forDirect, forStream, forWhole] = [promptFor(3 * run), promptFor(3 * run + 1), promptFor(3 * run + 2)];
      if (run % 2 === 0) {
        directRuns.push(await direct.run(forDirect));
        packageRuns.push(await runPackage(engine, forStream));
        wholeRuns.push(await runWhole(engine, forWhole));
      } else {
        wholeRuns.push(await runWhole(engine, forWhole));
        packageRuns.push(await runPackage(engine, forStream));
        directRuns.push(await direct.run(forDirect));
      }
    }
  } finally {
    await engine.dispose();
    await direct.dispose();
  }
  const d = summary(directRuns);
  const p = summary(packageRuns);
  const whole = {
    tps: median(wholeRuns.map((r) => r.tps)),
    cpuMsPerToken: median(wholeRuns.map((r) => r.cpuMsPerToken)),
    bestTps: Math.max(...wholeRuns.map((r) => r.tps)),
    bestCpuMsPerToken: Math.min(...wholeRuns.map((r) => r.cpuMsPerToken)),
  };
  console.log('| stack | decode tok/s | tok/s incl. prompt (median / best) | TTFT ms (median / best) | CPU ms per token (median / best) | tokens |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const row = (name: string, x: ReturnType<typeof summary>): string =>
    `| ${name} | ${fmt(x.decodeTps)} | ${fmt(x.totalTps)} / ${fmt(x.bestTotalTps)} | ${fmt(x.ttftMs)} / ${fmt(x.bestTtftMs)} | ${fmt(x.cpuMsPerToken, 2)} / ${fmt(x.bestCpuMsPerToken, 2)} | ${x.tokens} |`;
  console.log(row('node-llama-cpp direct', d));
  console.log(row('@trosyn/llm streamComplete', p));
  console.log(`| @trosyn/llm complete | — | ${fmt(whole.tps)} / ${fmt(whole.bestTps)} | — | ${fmt(whole.cpuMsPerToken, 2)} / ${fmt(whole.bestCpuMsPerToken, 2)} | ${maxTokens} |`);
  const pct = (ours: number, theirs: number): string => fmt((ours / theirs - 1) * 100);
  console.log(
    `package cost vs direct, best runs — streamed: ${pct(d.bestTotalTps, p.bestTotalTps)} % wall time, ` +
      `${pct(p.bestCpuMsPerToken, d.bestCpuMsPerToken)} % CPU time per token, TTFT ${fmt(p.bestTtftMs - d.bestTtftMs, 2)} ms; ` +
      `complete(): ${pct(d.bestTotalTps, whole.bestTps)} % wall time, ${pct(whole.bestCpuMsPerToken, d.bestCpuMsPerToken)} % CPU time per token ` +
      `(target < 3 %; medians: streamed ${pct(d.totalTps, p.totalTps)} %, complete() ${pct(d.totalTps, whole.tps)} %)`,
  );
}

async function concurrency(modelPath: string, threads: number): Promise<void> {
  console.log(`\n## Aggregate throughput (parallel 4 slots, threads ${threads}, ${maxTokens} tokens each, median of 3)`);
  const engine = await LlmEngine.load({ modelPath, threads, contextSize, parallel: 4 });
  try {
    await engine.complete({ prompt: 'Warm up.', maxTokens: 4 });
    console.log('| concurrent requests | aggregate tok/s | per-request tok/s | wall ms | CPU ms per token |');
    console.log('|---:|---:|---:|---:|---:|');
    let run = 0;
    for (const concurrent of [1, 2, 4]) {
      const rounds: { aggregate: number; wall: number; cpu: number }[] = [];
      for (let round = 0; round < 3; round++) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        const results = await Promise.all(
          Array.from({ length: concurrent }, () => engine.complete({ prompt: promptFor(run++), maxTokens, ...sampling })),
        );
        const wall = performance.now() - start;
        const tokens = results.reduce((sum, r) => sum + r.usage.completionTokens, 0);
        const cpu = process.cpuUsage(cpuStart);
        rounds.push({ aggregate: (tokens * 1000) / wall, wall, cpu: (cpu.user + cpu.system) / 1000 / tokens });
      }
      const aggregate = median(rounds.map((r) => r.aggregate));
      console.log(
        `| ${concurrent} | ${fmt(aggregate)} | ${fmt(aggregate / concurrent)} | ${fmt(median(rounds.map((r) => r.wall)), 0)} | ${fmt(median(rounds.map((r) => r.cpu)), 2)} |`,
      );
    }
  } finally {
    await engine.dispose();
  }
}

async function threadsAndBatch(modelPath: string): Promise<void> {
  const longPrompt = `${basePrompt} ${'girl named Lily who loved to play in the park with her red ball. '.repeat(20)}`;
  console.log(`\n## Threads and batch size (single request, ${maxTokens} tokens; prompt-heavy run uses a ${longPrompt.length}-character prompt; median of ${reps})`);
  console.log('| threads | batch size | decode tok/s | tok/s incl. prompt | CPU ms per token | TTFT ms (short prompt) | TTFT ms (long prompt) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const [threads, batchSize] of [
    [1, undefined],
    [2, undefined],
    [1, 64],
    [1, 512],
    [2, 512],
  ] as const) {
    const engine = await LlmEngine.load({ modelPath, threads, contextSize, ...(batchSize === undefined ? {} : { batchSize }) });
    try {
      await runPackage(engine, 'Warm up.');
      const short: Run[] = [];
      const long: Run[] = [];
      for (let run = 0; run < reps; run++) {
        short.push(await runPackage(engine, promptFor(run)));
        long.push(await runPackage(engine, `${run} ${longPrompt}`));
      }
      const s = summary(short);
      console.log(
        `| ${threads} | ${batchSize === undefined ? `default (${engine.runtime.batchSize})` : batchSize} | ${fmt(s.decodeTps)} | ${fmt(s.totalTps)} | ${fmt(s.cpuMsPerToken, 2)} | ${fmt(s.ttftMs)} | ${fmt(summary(long).ttftMs)} |`,
      );
    } finally {
      await engine.dispose();
    }
  }
}

/** One configuration in this process, printed as JSON: the unit the builds section runs per child process. */
async function single(modelPath: string, threads: number, cmakeOptions: Record<string, string> | undefined): Promise<void> {
  const engine = await LlmEngine.load({ modelPath, threads, contextSize, ...(cmakeOptions === undefined ? {} : { cmakeOptions }) });
  try {
    await runPackage(engine, 'Warm up.');
    const runs: Run[] = [];
    for (let run = 0; run < reps; run++) runs.push(await runPackage(engine, promptFor(run)));
    console.log(JSON.stringify({ buildType: engine.runtime.buildType, threads: engine.runtime.threads, ...summary(runs) }));
  } finally {
    await engine.dispose();
  }
}

async function builds(modelPath: string): Promise<void> {
  console.log(`\n## Prebuilt binary vs local OpenMP source build (single request, ${maxTokens} tokens, median of ${reps}, one process each)`);
  console.log('| llama.cpp binary | threads | decode tok/s | tok/s incl. prompt | CPU ms per token | TTFT ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const local of [false, true]) {
    for (const threads of [1, 2]) {
      const output = execFileSync(process.execPath, [import.meta.filename], {
        encoding: 'utf8',
        env: {
          ...process.env,
          BENCH_MODEL: modelPath,
          BENCH_SINGLE: JSON.stringify({ threads, cmakeOptions: local ? { GGML_OPENMP: 'ON' } : undefined }),
        },
      });
      const result = JSON.parse(output.trim().split('\n').at(-1)!) as {
        buildType: string;
        threads: number;
        decodeTps: number;
        totalTps: number;
        ttftMs: number;
        cpuMsPerToken: number;
      };
      if (local && result.buildType !== 'localBuild') {
        console.log('| local OpenMP build | — | not built: see the README, "Building llama.cpp yourself" | | | |');
        return;
      }
      const name = result.buildType === 'localBuild' ? 'local build, GGML_OPENMP=ON' : 'prebuilt';
      console.log(
        `| ${name} | ${result.threads} | ${fmt(result.decodeTps)} | ${fmt(result.totalTps)} | ${fmt(result.cpuMsPerToken, 2)} | ${fmt(result.ttftMs)} |`,
      );
    }
  }
}

const modelPath = findModel();
if (process.env.BENCH_SINGLE !== undefined) {
  const { threads, cmakeOptions } = JSON.parse(process.env.BENCH_SINGLE) as { threads: number; cmakeOptions?: Record<string, string> };
  await single(modelPath, threads, cmakeOptions);
  process.exit(0);
}
const threads = Number(process.env.BENCH_THREADS ?? 1);
const cpus = os.cpus();
console.log(`# @trosyn/llm benchmark`);
console.log(`model: ${modelPath}`);
console.log(`machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (sections.has('overhead')) await overhead(modelPath, threads);
if (sections.has('concurrency')) await concurrency(modelPath, threads);
if (sections.has('threads')) await threadsAndBatch(modelPath);
if (sections.has('builds')) await builds(modelPath);
console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (on ${cpus.length} CPUs; above ${cpus.length} other processes were competing)`);
