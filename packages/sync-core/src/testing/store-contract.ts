import type { ItemRow } from '../store/rows.js';
import type { SyncStore } from '../store/sync-store.js';
import type { HistoryInsert } from '../store/write-batch.js';

/** What {@link runSyncStoreTests} needs from the store adapter under test. */
export interface SyncStoreTestSetup {
  /** Suite name suffix, e.g. `'postgres'`. */
  readonly name?: string;
  /** Opens a new, empty store. The suite closes every store it opens. */
  readonly create: () => Promise<SyncStore>;
  /** Opens the storage of `closed` again (after {@link SyncStore.close}), as a new process would. */
  readonly reopen: (closed: SyncStore) => Promise<SyncStore>;
}

const hlc = (n: number, node = 'a'): string => `${String(n).padStart(16, '0')}-000000-${node}`;

function item(id: string, seq: number, partial: Partial<ItemRow> = {}): ItemRow {
  return {
    id,
    type: 'note',
    data: JSON.stringify({ id }),
    version: 1,
    hlc: hlc(seq),
    node_id: 'a',
    deleted: 0,
    vector: JSON.stringify({ a: hlc(seq) }),
    value_vector: null,
    seq,
    origin: 'a',
    from_peer: null,
    ...partial,
  };
}

function history(row: ItemRow, reason: string, recordedAt: number): HistoryInsert {
  const { id, type, data, version, hlc: stamp, node_id, deleted, vector } = row;
  return { state: { id, type, data, version, hlc: stamp, node_id, deleted, vector }, reason, recordedAt };
}

/**
 * The contract every {@link SyncStore} adapter must pass: registers a vitest `describe` block
 * that commits batches and reads them back through the port, including atomicity (a batch
 * that fails leaves nothing) and persistence across a reopen. Call it at the top level of a
 * test file: `await runSyncStoreTests({ create, reopen })`. The replication suites should run
 * against the adapter as well (an engine given `store`). Needs `vitest`.
 */
export async function runSyncStoreTests(setup: SyncStoreTestSetup): Promise<void> {
  // Imported lazily so that importing '@trosyn/sync-core/testing' works without vitest installed.
  const { describe, it, expect, afterEach } = await import('vitest');

  describe(`SyncStore contract${setup.name === undefined ? '' : `: ${setup.name}`}`, () => {
    const open: SyncStore[] = [];
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });
    async function create(): Promise<SyncStore> {
      const store = await setup.create();
      open.push(store);
      return store;
    }

    it('starts empty', async () => {
      const store = await create();
      expect([...store.meta]).toEqual([]);
      expect((await store.getItems(['x', 'y'])).size).toBe(0);
      expect(await store.listPeers()).toEqual([]);
      expect(await store.scanLog(0, 100, 10, 1 << 20)).toEqual([]);
      expect(await store.listConflicts({ limit: 10 })).toEqual([]);
    });

    it('commits items, reads them by id, by type, in log order, bounded by count and by size', async () => {
      const store = await create();
      const rows = [item('b', 1), item('a', 2, { type: 'task' }), item('c', 3, { deleted: 1, data: null }), item('d', 4, { data: JSON.stringify('x'.repeat(100)) })];
      await store.commit({ items: rows, meta: { last_seq: '4' } });
      const byId = await store.getItems(['a', 'c', 'missing']);
      expect([...byId.keys()].sort()).toEqual(['a', 'c']);
      expect(byId.get('a')).toEqual(rows[1]);
      expect((await store.getItems(['b'])).get('b')).toEqual(rows[0]);
      expect((await store.listItems({ includeDeleted: false, limit: 10 })).map((r) => r.id)).toEqual(['a', 'b', 'd']);
      expect((await store.listItems({ includeDeleted: true, limit: 10 })).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
      expect((await store.listItems({ includeDeleted: true, afterId: 'b', limit: 1 })).map((r) => r.id)).toEqual(['c']);
      expect((await store.listItems({ type: 'task', includeDeleted: false, limit: 10 })).map((r) => r.id)).toEqual(['a']);
      expect((await store.scanLog(0, 4, 10, 1 << 20)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect((await store.scanLog(1, 3, 10, 1 << 20)).map((r) => r.seq)).toEqual([2, 3]);
      expect((await store.scanLog(0, 4, 2, 1 << 20)).map((r) => r.seq)).toEqual([1, 2]);
      // Stops once the data read reaches the budget, that row included.
      expect((await store.scanLog(0, 4, 10, 1)).map((r) => r.seq)).toEqual([1]);
      expect((await store.feedRange(0, 4, undefined, 3)).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect((await store.feedRange(0, 4, 'note', 10)).map((r) => r.seq)).toEqual([1, 3, 4]);
      expect((await store.feedRange(1, 2, 'note', 10)).map((r) => r.seq)).toEqual([]);
      // An upsert replaces the row and moves it in the log.
      await store.commit({ items: [item('b', 5, { version: 2, data: '"new"' })] });
      expect((await store.getItems(['b'])).get('b')).toMatchObject({ seq: 5, version: 2, data: '"new"' });
      expect((await store.scanLog(0, 5, 10, 1 << 20)).map((r) => r.id)).toEqual(['a', 'c', 'd', 'b']);
      expect(await store.expiredTombstones(hlc(100).slice(0, 16))).toEqual([{ id: 'c', seq: 3 }]);
      expect(await store.expiredTombstones(hlc(3).slice(0, 16))).toEqual([]);
    });

    it('keeps history newest first, finds conflict losers, prunes by age and count', async () => {
      const store = await create();
      const v1 = item('x', 1);
      const v2 = item('x', 2, { hlc: hlc(2, 'b'), node_id: 'b' });
      const v3 = item('x', 3, { deleted: 1, data: null });
      await store.commit({ history: [history(v1, 'superseded', 10), history(v2, 'conflict-loser', 20), history(v3, 'superseded', 30), history(item('y', 4), 'superseded', 40)] });
      const entries = await store.listHistory('x', { limit: 10 });
      expect(entries.map((e) => [e.hlc, e.reason, e.recorded_at])).toEqual([
        [hlc(3), 'superseded', 30],
        [hlc(2, 'b'), 'conflict-loser', 20],
        [hlc(1), 'superseded', 10],
      ]);
      expect(entries[0]).toMatchObject({ item_id: 'x', type: 'note', data: null, deleted: 1, version: 1, node_id: 'a', vector: v3.vector });
      expect((await store.listHistory('x', { beforeId: entries[0]!.id, limit: 1 })).map((e) => e.hlc)).toEqual([hlc(2, 'b')]);
      expect(await store.getHistory(entries[1]!.id)).toEqual(entries[1]);
      expect(await store.getHistory(-1)).toBeUndefined();
      expect((await store.latestLiveHistory('x'))?.hlc).toBe(hlc(2, 'b'));
      expect((await store.conflictLosers('x')).map((e) => e.hlc)).toEqual([hlc(2, 'b')]);
      expect(await store.hasConflictLoser('x', hlc(2, 'b'))).toBe(true);
      expect(await store.hasConflictLoser('x', hlc(1))).toBe(false);
      const { historyPruned } = await store.commit({ pruneHistory: { recordedBefore: 15, keepPerItem: 1 } });
      // x@10 by age, then x@20 by count (x keeps its newest); y keeps its only entry.
      expect(historyPruned).toBe(2);
      expect((await store.listHistory('x', { limit: 10 })).map((e) => e.recorded_at)).toEqual([30]);
      expect(await store.listHistory('y', { limit: 10 })).toHaveLength(1);
    });

    it('logs conflicts with increasing ids, filters them, acknowledges each once', async () => {
      const store = await create();
      const entry = (itemId: string, at: number) => ({ item_id: itemId, peer_id: 'b', rule: 'lww', winner: 'remote', local: '{"l":1}', remote: '{"r":1}', result: '{"r":1}', detected_at: at });
      const { conflictIds } = await store.commit({ conflicts: [entry('x', 1), entry('y', 2), entry('x', 3)] });
      expect(conflictIds).toHaveLength(3);
      expect([...conflictIds].sort((p, q) => p - q)).toEqual(conflictIds);
      const all = await store.listConflicts({ limit: 10 });
      expect(all.map((c) => c.id)).toEqual(conflictIds);
      expect(all[0]).toEqual({ id: conflictIds[0], ...entry('x', 1), acknowledged_at: null });
      expect((await store.listConflicts({ itemId: 'x', limit: 10 })).map((c) => c.detected_at)).toEqual([1, 3]);
      expect((await store.listConflicts({ afterId: conflictIds[0], limit: 1 })).map((c) => c.id)).toEqual([conflictIds[1]]);
      const first = await store.commit({ acknowledgeConflicts: { ids: [conflictIds[0]!, conflictIds[2]!, 999_999], at: 50 } });
      expect(first.acknowledged).toBe(2);
      expect((await store.commit({ acknowledgeConflicts: { ids: [conflictIds[0]!], at: 60 } })).acknowledged).toBe(0);
      expect((await store.listConflicts({ acknowledged: true, limit: 10 })).map((c) => c.acknowledged_at)).toEqual([50, 50]);
      expect((await store.listConflicts({ acknowledged: false, limit: 10 })).map((c) => c.id)).toEqual([conflictIds[1]]);
    });

    it('keeps what it knows about a peer: cursor, acknowledgement, outcomes, resync seen set, echo markers', async () => {
      const store = await create();
      await store.commit({ peer: { peerId: 'b' } });
      expect(await store.getPeer('b')).toEqual({
        peer_id: 'b',
        epoch: null,
        cursor: 0,
        resyncing: 0,
        sweep_through: 0,
        acked_epoch: null,
        acked: 0,
        last_attempt: null,
        last_success: null,
        last_error_code: null,
        last_error: null,
        last_error_at: null,
      });
      await store.commit({
        peer: { peerId: 'b', cursor: { epoch: 'pb', seq: 7, resyncing: true, sweepThrough: 3 }, acked: { epoch: 'e1', seq: 2 }, success: { attemptAt: 100, at: 110 } },
      });
      await store.commit({ peer: { peerId: 'b', error: { attemptAt: null, code: 'cursor-gap', message: 'gap', at: 120 } } });
      expect(await store.getPeer('b')).toMatchObject({ epoch: 'pb', cursor: 7, resyncing: 1, sweep_through: 3, acked_epoch: 'e1', acked: 2, last_attempt: 100, last_success: 110, last_error_code: 'cursor-gap', last_error: 'gap', last_error_at: 120 });
      await store.commit({ peer: { peerId: 'b', error: { attemptAt: 130, code: 'aborted', message: 'x', at: 131 } } });
      expect(await store.getPeer('b')).toMatchObject({ last_attempt: 130, last_success: 110 });
      await store.commit({ peer: { peerId: 'a' } });
      expect((await store.listPeers()).map((p) => p.peer_id)).toEqual(['a', 'b']);

      // Live items 1..4; the peer's resync named 1 (stored) and 2 (this page).
      await store.commit({ items: [item('i1', 1), item('i2', 2), item('i3', 3), item('i4', 4, { deleted: 1, data: null }), item('i5', 5)] });
      await store.commit({ peer: { peerId: 'b', seen: ['i1'] } });
      const candidates = async (ignoreStoredSeen: boolean) =>
        (await store.sweepCandidates('b', 4, { ignoreStoredSeen, alsoSeen: ['i2'] })).map((r) => r.id).sort();
      expect(await candidates(false)).toEqual(['i3']);
      expect(await candidates(true)).toEqual(['i1', 'i3']);
      await store.commit({ peer: { peerId: 'b', clearSeen: true, seen: ['i3'] } });
      expect(await candidates(false)).toEqual(['i1']);

      // Pending for b: our items after its ack that b neither produced nor sent us.
      await store.commit({ items: [item('from-b', 6, { from_peer: 'b' }), item('by-b', 7, { origin: 'b' })] });
      expect(await store.countPending('b', 0)).toBe(5);
      expect(await store.countPending('b', 4)).toBe(1);
      await store.commit({ peer: { peerId: 'b', forgetMarkers: { nodeId: 'me' } } });
      expect((await store.getItems(['from-b', 'by-b'])).get('by-b')).toMatchObject({ origin: 'me' });
      expect((await store.getItems(['from-b'])).get('from-b')).toMatchObject({ from_peer: null });
      expect(await store.countPending('b', 4)).toBe(3);
    });

    it('commits a batch atomically: a failing batch leaves nothing, not even its meta', async () => {
      const store = await create();
      await store.commit({ items: [item('kept', 1)], meta: { last_seq: '1' } });
      // Two items at one log position break the log's uniqueness: the store must refuse the batch.
      const failing = store.commit({
        history: [history(item('kept', 1), 'superseded', 1)],
        items: [item('x', 2), item('y', 2)],
        conflicts: [{ item_id: 'x', peer_id: null, rule: 'lww', winner: 'local', local: '{}', remote: '{}', result: '{}', detected_at: 1 }],
        peer: { peerId: 'b', acked: { epoch: 'e', seq: 1 } },
        meta: { last_seq: '2' },
      });
      await expect(failing).rejects.toThrow();
      expect([...(await store.getItems(['kept', 'x', 'y'])).keys()]).toEqual(['kept']);
      expect(await store.listHistory('kept', { limit: 10 })).toEqual([]);
      expect(await store.listConflicts({ limit: 10 })).toEqual([]);
      expect(await store.getPeer('b')).toBeUndefined();
      expect(store.meta.get('last_seq')).toBe('1');
    });

    it('keeps everything across a reopen, meta included; deletes items', async () => {
      const store = await setup.create();
      await store.commit({ items: [item('a', 1), item('b', 2)], meta: { node_id: 'n1', epoch: 'e1', last_seq: '2' } });
      await store.commit({ deleteItems: ['a'], meta: { gc_seq: '1' } });
      expect(store.meta.get('gc_seq')).toBe('1');
      await store.close();
      const again = await setup.reopen(store);
      open.push(again);
      expect(Object.fromEntries(again.meta)).toEqual({ node_id: 'n1', epoch: 'e1', last_seq: '2', gc_seq: '1' });
      expect([...(await again.getItems(['a', 'b'])).keys()]).toEqual(['b']);
    });
  });
}
