// One full sync of N small items through the in-memory transport, in a fresh process so its
// memory figures are not polluted by other benchmarks. Prints one JSON line.
// Usage: node --expose-gc bench/full-sync-memory.ts seed|sync <items> <dir> [cacheSizeKiB]
// Seeding runs in its own process so the sync process starts without the seeding's garbage.
import { join } from 'node:path';
import { SyncEngine } from '../dist/index.js';
import { createInMemoryTransport } from '../dist/testing.js';

const mode = process.argv[2];
const count = Number(process.argv[3]);
const dir = process.argv[4]!;
const cacheSizeKiB = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const big = new SyncEngine({ database: join(dir, `big-${count}.db`), nodeId: 'big', cacheSizeKiB });
if (mode === 'seed') {
  const started = performance.now();
  for (let i = 0; i < count; i += 5000) {
    await big.putMany(
      Array.from({ length: Math.min(5000, count - i) }, (_, j) => ({ id: `item-${String(i + j).padStart(8, '0')}`, type: 'doc', data: { n: i + j, text: 'small item' } })),
    );
  }
  await big.dispose();
  console.log(JSON.stringify({ seedMs: performance.now() - started }));
  process.exit(0);
}
const fresh = new SyncEngine({ database: join(dir, `fresh-${count}.db`), nodeId: 'fresh', cacheSizeKiB });
globalThis.gc?.();
const base = process.memoryUsage();
let peakRss = base.rss;
let peakHeap = base.heapUsed;
let peakHeapTotal = base.heapTotal;
let peakExternal = base.external;
let requests = 0;
// The in-memory round never yields to timers, so sample at every request. Every 20th request
// forces a GC so the heap figure is what is retained, not garbage not yet collected.
const sample = (): void => {
  requests += 1;
  const gcNow = requests % 20 === 0 && globalThis.gc !== undefined;
  if (gcNow) globalThis.gc!();
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeapTotal = Math.max(peakHeapTotal, m.heapTotal);
  peakExternal = Math.max(peakExternal, m.external);
  if (gcNow) peakHeap = Math.max(peakHeap, m.heapUsed);
};
const started = performance.now();
const report = await fresh.syncWith('big', createInMemoryTransport(big, 'fresh', { onRequest: sample }));
const syncMs = performance.now() - started;
sample();
if (!report.ok) throw new Error(JSON.stringify(report));
await fresh.dispose();
await big.dispose();
console.log(JSON.stringify({ count, syncMs, baseRss: base.rss, peakRss, baseHeap: base.heapUsed, peakHeap, peakHeapTotal, peakExternal, pages: report.pulled.pages }));
