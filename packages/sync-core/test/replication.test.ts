import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  ClockDriftError,
  defaultResolve,
  lastWriteWins,
  SqliteStore,
  SyncEngine,
  SyncError,
  type ConflictResolver,
  type ConflictResolverContext,
  type ConflictRecord,
  type ItemChangedEvent,
  type PageAppliedEvent,
  type SyncEngineConfig,
  type SyncItem,
} from '../src/index.js';
import { allItems, freshReplicasPerTest, storeAdapters } from './helpers.js';

const fresh = freshReplicasPerTest();

describe('SyncEngine storage', () => {
  it('uses WAL mode on file databases and keeps its tables versioned', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'x', type: 't', data: 1 });
    const db = new Database(fresh.replicas.path('a'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM sync_schema').get()).toEqual({ version: 1 });
    db.close();
  });

  it('sizes its SQLite page cache by cacheSizeKiB (default 32 MiB) and refuses a bad size', async () => {
    const db = new Database(fresh.replicas.path('cache'));
    const engine = new SyncEngine({ database: db, nodeId: 'cache', cacheSizeKiB: 4096 });
    expect(db.pragma('cache_size', { simple: true })).toBe(-4096);
    await engine.dispose();
    const byDefault = new SyncEngine({ database: db, nodeId: 'cache' });
    expect(db.pragma('cache_size', { simple: true })).toBe(-32768);
    await byDefault.dispose();
    db.close();
    for (const bad of [0, -1, Number.NaN]) {
      expect(() => new SyncEngine({ database: ':memory:', cacheSizeKiB: bad })).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    }
  });

  it('persists the clock, epoch and node id across restarts', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const first = await a.put({ id: 'x', type: 't', data: 1 });
    const epoch = a.epoch;
    await a.dispose();
    // The wall clock jumped back an hour: timestamps must still increase.
    fresh.time.advanceMs(-3_600_000);
    const again = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const second = await again.put({ id: 'x', type: 't', data: 2 });
    expect(second.hlc > first.hlc).toBe(true);
    expect(second.version).toBe(2);
    expect(again.epoch).toBe(epoch);
    await again.dispose();
    await expect(fresh.replicas.open('other-name', { nodeId: 'a-renamed', database: fresh.replicas.path('a') })).rejects.toThrow(
      expect.objectContaining({ code: 'node-id-mismatch' }),
    );
  });

  it('lists items by type in pages and validates arguments', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.putMany(Array.from({ length: 25 }, (_, i) => ({ id: `n${String(i).padStart(2, '0')}`, type: i % 2 === 0 ? 'even' : 'odd', data: i })));
    await a.delete('n00');
    const first = await a.list({ type: 'even', limit: 5 });
    expect(first.items.map((i) => i.id)).toEqual(['n02', 'n04', 'n06', 'n08', 'n10']);
    const second = await a.list({ type: 'even', limit: 5, cursor: first.nextCursor });
    expect(second.items[0]!.id).toBe('n12');
    const rest = await a.list({ type: 'even', limit: 100, cursor: second.nextCursor });
    expect(rest.nextCursor).toBeUndefined();
    expect(rest.items).toHaveLength(2);
    expect((await a.list({ type: 'even', includeDeleted: true, limit: 1 })).items[0]!.deleted).toBe(true);
    await expect(a.put({ type: '', data: 1 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(a.put({ type: 't', data: null })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(a.put({ id: 'x'.repeat(300), type: 't', data: 1 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(a.list({ limit: 0 })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('writes a batch in one transaction, later entries for an id superseding earlier ones', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'x', type: 't', data: 0 });
    const written = await a.putMany([
      { id: 'x', type: 't', data: 1 },
      { id: 'y', type: 't', data: 'y' },
      { id: 'x', type: 't', data: 2 },
    ]);
    expect(written.map((i) => [i.id, i.version])).toEqual([['x', 2], ['y', 1], ['x', 3]]);
    expect((await a.get('x'))?.data).toBe(2);
    expect((await a.history('x')).map((h) => h.item.data)).toEqual([1, 0]);
    await expect(a.putMany([{ id: 'z', type: 't', data: 1 }, { id: 'w', type: '', data: 1 }])).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(await a.get('z')).toBeUndefined();
  });

  it('creates an item only when its id is free, atomically', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const created = await a.create({ id: 'x', type: 't', data: 1 });
    expect(created).toMatchObject({ id: 'x', version: 1, data: 1 });
    await expect(a.create({ id: 'x', type: 't', data: 2 })).rejects.toMatchObject({ code: 'already-exists' });
    expect((await a.get('x'))?.data).toBe(1);
    // Two creates of one id racing: exactly one wins, the other leaves the item untouched.
    const race = await Promise.allSettled([a.create({ id: 'y', type: 't', data: 'first' }), a.create({ id: 'y', type: 't', data: 'second' })]);
    expect(race.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((await a.get('y'))?.data).toBe('first');
    // A deleted id can be created again; its history continues.
    await a.delete('x');
    expect(await a.create({ id: 'x', type: 't', data: 3 })).toMatchObject({ version: 3, data: 3, deleted: false });
    expect((await a.create({ type: 't', data: 'any id' })).id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(a.create({ type: '', data: 1 })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('is disposable once; later calls throw disposed', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.dispose();
    await a.dispose();
    await expect(a.put({ type: 't', data: 1 })).rejects.toMatchObject({ code: 'disposed' });
    await expect(a.get('x')).rejects.toBeInstanceOf(SyncError);
  });
});

describe.each(storeAdapters)('SyncEngine replication ($name store)', (adapter) => {
  const fresh = freshReplicasPerTest(adapter);

  it('sends each side only what the other lacks, in both directions', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.putMany(Array.from({ length: 10 }, (_, i) => ({ id: `a${i}`, type: 't', data: i })));
    await b.putMany(Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, type: 't', data: i })));
    const first = await fresh.replicas.sync(a, b);
    expect(first).toMatchObject({ ok: true, pulled: { changes: 5 }, pushed: { changes: 10 } });
    expect(await allItems(a)).toEqual(await allItems(b));
    const second = await fresh.replicas.sync(b, a);
    expect(second).toMatchObject({ ok: true, pulled: { changes: 0 }, pushed: { changes: 0 } });
    await a.put({ id: 'a1', type: 't', data: 'changed' });
    const third = await fresh.replicas.sync(b, a);
    expect(third).toMatchObject({ ok: true, pulled: { changes: 1 }, pushed: { changes: 0 } });
    expect((await b.peerStatus('a'))?.pendingChanges).toBe(0);
    expect((await a.peerStatus('b'))?.pendingChanges).toBe(0);
  });

  it('relays changes through a middle node (line topology a – b – c)', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    const c = await fresh.replicas.open('c', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'from-a', type: 't', data: 'A' });
    await c.put({ id: 'from-c', type: 't', data: 'C' });
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(b, c);
    await fresh.replicas.sync(b, a);
    expect(await allItems(a)).toEqual(await allItems(c));
    expect((await allItems(a)).length).toBe(2);
  });

  it('last write wins for concurrent modifications; the conflict is logged with both versions', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'doc', type: 'note', data: 'v1' });
    await fresh.replicas.sync(a, b);
    const fromA = await a.put({ id: 'doc', type: 'note', data: 'a edit' });
    fresh.time.advanceMs(5);
    const fromB = await b.put({ id: 'doc', type: 'note', data: 'b edit' });
    const conflicts: ConflictRecord[] = [];
    a.on('conflict', (c) => conflicts.push(c));
    const report = await fresh.replicas.sync(a, b);
    expect(report.conflicts).toBe(1);
    expect((await a.get('doc'))?.data).toBe('b edit');
    expect(await allItems(a)).toEqual(await allItems(b));
    const [logged] = await a.conflicts();
    expect(logged).toMatchObject({ itemId: 'doc', peerId: 'b', rule: 'lww', winner: 'remote' });
    expect(logged!.local).toMatchObject({ data: 'a edit', hlc: fromA.hlc });
    expect(logged!.remote).toMatchObject({ data: 'b edit', hlc: fromB.hlc });
    expect(conflicts.map((c) => c.id)).toEqual([logged!.id]);
    const history = await a.history('doc');
    expect(history[0]).toMatchObject({ reason: 'conflict-loser', item: { data: 'a edit' } });
    expect(await a.acknowledgeConflicts([logged!.id])).toBe(1);
    expect(await a.conflicts({ acknowledged: false })).toHaveLength(0);
  });

  it('logs a conflict on every replica that held either version, also when only the resolution reaches it', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    const c = await fresh.replicas.open('c', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'agenda', type: 'note', data: 'original' });
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(c, a);
    // Concurrent edits on a and b; c gets b's edit first.
    await a.put({ id: 'agenda', type: 'note', data: 'a edit' });
    fresh.time.advanceMs(5);
    await b.put({ id: 'agenda', type: 'note', data: 'b edit' });
    await fresh.replicas.sync(c, b);
    // b resolves the conflict with a (b's later edit wins)...
    await fresh.replicas.sync(b, a);
    expect(await b.conflicts()).toHaveLength(1);
    // c already holds the winning value and never saw a's edit: the resolution carries the lost
    // version, so c logs the conflict with both versions too, once however often it syncs.
    await fresh.replicas.sync(c, a);
    expect((await c.get('agenda'))?.data).toBe('b edit');
    await fresh.replicas.sync(c, b);
    await fresh.replicas.sync(c, a);
    const onC = await c.conflicts();
    expect(onC).toHaveLength(1);
    expect(onC[0]).toMatchObject({ itemId: 'agenda', rule: 'lww', winner: 'remote', local: { data: 'a edit' }, remote: { data: 'b edit' } });
    expect((await c.history('agenda'))[0]).toMatchObject({ reason: 'conflict-loser', item: { data: 'a edit' } });
    // d holds the value that is about to lose, and only ever sees the resolution made on b.
    const d = await fresh.replicas.open('d', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'memo', type: 'note', data: 'original' });
    await fresh.replicas.sync(d, a);
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'memo', type: 'note', data: 'a edit' });
    await fresh.replicas.sync(d, a); // d holds a's edit, which is about to lose
    fresh.time.advanceMs(5);
    await b.put({ id: 'memo', type: 'note', data: 'b edit' });
    await fresh.replicas.sync(b, a); // b resolves: b's edit wins over a's
    await fresh.replicas.sync(d, b); // d adopts b's resolved state, which absorbed a's edit
    expect((await d.get('memo'))?.data).toBe('b edit');
    const memoOnD = await d.conflicts({ itemId: 'memo' });
    expect(memoOnD).toHaveLength(1);
    const [logged] = memoOnD;
    expect(logged).toMatchObject({ itemId: 'memo', peerId: 'b', rule: 'lww', winner: 'remote' });
    expect(logged!.local).toMatchObject({ data: 'a edit' });
    expect(logged!.remote).toMatchObject({ data: 'b edit' });
    expect((await d.history('memo'))[0]).toMatchObject({ reason: 'conflict-loser', item: { data: 'a edit' } });
    expect(await allItems(d)).toEqual(await allItems(b));
  });

  it('orders causally related writes by causality even when the writer’s clock is behind', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(0) });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock(-30_000) }); // 30 s slow
    await a.put({ id: 'doc', type: 'note', data: 'from a' });
    await fresh.replicas.sync(b, a);
    const edit = await b.put({ id: 'doc', type: 'note', data: 'b edits after seeing a' });
    await fresh.replicas.sync(b, a);
    expect((await a.get('doc'))?.data).toBe('b edits after seeing a');
    expect(await a.conflicts()).toHaveLength(0);
    expect(edit.version).toBe(2);
  });

  it('rejects a page with a timestamp beyond the allowed drift and applies nothing from it', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(0), maxClockDriftMs: 60_000 });
    const fast = await fresh.replicas.open('fast', { wallClockMicros: fresh.time.clock(120_000) });
    await fast.put({ id: 'ok-1', type: 't', data: 1 });
    await fast.put({ id: 'ok-2', type: 't', data: 2 });
    const drift: unknown[] = [];
    a.on('clock-drift-rejected', (e) => drift.push(e));
    const report = await fresh.replicas.sync(a, fast);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('clock-drift');
    expect(drift).toHaveLength(1);
    expect(await a.list({ includeDeleted: true })).toEqual({ items: [], nextCursor: undefined });
    expect((await a.peerStatus('fast'))?.lastError?.code).toBe('clock-drift');
    // The local clock did not adopt the remote fresh.time.
    const local = await a.put({ id: 'mine', type: 't', data: 0 });
    expect(Number(local.hlc.slice(0, 16))).toBe(fresh.time.micros);
    expect(new ClockDriftError('x', 1, 1).code).toBe('clock-drift');
  });

  it('lets a deletion win over a concurrent (even later) modification; the loser goes to history and the log', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    const c = await fresh.replicas.open('c', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'doc', type: 'note', data: 'v1' });
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(c, a);
    await a.delete('doc');
    fresh.time.advanceMs(1000);
    await b.put({ id: 'doc', type: 'note', data: 'edited later on b' });
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(c, b);
    for (const engine of [a, b, c]) {
      expect(await engine.get('doc')).toBeUndefined();
      expect((await engine.get('doc', { includeDeleted: true }))?.deleted).toBe(true);
    }
    const logged = [...(await a.conflicts()), ...(await b.conflicts())];
    expect(logged.some((r) => r.rule === 'delete-wins' && [r.local.data, r.remote.data].includes('edited later on b'))).toBe(true);
    const history = await b.history('doc');
    expect(history.some((h) => h.reason === 'conflict-loser' && h.item.data === 'edited later on b')).toBe(true);

    // Restoring is a new write that replicates and beats the tombstone everywhere.
    const restored = await b.restore('doc');
    expect(restored).toMatchObject({ deleted: false, data: 'edited later on b' });
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(c, a);
    expect((await c.get('doc'))?.data).toBe('edited later on b');
    expect(await allItems(a)).toEqual(await allItems(c));
  });

  it('reads and restores a chosen history version', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'doc', type: 'note', data: 'one' });
    await a.put({ id: 'doc', type: 'note', data: 'two' });
    await a.put({ id: 'doc', type: 'note', data: 'three' });
    const history = await a.history('doc');
    expect(history.map((h) => h.item.data)).toEqual(['two', 'one']);
    const oldest = history[1]!;
    expect(await a.getHistoryEntry(oldest.historyId)).toEqual(oldest);
    const restored = await a.restore('doc', { historyId: oldest.historyId });
    expect(restored).toMatchObject({ data: 'one', version: 4 });
    await expect(a.restore('doc', { historyId: 99_999 })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('emits item-changed events for local and remote changes, and round reports', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    const events: ItemChangedEvent[] = [];
    a.on('item-changed', (e) => events.push(e));
    const rounds: unknown[] = [];
    a.on('sync-round-finished', (r) => rounds.push(r));
    await a.put({ id: 'local', type: 't', data: 1 });
    await b.put({ id: 'remote', type: 't', data: 2 });
    await fresh.replicas.sync(a, b);
    expect(events.map((e) => [e.item.id, e.source, e.peerId])).toEqual([
      ['local', 'local', null],
      ['remote', 'remote', 'b'],
    ]);
    expect(rounds).toHaveLength(1);
    const status = await a.status();
    expect(status.peers[0]).toMatchObject({ peerId: 'b', pendingChanges: 0, lastError: null });
    expect(status.peers[0]!.lastSuccessAt).toBeInstanceOf(Date);
  });

  it('emits page-applied for pulled and pushed pages with the new changes and the time to commit them', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    const onA: PageAppliedEvent[] = [];
    const onB: PageAppliedEvent[] = [];
    a.on('page-applied', (e) => onA.push(e));
    b.on('page-applied', (e) => onB.push(e));
    await a.put({ id: 'a1', type: 't', data: 1 });
    await b.putMany([{ id: 'b1', type: 't', data: 1 }, { id: 'b2', type: 't', data: 2 }]);
    await fresh.replicas.sync(a, b); // a pulls b's page, then pushes its own to b
    expect(onA).toEqual([{ peerId: 'b', changes: 2, itemsChanged: 2, durationMs: expect.any(Number) }]);
    expect(onB).toEqual([{ peerId: 'a', changes: 1, itemsChanged: 1, durationMs: expect.any(Number) }]);
    expect(onA[0]!.durationMs).toBeGreaterThan(0);
  });

  it('records a round in one write on the requester and none on the responder when nothing changed', async () => {
    const aDb = new Database(fresh.replicas.path('a'));
    const bDb = new Database(fresh.replicas.path('b'));
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(), database: aDb });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock(), database: bDb });
    await a.put({ id: 'x', type: 't', data: 1 });
    await fresh.replicas.sync(a, b);
    // Rounds until nothing moves: the second moves a's cursor past b's log entry for x (an echo,
    // not sent back), the third tells b that a's cursor moved.
    await fresh.replicas.sync(a, b);
    await fresh.replicas.sync(a, b);
    const writes = (db: Database.Database): number => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const [aBefore, bBefore] = [writes(aDb), writes(bDb)];
    fresh.time.advanceMs(1000);
    const idle = await fresh.replicas.sync(a, b);
    expect(idle).toMatchObject({ ok: true, pulled: { changes: 0 }, pushed: { changes: 0 } });
    // The requester's outcome (attempt and success times) is its only write; the responder
    // served a pull at a cursor it already had acknowledged.
    expect(writes(aDb) - aBefore).toBe(1);
    expect(writes(bDb) - bBefore).toBe(0);
    const status = await a.peerStatus('b');
    expect(status?.lastAttemptAt?.getTime()).toBe(status?.lastSuccessAt?.getTime());
    expect(status?.lastSuccessAt?.getTime()).toBe(Math.floor(fresh.time.micros / 1000));
    // A failed round records its attempt and the error, and keeps the last success.
    const transport = fresh.replicas.transport(a, b);
    transport.partitioned = true;
    fresh.time.advanceMs(1000);
    expect((await fresh.replicas.sync(a, b)).ok).toBe(false);
    const failed = await a.peerStatus('b');
    expect(failed?.lastAttemptAt?.getTime()).toBe(Math.floor(fresh.time.micros / 1000));
    expect(failed?.lastSuccessAt?.getTime()).toBe(status?.lastSuccessAt?.getTime());
    expect(failed?.lastError).toMatchObject({ code: 'transport-error' });
    transport.partitioned = false;
    await a.dispose();
    await b.dispose();
    aDb.close();
    bDb.close();
  });

  it('counts pending changes per peer while offline and delivers them on reconnection', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await fresh.replicas.sync(a, b);
    const transport = fresh.replicas.transport(a, b);
    transport.partitioned = true;
    await a.putMany(Array.from({ length: 7 }, (_, i) => ({ id: `offline-${i}`, type: 't', data: i })));
    const failed = await fresh.replicas.sync(a, b);
    expect(failed.ok).toBe(false);
    expect(failed.error?.code).toBe('transport-error');
    expect((await a.peerStatus('b'))?.pendingChanges).toBe(7);
    transport.partitioned = false;
    expect((await fresh.replicas.sync(a, b)).ok).toBe(true);
    expect((await a.peerStatus('b'))?.pendingChanges).toBe(0);
    expect((await b.list()).items).toHaveLength(7);
  });
});

describe.each(storeAdapters)('SyncEngine custom conflict resolution ($name store)', (adapter) => {
  const fresh = freshReplicasPerTest(adapter);

  // The seed README's example (`CustomSyncEngine._resolve_conflict`), in TypeScript.
  class DocumentMergingEngine extends SyncEngine {
    protected override async resolveConflict(local: SyncItem, remote: SyncItem): Promise<SyncItem> {
      if (local.type === 'document' && remote.type === 'document' && !local.deleted && !remote.deleted) {
        const l = local.data as { content: string };
        const r = remote.data as { content: string };
        return {
          id: local.id,
          type: local.type,
          data: { content: `${l.content}\n---\n${r.content}` },
          version: Math.max(local.version, remote.version) + 1,
          hlc: local.hlc > remote.hlc ? local.hlc : remote.hlc,
          nodeId: this.nodeId,
          deleted: false,
          vector: {},
        };
      }
      return super.resolveConflict(local, remote);
    }
  }

  it('merges concurrent document edits with an overridden resolveConflict', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() }, DocumentMergingEngine);
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() }, DocumentMergingEngine);
    await a.put({ id: 'doc', type: 'document', data: { content: 'base' } });
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'doc', type: 'document', data: { content: 'written on a' } });
    await b.put({ id: 'doc', type: 'document', data: { content: 'written on b' } });
    await fresh.replicas.sync(a, b);
    const merged = await a.get('doc');
    expect(merged?.data).toEqual({ content: 'written on a\n---\nwritten on b' });
    expect(merged?.version).toBe(3);
    expect(await b.get('doc')).toEqual(merged);
    const [record] = await a.conflicts();
    expect(record).toMatchObject({ rule: 'custom', winner: 'merged', result: { data: { content: 'written on a\n---\nwritten on b' } } });
    // Notes are not documents: the default rule applies.
    await a.put({ id: 'note', type: 'note', data: 'x' });
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'note', type: 'note', data: 'a' });
    fresh.time.advanceMs(1);
    await b.put({ id: 'note', type: 'note', data: 'b' });
    await fresh.replicas.sync(a, b);
    expect((await a.get('note'))?.data).toBe('b');
    expect((await a.conflicts({ itemId: 'note' }))[0]?.rule).toBe('lww');
  });

  it('converges when both sides resolved the same conflict differently', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() }, DocumentMergingEngine);
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() }, DocumentMergingEngine);
    const c = await fresh.replicas.open('c', { wallClockMicros: fresh.time.clock() }, DocumentMergingEngine);
    await a.put({ id: 'doc', type: 'document', data: { content: 'base' } });
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'doc', type: 'document', data: { content: 'A' } });
    await b.put({ id: 'doc', type: 'document', data: { content: 'B' } });
    // c carries each version to the other side, so a and b resolve independently.
    await c.syncWith('a', fresh.replicas.transport(c, a), {});
    await c.syncWith('b', fresh.replicas.transport(c, b), {});
    await fresh.replicas.sync(a, c);
    await fresh.replicas.sync(b, c);
    for (let i = 0; i < 2; i++) {
      await fresh.replicas.sync(a, b);
      await fresh.replicas.sync(c, a);
      await fresh.replicas.sync(c, b);
    }
    const items = await Promise.all([a, b, c].map((e) => e.get('doc')));
    expect(items[1]).toEqual(items[0]);
    expect(items[2]).toEqual(items[0]);
    expect(['A\n---\nB', 'B\n---\nA']).toContain((items[0]!.data as { content: string }).content);
  });

  it('validates a resolver function’s result and applies nothing from the page when it is invalid', async () => {
    const a = await fresh.replicas.open('a', {
      wallClockMicros: fresh.time.clock(),
      resolveConflict: (local) => ({ ...local, id: 'another-id' }),
    });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'doc', type: 't', data: 1 });
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'doc', type: 't', data: 'a' });
    await b.put({ id: 'doc', type: 't', data: 'b' });
    await b.put({ id: 'other', type: 't', data: 'fine' });
    const report = await fresh.replicas.sync(a, b);
    expect(report.error?.code).toBe('invalid-resolution');
    expect(await a.get('other')).toBeUndefined();
    expect((await a.get('doc'))?.data).toBe('a');
  });

  it('uses a resolver function option with the default rule as fallback', async () => {
    const calls: string[] = [];
    const a = await fresh.replicas.open('a', {
      wallClockMicros: fresh.time.clock(),
      resolveConflict: (local, remote, { defaultResolve }) => {
        calls.push(local.id);
        return defaultResolve(local, remote);
      },
    });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'doc', type: 't', data: 1 });
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'doc', type: 't', data: 'a' });
    fresh.time.advanceMs(1);
    await b.put({ id: 'doc', type: 't', data: 'b' });
    await fresh.replicas.sync(a, b);
    expect(calls).toEqual(['doc']);
    expect((await a.get('doc'))?.data).toBe('b');
    expect((await a.conflicts())[0]?.rule).toBe('lww');
  });

  it('takes a ConflictResolver object, which wins over an overridden method; refuses a bad one', async () => {
    // A resolver object keeps its own state: here, the items it merged.
    class Concatenating implements ConflictResolver {
      readonly merged: string[] = [];
      resolve(local: SyncItem, remote: SyncItem, context: ConflictResolverContext): SyncItem {
        if (local.deleted || remote.deleted) return context.defaultResolve(local, remote);
        this.merged.push(local.id);
        return { ...local, data: `${String(local.data)}+${String(remote.data)}`, version: Math.max(local.version, remote.version) + 1, hlc: remote.hlc > local.hlc ? remote.hlc : local.hlc, nodeId: context.nodeId };
      }
    }
    const resolver = new Concatenating();
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(), resolver }, DocumentMergingEngine);
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock(), resolver: lastWriteWins });
    await a.put({ id: 'doc', type: 'document', data: { content: 'base' } });
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'doc', type: 'document', data: 'a' });
    fresh.time.advanceMs(1);
    await b.put({ id: 'doc', type: 'document', data: 'b' });
    await fresh.replicas.sync(a, b);
    expect(resolver.merged).toEqual(['doc']);
    expect((await a.get('doc'))?.data).toBe('a+b');
    expect((await a.conflicts())[0]).toMatchObject({ rule: 'custom', winner: 'merged' });
    // b resolves with the built-in rule: it adopts a's merge, which saw both values.
    expect((await b.get('doc'))?.data).toBe('a+b');

    const open = (config: Partial<SyncEngineConfig>): SyncEngine => new SyncEngine({ database: ':memory:', ...config });
    expect(() => open({ resolver: { resolve: defaultResolve }, resolveConflict: defaultResolve })).toThrow(/either resolver or resolveConflict/);
    expect(() => open({ resolver: {} as ConflictResolver })).toThrow(/resolver must be an object with a resolve/);
    expect(() => open({ resolveConflict: 'lww' as never })).toThrow(/resolveConflict must be a function/);
  });
});

describe('PeerSyncer', () => {
  it('joins a round that is already running instead of starting a second one', async () => {
    const { PeerSyncer } = await import('../src/index.js');
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await b.putMany(Array.from({ length: 50 }, (_, i) => ({ id: `i${i}`, type: 't', data: i })));
    const transport = fresh.replicas.transport(a, b);
    const syncer = new PeerSyncer({ engine: a, peerId: 'b', transport });
    const [first, second] = await Promise.all([syncer.syncOnce(), syncer.syncOnce()]);
    expect(second).toBe(first);
    expect(first.pulled.changes).toBe(50);
    expect(syncer.running).toBe(false);
    expect(transport.stats.requests).toBe(2); // one pull page, one (echo-only) push page
  });

  it('keeps its replica in a store it is given, which the application closes', async () => {
    const store = new SqliteStore(fresh.replicas.path('given'));
    const a = new SyncEngine({ store, nodeId: 'a', wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: '1', type: 'x', data: 1 });
    expect((await fresh.replicas.sync(b, a)).ok).toBe(true);
    expect((await b.get('1'))?.data).toBe(1);
    await a.dispose();
    // The store outlives the engine: a second engine continues the same log.
    const again = new SyncEngine({ store, wallClockMicros: fresh.time.clock() });
    expect(again.nodeId).toBe('a');
    expect(again.changeFeedEnd.seq).toBe(1);
    await again.dispose();
    await store.close();
    expect(() => new SyncEngine({ nodeId: 'x' } as SyncEngineConfig)).toThrow(/either database .* or store/);
    expect(() => new SyncEngine({ database: ':memory:', store })).toThrow(/either database .* or store/);
    expect(() => new SyncEngine({ store: {} as SqliteStore })).toThrow(/store must be an opened SyncStore/);
  });
});
