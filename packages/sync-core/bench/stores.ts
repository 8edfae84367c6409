// The engine over its two stores side by side in one run: the same workloads against the SQLite
// store (a WAL file) and the PostgreSQL store (a throwaway cluster on 127.0.0.1 started with
// `startTestPostgres`, or the server of TROSYN_TEST_POSTGRES_URL), interleaved store by store in
// every repetition, best of each. Without PostgreSQL binaries (Debian's `postgresql` package)
// the PostgreSQL side is skipped and says so. Run after `pnpm build`:
//   pnpm --filter @trosyn/sync-core bench:stores
// Environment: BENCH_STORE_ROWS (default 10000), BENCH_REPEAT (default 2),
// BENCH_MAX_SECONDS (default 600: the run stops with an error after this long).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SyncEngine, SYNC_PROTOCOL_VERSION, type ChangePage, type PullResponse, type SyncStore } from '../dist/index.js';
import { openPostgresStore } from '../dist/postgres.js';
import { createInMemoryTransport, startTestPostgres, type TestPostgres } from '../dist/testing.js';

const ROWS = Number(process.env.BENCH_STORE_ROWS ?? 10_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 2);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 600);

const payload = (i: number): { n: number; text: string } => ({ n: i, text: `item ${i} `.padEnd(1000, 'x') });
const id = (i: number): string => `item-${String(i).padStart(8, '0')}`;

/** Where one side keeps its engines' replicas. */
interface Side {
  readonly name: string;
  /** Engine config for a fresh replica named `name`; `close` frees what it opened. */
  open(name: string): Promise<{ config: { database: string } | { store: SyncStore }; close: () => Promise<void> }>;
  /** CPU time (µs) spent outside this process for this side so far (the PostgreSQL server's processes). */
  serverCpuMicros(): number;
}

function sqliteSide(dir: string): Side {
  return {
    name: 'SQLite',
    open: async (name) => ({ config: { database: join(dir, `${name}.db`) }, close: async () => undefined }),
    serverCpuMicros: () => 0,
  };
}

/** Clock ticks per second of /proc's CPU times. */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime (µs) of `postmaster` and its children (backends, WAL writer, …): exited backends are not counted. */
function clusterCpuMicros(postmaster: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === postmaster || Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks / TICKS) * 1e6;
}

async function postgresSide(url: string): Promise<Side> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  // The backend's parent is the postmaster. A server on another machine (TROSYN_TEST_POSTGRES_URL)
  // has no such process here: its CPU is then not counted ("n/a").
  let postmaster: number | undefined;
  try {
    const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
    postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    postmaster = undefined;
  }
  await client.end();
  let schemas = 0;
  return {
    name: 'PostgreSQL',
    open: async (name) => {
      const store = await openPostgresStore({ connectionString: url, schema: `bench_${name}_${process.pid}_${++schemas}` });
      return { config: { store }, close: () => store.close() };
    },
    serverCpuMicros: () => (postmaster === undefined ? Number.NaN : clusterCpuMicros(postmaster)),
  };
}

async function seed(engine: SyncEngine, count: number, batch: number): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    await engine.putMany(Array.from({ length: Math.min(batch, count - i) }, (_, j) => ({ id: id(i + j), type: 'doc', data: payload(i + j) })));
  }
}

async function collectPages(source: SyncEngine): Promise<ChangePage[]> {
  const pages: ChangePage[] = [];
  let cursor = { epoch: null as string | null, seq: 0, resyncing: false };
  for (;;) {
    const response = await source.handleSyncRequest(
      { type: 'pull', protocol: SYNC_PROTOCOL_VERSION, nodeId: 'target', epoch: 'bench', cursor, limits: { maxChanges: 1000, maxBytes: 4 * 1024 * 1024 } },
      { peerId: 'target' },
    );
    if (response.type !== 'pull-page') throw new Error(JSON.stringify(response));
    const page = (JSON.parse(JSON.stringify(response)) as PullResponse).page;
    pages.push(page);
    if (!page.hasMore) return pages;
    cursor = { epoch: page.epoch, seq: page.through, resyncing: page.mode === 'full' };
  }
}

/** One repetition of every workload on one side: items/s, CPU µs per item (this process, and the database server's), round ms. */
async function measure(side: Side): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const opened: (() => Promise<void>)[] = [];
  const engine = async (name: string): Promise<SyncEngine> => {
    const { config, close } = await side.open(name);
    const created = new SyncEngine({ ...config, nodeId: name });
    opened.push(async () => {
      await created.dispose();
      await close();
    });
    return created;
  };
  const timed = async (label: string, items: number, work: () => Promise<void>): Promise<void> => {
    const cpu = process.cpuUsage();
    const server = side.serverCpuMicros();
    const started = performance.now();
    await work();
    out[`${label} (items/s)`] = items / ((performance.now() - started) / 1000);
    const used = process.cpuUsage(cpu);
    const serverUsed = side.serverCpuMicros() - server;
    out[`${label} (µs CPU/item, node)`] = (used.user + used.system) / items;
    out[`${label} (µs CPU/item, node + db server)`] = (used.user + used.system + serverUsed) / items;
  };
  try {
    const local = await engine('local');
    await timed('local writes, putMany x1000', ROWS, () => seed(local, ROWS, 1000));
    const singles = Math.min(1000, ROWS);
    await timed('local writes, put() one each', singles, async () => {
      for (let i = 0; i < singles; i++) await local.put({ id: `single-${i}`, type: 'doc', data: payload(i) });
    });
    const pages = await collectPages(local);
    const target = await engine('target');
    await timed('remote pages applied', ROWS + singles, async () => {
      for (const page of pages) {
        const response = await target.handleSyncRequest({ type: 'push', protocol: SYNC_PROTOCOL_VERSION, page }, { peerId: 'local' });
        if (response.type !== 'push-ack') throw new Error(JSON.stringify(response));
      }
    });
    const e2e = await engine('e2e');
    await timed('full sync end to end', ROWS + singles, async () => {
      const report = await e2e.syncWith('local', createInMemoryTransport(local, 'e2e'));
      if (!report.ok) throw new Error(JSON.stringify(report));
    });
    const rounds: number[] = [];
    for (let i = 0; i < 11; i++) {
      await local.put({ id: id(i * 97), type: 'doc', data: payload(-i) });
      const t0 = performance.now();
      const round = await e2e.syncWith('local', createInMemoryTransport(local, 'e2e'));
      rounds.push(performance.now() - t0);
      if (!round.ok || round.pulled.changes !== 1) throw new Error(JSON.stringify(round));
    }
    out['round with 1 changed item (ms, median)'] = rounds.sort((a, b) => a - b)[5]!;
  } finally {
    for (const close of opened.reverse()) await close();
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sync-core-stores-'));
  let cluster: TestPostgres | undefined;
  const watchdog = setTimeout(() => {
    console.error(`bench:stores: still running after ${MAX_SECONDS} s; stopping`);
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(2);
  }, MAX_SECONDS * 1000);
  watchdog.unref();
  try {
    const sides: Side[] = [sqliteSide(dir)];
    let where = process.env.TROSYN_TEST_POSTGRES_URL;
    if (where === undefined || where === '') {
      cluster = await startTestPostgres();
      where = cluster?.url;
      if (where !== undefined) console.log('PostgreSQL: throwaway cluster on 127.0.0.1 (startTestPostgres: fsync=off, synchronous_commit=off, full_page_writes=off)');
    } else {
      console.log('PostgreSQL: the server of TROSYN_TEST_POSTGRES_URL');
    }
    if (where === undefined) {
      console.log('PostgreSQL: not installed (no /usr/lib/postgresql/*/bin/initdb; Debian: apt-get install -y postgresql) and TROSYN_TEST_POSTGRES_URL unset: SKIPPED, SQLite figures only');
    } else {
      sides.push(await postgresSide(where));
    }
    console.log(
      `@trosyn/sync-core stores side by side — Node ${process.version}, ${ROWS.toLocaleString('en-US')} items of 1 KB, SQLite WAL file (synchronous=NORMAL), best of ${REPEAT} interleaved repetitions`,
    );
    const best = new Map<string, Record<string, number>>();
    for (let r = 0; r < REPEAT; r++) {
      // Each repetition starts with the other side, so neither always runs on a warmer machine.
      for (const side of [...sides.slice(r % sides.length), ...sides.slice(0, r % sides.length)]) {
        const figures = await measure(side);
        const kept = best.get(side.name) ?? {};
        for (const [key, value] of Object.entries(figures)) {
          const lowerIsBetter = key.includes('(ms') || key.includes('(µs');
          const previous = kept[key];
          kept[key] = previous === undefined ? value : lowerIsBetter ? Math.min(previous, value) : Math.max(previous, value);
        }
        best.set(side.name, kept);
      }
    }
    const first = sides[0]!.name;
    console.log(`${'measure'.padEnd(60)} ${sides.map((side) => side.name.padStart(12)).join(' ')}${sides.length > 1 ? '  ratio (PostgreSQL / SQLite)' : ''}`);
    for (const key of Object.keys(best.get(first)!)) {
      if (sides.length === 1 && key.endsWith('node + db server)')) continue; // SQLite runs in-process
      const values = sides.map((side) => best.get(side.name)![key]!);
      const format = (v: number): string => (Number.isNaN(v) ? 'n/a' : key.includes('(ms') || key.includes('(µs') ? v.toFixed(2) : Math.round(v).toLocaleString('en-US'));
      const ratio = sides.length > 1 && !Number.isNaN(values[1]!) ? `  ${(values[1]! / values[0]!).toFixed(2)}` : '';
      console.log(`${key.padEnd(60)} ${values.map((v) => format(v).padStart(12)).join(' ')}${ratio}`);
    }
  } finally {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

await main();
