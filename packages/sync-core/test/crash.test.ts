import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { allItems, freshReplicasPerTest } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/crash-child.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const fresh = freshReplicasPerTest();

/** Starts the child, waits until it applies pages, lets it run `delayMs` more, then SIGKILLs it. */
function runAndKill(source: string, target: string, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, source, target], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let finished = false;
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('done')) finished = true;
      if (text.includes('applying')) setTimeout(() => proc.kill('SIGKILL'), delayMs);
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (finished) resolve('finished');
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('SyncEngine crash safety', () => {
  it('reopens consistent after SIGKILL while applying pages, and converges', async () => {
    expect(existsSync(built), 'run the package build first (dist/ is missing)').toBe(true);
    const source = await fresh.replicas.open('src');
    const total = 20_000;
    for (let i = 0; i < total; i += 2000) {
      await source.putMany(Array.from({ length: 2000 }, (_, j) => ({ id: `item-${String(i + j).padStart(6, '0')}`, type: 't', data: { n: i + j, pad: 'p'.repeat(200) } })));
    }
    await source.dispose();
    const sourceSeqs = new Map<string, number>();
    const sdb = new Database(fresh.replicas.path('src'), { readonly: true });
    for (const row of sdb.prepare('SELECT id, seq FROM sync_items').iterate() as IterableIterator<{ id: string; seq: number }>) sourceSeqs.set(row.id, row.seq);
    sdb.close();

    let lastCursor = 0;
    let killedMidway = 0;
    for (const delay of [30, 80, 150]) {
      const outcome = await runAndKill(fresh.replicas.path('src'), fresh.replicas.path('dst'), delay);
      const db = new Database(fresh.replicas.path('dst'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const peer = db.prepare("SELECT cursor FROM sync_peers WHERE peer_id = 'src'").get() as { cursor: number } | undefined;
      const cursor = peer?.cursor ?? 0;
      const applied = db.prepare('SELECT id FROM sync_items').pluck().all() as string[];
      db.close();
      // The cursor matches the data: exactly the source changes up to the cursor are present.
      const expected = [...sourceSeqs].filter(([, seq]) => seq <= cursor).map(([id]) => id).sort();
      expect(applied.sort()).toEqual(expected);
      expect(cursor).toBeGreaterThanOrEqual(lastCursor);
      lastCursor = cursor;
      if (outcome === 'killed' && cursor > 0 && cursor < total) killedMidway += 1;
    }
    expect(killedMidway).toBeGreaterThan(0);

    const sourceAgain = await fresh.replicas.open('src');
    const target = await fresh.replicas.open('dst');
    const { createInMemoryTransport } = await import('../src/testing.js');
    const report = await target.syncWith('src', createInMemoryTransport(sourceAgain, 'dst'));
    expect(report.error).toBeNull();
    expect(await allItems(target)).toEqual(await allItems(sourceAgain));
  }, 120_000);
});
