// `pnpm --filter @trosyn/server bench` (after `pnpm build`): LAN sync between two real server
// processes (node dist/main.js) over loopback, sealed (handshake + AES-256-GCM) as in production,
// mDNS off and static peers. Prints figures next to PouchDB's from issue 7; asserts nothing.
//
//   1. initial sync of BENCH_LAN_ITEMS (100,000) items of 1 KB from node A to an empty node B:
//      items/s from B's start until its database holds them all, and each node's peak RSS during
//      the sync (the start-up peak, Argon2id's transient 64 MiB, is reported apart);
//   2. rounds with one changed item (B pushes a 1 KB update to A through a byte-counting TCP
//      proxy process): round time (the engine's report) and bytes on the wire (TCP payload,
//      both directions: HTTP framing + sealed frames);
//   3. live writes through A's data API (100), alternately seen on B's change feed (the time
//      until its event arrives) and read back on B (A's answer, then a GET on B until it has it);
//   4. with BENCH_LAN_MILLION=1: peak RSS of each node during a 1,000,000-item initial sync.
//
// Node A's items are written into its database with @trosyn/sync-core before it starts (as node
// A), which takes a fraction of the time of a million data-API requests. Traffic goes to
// 127.0.0.1 only; every phase is bounded; every process started here is killed at the end.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SyncEngine } from '@trosyn/sync-core';
import { median } from './bench-stats.ts';

const serverDir = path.resolve(import.meta.dirname, '..');
const mainJs = path.join(serverDir, 'dist', 'main.js');
const ITEMS = Number(process.env['BENCH_LAN_ITEMS'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_LAN_ROUNDS'] ?? 20);
const LIVE_WRITES = 2 * Math.ceil(Number(process.env['BENCH_LAN_WRITES'] ?? 100) / 2);
const MILLION = process.env['BENCH_LAN_MILLION'] === '1';
const VERBOSE = process.env['BENCH_LAN_VERBOSE'] === '1';
// The whole run is bounded: a stuck phase ends the benchmark instead of hanging CI.
const OVERALL_TIMEOUT_MS = Number(process.env['BENCH_LAN_TIMEOUT_MS'] ?? (MILLION ? 40 : 10) * 60_000);

// ---------------------------------------------------------------------------------------------
// The counting proxy: `node lan-sync.ts proxy <targetPort>` (forked, IPC). Forwards TCP from a
// 127.0.0.1 port to 127.0.0.1:<targetPort> and counts payload bytes in each direction. A
// separate process so that its work is not charged to either node, nor to the bench's timers.

interface ProxyCounts {
  readonly toTarget: number;
  readonly fromTarget: number;
  readonly connections: number;
}

function runProxy(targetPort: number): void {
  let toTarget = 0;
  let fromTarget = 0;
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    client.setNoDelay(true);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    client.on('data', (chunk: Buffer) => {
      toTarget += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      fromTarget += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }));
  process.on('message', (message: unknown) => {
    if (message === 'reset') {
      toTarget = 0;
      fromTarget = 0;
    }
    process.send!({ counts: { toTarget, fromTarget, connections } });
  });
  process.on('disconnect', () => process.exit(0));
}

interface Proxy {
  readonly port: number;
  /** Reads the counters (and zeroes them with `reset`). */
  counts(reset?: boolean): Promise<ProxyCounts>;
  readonly child: ChildProcess;
}

async function startProxy(targetPort: number): Promise<Proxy> {
  const child = fork(import.meta.filename, ['proxy', String(targetPort)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
  });
  const counts = (reset = false): Promise<ProxyCounts> =>
    new Promise((resolve) => {
      child.once('message', (message) => resolve((message as { counts: ProxyCounts }).counts));
      child.send(reset ? 'reset' : 'read');
    });
  return { port, counts, child };
}

// ---------------------------------------------------------------------------------------------
// Server nodes.

interface LogLine {
  /** performance.now() in the bench when the line arrived. */
  readonly receivedAt?: number;
  readonly msg?: string;
  readonly event?: string;
  readonly [field: string]: unknown;
}

interface Node {
  readonly name: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly apiUrl: string;
  readonly syncPort: number;
  /** Waits for a log line after index `from` that matches. */
  waitFor(predicate: (line: LogLine) => boolean, from?: number, timeoutMs?: number): Promise<LogLine>;
  /** Peak resident set size so far (VmHWM), MB. */
  /** Peak RSS (VmHWM) since the process started or since the last {@link Node.resetPeakRss}. */
  peakRssMb(): number;
  /**
   * Starts a new peak-RSS window (Linux `clear_refs` 5): the start-up peak, mostly Argon2id's
   * transient 64 MiB while deriving the network key, then no longer hides the sync's own peak.
   */
  resetPeakRss(): void;
  /** Peak RSS when the node had just started (both servers listening), MB. */
  readonly startPeakRssMb: number;
  stop(): Promise<void>;
}

/**
 * The environment and Node flags of the package's `start` script (`[NAME=value …] node <flags>
 * dist/main.js`): the nodes run exactly as `pnpm start` (and so `./run_api.sh`) runs them.
 * BENCH_LAN_NODE_FLAGS overrides the flags (the environment assignments stay).
 */
const startCommand: { readonly env: Readonly<Record<string, string>>; readonly flags: readonly string[] } = (() => {
  const start = (JSON.parse(readFileSync(path.join(serverDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
  const match = /^((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)node\s+(.*?)\s*dist\/main\.js$/.exec(start.trim());
  if (match === null) throw new Error(`cannot read the start command from the start script ${JSON.stringify(start)}`);
  const env = Object.fromEntries(match[1]!.split(/\s+/).filter((word) => word !== '').map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  const override = process.env['BENCH_LAN_NODE_FLAGS'];
  const flags = (override ?? match[2]!).split(/\s+/).filter((flag) => flag !== '');
  return { env, flags };
})();

const children = new Set<ChildProcess>();
const secret = `bench-${randomBytes(16).toString('hex')}`;

async function startNode(name: string, dataDir: string, env: Readonly<Record<string, string>>): Promise<Node> {
  const child = spawn(process.execPath, [...startCommand.flags, mainJs], {
    cwd: dataDir,
    env: {
      ...startCommand.env,
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      TROSYN_ROOT: dataDir,
      TROSYN_HOST: '127.0.0.1',
      TROSYN_PORT: '0',
      TROSYN_DATA_DIR: dataDir,
      LLM_MODEL_PATH: path.join(dataDir, 'no-model.gguf'),
      LAN_SYNC_ENABLED: 'true',
      LAN_SYNC_HOST: '127.0.0.1',
      LAN_SYNC_PORT: '0',
      LAN_SYNC_MDNS: 'false',
      LAN_SYNC_NODE_NAME: name,
      LAN_SYNC_SHARED_SECRET: secret,
      // Periodic rounds would land in the middle of the measurements: only change-driven ones.
      LAN_SYNC_INTERVAL: '3600',
      // Passed on, so the nodes can be profiled (`NODE_OPTIONS=--cpu-prof`) like the bench.
      ...(process.env['NODE_OPTIONS'] === undefined ? {} : { NODE_OPTIONS: process.env['NODE_OPTIONS'] }),
      // And glibc's allocator settings, to compare memory figures under other malloc tunings.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('MALLOC_') || name === 'GLIBC_TUNABLES')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        const receivedAt = performance.now();
        try {
          logs.push({ ...(JSON.parse(part) as LogLine), receivedAt });
        } catch {
          logs.push({ msg: part, receivedAt });
        }
        if (VERBOSE) console.error(`[${name}] ${part}`);
      }
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor = (predicate: (line: LogLine) => boolean, from = 0, timeoutMs = 60_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      let index = from;
      const check = (): void => {
        for (; index < logs.length; index++) {
          if (predicate(logs[index]!)) {
            cleanup();
            resolve(logs[index]!);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${name}: no matching log line within ${timeoutMs} ms; last: ${JSON.stringify(logs.slice(-5))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const failed = exited.then(() => {
    throw new Error(`${name} exited: ${JSON.stringify(logs.slice(-5))}`);
  });
  failed.catch(() => undefined);
  const listening = await Promise.race([failed, waitFor((line) => line.msg === 'listening', 0, 30_000)]);
  const sync = await Promise.race([failed, waitFor((line) => line.event === 'sync-listening', 0, 30_000)]);
  const peakRssMb = (): number => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  };
  return {
    name,
    dataDir,
    child,
    logs,
    apiUrl: String(listening['url']),
    syncPort: Number(sync['port']),
    waitFor,
    peakRssMb,
    resetPeakRss: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    startPeakRssMb: peakRssMb(),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers.

const itemData = (n: number): { n: number; text: string } => ({ n, text: randomBytes(496).toString('hex') });

/** Writes `count` 1 KB items into `<dataDir>/sync.sqlite` as node `nodeId`; returns items/s. */
async function seed(dataDir: string, nodeId: string, count: number): Promise<number> {
  const engine = new SyncEngine({ database: path.join(dataDir, 'sync.sqlite'), nodeId });
  const started = performance.now();
  try {
    for (let start = 0; start < count; start += 1_000) {
      const batch = [];
      for (let n = start; n < Math.min(count, start + 1_000); n++) batch.push({ id: `item-${String(n).padStart(7, '0')}`, type: 'bench', data: itemData(n) });
      await engine.putMany(batch);
    }
  } finally {
    await engine.dispose();
  }
  return count / ((performance.now() - started) / 1000);
}

/**
 * Items in a node's database, read directly (read-only, beside the running node). `cheap`: the
 * highest log sequence instead, an index lookup; for a node filled only by one initial sync it
 * equals the item count, while a count(*) every 20 ms would take CPU from the nodes measured.
 */
function countItems(dataDir: string, cheap = false): number {
  const file = path.join(dataDir, 'sync.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 1000');
    const sql = cheap ? 'SELECT coalesce(max(seq), 0) AS n FROM sync_items' : "SELECT count(*) AS n FROM sync_items WHERE type = 'bench'";
    return (db.prepare(sql).get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

// node:http with a kept-alive connection rather than fetch: undici's per-request overhead
// (measured 0.5–1 ms here) would be charged to the nodes in the latency figures.
const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One data-API request; resolves with the status and the parsed JSON body. */
function api(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const request = http.request(url, {
      method,
      agent: apiAgent,
      timeout: 10_000,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length },
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${url}: no answer within 10 s`)));
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    request.end(payload);
  });
}

/**
 * A port that was free a moment ago. B keeps its sync port across its restart: A knows B by the
 * address B announced in its first handshake.
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const fmt = (value: number, digits = 1): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Waits until B's database holds `count` items; returns the seconds from `since`. */
async function waitForCount(dataDir: string, count: number, since: number, timeoutMs: number): Promise<number> {
  for (;;) {
    if (countItems(dataDir, true) >= count && countItems(dataDir) >= count) return (performance.now() - since) / 1000;
    if (performance.now() - since > timeoutMs) throw new Error(`only ${countItems(dataDir)}/${count} items after ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Phases.

interface InitialSync {
  readonly itemsPerSecond: number;
  readonly seconds: number;
  readonly processSeconds: number;
  readonly peakA: number;
  readonly peakB: number;
  readonly startA: number;
  readonly startB: number;
  readonly seedPerSecond: number;
}

/** Seeds A, starts A then B (static peer: A), times B's catch-up. Leaves both running. */
async function initialSync(root: string, count: number, timeoutMs: number): Promise<{ result: InitialSync; a: Node; b: Node }> {
  const dirA = path.join(root, 'a');
  const dirB = path.join(root, 'b');
  mkdirSync(dirA, { recursive: true });
  mkdirSync(dirB, { recursive: true });
  const seedPerSecond = await seed(dirA, 'bench-a', count);
  const a = await startNode('bench-a', dirA, { LAN_SYNC_NODE_ID: 'bench-a' });
  a.resetPeakRss();
  const spawned = performance.now();
  const b = await startNode('bench-b', dirB, { LAN_SYNC_NODE_ID: 'bench-b', LAN_SYNC_PORT: String(await freePort()), LAN_SYNC_PEERS: `127.0.0.1:${a.syncPort}` });
  const startB = b.peakRssMb();
  b.resetPeakRss();
  const processSeconds = await waitForCount(dirB, count, spawned, timeoutMs);
  // The round goes on with B's push (nothing new, only the ids it holds): its memory counts too.
  await b.waitFor((line) => line.event === 'sync-round', 0, timeoutMs);
  // The sync itself starts when B's sync service is up (its static peer is contacted at once);
  // the process start before that (Node, modules, database) is reported apart.
  const syncUp = b.logs.find((line) => line.event === 'sync-listening')!.receivedAt!;
  const seconds = processSeconds - (syncUp - spawned) / 1000;
  return { result: { itemsPerSecond: count / seconds, seconds, processSeconds, peakA: a.peakRssMb(), peakB: b.peakRssMb(), startA: a.startPeakRssMb, startB, seedPerSecond }, a, b };
}

interface OneChangeRounds {
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly medianWallMs: number;
  readonly medianBytes: number;
  readonly maxBytes: number;
  readonly medianUp: number;
  readonly medianDown: number;
}

/** B (peer: A through the counting proxy) changes one item per round and pushes it. */
async function oneChangeRounds(b: Node, proxy: Proxy): Promise<OneChangeRounds> {
  const durations: number[] = [];
  const walls: number[] = [];
  const totals: number[] = [];
  const ups: number[] = [];
  const downs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await sleep(50); // let the previous round's stragglers settle
    await proxy.counts(true);
    const from = b.logs.length;
    const started = performance.now();
    const id = `item-${String(round * 7).padStart(7, '0')}`;
    const written = await api(`${b.apiUrl}/api/v1/items/${id}`, 'PUT', { type: 'bench', data: itemData(round) });
    if (written.status !== 200) throw new Error(`PUT ${id} → ${written.status} ${JSON.stringify(written.json)}`);
    const line = await b.waitFor((entry) => entry.event === 'sync-round' && entry['ok'] === true && Number(entry['pushed']) >= 1, from, 10_000);
    walls.push(performance.now() - started);
    if (Number(line['pushed']) !== 1 || Number(line['pulled']) !== 0) throw new Error(`expected a round with one change, got ${JSON.stringify(line)}`);
    durations.push(Number(line['duration_ms']));
    const counts = await proxy.counts();
    ups.push(counts.toTarget);
    downs.push(counts.fromTarget);
    totals.push(counts.toTarget + counts.fromTarget);
  }
  return {
    medianMs: median(durations),
    p90Ms: percentile(durations, 90),
    medianWallMs: median(walls),
    medianBytes: median(totals),
    maxBytes: Math.max(...totals),
    medianUp: median(ups),
    medianDown: median(downs),
  };
}

/**
 * `POST /api/v1/sync/now` on B with nothing to exchange: a full round (pull, then push) as the
 * periodic one runs it, through the counting proxy.
 */
async function idleRounds(b: Node, proxy: Proxy): Promise<{ medianMs: number; medianBytes: number }> {
  const durations: number[] = [];
  const totals: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await sleep(50);
    await proxy.counts(true);
    const from = b.logs.length;
    const response = await api(`${b.apiUrl}/api/v1/sync/now`, 'POST');
    if (response.status !== 200) throw new Error(`sync now → ${response.status} ${JSON.stringify(response.json)}`);
    const line = await b.waitFor((entry) => entry.event === 'sync-round' && entry['reason'] === 'sync-now', from, 10_000);
    if (line['ok'] !== true || Number(line['pulled']) !== 0 || Number(line['pushed']) !== 0) throw new Error(`expected an empty round, got ${JSON.stringify(line)}`);
    durations.push(Number(line['duration_ms']));
    const counts = await proxy.counts();
    totals.push(counts.toTarget + counts.fromTarget);
  }
  return { medianMs: median(durations), medianBytes: median(totals) };
}

/**
 * B's change feed (`GET /api/v1/changes?type=live`), read as it streams: resolves a waiter when
 * the `change` event of an item id arrives.
 */
async function openChangeFeed(apiUrl: string): Promise<{ next(id: string, timeoutMs: number): Promise<void>; close(): void }> {
  const waiters = new Map<string, () => void>();
  const arrived = new Set<string>();
  const request = http.get(`${apiUrl}/api/v1/changes?type=live`, { agent: false });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  if (response.statusCode !== 200) throw new Error(`GET /api/v1/changes → ${response.statusCode}`);
  response.setEncoding('utf8');
  let buffer = '';
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  response.on('data', (text: string) => {
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.includes('event: ready')) ready();
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!block.includes('event: change') || data === undefined) continue;
      const id = (JSON.parse(data) as { item: { id: string } }).item.id;
      const waiter = waiters.get(id);
      if (waiter === undefined) arrived.add(id);
      else waiter();
    }
  });
  await isReady;
  return {
    next: (id, timeoutMs) =>
      new Promise((resolve, reject) => {
        if (arrived.delete(id)) return resolve();
        const timer = setTimeout(() => reject(new Error(`${id} not on B's change feed after ${timeoutMs} ms`)), timeoutMs);
        waiters.set(id, () => {
          clearTimeout(timer);
          waiters.delete(id);
          resolve();
        });
      }),
    close: () => request.destroy(),
  };
}

interface LiveWriteFigures {
  /** Write sent to A → its `change` event arrives from B's change feed. */
  readonly feedMedianMs: number;
  readonly feedP90Ms: number;
  /** Write sent to A → A answered → a GET on B returned the item. */
  readonly readMedianMs: number;
  readonly readP90Ms: number;
  /** Write sent to A → A answered. */
  readonly postMedianMs: number;
}

/**
 * Live writes through A's data API, alternating two ways of seeing them on B, side by side in
 * one run: B's change feed (the event arrives while the client may still wait for A's answer),
 * and a GET on B once A has answered (repeated until it returns the item).
 */
async function liveWrites(a: Node, b: Node): Promise<LiveWriteFigures> {
  const viaFeed: number[] = [];
  const viaRead: number[] = [];
  const posts: number[] = [];
  const feed = await openChangeFeed(b.apiUrl);
  try {
    for (let write = 0; write < LIVE_WRITES; write++) {
      await sleep(20);
      const id = `live-${write}-${randomBytes(4).toString('hex')}`;
      const started = performance.now();
      const seenOnFeed = feed.next(id, 10_000);
      const post = api(`${a.apiUrl}/api/v1/items`, 'POST', { id, type: 'live', data: itemData(write) }).then((created) => {
        posts.push(performance.now() - started);
        if (created.status !== 201) throw new Error(`POST → ${created.status} ${JSON.stringify(created.json)}`);
      });
      if (write % 2 === 0) {
        await seenOnFeed;
        viaFeed.push(performance.now() - started);
        await post;
      } else {
        await post;
        for (;;) {
          const response = await api(`${b.apiUrl}/api/v1/items/${encodeURIComponent(id)}`, 'GET');
          if (response.status === 200) break;
          if (performance.now() - started > 10_000) throw new Error(`${id} not on B after 10 s`);
        }
        viaRead.push(performance.now() - started);
        await seenOnFeed;
      }
    }
  } finally {
    feed.close();
  }
  return {
    feedMedianMs: median(viaFeed),
    feedP90Ms: percentile(viaFeed, 90),
    readMedianMs: median(viaRead),
    readP90Ms: percentile(viaRead, 90),
    postMedianMs: median(posts),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`pnpm build\` first.`);
  const root = mkdtempSync(path.join(tmpdir(), 'trosyn-bench-lan-'));
  tempRoots.add(root);
  const nodes: Node[] = [];
  try {
    console.log(`LAN sync benchmark: two server processes on 127.0.0.1, sealed sync, mDNS off, static peers (node ${process.version}).`);
    console.log(`Reference (issue 7): PouchDB over HTTP between two Node processes on this machine — initial sync 3,700 docs/s; 1-change round 20 ms, 7.4 KB; live write 14 ms.`);
    console.log('');

    const initial = await initialSync(path.join(root, 'first'), ITEMS, 10 * 60_000);
    const { a } = initial;
    let b = initial.b;
    nodes.push(a, b);
    const r = initial.result;
    console.log(`initial sync, ${fmt(ITEMS, 0)} items of 1 KB:   ${fmt(r.itemsPerSecond, 0)} items/s (${fmt(r.seconds, 2)} s from B's sync service up, ${fmt(r.processSeconds, 2)} s from its process start; target ≥ 20,000; PouchDB 3,700 → ×${fmt(r.itemsPerSecond / 3_700, 1)})`);
    console.log(`  peak RSS during the sync: A ${fmt(r.peakA, 0)} MB, B ${fmt(r.peakB, 0)} MB (start-up peak, Argon2id's 64 MiB included: A ${fmt(r.startA, 0)} MB, B ${fmt(r.startB, 0)} MB)   (seeding A's database directly: ${fmt(r.seedPerSecond, 0)} items/s)`);

    // B again, its static peer now A through the counting proxy. Its cursor is kept: nothing to pull.
    await b.stop();
    const proxy = await startProxy(a.syncPort);
    b = await startNode('bench-b', b.dataDir, { LAN_SYNC_NODE_ID: 'bench-b', LAN_SYNC_PORT: String(b.syncPort), LAN_SYNC_PEERS: `127.0.0.1:${proxy.port}` });
    nodes.push(b);
    await b.waitFor((line) => line.event === 'sync-round' && line['ok'] === true, 0, 30_000);
    b.resetPeakRss();
    const rounds = await oneChangeRounds(b, proxy);
    console.log(`round with one changed item:        ${fmt(rounds.medianMs, 2)} ms median, p90 ${fmt(rounds.p90Ms, 2)} ms (engine round; write → round done ${fmt(rounds.medianWallMs, 2)} ms); target < 10 ms; PouchDB 20 ms`);
    console.log(`  on the wire: ${fmt(rounds.medianBytes, 0)} B median (max ${fmt(rounds.maxBytes, 0)}; ${fmt(rounds.medianUp, 0)} B to A, ${fmt(rounds.medianDown, 0)} B back), TCP payload; target < 4,096 B; PouchDB 7,400 B`);

    const idle = await idleRounds(b, proxy);
    console.log(`full round with nothing to exchange: ${fmt(idle.medianMs, 2)} ms median (sync now on B: pull + push), ${fmt(idle.medianBytes, 0)} B on the wire`);

    const liveFrom = a.logs.length;
    const live = await liveWrites(a, b);
    console.log(`live write on A visible on B:       ${fmt(live.feedMedianMs, 2)} ms median, p90 ${fmt(live.feedP90Ms, 2)} ms (write sent to A → its event from B's change feed); target < 5 ms; PouchDB 14 ms`);
    console.log(`  writes read back instead:         ${fmt(live.readMedianMs, 2)} ms median, p90 ${fmt(live.readP90Ms, 2)} ms (A's answer, then a GET on B; the POST alone: ${fmt(live.postMedianMs, 2)} ms); alternating with the above, ${LIVE_WRITES / 2} writes each`);
    // The same pushes as A's engine timed them: from the round's start to B's acknowledgement
    // (sealing, the one sealed request, B opening and applying it, the answer).
    const pushes = a.logs.slice(liveFrom).filter((line) => line.event === 'sync-round' && line['mode'] === 'push-only' && line['ok'] === true && Number(line['pushed']) === 1);
    if (pushes.length > 0) {
      console.log(`  A's push-only rounds for these writes: ${fmt(median(pushes.map((line) => Number(line['duration_ms']))), 2)} ms median (${pushes.length} of ${LIVE_WRITES}), from the round's start, right after the write's commit, to B's acknowledgement`);
    }
    console.log(`  peak RSS during these phases: A ${fmt(a.peakRssMb(), 0)} MB, B ${fmt(b.peakRssMb(), 0)} MB`);

    await Promise.all([a.stop(), b.stop()]);
    if (MILLION) {
      const million = await initialSync(path.join(root, 'million'), 1_000_000, 30 * 60_000);
      nodes.push(million.a, million.b);
      const m = million.result;
      console.log(`initial sync, 1,000,000 items of 1 KB: ${fmt(m.itemsPerSecond, 0)} items/s (${fmt(m.seconds, 1)} s); peak RSS during the sync A ${fmt(m.peakA, 0)} MB, B ${fmt(m.peakB, 0)} MB (start-up peak: A ${fmt(m.startA, 0)} MB, B ${fmt(m.startB, 0)} MB); target < 150 MB each`);
      await Promise.all([million.a.stop(), million.b.stop()]);
    } else {
      console.log('(1,000,000-item memory run skipped: set BENCH_LAN_MILLION=1; it writes about 2.5 GB and takes minutes)');
    }
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    killAll();
  }
}

/** Temporary directories of this run, removed at the end whatever happens. */
const tempRoots = new Set<string>();

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const root of tempRoots) rmSync(root, { recursive: true, force: true });
}

if (process.argv[2] === 'proxy') {
  runProxy(Number(process.argv[3]));
} else {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  const guard = setTimeout(() => {
    console.error(`LAN sync benchmark: still running after ${OVERALL_TIMEOUT_MS / 60_000} min; stopping.`);
    killAll();
    process.exit(1);
  }, OVERALL_TIMEOUT_MS);
  guard.unref();
  await main();
}
