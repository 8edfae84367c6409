import { copyFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYNC_PROTOCOL_VERSION, type PullResponse, type SyncEngine } from '../src/index.js';
import { allItems, freshReplicasPerTest } from './helpers.js';

const fresh = freshReplicasPerTest();

async function pullFrom(source: SyncEngine, requester: string): Promise<PullResponse> {
  const response = await source.handleSyncRequest(
    {
      type: 'pull',
      protocol: SYNC_PROTOCOL_VERSION,
      nodeId: requester,
      epoch: 'requester-epoch',
      cursor: { epoch: null, seq: 0, resyncing: false },
      limits: { maxChanges: 1000, maxBytes: 4_000_000 },
    },
    { peerId: requester },
  );
  if (response.type !== 'pull-page') throw new Error(`unexpected ${response.type}`);
  return JSON.parse(JSON.stringify(response)) as PullResponse;
}

/** A lost version shaped like the change's own state. */
function lostVersion(change: Record<string, unknown>): Record<string, unknown> {
  return { data: 'lost', deleted: false, version: 1, hlc: change.hlc, nodeId: change.nodeId, vector: change.vector };
}

/** Gives a change a valueVector (so it may carry lost versions) and the lost versions. */
function withValueVector(change: Record<string, unknown>, lost: unknown[]): void {
  change.valueVector = change.vector;
  change.lost = lost;
}

describe('SyncEngine.handleSyncRequest with hostile pages', () => {
  it('rejects malformed pages with a typed error and applies nothing', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock(), maxItemBytes: 10_000, pageMaxChanges: 50 });
    await a.putMany(Array.from({ length: 3 }, (_, i) => ({ id: `item-${i}`, type: 't', data: { i } })));
    const { page } = await pullFrom(a, 'b');
    type Mutable = Record<string, unknown> & { changes: Record<string, unknown>[] };
    const variants: [string, (p: Mutable) => unknown, string][] = [
      ['wrong type of hlc', (p) => (p.changes[1]!.hlc = 12345), 'invalid-message'],
      ['missing id', (p) => delete p.changes[2]!.id, 'invalid-message'],
      ['missing data', (p) => delete p.changes[0]!.data, 'invalid-message'],
      ['string version', (p) => (p.changes[0]!.version = '2'), 'invalid-message'],
      ['vector with a bad node id', (p) => (p.changes[0]!.vector = { 'bad id!': p.changes[0]!.hlc }), 'invalid-message'],
      ['huge item', (p) => (p.changes[2]!.data = 'x'.repeat(20_000)), 'payload-too-large'],
      ['too many changes', (p) => (p.changes = Array.from({ length: 51 }, (_, i) => ({ ...p.changes[0]!, seq: i + 1, id: `n${i}` }))), 'payload-too-large'],
      ['sequence going backwards', (p) => ([p.changes[0]!.seq, p.changes[1]!.seq] = [p.changes[1]!.seq, p.changes[0]!.seq]), 'invalid-message'],
      ['through before after', (p) => ((p.after = 10), (p.through = 5)), 'invalid-message'],
      ['duplicate item', (p) => (p.changes[1]!.id = p.changes[0]!.id), 'invalid-message'],
      ['tombstone with data', (p) => (p.changes[0]!.deleted = true), 'invalid-message'],
      ['unknown epoch (delta without a cursor)', (p) => ((p.mode = 'delta'), (p.epoch = 'never-seen')), 'epoch-mismatch'],
      ['another sender', (p) => (p.nodeId = 'c'), 'peer-mismatch'],
      ['changes not an array', (p) => ((p as Record<string, unknown>).changes = 'nope'), 'invalid-message'],
      ['lost versions without a valueVector', (p) => (p.changes[0]!.lost = [lostVersion(p.changes[0]!)]), 'invalid-message'],
      ['too many lost versions', (p) => withValueVector(p.changes[0]!, Array.from({ length: 5 }, () => lostVersion(p.changes[0]!))), 'invalid-message'],
      ['lost version without a vector', (p) => withValueVector(p.changes[0]!, [{ ...lostVersion(p.changes[0]!), vector: undefined }]), 'invalid-message'],
      ['lost versions larger than an item', (p) => withValueVector(p.changes[0]!, [1, 2].map(() => ({ ...lostVersion(p.changes[0]!), data: 'x'.repeat(6_000) }))), 'payload-too-large'],
    ];
    for (const [name, mutate, code] of variants) {
      const hostile = JSON.parse(JSON.stringify(page)) as Mutable;
      mutate(hostile);
      const response = await b.handleSyncRequest({ type: 'push', protocol: SYNC_PROTOCOL_VERSION, page: hostile }, { peerId: 'a' });
      expect([name, response.type, (response as { code?: string }).code]).toEqual([name, 'error', code]);
    }
    const wrongProtocol = await b.handleSyncRequest({ type: 'push', protocol: 99, page }, { peerId: 'a' });
    expect(wrongProtocol).toMatchObject({ type: 'error', code: 'protocol-mismatch' });
    expect(await b.handleSyncRequest('garbage', { peerId: 'a' })).toMatchObject({ type: 'error', code: 'invalid-message' });
    expect(await b.handleSyncRequest(null, { peerId: 'a' })).toMatchObject({ type: 'error', code: 'invalid-message' });
    expect(await allItems(b)).toEqual([]);
    expect((await b.peerStatus('a'))?.cursor ?? 0).toBe(0);
    expect((await b.peerStatus('a'))?.lastError?.code).toBe('invalid-message');

    // The untouched page applies.
    const ok = await b.handleSyncRequest({ type: 'push', protocol: SYNC_PROTOCOL_VERSION, page }, { peerId: 'a' });
    expect(ok.type).toBe('push-ack');
    expect(await allItems(b)).toHaveLength(3);
  });

  it('rejects a page that starts after the cursor (a gap) but accepts an overlapping one', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.putMany(Array.from({ length: 4 }, (_, i) => ({ id: `item-${i}`, type: 't', data: i })));
    await fresh.replicas.sync(b, a);
    await a.put({ id: 'late', type: 't', data: 'late' });
    const response = await a.handleSyncRequest(
      {
        type: 'pull',
        protocol: SYNC_PROTOCOL_VERSION,
        nodeId: 'b',
        epoch: b.epoch,
        cursor: { epoch: a.epoch, seq: 2, resyncing: false },
        limits: { maxChanges: 1000, maxBytes: 1_000_000 },
      },
      { peerId: 'b' },
    );
    const page = (response as PullResponse).page;
    expect(page.after).toBe(2);
    const overlapping = await b.handleSyncRequest({ type: 'push', protocol: SYNC_PROTOCOL_VERSION, page }, { peerId: 'a' });
    expect(overlapping).toMatchObject({ type: 'push-ack', cursor: { seq: 5 } });
    expect((await b.get('late'))?.data).toBe('late');
    const gap = { ...page, after: 7, through: 9, changes: [] };
    expect(await b.handleSyncRequest({ type: 'push', protocol: SYNC_PROTOCOL_VERSION, page: gap }, { peerId: 'a' })).toMatchObject({
      type: 'error',
      code: 'cursor-gap',
    });
  });
});

describe('SyncEngine tombstone collection and full resync', () => {
  it('gives a peer that returns after the horizon a full resync, never a resurrected item', async () => {
    const retention = 60_000;
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(), tombstoneRetentionMs: retention });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock(), tombstoneRetentionMs: retention });
    await a.putMany([
      { id: 'x', type: 't', data: 'to be deleted' },
      { id: 'y', type: 't', data: 'stays' },
    ]);
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(a, b);
    // b goes offline; a deletes x and, past the retention, collects the tombstone.
    await a.delete('x');
    fresh.time.advanceMs(retention + 1000);
    expect(await a.collectGarbage()).toMatchObject({ tombstonesCollected: 1 });
    expect(await a.get('x', { includeDeleted: true })).toBeUndefined();
    await b.put({ id: 'z', type: 't', data: 'created offline' });

    const report = await fresh.replicas.sync(b, a);
    expect(report.ok).toBe(true);
    expect(report.pulled.mode).toBe('full');
    for (const engine of [a, b]) {
      expect(await engine.get('x')).toBeUndefined();
      expect((await engine.get('y'))?.data).toBe('stays');
      expect((await engine.get('z'))?.data).toBe('created offline');
    }
    expect((await b.conflicts()).map((c) => [c.itemId, c.rule])).toEqual([['x', 'resync-removed']]);
    expect((await b.history('x'))[0]).toMatchObject({ reason: 'resync-removed', item: { data: 'to be deleted' } });
    // Later rounds are deltas again and change nothing.
    const again = await fresh.replicas.sync(a, b);
    expect(again).toMatchObject({ ok: true, pulled: { mode: 'delta' } });
    expect(await a.get('x')).toBeUndefined();
  });

  it('changes its epoch when it finds it was restored from a backup, so peers send back what it lost', async () => {
    let a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.put({ id: 'old', type: 't', data: 1 });
    await fresh.replicas.sync(b, a);
    await a.dispose();
    copyFileSync(fresh.replicas.path('a'), `${fresh.replicas.path('a')}.bak`);
    a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    await a.putMany([1, 2, 3].map((n) => ({ id: `new-${n}`, type: 't', data: n })));
    await fresh.replicas.sync(b, a);
    expect((await b.list()).items).toHaveLength(4);
    // Disaster: a goes back to the backup, losing new-1..3 (which b received from a).
    const epoch = a.epoch;
    await a.dispose();
    for (const suffix of ['-wal', '-shm']) rmSync(fresh.replicas.path('a') + suffix, { force: true });
    copyFileSync(`${fresh.replicas.path('a')}.bak`, fresh.replicas.path('a'));
    a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    expect(a.epoch).toBe(epoch);
    const report = await fresh.replicas.sync(b, a);
    expect(report.ok).toBe(true);
    expect(a.epoch).not.toBe(epoch);
    await fresh.replicas.sync(b, a);
    expect((await a.list()).items.map((i) => i.id)).toEqual(['new-1', 'new-2', 'new-3', 'old']);
    expect(await allItems(a)).toEqual(await allItems(b));
  });

  it('prunes history beyond the retention settings', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock(), historyMaxVersions: 3 });
    for (let i = 0; i < 10; i++) await a.put({ id: 'doc', type: 't', data: i });
    expect(await a.history('doc')).toHaveLength(9);
    expect(await a.collectGarbage()).toMatchObject({ historyEntriesPruned: 6 });
    expect((await a.history('doc')).map((h) => h.item.data)).toEqual([8, 7, 6]);
  });

  it('fully resyncs a peer whose database was wiped (new epoch) in both directions', async () => {
    const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
    let b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    await a.putMany(Array.from({ length: 5 }, (_, i) => ({ id: `a${i}`, type: 't', data: i })));
    await b.putMany(Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, type: 't', data: i })));
    await fresh.replicas.sync(b, a);
    await fresh.replicas.sync(a, b);
    const before = await allItems(a);
    const oldEpoch = b.epoch;
    await b.dispose();
    for (const suffix of ['', '-wal', '-shm']) rmSync(fresh.replicas.path('b') + suffix, { force: true });
    b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
    expect(b.epoch).not.toBe(oldEpoch);

    const fromWiped = await fresh.replicas.sync(b, a);
    // b's old cursor is gone, and a no longer knows b's log: both directions are full.
    expect(fromWiped).toMatchObject({ ok: true, pulled: { mode: 'full', changes: 10 }, pushed: { mode: 'full' } });
    const back = await fresh.replicas.sync(a, b);
    expect(back).toMatchObject({ ok: true, pulled: { mode: 'delta', changes: 0 }, pushed: { changes: 0 } });
    expect(await allItems(b)).toEqual(before);
    expect(await allItems(a)).toEqual(before);
  });
});
