import { SyncEngine } from '../sync-engine.js';
import type { SyncResponder, SyncTransport } from '../sync-transport.js';
import type { SyncEngineConfig } from '../sync-types.js';

/** A transport connected by {@link SyncTransportTestSetup.connect}. */
export interface ConnectedTransport {
  /** Transport from the requester to the responder. */
  readonly transport: SyncTransport;
  /** Releases whatever `connect` started (servers, sockets). */
  readonly close?: () => Promise<void> | void;
}

/** What {@link runSyncTransportTests} needs from the transport under test. */
export interface SyncTransportTestSetup {
  /** Suite name suffix, e.g. `'http'`. */
  readonly name?: string;
  /**
   * Returns a transport that carries requests from the node `requesterId` to `responder`,
   * calling `responder.handleSyncRequest(message, { peerId: requesterId })` on the far side.
   */
  readonly connect: (responder: SyncResponder, requesterId: string) => Promise<ConnectedTransport> | ConnectedTransport;
}

/**
 * The contract every {@link SyncTransport} must pass: registers a vitest `describe` block
 * with scenario tests that sync real engines (in-memory SQLite) through the transport.
 * Call it at the top level of a test file: `await runSyncTransportTests({ connect })`.
 * Needs `vitest` (an optional peer dependency) and `better-sqlite3`.
 */
export async function runSyncTransportTests(setup: SyncTransportTestSetup): Promise<void> {
  // Imported lazily so that importing '@trosyn/sync-core/testing' works without vitest installed.
  const { describe, it, expect, afterEach } = await import('vitest');

  describe(`SyncTransport contract${setup.name === undefined ? '' : `: ${setup.name}`}`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function pair(config: Partial<SyncEngineConfig> = {}): Promise<{
      a: SyncEngine;
      b: SyncEngine;
      aToB: SyncTransport;
      bToA: SyncTransport;
    }> {
      const a = new SyncEngine({ database: ':memory:', nodeId: 'contract-a', ...config });
      const b = new SyncEngine({ database: ':memory:', nodeId: 'contract-b', ...config });
      cleanups.push(() => a.dispose(), () => b.dispose());
      const ab = await setup.connect(b, a.nodeId);
      const ba = await setup.connect(a, b.nodeId);
      cleanups.push(async () => {
        await ab.close?.();
        await ba.close?.();
      });
      return { a, b, aToB: ab.transport, bToA: ba.transport };
    }

    it('pulls the responder’s items to the requester', async () => {
      const { a, b, aToB } = await pair();
      await b.putMany([1, 2, 3].map((n) => ({ id: `item-${n}`, type: 'note', data: { n } })));
      const report = await a.syncWith(b.nodeId, aToB);
      expect(report.error).toBeNull();
      expect(report.pulled.changes).toBe(3);
      expect((await a.get('item-2'))?.data).toEqual({ n: 2 });
    });

    it('pushes the requester’s items to the responder', async () => {
      const { a, b, aToB } = await pair();
      await a.put({ id: 'mine', type: 'note', data: { text: 'from a' } });
      const report = await a.syncWith(b.nodeId, aToB);
      expect(report.ok).toBe(true);
      expect(report.pushed.changes).toBe(1);
      expect((await b.get('mine'))?.data).toEqual({ text: 'from a' });
    });

    it('carries JSON data exactly (unicode, nesting, numbers, empty values)', async () => {
      const { a, b, aToB } = await pair();
      const data = {
        text: 'Grüße, 世界 👋 "quotes" \\ back\nslash\u2028',
        nested: { list: [1, -2.5, 1e21, 0, true, false, null, '', [], {}], deep: { deeper: { deepest: 'x' } } },
        big: 'x'.repeat(100_000),
      };
      await b.put({ id: 'json', type: 'doc', data });
      await a.put({ id: 'ascii', type: 'doc', data: ['a', 1] });
      expect((await a.syncWith(b.nodeId, aToB)).ok).toBe(true);
      expect((await a.get('json'))?.data).toEqual(data);
      expect((await b.get('ascii'))?.data).toEqual(['a', 1]);
    });

    it('syncs many pages, bounded by count and by bytes', async () => {
      const { a, b, aToB } = await pair({ pageMaxChanges: 7, pageMaxBytes: 300_000, maxItemBytes: 100_000 });
      await b.putMany(Array.from({ length: 40 }, (_, i) => ({ id: `small-${String(i).padStart(3, '0')}`, type: 't', data: i })));
      await b.putMany(Array.from({ length: 12 }, (_, i) => ({ id: `large-${i}`, type: 't', data: 'y'.repeat(90_000) })));
      const report = await a.syncWith(b.nodeId, aToB);
      expect(report.error).toBeNull();
      expect(report.pulled.changes).toBe(52);
      expect(report.pulled.pages).toBeGreaterThanOrEqual(Math.ceil(40 / 7) + 4);
      expect((await a.list({ limit: 1000 })).items).toHaveLength(52);
    });

    it('resolves concurrent edits the same way on both sides and logs the conflict', async () => {
      const { a, b, aToB, bToA } = await pair();
      await a.put({ id: 'shared', type: 'note', data: 'base' });
      expect((await a.syncWith(b.nodeId, aToB)).ok).toBe(true);
      await a.put({ id: 'shared', type: 'note', data: 'edited on a' });
      await b.put({ id: 'shared', type: 'note', data: 'edited on b' });
      expect((await b.syncWith(a.nodeId, bToA)).ok).toBe(true);
      expect((await a.syncWith(b.nodeId, aToB)).ok).toBe(true);
      const onA = await a.get('shared');
      const onB = await b.get('shared');
      expect(onA).toEqual(onB);
      expect(onA?.data).toBe('edited on b'); // written later: greater HLC
      expect((await b.conflicts()).length + (await a.conflicts()).length).toBeGreaterThanOrEqual(1);
    });

    it('replicates deletions as tombstones', async () => {
      const { a, b, aToB } = await pair();
      await b.put({ id: 'gone', type: 'note', data: 1 });
      await a.syncWith(b.nodeId, aToB);
      await b.delete('gone');
      expect((await a.syncWith(b.nodeId, aToB)).ok).toBe(true);
      expect(await a.get('gone')).toBeUndefined();
      expect((await a.get('gone', { includeDeleted: true }))?.deleted).toBe(true);
    });

    it('sends nothing the other side already has on the next round', async () => {
      const { a, b, aToB } = await pair();
      await a.putMany(Array.from({ length: 20 }, (_, i) => ({ id: `a${i}`, type: 't', data: i })));
      await b.putMany(Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, type: 't', data: i })));
      await a.syncWith(b.nodeId, aToB);
      const second = await a.syncWith(b.nodeId, aToB);
      expect(second.ok).toBe(true);
      expect(second.pulled.changes).toBe(0);
      expect(second.pushed.changes).toBe(0);
    });

    it('delivers the responder’s error responses unchanged', async () => {
      const { a, aToB } = await pair();
      const malformed = { type: 'pull', protocol: 1, nodeId: a.nodeId, epoch: a.epoch, cursor: { epoch: null, seq: -5, resyncing: false }, limits: { maxChanges: 1, maxBytes: 1 } };
      const response = (await aToB.request(malformed as never)) as { type: string; code: string };
      expect(response.type).toBe('error');
      expect(response.code).toBe('invalid-message');
    });

    it('tells the responder who the requester is', async () => {
      const { a, aToB } = await pair();
      const impostor = { type: 'pull', protocol: 1, nodeId: 'someone-else', epoch: a.epoch, cursor: { epoch: null, seq: 0, resyncing: false }, limits: { maxChanges: 10, maxBytes: 100_000 } };
      const response = (await aToB.request(impostor as never)) as { type: string; code: string };
      expect(response).toMatchObject({ type: 'error', code: 'peer-mismatch' });
    });

    it('rejects a request whose signal is already aborted', async () => {
      const { a, aToB } = await pair();
      const request = { type: 'pull', protocol: 1, nodeId: a.nodeId, epoch: a.epoch, cursor: { epoch: null, seq: 0, resyncing: false }, limits: { maxChanges: 10, maxBytes: 100_000 } } as const;
      await expect(aToB.request(request, { signal: AbortSignal.abort() })).rejects.toBeDefined();
    });

    it('handles concurrent rounds in both directions', async () => {
      const { a, b, aToB, bToA } = await pair();
      await a.putMany(Array.from({ length: 30 }, (_, i) => ({ id: `x${i}`, type: 't', data: `a${i}` })));
      await b.putMany(Array.from({ length: 30 }, (_, i) => ({ id: `y${i}`, type: 't', data: `b${i}` })));
      await Promise.all([a.syncWith(b.nodeId, aToB), b.syncWith(a.nodeId, bToA)]);
      await a.syncWith(b.nodeId, aToB);
      await b.syncWith(a.nodeId, bToA);
      const itemsA = (await a.list({ limit: 1000 })).items;
      const itemsB = (await b.list({ limit: 1000 })).items;
      expect(itemsA).toHaveLength(60);
      expect(itemsB).toEqual(itemsA);
    });
  });
}
