import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { startTestPostgres, type TestPostgres } from '@trosyn/sync-core/testing';
import { ConfigError, parseConfig } from '../../src/config.js';
import type { LogFields, Logger } from '../../src/logger.js';
import { LanSyncService } from '../../src/sync/lan-sync-service.js';

// A hub node keeps its replica in PostgreSQL (TROSYN_STORE_URL): a throwaway cluster on
// 127.0.0.1 from Debian's postgresql package (.ci/run installs it). Loopback only, no mDNS.
const keyOptions = { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT };
const postgres: TestPostgres | undefined = await startTestPostgres();
if (postgres === undefined && process.env['CI'] !== undefined) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
if (postgres === undefined) console.warn('*** PostgreSQL not installed: the TROSYN_STORE_URL tests are SKIPPED ***');
afterAll(() => postgres?.stop());
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trosyn-pg-node-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startNode(env: Record<string, string>): Promise<{ service: LanSyncService; logs: LogFields[] }> {
  const dataDir = tempDir();
  const config = parseConfig(
    { LAN_SYNC_MDNS: 'false', LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_PORT: '0', LAN_SYNC_SHARED_SECRET: 'loopback test secret', LAN_SYNC_INTERVAL: '30', TROSYN_DATA_DIR: dataDir, ...env },
    { baseDir: dataDir, hostname: 'test-host' },
  );
  const logs: LogFields[] = [];
  const logger: Logger = { log: (level, msg, fields = {}) => logs.push({ level, msg, ...fields }) };
  const service = await LanSyncService.start({ settings: config.lanSync, dataDir: config.dataDir, store: config.store, logger, keyOptions });
  cleanups.push(() => service.close());
  return { service, logs };
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('TROSYN_STORE_URL: a replica in PostgreSQL', () => {
  it('checks the settings', () => {
    const parse = (env: Record<string, string>) => parseConfig(env, { baseDir: '/tmp', hostname: 'h' });
    expect(parse({}).store).toBeUndefined();
    expect(parse({ TROSYN_STORE_URL: 'postgres://u@db:5432/office' }).store).toEqual({ url: 'postgres://u@db:5432/office', schema: 'trosyn_sync' });
    expect(() => parse({ TROSYN_STORE_URL: 'mysql://db/x' })).toThrow(ConfigError);
    expect(() => parse({ TROSYN_STORE_URL: 'postgres://db/x', TROSYN_STORE_SCHEMA: 'Hub-1' })).toThrow(/TROSYN_STORE_SCHEMA/);
    expect(() => parse({ TROSYN_STORE_SCHEMA: 'hub' })).toThrow(/TROSYN_STORE_URL is not/);
  });

  it.skipIf(postgres === undefined)('syncs a PostgreSQL hub with a SQLite node, and refuses a second server on the same schema', async () => {
    const hub = await startNode({ LAN_SYNC_NODE_NAME: 'hub', TROSYN_STORE_URL: postgres!.url, TROSYN_STORE_SCHEMA: 'hub_a' });
    expect(hub.logs.some((line) => line['event'] === 'store-opened' && line['schema'] === 'hub_a')).toBe(true);
    await hub.service.engine.put({ id: 'on-hub', type: 'note', data: { text: 'kept in PostgreSQL' } });
    const node = await startNode({ LAN_SYNC_NODE_NAME: 'desk', LAN_SYNC_PEERS: `127.0.0.1:${hub.service.syncPort}` });
    await node.service.engine.put({ id: 'on-desk', type: 'note', data: { text: 'kept in SQLite' } });
    await waitFor('convergence', async () => (await node.service.engine.get('on-hub')) !== undefined && (await hub.service.engine.get('on-desk')) !== undefined);

    // A second server pointed at the same database and schema is refused, naming the setting.
    await expect(startNode({ LAN_SYNC_NODE_NAME: 'hub-again', TROSYN_STORE_URL: postgres!.url, TROSYN_STORE_SCHEMA: 'hub_a' })).rejects.toThrow(
      /TROSYN_STORE_URL: another Trosyn server already uses schema "hub_a".*TROSYN_STORE_SCHEMA/,
    );
    // The first keeps working.
    await hub.service.engine.put({ id: 'after', type: 'note', data: 1 });
    await waitFor('a later write', async () => (await node.service.engine.get('after')) !== undefined);
    // Another schema of the same database is another node.
    const other = await startNode({ LAN_SYNC_NODE_NAME: 'hub-b', TROSYN_STORE_URL: postgres!.url, TROSYN_STORE_SCHEMA: 'hub_b', LAN_SYNC_ENABLED: 'false' });
    expect(other.service.nodeId).not.toBe(hub.service.nodeId);
  });

  it.skipIf(postgres === undefined)('names the setting when the server cannot be reached', async () => {
    await expect(startNode({ TROSYN_STORE_URL: 'postgres://trosyn@127.0.0.1:1/postgres', LAN_SYNC_ENABLED: 'false' })).rejects.toThrow(/TROSYN_STORE_URL: cannot open the PostgreSQL store/);
  });
});
