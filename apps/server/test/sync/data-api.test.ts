import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncEngine } from '@trosyn/sync-core';
import { createInMemoryTransport } from '@trosyn/sync-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { ModelHost } from '../../src/model-host.js';
import { LanSyncService } from '../../src/sync/lan-sync-service.js';
import { FakeEngine } from '../fake-engine.js';
import { dataApiCaller } from './data-api-caller.js';
import { assertSchema } from './published-schema.js';

// Every response is checked against the schema the OpenAPI document publishes for it.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataApp(apiKey?: string, adminKey?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'trosyn-data-api-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = parseConfig({ LAN_SYNC_ENABLED: 'false', TROSYN_DATA_DIR: dataDir }, { baseDir: dataDir, hostname: 'h' });
  const sync = await LanSyncService.start({ settings: config.lanSync, dataDir, logger: { log: () => undefined } });
  cleanups.push(() => sync.close());
  const app = createApp({ model: ModelHost.fromEngine(new FakeEngine()), data: sync, config: { apiKey, adminKey } });
  const call = dataApiCaller(app);
  return { app, sync, call };
}

describe('data API', () => {
  it('creates, reads, replaces, lists and deletes items', async () => {
    const { call } = await dataApp();
    const created = await call('POST', '/api/v1/items', { id: 'memo-1', type: 'memo', data: { text: 'Agenda' } });
    expect(created.status).toBe(201);
    assertSchema('Item', created.body);
    expect(created.body).toMatchObject({ object: 'item', id: 'memo-1', type: 'memo', data: { text: 'Agenda' }, version: 1, deleted: false });
    expect(Date.parse(created.body.updated_at)).toBeGreaterThan(Date.now() - 60_000);

    const generated = await call('POST', '/api/v1/items', { type: 'memo', data: ['no id'] });
    expect(generated.body.id).toMatch(/^[0-9a-f-]{36}$/);
    await call('POST', '/api/v1/items', { id: 'task-1', type: 'task', data: 'x' });

    const read = await call('GET', '/api/v1/items/memo-1');
    expect(read.body).toEqual(created.body);

    const replaced = await call('PUT', '/api/v1/items/memo-1', { type: 'memo', data: { text: 'Agenda + budget' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, data: { text: 'Agenda + budget' } });

    const memos = await call('GET', '/api/v1/items?type=memo&limit=1');
    assertSchema('ItemList', memos.body);
    expect(memos.body.data).toHaveLength(1);
    expect(memos.body.next_cursor).not.toBeNull();
    const rest = await call('GET', `/api/v1/items?type=memo&limit=1&cursor=${encodeURIComponent(memos.body.next_cursor)}`);
    expect(rest.body.data).toHaveLength(1);
    expect(rest.body.next_cursor).toBeNull();

    const tombstone = await call('DELETE', '/api/v1/items/memo-1');
    expect(tombstone.body).toMatchObject({ id: 'memo-1', deleted: true, data: null, version: 3 });
    expect((await call('GET', '/api/v1/items/memo-1')).status).toBe(404);
    expect((await call('GET', '/api/v1/items/memo-1?include_deleted=true')).body.deleted).toBe(true);
    expect((await call('GET', '/api/v1/items?type=memo')).body.data).toHaveLength(1);
    expect((await call('GET', '/api/v1/items?type=memo&include_deleted=true')).body.data).toHaveLength(2);
  });

  it('keeps history and restores a deleted item', async () => {
    const { call } = await dataApp();
    await call('POST', '/api/v1/items', { id: 'doc', type: 'doc', data: { v: 1 } });
    await call('PUT', '/api/v1/items/doc', { type: 'doc', data: { v: 2 } });
    await call('DELETE', '/api/v1/items/doc');
    const history = await call('GET', '/api/v1/items/doc/history');
    assertSchema('HistoryList', history.body);
    expect(history.body.data.map((entry: { item: { data: unknown } }) => entry.item.data)).toEqual([{ v: 2 }, { v: 1 }]);
    const restoredLatest = await call('POST', '/api/v1/items/doc/restore');
    expect(restoredLatest.body).toMatchObject({ deleted: false, data: { v: 2 } });
    const first = history.body.data[1].id as number;
    const restoredFirst = await call('POST', '/api/v1/items/doc/restore', { history_id: first });
    assertSchema('Item', restoredFirst.body);
    expect(restoredFirst.body.data).toEqual({ v: 1 });
    expect((await call('POST', '/api/v1/items/doc/restore', { history_id: 999_999 })).status).toBe(404);
    expect((await call('GET', '/api/v1/items/never/history')).status).toBe(404);
  });

  it('answers bad requests with OpenAI-shaped errors naming the field', async () => {
    const { call } = await dataApp();
    const cases: [string, string, unknown, number, string | null][] = [
      ['POST', '/api/v1/items', { data: 1 }, 400, 'type'],
      ['POST', '/api/v1/items', { type: 'memo', data: null }, 400, 'data'],
      ['POST', '/api/v1/items', { type: 'memo', data: 1, colour: 'red' }, 400, null],
      ['POST', '/api/v1/items', '{not json', 400, null],
      ['PUT', '/api/v1/items/x', { type: '', data: 1 }, 400, 'type'],
      ['GET', '/api/v1/items?limit=5000', undefined, 400, 'limit'],
      ['GET', '/api/v1/items?include_deleted=maybe', undefined, 400, 'include_deleted'],
      ['DELETE', '/api/v1/items/absent', undefined, 404, 'id'],
      ['POST', '/api/v1/conflicts/acknowledge', { ids: ['one'] }, 400, 'ids[0]'],
    ];
    for (const [method, path, body, status, param] of cases) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(status);
      assertSchema('ErrorResponse', response.body);
      if (param !== null) expect(response.body.error.param, `${method} ${path}`).toBe(param);
    }
    await call('POST', '/api/v1/items', { id: 'dup', type: 'memo', data: 1 });
    const duplicate = await call('POST', '/api/v1/items', { id: 'dup', type: 'memo', data: 2 });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('item_exists');
  });

  it('lists and acknowledges conflicts', async () => {
    const { call, sync } = await dataApp();
    // A real conflict: a second engine edits concurrently and its page is applied here.
    const { SyncEngine } = await import('@trosyn/sync-core');
    const { createInMemoryTransport } = await import('@trosyn/sync-core/testing');
    const other = new SyncEngine({ database: ':memory:', nodeId: 'other-node' });
    cleanups.push(() => other.dispose());
    await call('POST', '/api/v1/items', { id: 'shared', type: 'memo', data: 'base' });
    const transport = createInMemoryTransport(sync.engine, 'other-node');
    await other.syncWith(sync.nodeId, transport);
    await call('PUT', '/api/v1/items/shared', { type: 'memo', data: 'edited here' });
    await other.put({ id: 'shared', type: 'memo', data: 'edited there' });
    // This node pulls the concurrent edit and resolves it (last writer wins), logging the conflict.
    expect((await sync.engine.syncWith('other-node', createInMemoryTransport(other, sync.nodeId))).ok).toBe(true);
    const conflicts = await call('GET', '/api/v1/conflicts?unacknowledged=true');
    assertSchema('ConflictList', conflicts.body);
    expect(conflicts.body.data).toHaveLength(1);
    expect(conflicts.body.data[0]).toMatchObject({ item_id: 'shared', peer_id: 'other-node' });
    const ack = await call('POST', '/api/v1/conflicts/acknowledge', { ids: [conflicts.body.data[0].id] });
    expect(ack.body).toEqual({ object: 'conflict.acknowledgement', acknowledged: 1 });
    expect((await call('GET', '/api/v1/conflicts?unacknowledged=true')).body.data).toHaveLength(0);
    expect((await call('GET', '/api/v1/conflicts?unacknowledged=false')).body.data).toHaveLength(1);
  });

  // Regression (issue #20): with limit=1000 (the maximum) the route asked the engine for 1001
  // entries, got 1000, and answered next_cursor: null; a client paging at the maximum stopped there.
  it('pages the conflict log at the maximum limit', async () => {
    const { call, sync } = await dataApp();
    const other = new SyncEngine({ database: ':memory:', nodeId: 'other-node' });
    cleanups.push(() => other.dispose());
    const ids = Array.from({ length: 1003 }, (_, i) => `item-${String(i).padStart(4, '0')}`);
    await sync.engine.putMany(ids.map((id) => ({ id, type: 'memo', data: { from: 'local' } })));
    await other.putMany(ids.map((id) => ({ id, type: 'memo', data: { from: 'other' } })));
    expect((await sync.engine.syncWith('other-node', createInMemoryTransport(other, sync.nodeId))).ok).toBe(true);
    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page = await call('GET', `/api/v1/conflicts?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`);
      assertSchema('ConflictList', page.body);
      seen.push(...page.body.data.map((record: { id: number }) => record.id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(1003);
    // A page that ends exactly at the last entry says so.
    const exact = await call('GET', `/api/v1/conflicts?limit=3&cursor=${seen[999]}`);
    expect(exact.body.data).toHaveLength(3);
    expect(exact.body.next_cursor).toBeNull();
  });

  it("pages an item's history, newest first", async () => {
    const { call } = await dataApp();
    await call('POST', '/api/v1/items', { id: 'memo', type: 'memo', data: { n: 0 } });
    for (let n = 1; n <= 7; n += 1) await call('PUT', '/api/v1/items/memo', { type: 'memo', data: { n } });
    const versions: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page = await call('GET', `/api/v1/items/memo/history?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      assertSchema('HistoryList', page.body);
      versions.push(...page.body.data.map((entry: { item: { data: { n: number } } }) => entry.item.data.n));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(versions).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(pages).toBe(3);
  });

  it('reports sync status, sync now and the /health sync section', async () => {
    const { call, sync } = await dataApp();
    const status = await call('GET', '/api/v1/sync/status');
    assertSchema('SyncStatus', status.body);
    expect(status.body).toMatchObject({ object: 'sync.status', node_id: sync.nodeId, enabled: false, peers: [] });
    const now = await call('POST', '/api/v1/sync/now');
    assertSchema('SyncNowResponse', now.body);
    expect(now.body).toEqual({ object: 'list', enabled: false, data: [] });
    const health = await call('GET', '/health');
    assertSchema('Health', health.body);
    expect(health.body.sync).toMatchObject({ enabled: false, node_id: sync.nodeId, peers: 0 });
  });

  it('requires the API key on the data API when one is set', async () => {
    const { call } = await dataApp('a-long-api-key');
    expect((await call('GET', '/api/v1/items')).status).toBe(401);
    expect((await call('GET', '/api/v1/items', undefined, { authorization: 'Bearer a-long-api-key' })).status).toBe(200);
  });

  it('accepts the admin key on reads and writes alongside the API key', async () => {
    const { call } = await dataApp('a-long-api-key', 'the-admin-key');
    const admin = { authorization: 'Bearer the-admin-key' };
    expect((await call('PUT', '/api/v1/items/memo-1', { type: 'memo', data: { text: 'by admin' } }, admin)).status).toBe(200);
    expect((await call('POST', '/api/v1/items/memo-1/restore', {}, admin)).status).toBe(404);
    expect((await call('DELETE', '/api/v1/items/memo-1', undefined, admin)).body.deleted).toBe(true);
    expect((await call('POST', '/api/v1/items/memo-1/restore', {}, admin)).body.data).toEqual({ text: 'by admin' });
    expect((await call('POST', '/api/v1/conflicts/acknowledge', { ids: [999] }, admin)).body.acknowledged).toBe(0);
    expect((await call('GET', '/api/v1/items/memo-1', undefined, { authorization: 'Bearer a-long-api-key' })).status).toBe(200);
    expect((await call('PUT', '/api/v1/items/memo-2', { type: 'memo', data: 1 }, { authorization: 'Bearer not-a-key' })).status).toBe(401);
  });
});
