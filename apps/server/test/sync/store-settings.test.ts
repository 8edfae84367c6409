import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncEngine, type ConflictResolverFunction } from '@trosyn/sync-core';
import { createInMemoryTransport } from '@trosyn/sync-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { LogFields, Logger } from '../../src/logger.js';
import { ModelHost } from '../../src/model-host.js';
import { LanSyncService, type LanSyncServiceOptions } from '../../src/sync/lan-sync-service.js';
import { FakeEngine } from '../fake-engine.js';
import { dataApiCaller } from './data-api-caller.js';

// Issue #20: the seed's "registering the custom engine with the LAN sync service" without a fork
// (LAN_SYNC_CONFLICT_RESOLVER, or the resolveConflict option), retention settings, and garbage
// collection that runs whether LAN sync runs or not.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startStore(env: Record<string, string>, options: Partial<LanSyncServiceOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'trosyn-store-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = parseConfig({ LAN_SYNC_ENABLED: 'false', TROSYN_DATA_DIR: dataDir, ...env }, { baseDir: fixtures, hostname: 'h' });
  const logs: LogFields[] = [];
  const logger: Logger = { log: (level, msg, fields = {}) => logs.push({ level, msg, ...fields }) };
  const sync = await LanSyncService.start({ settings: config.lanSync, dataDir, logger, ...options });
  cleanups.push(() => sync.close());
  const app = createApp({ model: ModelHost.fromEngine(new FakeEngine()), data: sync });
  const call = dataApiCaller(app);
  return { sync, logs, call };
}

/** Concurrent edits of one document: on the store (through its data API) and on another node. */
async function concurrentDocumentEdits(store: Awaited<ReturnType<typeof startStore>>): Promise<SyncEngine> {
  const other = new SyncEngine({ database: ':memory:', nodeId: 'other-node' });
  cleanups.push(() => other.dispose());
  expect((await store.call('POST', '/api/v1/items', { id: 'minutes', type: 'document', data: { content: 'Agenda' } })).status).toBe(201);
  expect((await other.syncWith(store.sync.nodeId, createInMemoryTransport(store.sync.engine, 'other-node'))).ok).toBe(true);
  expect((await store.call('PUT', '/api/v1/items/minutes', { type: 'document', data: { content: 'Agenda + budget' } })).status).toBe(200);
  await other.put({ id: 'minutes', type: 'document', data: { content: 'Agenda + hiring' } });
  return other;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('custom conflict resolution in the server', () => {
  it("merges concurrent document edits with the seed's example loaded from LAN_SYNC_CONFLICT_RESOLVER", async () => {
    const store = await startStore({ LAN_SYNC_CONFLICT_RESOLVER: 'merge-documents.mjs' });
    expect(store.logs.some((line) => line['event'] === 'conflict-resolver' && String(line['source']).endsWith('merge-documents.mjs'))).toBe(true);
    const other = await concurrentDocumentEdits(store);
    // The store pulls the other node's edit: its resolver merges (local first).
    expect((await store.sync.engine.syncWith('other-node', createInMemoryTransport(other, store.sync.nodeId))).ok).toBe(true);
    const merged = await store.call('GET', '/api/v1/items/minutes');
    expect(merged.body.data).toEqual({ content: 'Agenda + budget\n---\nAgenda + hiring' });
    expect(merged.body.node_id).toBe(store.sync.nodeId);
    const conflicts = await store.call('GET', '/api/v1/conflicts');
    expect(conflicts.body.data).toHaveLength(1);
    expect(conflicts.body.data[0]).toMatchObject({ item_id: 'minutes', rule: 'custom', winner: 'merged' });
    // Both nodes end with the same merged document.
    expect((await store.sync.engine.syncWith('other-node', createInMemoryTransport(other, store.sync.nodeId))).ok).toBe(true);
    expect((await other.get('minutes'))?.data).toEqual(merged.body.data);
    // Anything else falls back to the default rule.
    await store.call('POST', '/api/v1/items', { id: 'memo', type: 'memo', data: 'local' });
    await other.put({ id: 'memo', type: 'memo', data: 'other, later' });
    expect((await store.sync.engine.syncWith('other-node', createInMemoryTransport(other, store.sync.nodeId))).ok).toBe(true);
    expect((await store.call('GET', '/api/v1/items/memo')).body.data).toBe('other, later');
  });

  it('takes a resolver function from an app that starts the node itself, over the variable', async () => {
    const keepLocal: ConflictResolverFunction = (local) => local;
    const store = await startStore({ LAN_SYNC_CONFLICT_RESOLVER: 'merge-documents.mjs' }, { resolveConflict: keepLocal });
    const other = await concurrentDocumentEdits(store);
    expect((await store.sync.engine.syncWith('other-node', createInMemoryTransport(other, store.sync.nodeId))).ok).toBe(true);
    expect((await store.call('GET', '/api/v1/items/minutes')).body.data).toEqual({ content: 'Agenda + budget' });
    expect((await store.call('GET', '/api/v1/conflicts')).body.data[0]).toMatchObject({ rule: 'custom', winner: 'local' });
  });

  it('refuses to start with a resolver module that is missing, broken or exports no function, naming the variable', async () => {
    await expect(startStore({ LAN_SYNC_CONFLICT_RESOLVER: 'no-such-resolver.mjs' })).rejects.toThrow(/^LAN_SYNC_CONFLICT_RESOLVER: no file at .*no-such-resolver\.mjs/);
    await expect(startStore({ LAN_SYNC_CONFLICT_RESOLVER: 'not-a-resolver.mjs' })).rejects.toThrow(
      /^LAN_SYNC_CONFLICT_RESOLVER: .*not-a-resolver\.mjs must export function resolveConflict.*exports resolveConflicts \(string\)/,
    );
    await expect(startStore({ LAN_SYNC_CONFLICT_RESOLVER: 'README.md' })).rejects.toThrow(/^LAN_SYNC_CONFLICT_RESOLVER: cannot load .*README\.md/);
  });
});

describe('retention and garbage collection', () => {
  for (const [why, env] of [
    ['LAN_SYNC_ENABLED=false', { LAN_SYNC_ENABLED: 'false' }],
    ['a weak shared secret', { LAN_SYNC_ENABLED: 'true', LAN_SYNC_SHARED_SECRET: '', LAN_SYNC_MDNS: 'false' }],
  ] as const) {
    // Regression: collection only ran while LAN sync ran, so the data API's history grew forever.
    it(`collects history beyond LAN_SYNC_HISTORY_MAX_VERSIONS with ${why}`, async () => {
      const store = await startStore({ ...env, LAN_SYNC_HISTORY_MAX_VERSIONS: '2' }, { garbageCollectionIntervalMs: 50 });
      expect(store.sync.enabled).toBe(false);
      await store.call('POST', '/api/v1/items', { id: 'memo', type: 'memo', data: { n: 0 } });
      for (let n = 1; n <= 5; n++) await store.call('PUT', '/api/v1/items/memo', { type: 'memo', data: { n } });
      await waitFor('history pruned to 2 versions', async () => (await store.call('GET', '/api/v1/items/memo/history')).body.data.length === 2);
      const history = (await store.call('GET', '/api/v1/items/memo/history')).body.data.map((entry: { item: { data: { n: number } } }) => entry.item.data.n);
      expect(history).toEqual([4, 3]);
      expect(store.logs.some((line) => line['event'] === 'sync-gc' && (line['history'] as number) > 0)).toBe(true);
    });
  }

  it('passes the retention settings to the store', async () => {
    const store = await startStore({ LAN_SYNC_TOMBSTONE_RETENTION_DAYS: '1', LAN_SYNC_HISTORY_MAX_AGE_DAYS: '1' }, { garbageCollectionIntervalMs: 50 });
    // A tombstone of today is kept for a day; so is a version superseded today.
    await store.call('POST', '/api/v1/items', { id: 'gone', type: 'memo', data: 1 });
    await store.call('DELETE', '/api/v1/items/gone');
    await waitFor('a collection', () => store.logs.filter((line) => line['event'] === 'sync-gc').length >= 2);
    expect((await store.call('GET', '/api/v1/items/gone?include_deleted=true')).body.deleted).toBe(true);
    expect((await store.call('GET', '/api/v1/items/gone/history')).body.data).toHaveLength(1);
  });
});
