// Benchmarks of @trosyn/sync-core, each printed next to a raw better-sqlite3 ceiling measured
// in the same run. Runs against the built package: `pnpm --filter @trosyn/sync-core bench`.
// Environment: BENCH_ROWS (default 100000), BENCH_FULL_SYNC_ITEMS (default 1000000).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SyncEngine, SYNC_PROTOCOL_VERSION, type ChangePage, type PullResponse } from '../dist/index.js';
import { createInMemoryTransport } from '../dist/testing.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const FULL_SYNC_ITEMS = Number(process.env.BENCH_FULL_SYNC_ITEMS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'sync-core-bench-'));
const path = (name: string): string => join(dir, `${name}.db`);

/** ~1 KB of JSON per item. */
function payload(i: number): { n: number; text: string } {
  return { n: i, text: `item ${i} `.padEnd(1000, 'x') };
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

function row(label: string, engine: string, ceiling: string, note = ''): void {
  console.log(`${label.padEnd(44)} ${engine.padStart(16)} ${ceiling.padStart(16)}  ${note}`);
}

/** The same file settings as SyncEngine uses, so the ceiling is comparable. */
function engineLikePragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('cache_size = -32768');
}

function rawInsert(name: string, count: number, batch: number): number {
  const db = new Database(path(name));
  engineLikePragmas(db);
  db.exec(`CREATE TABLE items (id TEXT PRIMARY KEY, type TEXT NOT NULL, data TEXT, version INTEGER NOT NULL, hlc TEXT NOT NULL,
    node_id TEXT NOT NULL, deleted INTEGER NOT NULL, vector TEXT NOT NULL, seq INTEGER NOT NULL)`);
  db.exec('CREATE UNIQUE INDEX items_seq ON items (seq)');
  const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const hlc = '1800000000000000-000000-raw';
  const vector = JSON.stringify({ raw: hlc });
  const started = performance.now();
  for (let i = 0; i < count; i += batch) {
    db.transaction(() => {
      for (let j = i; j < Math.min(count, i + batch); j++) {
        insert.run(`item-${j}`, 'doc', JSON.stringify(payload(j)), 1, hlc, 'raw', 0, vector, j + 1);
      }
    })();
  }
  const ms = performance.now() - started;
  db.close();
  return ms;
}

async function seed(engine: SyncEngine, count: number, make: (i: number) => unknown = payload, batch = 2000): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    await engine.putMany(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) => ({ id: `item-${String(i + j).padStart(8, '0')}`, type: 'doc', data: make(i + j) as never })),
    );
  }
}

/** Collects every page of `source`'s log as a peer named `requester` would pull it (JSON round-tripped). */
async function collectPages(source: SyncEngine, requester: string, maxChanges: number): Promise<ChangePage[]> {
  const pages: ChangePage[] = [];
  let cursor = { epoch: null as string | null, seq: 0, resyncing: false };
  for (;;) {
    const response = await source.handleSyncRequest(
      { type: 'pull', protocol: SYNC_PROTOCOL_VERSION, nodeId: requester, epoch: 'bench', cursor, limits: { maxChanges, maxBytes: 4 * 1024 * 1024 } },
      { peerId: requester },
    );
    if (response.type !== 'pull-page') throw new Error(JSON.stringify(response));
    const page = (JSON.parse(JSON.stringify(response)) as PullResponse).page;
    pages.push(page);
    if (!page.hasMore) return pages;
    cursor = { epoch: page.epoch, seq: page.through, resyncing: page.mode === 'full' };
  }
}

async function main(): Promise<void> {
  console.log(`@trosyn/sync-core benchmark — Node ${process.version}, file databases in WAL mode (synchronous=NORMAL, wal_autocheckpoint=10000), 1 KB items`);
  if (globalThis.gc === undefined) console.log('(run with node --expose-gc for the retained-heap figure)');
  console.log(`${'measure'.padEnd(44)} ${'sync-core'.padStart(16)} ${'raw ceiling'.padStart(16)}  notes`);

  // 1. Local writes.
  const localCount = ROWS / 2;
  const local = new SyncEngine({ database: path('local'), nodeId: 'local' });
  let started = performance.now();
  await seed(local, localCount, payload, 1000);
  const localMs = performance.now() - started;
  const rawLocalMs = rawInsert('raw-local', localCount, 1000);
  row('local writes, putMany x1000 per transaction', rate(localCount, localMs), rate(localCount, rawLocalMs), `${((rawLocalMs / localMs) * 100).toFixed(0)}% of raw`);
  const singles = 5000;
  started = performance.now();
  for (let i = 0; i < singles; i++) await local.put({ id: `single-${i}`, type: 'doc', data: payload(i) });
  const singleMs = performance.now() - started;
  const rawSingleMs = rawInsert('raw-single', singles, 1);
  row('local writes, put() one per transaction', rate(singles, singleMs), rate(singles, rawSingleMs), `${((rawSingleMs / singleMs) * 100).toFixed(0)}% of raw`);
  await local.dispose();

  // 2. Remote changes applied in pages.
  const source = new SyncEngine({ database: path('source'), nodeId: 'source' });
  await seed(source, ROWS);
  const pages = await collectPages(source, 'target', 1000);
  const target = new SyncEngine({ database: path('target'), nodeId: 'target' });
  started = performance.now();
  for (const page of pages) {
    const response = await target.handleSyncRequest({ type: 'push', protocol: SYNC_PROTOCOL_VERSION, page }, { peerId: 'source' });
    if (response.type !== 'push-ack') throw new Error(JSON.stringify(response));
  }
  const applyMs = performance.now() - started;
  const rawApplyMs = rawInsert('raw-apply', ROWS, 1000);
  row(`remote changes applied (${pages.length} pages of 1000)`, rate(ROWS, applyMs), rate(ROWS, rawApplyMs), `target >= 50,000/s; ${((rawApplyMs / applyMs) * 100).toFixed(0)}% of raw`);
  await target.dispose();

  const e2e = new SyncEngine({ database: path('e2e'), nodeId: 'e2e' });
  started = performance.now();
  const e2eReport = await e2e.syncWith('source', createInMemoryTransport(source, 'e2e'));
  const e2eMs = performance.now() - started;
  row('full sync end to end (serve+JSON+apply)', rate(ROWS, e2eMs), '', `${e2eReport.pulled.pages} pages, pull+push round, in-memory transport`);

  // 3. One changed item among ROWS.
  await e2e.syncWith('source', createInMemoryTransport(source, 'e2e'));
  const times: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < 21; i++) {
    await source.put({ id: `item-${String(i * 997).padStart(8, '0')}`, type: 'doc', data: payload(-i) });
    const transport = createInMemoryTransport(source, 'e2e');
    const t0 = performance.now();
    const report = await e2e.syncWith('source', transport);
    times.push(performance.now() - t0);
    bytes.push(transport.stats.bytesSent + transport.stats.bytesReceived);
    if (!report.ok || report.pulled.changes !== 1) throw new Error(JSON.stringify(report));
  }
  times.sort((a, b) => a - b);
  bytes.sort((a, b) => a - b);
  row(`round with 1 changed item among ${ROWS.toLocaleString('en-US')}`, `${times[10]!.toFixed(2)} ms`, '', `median of 21; target < 10 ms`);
  row('  bytes on the wire for that round', `${bytes[10]} B`, '', `requests + responses as JSON; target < 4 KB`);
  await e2e.dispose();
  await source.dispose();

  // 4. Memory during a full sync at three store sizes, each in a fresh process. Bounded by the
  // page size means the growth stays flat while the store grows 100-fold.
  // The last run repeats the largest size with a 4 MiB SQLite cache: what still grows between
  // the sizes is SQLite's page cache filling up to its configured size, not the store.
  const runs = [
    { count: FULL_SYNC_ITEMS / 100, cacheKiB: 32 * 1024 },
    { count: FULL_SYNC_ITEMS / 10, cacheKiB: 32 * 1024 },
    { count: FULL_SYNC_ITEMS, cacheKiB: 32 * 1024 },
    { count: FULL_SYNC_ITEMS, cacheKiB: 4 * 1024 },
  ];
  const script = fileURLToPath(new URL('./full-sync-memory.ts', import.meta.url));
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;
  for (const { count, cacheKiB } of runs) {
    execFileSync(process.execPath, [script, 'seed', String(count), dir, String(cacheKiB)], { encoding: 'utf8' });
    // The old-generation cap proves the point: a sync that held the store in memory would die.
    // The young-generation cap keeps V8 from sizing its nursery by allocation rate (up to 3 ×
    // 16 MB here), which would otherwise show as RSS that grows with the length of the run.
    const flags = ['--expose-gc', '--max-old-space-size=64', '--max-semi-space-size=4'];
    const out = execFileSync(process.execPath, [...flags, script, 'sync', String(count), dir, String(cacheKiB)], { encoding: 'utf8' });
    const m = JSON.parse(out.trim().split('\n').pop()!) as { syncMs: number; baseRss: number; peakRss: number; baseHeap: number; peakHeap: number; peakHeapTotal: number; peakExternal: number };
    row(
      `full sync of ${count.toLocaleString('en-US')} items (memory)`,
      `RSS +${mb(m.peakRss - m.baseRss)}`,
      '',
      `peak ${mb(m.peakRss)} (both engines in one process, SQLite cache 2 × ${cacheKiB / 1024} MiB); retained heap +${mb(m.peakHeap - m.baseHeap)}; V8 heap ≤ ${mb(m.peakHeapTotal)}; buffers ≤ ${mb(m.peakExternal)}; ${rate(count, m.syncMs)}`,
    );
    for (const name of [`big-${count}`, `fresh-${count}`]) for (const s of ['', '-wal', '-shm']) rmSync(path(name) + s, { force: true });
  }
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
