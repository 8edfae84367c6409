// Side-by-side benchmark of builds of @trosyn/sync-core in one run: the same workloads against
// each build's dist, interleaved build by build in every repetition (each repetition starting
// with another build), so machine load hits them alike. Usage (from packages/sync-core, after `pnpm build`):
//   node bench/compare.ts before=/path/to/old/dist after=./dist
// `pnpm bench:compare` builds the pre-redesign commit (BENCH_BASE_REF, default: the commit
// before the store-port redesign) into a temporary directory and compares it with ./dist.
// Environment: BENCH_ROWS (default 20000), BENCH_REPEAT (default 3).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

interface Build {
  readonly name: string;
  // The builds' types differ (that is the point); the workloads use the API both have.
  readonly lib: { SyncEngine: new (config: Record<string, unknown>) => Engine; SYNC_PROTOCOL_VERSION: number };
  readonly testing: { createInMemoryTransport: (responder: Engine, requesterId: string) => unknown };
}

interface Engine {
  readonly nodeId: string;
  putMany(inputs: { id: string; type: string; data: unknown }[]): Promise<unknown>;
  put(input: { id: string; type: string; data: unknown }): Promise<unknown>;
  handleSyncRequest(message: unknown, context: { peerId: string }): Promise<{ type: string; page?: Page }>;
  syncWith(peerId: string, transport: unknown): Promise<{ ok: boolean; pulled: { changes: number } }>;
  dispose(): Promise<void>;
}

interface Page {
  readonly epoch: string;
  readonly through: number;
  readonly hasMore: boolean;
  readonly mode: string;
}

const payload = (i: number): { n: number; text: string } => ({ n: i, text: `item ${i} `.padEnd(1000, 'x') });
const id = (i: number): string => `item-${String(i).padStart(8, '0')}`;

async function seed(engine: Engine, count: number, batch: number): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    await engine.putMany(Array.from({ length: Math.min(batch, count - i) }, (_, j) => ({ id: id(i + j), type: 'doc', data: payload(i + j) })));
  }
}

async function pages(build: Build, source: Engine): Promise<Page[]> {
  const out: Page[] = [];
  let cursor = { epoch: null as string | null, seq: 0, resyncing: false };
  for (;;) {
    const limits = { maxChanges: 1000, maxBytes: 4 * 1024 * 1024 };
    const request = { type: 'pull', protocol: build.lib.SYNC_PROTOCOL_VERSION, nodeId: 'target', epoch: 'bench', cursor, limits };
    const response = await source.handleSyncRequest(request, { peerId: 'target' });
    const page = (JSON.parse(JSON.stringify(response)) as { page: Page }).page;
    out.push(page);
    if (!page.hasMore) return out;
    cursor = { epoch: page.epoch, seq: page.through, resyncing: page.mode === 'full' };
  }
}

/** CPU time (user + system) of this process since `since`, in µs. */
function cpuSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/**
 * One repetition of every workload against one build: wall-clock rates in items per second,
 * and CPU time per item in µs (steadier than wall time on a loaded machine), round in ms.
 */
async function measure(build: Build, dir: string): Promise<Record<string, number>> {
  const path = (name: string): string => join(dir, `${build.name}-${name}.db`);
  const { SyncEngine } = build.lib;
  const out: Record<string, number> = {};
  const timed = async (label: string, items: number, work: () => Promise<void>): Promise<void> => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await work();
    out[`${label} (items/s)`] = items / ((performance.now() - started) / 1000);
    out[`${label} (µs CPU/item)`] = cpuSince(cpu) / items;
  };
  const local = new SyncEngine({ database: path('local'), nodeId: 'local' });
  await timed('local writes, putMany x1000', ROWS, () => seed(local, ROWS, 1000));
  const singles = Math.min(2000, ROWS);
  await timed('local writes, put() one each', singles, async () => {
    for (let i = 0; i < singles; i++) await local.put({ id: `single-${i}`, type: 'doc', data: payload(i) });
  });
  const collected = await pages(build, local);
  const target = new SyncEngine({ database: path('target'), nodeId: 'target' });
  await timed('remote pages applied', ROWS + singles, async () => {
    for (const page of collected) {
      const response = await target.handleSyncRequest({ type: 'push', protocol: build.lib.SYNC_PROTOCOL_VERSION, page }, { peerId: 'local' });
      if (response.type !== 'push-ack') throw new Error(JSON.stringify(response));
    }
  });
  const e2e = new SyncEngine({ database: path('e2e'), nodeId: 'e2e' });
  await timed('full sync end to end', ROWS + singles, async () => {
    const report = await e2e.syncWith('local', build.testing.createInMemoryTransport(local, 'e2e'));
    if (!report.ok) throw new Error(JSON.stringify(report));
  });
  const rounds: number[] = [];
  for (let i = 0; i < 11; i++) {
    await local.put({ id: id(i * 97), type: 'doc', data: payload(-i) });
    const t0 = performance.now();
    const round = await e2e.syncWith('local', build.testing.createInMemoryTransport(local, 'e2e'));
    rounds.push(performance.now() - t0);
    if (!round.ok || round.pulled.changes !== 1) throw new Error(JSON.stringify(round));
  }
  out['round with 1 changed item (ms, median)'] = rounds.sort((a, b) => a - b)[5]!;
  for (const engine of [local, target, e2e]) await engine.dispose();
  return out;
}

async function main(): Promise<void> {
  const specs = process.argv.slice(2).map((arg) => {
    const [name, dist] = arg.split('=');
    if (name === undefined || dist === undefined) throw new Error(`expected name=path/to/dist, got ${arg}`);
    return { name, dist: resolve(dist) };
  });
  if (specs.length === 0) throw new Error('usage: node bench/compare.ts before=/old/dist after=./dist');
  const builds: Build[] = [];
  for (const { name, dist } of specs) {
    const lib = (await import(pathToFileURL(join(dist, 'index.js')).href)) as Build['lib'];
    const testing = (await import(pathToFileURL(join(dist, 'testing.js')).href)) as Build['testing'];
    builds.push({ name, lib, testing });
  }
  console.log(`@trosyn/sync-core side by side — Node ${process.version}, ${ROWS.toLocaleString('en-US')} items of 1 KB, WAL files, best of ${REPEAT} interleaved repetitions`);
  const best = new Map<string, Record<string, number>>();
  for (let r = 0; r < REPEAT; r++) {
    // Each repetition starts with another build: whichever runs first in a repetition was seen
    // to gain up to 1.5x on this machine (file cache, WAL), which would otherwise favour one build.
    for (const build of [...builds.slice(r % builds.length), ...builds.slice(0, r % builds.length)]) {
      const dir = mkdtempSync(join(tmpdir(), 'sync-core-compare-'));
      try {
        const figures = await measure(build, dir);
        const kept = best.get(build.name) ?? {};
        for (const [key, value] of Object.entries(figures)) {
          const lowerIsBetter = key.includes('(ms') || key.includes('(µs');
          const previous = kept[key];
          kept[key] = previous === undefined ? value : lowerIsBetter ? Math.min(previous, value) : Math.max(previous, value);
        }
        best.set(build.name, kept);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const keys = Object.keys(best.get(builds[0]!.name)!);
  const first = builds[0]!.name;
  console.log(`${'measure'.padEnd(48)} ${builds.map((b) => b.name.padStart(12)).join(' ')}  ratio (last / first)`);
  for (const key of keys) {
    const values = builds.map((b) => best.get(b.name)![key]!);
    const format = (v: number): string => (key.includes('(ms') || key.includes('(µs') ? v.toFixed(2) : Math.round(v).toLocaleString('en-US'));
    console.log(`${key.padEnd(48)} ${values.map((v) => format(v).padStart(12)).join(' ')}  ${(values[values.length - 1]! / best.get(first)![key]!).toFixed(2)}`);
  }
}

await main();
