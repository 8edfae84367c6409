// `pnpm --filter @trosyn/server bench:concurrency`: does a batch of concurrent streams beat one stream, and
// how does Trosyn's HTTP API compare with llama.cpp's own llama-server on the same GGUF, threads and slots?
// Both servers run side by side on 127.0.0.1; every round measures each of them in turn (the order
// alternates), so machine load hits both alike. Per round and server:
//   - 1 client: one streamed completion at a time;
//   - 4 clients: four streamed completions started together (aggregate tokens/s over the wall time);
//   - late arrival: three long streams running, then a fourth request: its time to first token.
// Prints medians and ranges over the rounds, the ratios the issue asks for, and the same ratios
// taken within each round. Asserts nothing.
// llama-server comes from `pnpm llama:build-server` (built from the llama.cpp source node-llama-cpp ships);
// when it is absent its side is skipped with a message, never estimated.
//
// Environment: BENCH_MODEL (GGUF; default the synthetic gemma3 270M from TROSYN_TEST_MODELS_DIR or
// ../shared/models), BENCH_THREADS (default 2), BENCH_PARALLEL (slots and concurrent clients, default 4),
// BENCH_TOKENS (default 64), BENCH_ROUNDS (default 3), LLAMA_SERVER_BIN (default
// packages/llm/.llama-server/build/bin/llama-server), LLAMA_SERVER_ARGS (extra arguments, space-separated, e.g.
// `--no-repack` for a build whose AMX kernels crash), BENCH_SKIP_TROSYN=1 / BENCH_SKIP_LLAMA_SERVER=1.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { findBenchModel } from './bench-model.ts';
import { median } from './bench-stats.ts';

const serverDir = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(serverDir, '..', '..');
const threads = Number(process.env['BENCH_THREADS'] ?? 2);
const parallel = Number(process.env['BENCH_PARALLEL'] ?? 4);
const maxTokens = Number(process.env['BENCH_TOKENS'] ?? 64);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const contextPerSlot = 2048;
const llamaServerBin = process.env['LLAMA_SERVER_BIN'] ?? path.join(repoRoot, 'packages', 'llm', '.llama-server', 'build', 'bin', 'llama-server');

interface Stream {
  readonly startMs: number;
  readonly ttftMs: number;
  readonly endMs: number;
  readonly tokens: number;
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

// Distinct prompts, so that neither side serves a request from another's cached prefix.
let promptCounter = 0;
const nextPrompt = (): string => `Story ${++promptCounter}. Once upon a time, there was a little`;

/** One streamed `/v1/completions` request; tokens from the usage chunk, else one per text chunk. */
async function stream(url: string, tokens: number): Promise<Stream> {
  const startMs = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: nextPrompt(), max_tokens: tokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let first: number | undefined;
  let chunks = 0;
  let usageTokens: number | undefined;
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const chunk = JSON.parse(event.slice(6)) as { choices?: { text?: string }[]; usage?: { completion_tokens: number } | null };
      if ((chunk.choices?.[0]?.text ?? '') !== '') {
        first ??= performance.now();
        chunks += 1;
      }
      if (chunk.usage) usageTokens = chunk.usage.completion_tokens;
    }
  }
  const endMs = performance.now();
  return { startMs, ttftMs: (first ?? endMs) - startMs, endMs, tokens: usageTokens ?? chunks };
}

interface RoundResult {
  readonly single: number; // tokens/s, one client
  readonly singleTtft: number;
  readonly aggregate: number; // tokens/s, `parallel` clients
  readonly concurrentTtft: number; // median TTFT of the concurrent clients
  readonly lateTtft: number; // TTFT of a request arriving while parallel-1 others stream
}

async function measure(url: string): Promise<RoundResult> {
  const singles = [await stream(url, maxTokens), await stream(url, maxTokens)];
  const single = median(singles.map((run) => (run.tokens * 1000) / (run.endMs - run.startMs)));
  const singleTtft = median(singles.map((run) => run.ttftMs));

  const together = await Promise.all(Array.from({ length: parallel }, () => stream(url, maxTokens)));
  const wall = Math.max(...together.map((run) => run.endMs)) - Math.min(...together.map((run) => run.startMs));
  const aggregate = (together.reduce((sum, run) => sum + run.tokens, 0) * 1000) / wall;

  // The others generate long enough to still be streaming when the late request has its first token.
  const others = Array.from({ length: parallel - 1 }, () => stream(url, maxTokens * 3));
  await sleep(300);
  const late = await stream(url, 8);
  await Promise.all(others);
  return { single, singleTtft, aggregate, concurrentTtft: median(together.map((run) => run.ttftMs)), lateTtft: late.ttftMs };
}

function startProcess(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (data: Buffer): void => {
    tail = (tail + data.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${name} exited with code ${code}:\n${tail}`);
  });
  return child;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, ready: (response: Response) => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200; i += 1) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited during startup`);
    const response = await fetch(url).catch(() => undefined);
    if (response !== undefined && (await ready(response))) return;
    await sleep(100);
  }
  throw new Error(`${url} not ready in 120 s`);
}

async function startTrosyn(modelPath: string): Promise<Target> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trosyn-bench-concurrency-'));
  const child = startProcess('Trosyn', process.execPath, [path.join(serverDir, 'dist', 'main.js')], {
    PATH: process.env['PATH'] ?? '',
    TROSYN_ROOT: repoRoot,
    TROSYN_HOST: '127.0.0.1',
    TROSYN_PORT: String(port),
    LAN_SYNC_ENABLED: 'false',
    TROSYN_DATA_DIR: dataDir,
    LLM_MODEL_PATH: modelPath,
    LLM_THREADS: String(threads),
    LLM_PARALLEL: String(parallel),
    LLM_CONTEXT_SIZE: String(contextPerSlot),
  }, serverDir);
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;
  const target = { name: 'Trosyn', url, child };
  await waitReady(`${url}/health`, child, async (response) => ((await response.json()) as { model?: { status?: string } }).model?.status === 'loaded')
    .catch(async (error: unknown) => {
      await stop(target);
      throw error;
    });
  return target;
}

async function startLlamaServer(modelPath: string): Promise<Target> {
  const port = await freePort();
  // -c is the whole KV cache, split between the -np slots: the same context per slot as Trosyn's.
  const args = ['-m', modelPath, '--host', '127.0.0.1', '--port', String(port), '-t', String(threads), '-tb', String(threads),
    '-np', String(parallel), '-c', String(contextPerSlot * parallel), '--no-webui',
    ...(process.env['LLAMA_SERVER_ARGS'] ?? '').split(' ').filter((arg) => arg !== '')];
  const child = startProcess('llama-server', llamaServerBin, args, { PATH: process.env['PATH'] ?? '' }, repoRoot);
  const url = `http://127.0.0.1:${port}`;
  const target = { name: 'llama-server', url, child };
  await waitReady(`${url}/health`, child, async (response) => response.ok).catch(async (error: unknown) => {
    await stop(target);
    throw error;
  });
  return target;
}

async function stop(target: Target): Promise<void> {
  if (target.child.exitCode !== null || target.child.signalCode !== null) return;
  const exited = new Promise((resolve) => target.child.once('exit', resolve));
  target.child.kill('SIGTERM');
  await exited;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const stat = (values: readonly number[], digits: number): string =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
const load = (): string => loadavg().map((value) => value.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const modelPath = findBenchModel(['synthetic-gemma3-270m-q4_k_m.gguf']);
  console.log(`concurrency: ${path.basename(modelPath)}, llama-server args ${JSON.stringify(process.env['LLAMA_SERVER_ARGS'] ?? '')}, threads ${threads}, ${parallel} slots, ${maxTokens}-token streamed completions, ` +
    `temperature 0, ${rounds} interleaved rounds; load average at start ${load()}`);
  const targets: Target[] = [];
  try {
    if (process.env['BENCH_SKIP_TROSYN'] !== '1') targets.push(await startTrosyn(modelPath));
    if (process.env['BENCH_SKIP_LLAMA_SERVER'] === '1') console.log('llama-server: skipped (BENCH_SKIP_LLAMA_SERVER=1).');
    else if (!existsSync(llamaServerBin)) {
      console.log(`llama-server: not built (${path.relative(repoRoot, llamaServerBin)} missing): its side is skipped. ` +
        'Build it with `pnpm llama:build-server` (many minutes), or point LLAMA_SERVER_BIN at one.');
    } else targets.push(await startLlamaServer(modelPath));
    for (const target of targets) await stream(target.url, 8); // warm-up

    const results = new Map<string, RoundResult[]>(targets.map((target) => [target.name, []]));
    const loads: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        await sleep(1000); // let the other server's threads go idle
        results.get(target.name)!.push(await measure(target.url));
      }
      loads.push(load());
      console.log(`  round ${round + 1}/${rounds} done, load average ${loads.at(-1)}`);
    }

    console.log(`\n| server | 1 client tok/s | ${parallel} clients aggregate tok/s | ratio | TTFT ms, 1 client | ` +
      `TTFT ms, ${parallel} together | TTFT ms, arriving while ${parallel - 1} stream |`);
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, runs] of results) {
      const ratio = median(runs.map((run) => run.aggregate / run.single));
      console.log(`| ${name} | ${stat(runs.map((run) => run.single), 1)} | ${stat(runs.map((run) => run.aggregate), 1)} | ` +
        `${ratio.toFixed(2)}× | ${stat(runs.map((run) => run.singleTtft), 0)} | ${stat(runs.map((run) => run.concurrentTtft), 0)} | ` +
        `${stat(runs.map((run) => run.lateTtft), 0)} |`);
    }
    const trosyn = results.get('Trosyn');
    const llama = results.get('llama-server');
    if (trosyn !== undefined && llama !== undefined) {
      const ratioOf = (pick: (run: RoundResult) => number): string => (median(trosyn.map(pick)) / median(llama.map(pick))).toFixed(2);
      console.log(`\nTrosyn / llama-server (medians): ${parallel}-client aggregate ${ratioOf((run) => run.aggregate)}×, ` +
        `1-client ${ratioOf((run) => run.single)}×, late-arrival TTFT ${ratioOf((run) => run.lateTtft)}× (lower is better).`);
      // The same ratio taken within each round, where both servers ran minutes apart at most: the
      // machine's speed drifts by several percent over a run, which moves the medians above apart.
      const paired = (pick: (run: RoundResult) => number): number[] => trosyn.map((run, round) => pick(run) / pick(llama[round]!));
      console.log(`Trosyn / llama-server within each round: ${parallel}-client aggregate ${stat(paired((run) => run.aggregate), 2)}×, ` +
        `1-client ${stat(paired((run) => run.single), 2)}×; Trosyn ahead in ${paired((run) => run.aggregate).filter((ratio) => ratio >= 1).length} of ${rounds} rounds (aggregate).`);
    }
    console.log(`load average after each round: ${loads.join(' | ')}`);
  } finally {
    for (const target of targets) await stop(target);
  }
}

await main();
