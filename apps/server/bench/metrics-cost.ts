// `pnpm --filter @trosyn/server bench:metrics`: what /metrics costs on the hot paths. Real server
// processes (node dist/main.js, as `pnpm start` runs them) with TROSYN_METRICS on and off, side by
// side in one run, interleaved request by request so that a neighbour's load hits both alike:
//
// 1. streamed completions, one at a time: tokens/s, and the server's CPU time per token;
// 2. the LAN live write: a write through A's data API until its event arrives on B's change feed
//    (sealed sync, static peers);
// 3. the metrics' own CPU work per event, in this process.
//
// Two servers (pairs of nodes) per side, started on, off, off, on, and visited forward then
// backward, so that neither side gains from its place in the start order or in a round: on this
// 2-vCPU VM the first-started process measured slower, which an on-then-off design took for a cost.
//
// The metrics-on nodes are scraped every BENCH_METRICS_SCRAPE_MS (default 15000, Prometheus'
// default interval; 1000 is a pessimistic load, and the server CPU of one scrape is printed). Prints figures, asserts nothing. Traffic goes to
// 127.0.0.1 only; bounded in count, and stopped after 10 minutes whatever happens.
//
// Environment: BENCH_MODEL (default stories260K.gguf from TROSYN_TEST_MODELS_DIR, ../shared/models
// or models/: at ~0.4 ms per token any per-token cost shows), BENCH_METRICS_REPS (runs per server,
// default 21), BENCH_TOKENS (default 256), BENCH_METRICS_WRITES (writes per side, default 100).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as ServerModule from '../src/index.js';
import { findBenchModel } from './bench-model.ts';
import { fmt, median } from './bench-stats.ts';

const serverDir = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(serverDir, '..', '..');
const mainJs = path.join(serverDir, 'dist', 'main.js');
const REPS = Number(process.env['BENCH_METRICS_REPS'] ?? 21);
const TOKENS = Number(process.env['BENCH_TOKENS'] ?? 256);
const WRITES = Number(process.env['BENCH_METRICS_WRITES'] ?? 100);
const SCRAPE_MS = Number(process.env['BENCH_METRICS_SCRAPE_MS'] ?? 15_000);
const TIMEOUT_MS = 10 * 60_000;
const ADMIN_KEY = `bench-admin-${randomBytes(8).toString('hex')}`;
const SECRET = `bench-${randomBytes(16).toString('hex')}`;

// The environment assignments and Node flags of the start script, so the nodes run as `pnpm start` runs them.
const startCommand = (() => {
  const start = (JSON.parse(readFileSync(path.join(serverDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
  const match = /^((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)node\s+(.*?)\s*dist\/main\.js$/.exec(start.trim());
  if (match === null) throw new Error(`cannot read the start command from ${JSON.stringify(start)}`);
  const env = Object.fromEntries(match[1]!.split(/\s+/).filter((word) => word !== '').map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  return { env, flags: match[2]!.split(/\s+/).filter((flag) => flag !== '') };
})();

interface Node {
  readonly name: string;
  readonly url: string;
  readonly syncPort: number;
  readonly child: ChildProcess;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

async function startNode(name: string, env: Readonly<Record<string, string>>): Promise<Node> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `trosyn-bench-metrics-${name}-`));
  tempDirs.add(dataDir);
  const child = spawn(process.execPath, [...startCommand.flags, mainJs], {
    cwd: serverDir,
    env: {
      ...startCommand.env,
      PATH: process.env['PATH'] ?? '',
      TROSYN_ROOT: repoRoot,
      TROSYN_HOST: '127.0.0.1',
      TROSYN_PORT: '0',
      TROSYN_DATA_DIR: dataDir,
      TROSYN_ADMIN_KEY: ADMIN_KEY,
      LLM_MODEL_PATH: path.join(dataDir, 'no-model.gguf'),
      LAN_SYNC_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stderr!.resume();
  return new Promise((resolve, reject) => {
    let output = '';
    let url: string | undefined;
    let syncPort = 0;
    const onData = (data: Buffer): void => {
      output += data.toString('utf8');
      for (const line of output.split('\n')) {
        if (line.includes('"msg":"listening"')) url = (JSON.parse(line) as { url: string }).url;
        if (line.includes('"event":"sync-listening"')) syncPort = (JSON.parse(line) as { port: number }).port;
      }
      const syncReady = env['LAN_SYNC_ENABLED'] !== 'true' || syncPort !== 0;
      if (url !== undefined && syncReady) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining the request logs
        resolve({ name, url, syncPort, child });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited during startup (code ${code})`)));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const cost = (off: number, on: number, lowerIsBetter: boolean): string => `${fmt(((lowerIsBetter ? on - off : off - on) / off) * 100, 2)} %`;
// The median of the on/off ratios of neighbouring runs: a load that drifts during the run hits
// both runs of a pair alike, so this is steadier than the ratio of the two medians.
const pairedCost = (pairs: readonly (readonly [on: number, off: number])[], lowerIsBetter: boolean): string => {
  const ratio = median(pairs.map(([on, off]) => on / off));
  return `${fmt((lowerIsBetter ? ratio - 1 : 1 - ratio) * 100, 2)} %`;
};

// utime + stime of a process, all threads, from /proc (clock ticks of 10 ms).
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Scrapes the metrics-on nodes every SCRAPE_MS, as a Prometheus server would, until stopped. */
function scrapeEvery(nodes: readonly Node[]): () => Promise<string> {
  const times: number[] = [];
  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      for (const node of nodes) {
        const started = performance.now();
        const response = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        if (response.status !== 200) throw new Error(`${node.name}: /metrics → ${response.status}`);
        await response.text();
        times.push(performance.now() - started);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SCRAPE_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return async () => {
    running = false;
    wake?.();
    await loop;
    return `${times.length} scrapes of the metrics-on node(s), ${fmt(median(times), 2)} ms each (median)`;
  };
}

interface StreamRun {
  readonly ms: number;
  readonly tokens: number;
}

// A minimal SSE reader, so that the client's own cost stays small next to the server's.
async function streamCompletion(url: string, prompt: string): Promise<StreamRun> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let tokens = 0;
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const usage = (JSON.parse(event.slice(6)) as { usage?: { completion_tokens: number } }).usage;
      if (usage) tokens = usage.completion_tokens;
    }
  }
  return { ms: performance.now() - started, tokens };
}

async function streamedTokens(modelPath: string): Promise<void> {
  const settings = { LLM_MODEL_PATH: modelPath, LLM_THREADS: '1', LLM_PARALLEL: '1', LLM_CONTEXT_SIZE: '1024' };
  // Two servers per side, started on, off, off, on, so that neither side gains from its place.
  const nodes: { node: Node; side: 'on' | 'off'; runs: (StreamRun & { cpuMs: number })[] }[] = [];
  for (const [name, side] of [['llm-on-1', 'on'], ['llm-off-1', 'off'], ['llm-off-2', 'off'], ['llm-on-2', 'on']] as const) {
    nodes.push({ node: await startNode(name, { ...settings, TROSYN_METRICS: side === 'on' ? 'true' : 'false' }), side, runs: [] });
  }
  for (const { node } of nodes) {
    await waitFor(`${node.name}'s model`, async () => ((await (await fetch(`${node.url}/health`)).json()) as { model: { status: string } }).model.status === 'loaded');
    await streamCompletion(node.url, 'Warm up.');
  }
  const stopScraping = scrapeEvery(nodes.filter((entry) => entry.side === 'on').map((entry) => entry.node));
  for (let rep = 0; rep < REPS; rep++) {
    // Forward, then backward: each on server runs right before or after its off partner. Every
    // server sees each prompt once (no KV-cache reuse).
    for (const entry of rep % 2 === 0 ? nodes : [...nodes].reverse()) {
      const before = processCpuMs(entry.node.child.pid!);
      const run = await streamCompletion(entry.node.url, `Story ${rep + 1}. Once upon a time, there was a little`);
      entry.runs.push({ ...run, cpuMs: processCpuMs(entry.node.child.pid!) - before });
    }
  }
  const scrapes = await stopScraping();
  const rate = (run: StreamRun): number => (run.tokens * 1000) / run.ms;
  const cpuPerToken = (runs: readonly (StreamRun & { cpuMs: number })[]): number => runs.reduce((sum, run) => sum + run.cpuMs, 0) / runs.reduce((sum, run) => sum + run.tokens, 0);
  console.log(`\nstreamed completions, ${path.basename(modelPath)}, ${TOKENS} tokens, ${REPS} runs per server, interleaved (medians); ${scrapes}`);
  console.log('| server | tokens/s | server CPU ms per token |');
  console.log('|---|---:|---:|');
  for (const { node, side, runs } of nodes) console.log(`| ${node.name} (TROSYN_METRICS=${side === 'on'}) | ${fmt(median(runs.map(rate)))} | ${fmt(cpuPerToken(runs), 3)} |`);
  const sideRuns = (side: 'on' | 'off') => nodes.filter((entry) => entry.side === side).flatMap((entry) => entry.runs);
  const [on, off] = [sideRuns('on'), sideRuns('off')];
  console.log(`| cost of metrics (both servers of a side: ratio of medians) | ${cost(median(off.map(rate)), median(on.map(rate)), false)} | ${cost(cpuPerToken(off), cpuPerToken(on), true)} |`);
  // on-1 ran next to off-1 and on-2 next to off-2 in every round.
  const pairs = [0, 3].flatMap((onIndex) => nodes[onIndex]!.runs.map((run, rep) => [rate(run), rate(nodes[onIndex === 0 ? 1 : 2]!.runs[rep]!)] as const));
  console.log(`| cost of metrics (median of paired runs) | ${pairedCost(pairs, false)} | |`);
  // What one scrape costs the scraped server, against a request that renders nothing (/health).
  const scraped = nodes[0]!.node;
  const serverCpuPerRequest = async (route: string): Promise<number> => {
    const before = processCpuMs(scraped.child.pid!);
    for (let i = 0; i < 300; i++) await (await fetch(`${scraped.url}${route}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
    return (processCpuMs(scraped.child.pid!) - before) / 300;
  };
  await serverCpuPerRequest('/metrics'); // warm-up
  console.log(`server CPU per request, 300 each: GET /metrics ${fmt(await serverCpuPerRequest('/metrics'), 2)} ms, GET /health ${fmt(await serverCpuPerRequest('/health'), 2)} ms`);
  await Promise.all(nodes.map((entry) => stop(entry.node)));
}

/** B's change feed, read as it streams: resolves a waiter when the `change` event of an item id arrives. */
async function openChangeFeed(url: string): Promise<{ next(id: string): Promise<void>; close(): void }> {
  const waiters = new Map<string, () => void>();
  const arrived = new Set<string>();
  const request = http.get(`${url}/api/v1/changes?type=live`, { agent: false });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  if (response.statusCode !== 200) throw new Error(`GET /api/v1/changes → ${response.statusCode}`);
  response.setEncoding('utf8');
  let buffer = '';
  response.on('data', (text: string) => {
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!block.includes('event: change') || data === undefined) continue;
      const id = (JSON.parse(data) as { item: { id: string } }).item.id;
      const waiter = waiters.get(id);
      if (waiter === undefined) arrived.add(id);
      else waiter();
    }
  });
  return {
    next: (id) =>
      new Promise((resolve, reject) => {
        if (arrived.delete(id)) return resolve();
        const timer = setTimeout(() => reject(new Error(`${id} not on the change feed after 10 s`)), 10_000);
        waiters.set(id, () => {
          clearTimeout(timer);
          waiters.delete(id);
          resolve();
        });
      }),
    close: () => request.destroy(),
  };
}

const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function post(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(url, { method: 'POST', agent: apiAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
    request.end(payload);
  });
}

interface LivePair {
  readonly name: string;
  readonly side: 'on' | 'off';
  readonly a: Node;
  readonly b: Node;
  readonly feed: Awaited<ReturnType<typeof openChangeFeed>>;
  readonly latencies: number[];
}

async function livePair(name: string, side: 'on' | 'off'): Promise<LivePair> {
  const sync = { LAN_SYNC_ENABLED: 'true', LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_PORT: '0', LAN_SYNC_MDNS: 'false', LAN_SYNC_SHARED_SECRET: SECRET, LAN_SYNC_INTERVAL: '3600' };
  const metrics = { TROSYN_METRICS: side === 'on' ? 'true' : 'false' };
  const a = await startNode(`a-${name}`, { ...sync, ...metrics, LAN_SYNC_NODE_ID: `bench-a-${name}` });
  const b = await startNode(`b-${name}`, { ...sync, ...metrics, LAN_SYNC_NODE_ID: `bench-b-${name}`, LAN_SYNC_PEERS: `127.0.0.1:${a.syncPort}` });
  // B's first round with A; A's own handshake back to B comes with its first push (the warm-up writes).
  await waitFor(`${name} pair to sync`, async () => {
    const status = (await (await fetch(`${b.url}/api/v1/sync/status`)).json()) as { peers: { last_sync_at: string | null; state: string }[] };
    return status.peers.some((peer) => peer.state === 'idle' && peer.last_sync_at !== null);
  });
  return { name, side, a, b, feed: await openChangeFeed(b.url), latencies: [] };
}

async function liveWrites(): Promise<void> {
  // Two pairs per side, started on, off, off, on, so that neither side gains from its place.
  const pairs: LivePair[] = [];
  for (const [name, side] of [['on-1', 'on'], ['off-1', 'off'], ['off-2', 'off'], ['on-2', 'on']] as const) pairs.push(await livePair(name, side));
  const write = async (pair: LivePair, id: string, n: number): Promise<number> => {
    const started = performance.now();
    const seen = pair.feed.next(id);
    const status = await post(`${pair.a.url}/api/v1/items`, { id, type: 'live', data: { n, text: randomBytes(496).toString('hex') } });
    if (status !== 201) throw new Error(`POST → ${status}`);
    await seen;
    return performance.now() - started;
  };
  // Warm-up, not counted: A's handshake to B, sync streams, JIT.
  for (let n = 0; n < 10; n++) for (const pair of pairs) await write(pair, `warm-${pair.name}-${n}`, n);
  const stopScraping = scrapeEvery(pairs.filter((pair) => pair.side === 'on').flatMap((pair) => [pair.a, pair.b]));
  // Forward, then backward: each on pair writes right before or after its off partner.
  const rounds = Math.ceil(WRITES / 2);
  for (let round = 0; round < rounds; round++) {
    for (const pair of round % 2 === 0 ? pairs : [...pairs].reverse()) {
      await sleep(20);
      pair.latencies.push(await write(pair, `live-${round}-${randomBytes(4).toString('hex')}`, round));
    }
  }
  const scrapes = await stopScraping();
  for (const pair of pairs) pair.feed.close();
  console.log(`\nLAN live write: a write on A until its event arrives on B's change feed, ${rounds} per pair, two pairs per side, interleaved (medians); ${scrapes}`);
  console.log('| pair | median ms | p90 ms |');
  console.log('|---|---:|---:|');
  const p90 = (values: readonly number[]) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(values.length * 0.9))]!;
  for (const pair of pairs) console.log(`| ${pair.name} (TROSYN_METRICS=${pair.side === 'on'}) | ${fmt(median(pair.latencies), 2)} | ${fmt(p90(pair.latencies), 2)} |`);
  const all = (side: 'on' | 'off') => pairs.filter((pair) => pair.side === side).flatMap((pair) => pair.latencies);
  console.log(`| cost of metrics (both pairs of a side: ratio of medians) | ${cost(median(all('off')), median(all('on')), true)} | |`);
  // on-1 wrote next to off-1 and on-2 next to off-2 in every round.
  const paired = [0, 3].flatMap((onIndex) => pairs[onIndex]!.latencies.map((on, round) => [on, pairs[onIndex === 0 ? 1 : 2]!.latencies[round]!] as const));
  console.log(`| cost of metrics (median of paired writes) | ${pairedCost(paired, true)} | |`);
  await Promise.all(pairs.flatMap((pair) => [pair.a, pair.b]).map(stop));
}

async function stop(node: Node): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await exited;
}

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * The metrics' own work per event, in this process (CPU time, so hardly affected by other load):
 * what the on/off figures above cannot resolve on a busy machine.
 */
async function workPerEvent(): Promise<void> {
  // The built app (this script runs with Node's type stripping, which cannot load `src/`).
  const { createNodeMetrics, ModelHost } = (await import(path.join(serverDir, 'dist', 'index.js'))) as typeof ServerModule;
  const listeners = new Map<string, ((event: never) => void)[]>();
  const on = (name: string, listener: (event: never) => void): (() => void) => {
    listeners.set(name, [...(listeners.get(name) ?? []), listener]);
    return () => undefined;
  };
  const emit = (name: string, event: unknown): void => {
    for (const listener of listeners.get(name) ?? []) listener(event as never);
  };
  const info = { id: 'bench', path: '/bench.gguf', architecture: 'llama', parameterCount: 1, quantization: 'Q4_K_M', trainedContextLength: 2048, contextSize: 2048, hasChatTemplate: true, fileSizeBytes: 1, loadedAt: new Date() };
  const engine = {
    info, on, stats: () => ({ slots: 4, slotsInUse: 1, queueDepth: 0, maxQueue: 32 }),
    complete: () => Promise.reject(new Error('unused')), chat: () => Promise.reject(new Error('unused')),
    streamComplete: () => [], streamChat: () => [], dispose: () => Promise.resolve(),
  };
  const peer = (id: string) => ({ peer_id: id, name: id, address: '10.0.0.2:5000', state: 'idle', source: 'static' as const, authenticated: true, cursor: 10, pending_changes: 0, last_sync_at: new Date().toISOString(), last_error: null, next_attempt_at: null, clock_offset_ms: null });
  const status = { object: 'sync.status' as const, node_id: 'a', node_name: 'a', enabled: true, disabled_reason: null, epoch: 'e', last_seq: 10, port: 5000,
    clock: { status: 'ok' as const, offset_ms: 0, peers_compared: 2, max_drift_ms: 600_000, hlc_ahead_ms: 0, future_changes_accepted: 0, message: null },
    peers: [peer('b'), peer('c')] };
  const metrics = createNodeMetrics({
    model: ModelHost.fromEngine(engine as never),
    sync: { engine: { on } as never, events: { on: (listener) => on('runtime', listener as never) }, status: () => Promise.resolve(status) },
  });
  const generation = { kind: 'chat', streamed: true, outcome: 'completed', finishReason: 'stop', promptTokens: 20, cachedPromptTokens: 4, completionTokens: 256, queueMs: 0.5, timeToFirstTokenMs: 12, timePerOutputTokenMs: 0.5, durationMs: 140 };
  const round = { peerId: 'b', ok: true, error: null, pulled: { pages: 0, changes: 0, bytes: 0, mode: null }, pushed: { pages: 1, changes: 1, bytes: 1100, mode: 'delta' }, conflicts: 0, durationMs: 2.5 };
  const page = { peerId: 'a', changes: 1, itemsChanged: 1, durationMs: 0.4 };
  const request = { method: 'POST', route: '/api/v1/items', status: 201, durationMs: 1.2, outcome: undefined };
  const cpuMicros = (count: number, run: () => void): number => {
    for (let i = 0; i < 1000; i++) run(); // warm-up
    const before = process.cpuUsage();
    for (let i = 0; i < count; i++) run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / count;
  };
  const perRequest = cpuMicros(200_000, () => metrics.recordRequest(request));
  const perGeneration = cpuMicros(200_000, () => emit('generation', generation));
  const perRound = cpuMicros(200_000, () => emit('sync-round-finished', round));
  const perPage = cpuMicros(200_000, () => emit('page-applied', page));
  for (let i = 0; i < 20; i++) await metrics.render();
  const before = process.cpuUsage();
  for (let i = 0; i < 200; i++) await metrics.render();
  const used = process.cpuUsage(before);
  metrics.dispose();
  console.log('\nthe metrics\' own CPU work (in this process, 200,000 events each)');
  console.log('| event | µs |');
  console.log('|---|---:|');
  console.log(`| a request ends (HTTP counter and histogram) | ${fmt(perRequest, 2)} |`);
  console.log(`| a generation ends (LLM counters and 4 histograms) | ${fmt(perGeneration, 2)} |`);
  console.log(`| a sync round ends (round counter, histogram, 4 counters) | ${fmt(perRound, 2)} |`);
  console.log(`| a page is applied (histogram, counter) | ${fmt(perPage, 2)} |`);
  console.log(`| a scrape (render every metric, 2 peers) | ${fmt((used.user + used.system) / 200, 0)} |`);
  console.log(
    `A streamed request pays one request end and one generation end: ${fmt(perRequest + perGeneration, 1)} µs; ` +
      `a live write pays one request end (A's POST), one round end on A and one page applied on B: ${fmt(perRequest + perRound + perPage, 1)} µs.`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`pnpm build\` first.`);
  console.log(`metrics cost benchmark (TROSYN_METRICS on vs off), scrapes every ${SCRAPE_MS} ms`);
  await streamedTokens(findBenchModel(['stories260K.gguf']));
  await liveWrites();
  await workPerEvent();
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
const guard = setTimeout(() => {
  console.error(`metrics benchmark: still running after ${TIMEOUT_MS / 60_000} min; stopping.`);
  killAll();
  process.exit(1);
}, TIMEOUT_MS);
guard.unref();
await main();
