// `pnpm --filter @trosyn/server bench`: what the HTTP layer costs. Streaming completions through
// the real server process (node dist/main.js, 127.0.0.1) against @trosyn/llm called directly in
// this process, same model and settings, interleaved run by run; then aggregate throughput with
// 1, 4 and 16 concurrent HTTP clients; then the server's memory with and without a model.
// Prints figures, asserts nothing. Traffic goes to 127.0.0.1 only; every load is bounded.
//
// Environment: BENCH_MODEL (GGUF path; default: the synthetic 270M model from
// TROSYN_TEST_MODELS_DIR, ../shared/models or models/, else stories260K), BENCH_REPS (default 7),
// BENCH_TOKENS (default 64), BENCH_THREADS (default 1), BENCH_PARALLEL (slots, default 4).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { LlmEngine } from '@trosyn/llm';
import type * as ServerModule from '../src/index.js';
import { findBenchModel } from './bench-model.ts';
import { fmt, median } from './bench-stats.ts';

// The built app (this script runs with Node's type stripping, which cannot load `src/` with its
// `.js` import specifiers); typed from the sources.
const { createApp, ModelHost } = (await import(path.resolve(import.meta.dirname, '..', 'dist', 'index.js'))) as typeof ServerModule;

const serverDir = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(serverDir, '..', '..');
const reps = Number(process.env['BENCH_REPS'] ?? 7);
const maxTokens = Number(process.env['BENCH_TOKENS'] ?? 64);
const threads = Number(process.env['BENCH_THREADS'] ?? 1);
const parallel = Number(process.env['BENCH_PARALLEL'] ?? 4);
const contextSize = 2048;
const concurrencyTokens = 32;
const promptFor = (run: number): string => `Story ${run + 1}. Once upon a time, there was a little`;

interface Run {
  readonly ttftMs: number;
  readonly totalMs: number;
  readonly tokens: number;
}

const tps = (run: Run): number => (run.tokens * 1000) / run.totalMs;

async function directRun(engine: LlmEngine, prompt: string, tokens: number): Promise<Run> {
  const start = performance.now();
  let first: number | undefined;
  let completionTokens = 0;
  for await (const delta of engine.streamComplete({ prompt, maxTokens: tokens, temperature: 0 })) {
    if (delta.type === 'text' && first === undefined && delta.text !== '') first = performance.now();
    if (delta.type === 'done') completionTokens = delta.usage.completionTokens;
  }
  const end = performance.now();
  return { ttftMs: (first ?? end) - start, totalMs: end - start, tokens: completionTokens };
}

// A minimal SSE reader, so that the client's own cost stays small next to the server's.
async function httpRun(url: string, prompt: string, tokens: number): Promise<Run> {
  const start = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: tokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let first: number | undefined;
  let completionTokens = 0;
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const chunk = JSON.parse(event.slice(6)) as { choices: { text: string }[]; usage?: { completion_tokens: number } };
      if (first === undefined && (chunk.choices[0]?.text ?? '') !== '') first = performance.now();
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
    }
  }
  const end = performance.now();
  return { ttftMs: (first ?? end) - start, totalMs: end - start, tokens: completionTokens };
}

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
}

function startServer(env: Readonly<Record<string, string>>): Promise<Server> {
  // LAN sync off (nothing leaves 127.0.0.1); the data store in a temporary directory.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trosyn-bench-data-'));
  const child = spawn(process.execPath, [path.join(serverDir, 'dist', 'main.js')], {
    cwd: serverDir,
    env: { PATH: process.env['PATH'] ?? '', TROSYN_ROOT: repoRoot, TROSYN_HOST: '127.0.0.1', TROSYN_PORT: '0', LAN_SYNC_ENABLED: 'false', TROSYN_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (data: Buffer): void => {
      output += data.toString();
      const line = output.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining the request logs
        resolve({ url: (JSON.parse(line) as { url: string }).url, child });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      if (child.stdout!.listenerCount('data') === 0) return; // a normal stop after startup
      reject(new Error(`server process exited during startup (code ${code}, signal ${signal})`));
    });
  });
}

async function waitForModel(url: string): Promise<void> {
  for (let i = 0; i < 1200; i += 1) {
    const health = (await (await fetch(`${url}/health`)).json()) as { model: { status: string } };
    if (health.model.status === 'loaded') return;
    if (health.model.status !== 'loading') throw new Error(`model ${health.model.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('model did not load in 120 s');
}

const cpuMsSince = (before: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

// utime + stime of a process, all threads, from /proc (clock ticks of 10 ms on Linux).
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const modelPath = findBenchModel(['synthetic-gemma3-270m-q4_k_m.gguf', 'stories260K.gguf']);
  console.log(`model ${path.basename(modelPath)}, ${maxTokens} tokens per run, ${reps} runs, threads ${threads}, ${parallel} slots, temperature 0`);
  const settings = { LLM_MODEL_PATH: modelPath, LLM_THREADS: String(threads), LLM_PARALLEL: String(parallel), LLM_CONTEXT_SIZE: String(contextSize) };

  // Memory without a model: the server as an operator starts it before `pnpm model:pull`.
  const bare = await startServer({ ...settings, LLM_MODEL_PATH: path.join(serverDir, 'bench', 'absent.gguf') });
  await fetch(`${bare.url}/health`);
  await fetch(`${bare.url}/docs`);
  const bareMemory = memoryMiB(bare.child.pid!);
  await stop(bare);

  const server = await startServer(settings);
  const engine = await LlmEngine.load({ modelPath, threads, parallel, contextSize });
  // The same app served from this process over 127.0.0.1, around the same engine as the direct
  // runs: the HTTP layer alone, without a second process competing for the 2 cores.
  const local = createAdaptorServer({ fetch: createApp({ model: ModelHost.fromEngine(engine) }).fetch }) as HttpServer;
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  const localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
  try {
    await waitForModel(server.url);
    const loadedMemory = memoryMiB(server.child.pid!);
    // Warm-up, both stacks.
    await directRun(engine, 'Warm up.', 8);
    await httpRun(server.url, 'Warm up.', 8);
    await httpRun(localUrl, 'Warm up.', 8);

    // CPU time per generated token does not depend on what else runs on the machine, unlike
    // wall-clock speed: the load-independent view of what the HTTP layer costs.
    let directCpuMs = 0;
    let inProcessCpuMs = 0;
    let serverCpuMs = 0;
    const direct: Run[] = [];
    const inProcess: Run[] = [];
    const http: Run[] = [];
    for (let run = 0; run < reps; run += 1) {
      // Interleaved, so that a neighbour's load on the shared CPU hits every side alike. Each
      // engine sees each prompt once (no KV-cache reuse); the two in this process get
      // different prompts for the same reason.
      let before = process.cpuUsage();
      direct.push(await directRun(engine, promptFor(run), maxTokens));
      directCpuMs += cpuMsSince(before);
      before = process.cpuUsage();
      inProcess.push(await httpRun(localUrl, promptFor(run + 1000), maxTokens));
      inProcessCpuMs += cpuMsSince(before);
      const serverBefore = processCpuMs(server.child.pid!);
      http.push(await httpRun(server.url, promptFor(run), maxTokens));
      serverCpuMs += processCpuMs(server.child.pid!) - serverBefore;
    }
    const directTps = median(direct.map(tps));
    const directTtft = median(direct.map((run) => run.ttftMs));
    console.log('\nstreaming completion, one request at a time (medians)');
    console.log('| path | tokens/s | time to first token (ms) | throughput cost vs direct | added time to first token |');
    console.log('|---|---:|---:|---:|---:|');
    const tokensOf = (runs: readonly Run[]): number => runs.reduce((sum, run) => sum + run.tokens, 0);
    const directCpu = directCpuMs / tokensOf(direct);
    console.log(`| @trosyn/llm direct | ${fmt(directTps)} | ${fmt(directTtft, 2)} | | |`);
    for (const [name, runs] of [['HTTP API, app in this process (127.0.0.1)', inProcess], ['HTTP API, server process (node dist/main.js)', http]] as const) {
      const runTps = median(runs.map(tps));
      const runTtft = median(runs.map((run) => run.ttftMs));
      console.log(`| ${name} | ${fmt(runTps)} | ${fmt(runTtft, 2)} | ${fmt(((directTps - runTps) / directTps) * 100)} % | ${fmt(runTtft - directTtft, 2)} ms |`);
    }
    const inProcessCpu = inProcessCpuMs / tokensOf(inProcess);
    const serverCpu = serverCpuMs / tokensOf(http);
    console.log('\nCPU time per generated token (all threads; independent of other load on the machine)');
    console.log('| path | CPU ms per token | HTTP layer CPU |');
    console.log('|---|---:|---:|');
    console.log(`| @trosyn/llm direct (engine + consumer) | ${fmt(directCpu, 3)} | |`);
    console.log(`| app in this process (engine + server + client) | ${fmt(inProcessCpu, 3)} | +${fmt(((inProcessCpu - directCpu) / directCpu) * 100)} % (server and client) |`);
    console.log(`| server process alone (engine + server) | ${fmt(serverCpu, 3)} | +${fmt(((serverCpu - directCpu) / directCpu) * 100)} % |`);
    local.close();
    local.closeAllConnections();
    await engine.dispose();

    console.log(`\naggregate throughput through HTTP, ${concurrencyTokens} tokens per request, ${parallel} slots`);
    console.log('| concurrent clients | requests | wall (s) | aggregate tokens/s | median time to first token (ms) |');
    console.log('|---:|---:|---:|---:|---:|');
    let request = 100;
    for (const clients of [1, 4, 16]) {
      const perClient = clients === 1 ? 4 : 1;
      const start = performance.now();
      const runs = (
        await Promise.all(
          Array.from({ length: clients }, async () => {
            const mine: Run[] = [];
            for (let i = 0; i < perClient; i += 1) mine.push(await httpRun(server.url, promptFor((request += 1)), concurrencyTokens));
            return mine;
          }),
        )
      ).flat();
      const wallMs = performance.now() - start;
      const tokens = runs.reduce((sum, run) => sum + run.tokens, 0);
      console.log(`| ${clients} | ${runs.length} | ${fmt(wallMs / 1000, 2)} | ${fmt((tokens * 1000) / wallMs)} | ${fmt(median(runs.map((run) => run.ttftMs)))} |`);
    }

    const afterMemory = memoryMiB(server.child.pid!);
    console.log('\nserver process memory (MiB)');
    console.log('| state | RSS | peak RSS |');
    console.log('|---|---:|---:|');
    console.log(`| no model file | ${fmt(bareMemory.rss)} | ${fmt(bareMemory.peak)} |`);
    console.log(`| model loaded, idle | ${fmt(loadedMemory.rss)} | ${fmt(loadedMemory.peak)} |`);
    console.log(`| after the runs above | ${fmt(afterMemory.rss)} | ${fmt(afterMemory.peak)} |`);
  } finally {
    local.close();
    local.closeAllConnections();
    await engine.dispose();
    await stop(server);
  }
}

await main();
