import { describe, expect, it } from 'vitest';
import { SyncError, type FutureChangesAcceptedEvent, type SyncEngine } from '../src/index.js';
import { allItems, freshReplicasPerTest } from './helpers.js';

const fresh = freshReplicasPerTest();
const DRIFT_MS = 60_000;
// Far beyond the drift limit: a node whose clock ran a day ahead (issue #20).
const DAY_AHEAD_MS = 86_400_000;

const wallOf = (hlc: string): number => Number(hlc.slice(0, 16));

async function converged(...engines: SyncEngine[]): Promise<void> {
  const [first, ...rest] = await Promise.all(engines.map((engine) => allItems(engine)));
  for (const items of rest) expect(items).toEqual(first);
}

describe("futureTimestamps: 'accept'", () => {
  it('applies changes stamped beyond the drift without adopting their timestamps', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(0), maxClockDriftMs: DRIFT_MS, futureTimestamps: 'accept' });
    const ahead = await fresh.replicas.open('ahead', { wallClockMicros: fresh.time.clock(DAY_AHEAD_MS), maxClockDriftMs: DRIFT_MS, futureTimestamps: 'accept' });
    await ahead.put({ id: 'memo', type: 't', data: 'written a day ahead' });
    await ahead.put({ id: 'other', type: 't', data: 1 });
    const events: FutureChangesAcceptedEvent[] = [];
    a.on('future-changes-accepted', (event) => events.push(event));
    const report = await fresh.replicas.sync(a, ahead);
    expect(report.ok).toBe(true);
    expect((await a.get('memo'))?.data).toBe('written a day ahead');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ peerId: 'ahead', changes: 2, maxDriftMs: DRIFT_MS });
    expect(events[0]!.driftMs).toBeGreaterThan(DAY_AHEAD_MS - DRIFT_MS - 1000);
    // The local clock stayed on local time: a wrong clock does not drag the others with it.
    const mine = await a.put({ id: 'mine', type: 't', data: 0 });
    expect(wallOf(mine.hlc)).toBe(fresh.time.micros);
    // A later edit of the far-future version is causally after it, whatever the timestamps say.
    const edit = await a.put({ id: 'memo', type: 't', data: 'edited after seeing it' });
    expect(edit.hlc < (await ahead.get('memo'))!.hlc).toBe(true);
    expect((await fresh.replicas.sync(a, ahead)).ok).toBe(true);
    expect((await ahead.get('memo'))?.data).toBe('edited after seeing it');
    expect(await a.conflicts()).toHaveLength(0);
    expect(await ahead.conflicts()).toHaveLength(0);
    await converged(a, ahead);
  });

  it("still refuses such a page with the default policy ('reject')", async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(0), maxClockDriftMs: DRIFT_MS });
    const ahead = await fresh.replicas.open('ahead', { wallClockMicros: fresh.time.clock(DAY_AHEAD_MS) });
    await ahead.put({ id: 'memo', type: 't', data: 1 });
    const report = await fresh.replicas.sync(a, ahead);
    expect(report.error?.code).toBe('clock-drift');
    expect(await a.get('memo')).toBeUndefined();
  });

  it('refuses an unknown policy', async () => {
    await expect(fresh.replicas.open('x', { futureTimestamps: 'adopt' as never })).rejects.toThrow(SyncError);
  });

  it('lets a custom resolver keep the far-future version it was given, but not invent one', async () => {
    let invent = false;
    const resolveConflict = (local: { hlc: string }, remote: { hlc: string }) => {
      const newer = local.hlc > remote.hlc ? local : remote;
      return Promise.resolve({ ...newer, hlc: invent ? `${String(fresh.time.micros + 2 * DAY_AHEAD_MS * 1000).padStart(16, '0')}-000000-a` : newer.hlc }) as never;
    };
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(0), maxClockDriftMs: DRIFT_MS, futureTimestamps: 'accept', resolveConflict });
    const ahead = await fresh.replicas.open('ahead', { wallClockMicros: fresh.time.clock(DAY_AHEAD_MS), futureTimestamps: 'accept' });
    await a.put({ id: 'doc', type: 't', data: 'local' });
    await ahead.put({ id: 'doc', type: 't', data: 'ahead' });
    expect((await fresh.replicas.sync(a, ahead)).ok).toBe(true);
    expect((await a.get('doc'))?.data).toBe('ahead');
    invent = true;
    await a.put({ id: 'doc2', type: 't', data: 'local' });
    await ahead.put({ id: 'doc2', type: 't', data: 'ahead' });
    const report = await fresh.replicas.sync(a, ahead);
    expect(report.ok).toBe(false);
    expect(report.error?.message).toMatch(/too far in the future/);
  });
});

// "Deletions win over concurrent edits" whatever the clocks (issue #20): the edit comes from a
// node whose HLC runs a day ahead of the others, beyond the drift limit.
describe('a deletion concurrent with an edit from a node far ahead', () => {
  for (const order of ['deleter pulls first', 'editor pulls first'] as const) {
    it(`wins on every replica (${order})`, async () => {
      const config = { maxClockDriftMs: DRIFT_MS, futureTimestamps: 'accept' } as const;
      const a = await fresh.replicas.open('a', { ...config, wallClockMicros: fresh.time.clock(0) });
      const c = await fresh.replicas.open('c', { ...config, wallClockMicros: fresh.time.clock(0) });
      const ahead = await fresh.replicas.open('ahead', { ...config, wallClockMicros: fresh.time.clock(DAY_AHEAD_MS) });
      await a.put({ id: 'doc', type: 'note', data: 'v1' });
      await fresh.replicas.sync(ahead, a);
      await fresh.replicas.sync(c, a);
      // Concurrent: the deletion on a, the edit on the fast node (stamped a day later).
      const tombstone = await a.delete('doc');
      fresh.time.advanceMs(1000);
      const edit = await ahead.put({ id: 'doc', type: 'note', data: 'edited a day ahead' });
      expect(edit.hlc > tombstone!.hlc).toBe(true);
      if (order === 'deleter pulls first') {
        expect((await fresh.replicas.sync(a, ahead)).ok).toBe(true);
        expect((await fresh.replicas.sync(c, a)).ok).toBe(true);
      } else {
        expect((await fresh.replicas.sync(ahead, a)).ok).toBe(true);
        expect((await fresh.replicas.sync(c, ahead)).ok).toBe(true);
      }
      for (const engine of [a, c, ahead]) expect((await fresh.replicas.sync(engine, engine === a ? c : a)).ok).toBe(true);
      for (const engine of [a, c, ahead]) {
        expect(await engine.get('doc'), engine.nodeId).toBeUndefined();
        expect((await engine.get('doc', { includeDeleted: true }))?.deleted, engine.nodeId).toBe(true);
      }
      await converged(a, c, ahead);
      const logged = [...(await a.conflicts()), ...(await ahead.conflicts())];
      expect(logged.some((record) => record.rule === 'delete-wins')).toBe(true);
      // The losing edit is kept in history where it was made, to be restored if wanted.
      expect((await ahead.history('doc')).some((entry) => entry.item.data === 'edited a day ahead')).toBe(true);
    });
  }
});
