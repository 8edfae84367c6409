import { describe, expect, it } from 'vitest';
import type { ChangeFeedPage, ChangeFeedPosition, SyncEngine } from '../src/index.js';
import { freshReplicasPerTest } from './helpers.js';

const fresh = freshReplicasPerTest();

/** Every page from `after` until `hasMore` is false. */
async function readToEnd(engine: SyncEngine, options: { after?: ChangeFeedPosition; type?: string; limit?: number } = {}): Promise<{ pages: ChangeFeedPage[]; position: ChangeFeedPosition }> {
  const pages: ChangeFeedPage[] = [];
  let after = options.after;
  for (;;) {
    const page = await engine.changeFeed({ ...options, after });
    pages.push(page);
    after = page.position;
    if (!page.hasMore) return { pages, position: page.position };
  }
}

const ids = (pages: readonly ChangeFeedPage[]): string[] => pages.flatMap((page) => page.entries.map((entry) => entry.item.id));

describe('SyncEngine.changeFeed', () => {
  it('lists changes oldest first, each item once at its latest change, tombstones included', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.putMany([
      { id: 'x', type: 't', data: 1 },
      { id: 'y', type: 't', data: 2 },
      { id: 'z', type: 't', data: 3 },
    ]);
    await a.put({ id: 'x', type: 't', data: 'x again' });
    await a.delete('y');

    const page = await a.changeFeed();
    expect(page.entries.map((entry) => [entry.seq, entry.item.id, entry.item.data, entry.item.deleted])).toEqual([
      [3, 'z', 3, false],
      [4, 'x', 'x again', false],
      [5, 'y', null, true],
    ]);
    expect(page).toMatchObject({ position: { epoch: a.epoch, seq: 5 }, hasMore: false, reset: false });
    expect(a.changeFeedEnd).toEqual({ epoch: a.epoch, seq: 5 });

    // From the end: nothing, until the next write.
    expect((await a.changeFeed({ after: a.changeFeedEnd })).entries).toEqual([]);
    await a.put({ id: 'w', type: 't', data: 4 });
    const next = await a.changeFeed({ after: page.position });
    expect(next.entries.map((entry) => entry.item.id)).toEqual(['w']);
    expect(next.position.seq).toBe(6);
  });

  it('pages by limit and continues exactly where the previous page ended', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.putMany(Array.from({ length: 25 }, (_, i) => ({ id: `n${i}`, type: 't', data: i })));
    const first = await a.changeFeed({ limit: 10 });
    expect(first.entries).toHaveLength(10);
    expect(first).toMatchObject({ position: { seq: 10 }, hasMore: true });
    const { pages } = await readToEnd(a, { after: first.position, limit: 10 });
    expect(ids([first, ...pages])).toEqual(Array.from({ length: 25 }, (_, i) => `n${i}`));
    expect(pages.at(-1)).toMatchObject({ position: { seq: 25 }, hasMore: false });
  });

  it('filters by type, moving the position past the other types', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.putMany(Array.from({ length: 30 }, (_, i) => ({ id: `n${i}`, type: i % 3 === 0 ? 'rare' : 'common', data: i })));
    const page = await a.changeFeed({ type: 'rare' });
    expect(page.entries.map((entry) => entry.item.id)).toEqual(['n0', 'n3', 'n6', 'n9', 'n12', 'n15', 'n18', 'n21', 'n24', 'n27']);
    expect(page).toMatchObject({ position: { seq: 30 }, hasMore: false });
    await a.put({ id: 'c', type: 'common', data: 'not rare' });
    const after = await a.changeFeed({ type: 'rare', after: page.position });
    expect(after).toMatchObject({ entries: [], position: { seq: 31 }, hasMore: false });
  });

  it('reads a long log in bounded ranges: a rare type costs one range per call, not a scan of the log', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    for (let batch = 0; batch < 3; batch++) {
      await a.putMany(Array.from({ length: 10_000 }, (_, i) => ({ id: `b${batch}-${i}`, type: 'bulk', data: i })));
    }
    await a.put({ id: 'needle', type: 'rare', data: 'found' });
    const first = await a.changeFeed({ type: 'rare' });
    expect(first).toMatchObject({ entries: [], position: { seq: 10_000 }, hasMore: true });
    const { pages } = await readToEnd(a, { type: 'rare', after: first.position });
    expect(pages.map((page) => page.position.seq)).toEqual([20_000, 30_000, 30_001]);
    expect(ids(pages)).toEqual(['needle']);
  });

  it('names the peer a replicated version came from', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'from-a', type: 't', data: 1 });
    await b.put({ id: 'own', type: 't', data: 2 });
    await fresh.replicas.sync(b, a);
    const page = await b.changeFeed();
    expect(page.entries.map((entry) => [entry.item.id, entry.peerId])).toEqual([
      ['own', null],
      ['from-a', 'a'],
    ]);
  });

  it("numbers each item-changed event with its change's seq in the log, local and replicated alike", async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    const events: [string, number, string | null][] = [];
    b.on('item-changed', (event) => events.push([event.item.id, event.seq, event.peerId]));
    await b.put({ id: 'own', type: 't', data: 1 });
    await a.putMany([
      { id: 'p', type: 't', data: 2 },
      { id: 'q', type: 't', data: 3 },
    ]);
    await fresh.replicas.sync(b, a);
    await b.putMany([
      { id: 'own', type: 't', data: 'again' },
      { id: 'r', type: 't', data: 4 },
    ]);
    await b.delete('p');
    expect(events).toEqual([
      ['own', 1, null],
      ['p', 2, 'a'],
      ['q', 3, 'a'],
      ['own', 4, null],
      ['r', 5, null],
      ['p', 6, null],
    ]);
    // The same numbers the change feed gives the latest change of each item.
    const page = await b.changeFeed();
    expect(page.entries.map((entry) => [entry.item.id, entry.seq])).toEqual([
      ['q', 3],
      ['own', 4],
      ['r', 5],
      ['p', 6],
    ]);
  });

  it('resets to the start of the log for a position of another epoch, from beyond its end, or before collected tombstones', async () => {
    const retention = 60_000;
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(), tombstoneRetentionMs: retention });
    await a.putMany([
      { id: 'x', type: 't', data: 1 },
      { id: 'y', type: 't', data: 2 },
    ]);
    const early = a.changeFeedEnd;
    for (const after of [{ epoch: 'another-database', seq: 1 }, { epoch: a.epoch, seq: 99 }]) {
      const page = await a.changeFeed({ after });
      expect(page.reset).toBe(true);
      expect(page.entries.map((entry) => entry.item.id)).toEqual(['x', 'y']);
    }

    await a.delete('x');
    const afterDelete = a.changeFeedEnd;
    fresh.time.advanceMs(retention + 1000);
    expect(await a.collectGarbage()).toMatchObject({ tombstonesCollected: 1 });
    // A reader that had seen the deletion continues; one from before it can no longer learn of it.
    expect(await a.changeFeed({ after: afterDelete })).toMatchObject({ entries: [], reset: false });
    const stale = await a.changeFeed({ after: early });
    expect(stale.reset).toBe(true);
    expect(stale.entries.map((entry) => entry.item.id)).toEqual(['y']);
    // A reader at the start has seen nothing a collection could have hidden from it.
    expect(await a.changeFeed({ after: { epoch: a.epoch, seq: 0 } })).toMatchObject({ reset: false, entries: [{ item: { id: 'y' } }] });
  });

  it('refuses bad arguments', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    for (const options of [{ limit: 0 }, { limit: 1001 }, { type: '' }, { after: { epoch: a.epoch, seq: -1 } }, { after: { epoch: 7, seq: 1 } }, { after: 'x:1' }]) {
      await expect(a.changeFeed(options as never)).rejects.toMatchObject({ code: 'invalid-argument' });
    }
    await a.dispose();
    await expect(a.changeFeed()).rejects.toMatchObject({ code: 'disposed' });
  });
});
