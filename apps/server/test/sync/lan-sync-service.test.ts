import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { parseConfig } from '../../src/config.js';
import type { LogFields, Logger } from '../../src/logger.js';
import { LanSyncService, type LanSyncServiceOptions } from '../../src/sync/lan-sync-service.js';
import { ManualClock } from '../../src/sync/manual-clock.js';

// Loopback only, and no mDNS (LAN_SYNC_MDNS=false): multicast is tested in namespaces (test/lan).
const keyOptions = { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  readonly service: LanSyncService;
  readonly logs: LogFields[];
  readonly dataDir: string;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trosyn-sync-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startNode(env: Record<string, string>, dataDir = tempDir(), extra: Partial<LanSyncServiceOptions> = {}): Promise<Node> {
  const config = parseConfig(
    { LAN_SYNC_MDNS: 'false', LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_PORT: '0', LAN_SYNC_SHARED_SECRET: 'loopback test secret', LAN_SYNC_INTERVAL: '30', TROSYN_DATA_DIR: dataDir, ...env },
    { baseDir: dataDir, hostname: 'test-host' },
  );
  const logs: LogFields[] = [];
  const logger: Logger = { log: (level, msg, fields = {}) => logs.push({ level, msg, ...fields }) };
  const service = await LanSyncService.start({ settings: config.lanSync, dataDir: config.dataDir, logger, keyOptions, ...extra });
  cleanups.push(() => service.close());
  return { service, logs, dataDir };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const isRound = (line: LogFields): boolean => line['event'] === 'sync-round' && line['ok'] === true;

describe('LanSyncService (two nodes on 127.0.0.1, static peers)', () => {
  it('authenticates a configured peer, converges at once, and pushes every later write at once', async () => {
    const b = await startNode({ LAN_SYNC_NODE_NAME: 'B' });
    await b.service.engine.put({ id: 'from-b', type: 'note', data: { text: 'written before A started' } });
    const a = await startNode({ LAN_SYNC_NODE_NAME: 'A', LAN_SYNC_PEERS: `127.0.0.1:${b.service.syncPort}` });
    await a.service.engine.put({ id: 'from-a', type: 'note', data: { text: 'A' } });
    await waitFor('initial convergence', async () => (await a.service.engine.get('from-b')) !== undefined && (await b.service.engine.get('from-a')) !== undefined);
    expect(a.logs.some((line) => line['event'] === 'peer-authenticated' && line['peer_id'] === b.service.nodeId)).toBe(true);
    await waitFor('a logged round', () => a.logs.some((line) => line['event'] === 'sync-round' && line['ok'] === true));

    // A live write on B reaches A without waiting for the 30 s interval: B learned A's sync port from A's handshake.
    const started = Date.now();
    await b.service.engine.put({ id: 'live', type: 'note', data: { n: 1 } });
    await waitFor('live write on A', () => a.service.engine.get('live'), 2000);
    expect(Date.now() - started).toBeLessThan(2000);
    // Once a round with the peer completed, a live change goes out with one sealed request: a
    // push-only round from the peer's last known position in B's log (HttpSyncTransport.peerLogPosition).
    await waitFor('the first round from B', () => b.logs.some((line) => line['event'] === 'sync-round' && line['ok'] === true));
    const logged = b.logs.length;
    await b.service.engine.put({ id: 'live-2', type: 'note', data: { n: 2 } });
    await waitFor('second live write on A', () => a.service.engine.get('live-2'), 2000);
    const liveRound = await waitFor('the live round', () => b.logs.slice(logged).find((line) => line['event'] === 'sync-round' && line['pushed'] === 1));
    expect(liveRound['mode']).toBe('push-only');
    // And the other way.
    await a.service.engine.delete('from-b');
    await waitFor('deletion on B', async () => (await b.service.engine.get('from-b')) === undefined);

    const status = await a.service.status();
    expect(status.enabled).toBe(true);
    const peer = status.peers.find((p) => p.peer_id === b.service.nodeId);
    expect(peer).toMatchObject({ source: 'static', authenticated: true, address: `127.0.0.1:${b.service.syncPort}` });
    expect(['idle', 'syncing']).toContain(peer!.state);
    expect(a.service.health()).toMatchObject({ enabled: true, node_id: a.service.nodeId, peers: 1, authenticated_peers: 1 });
  });

  it('syncs over HTTPS with self-signed certificates (the handshake, not the certificate, authenticates)', async () => {
    const certDir = join(import.meta.dirname, 'fixtures');
    const tls = (name: string) => ({ LAN_SYNC_TLS_CERT: join(certDir, `${name}.pem`), LAN_SYNC_TLS_KEY: join(certDir, `${name}.key`) });
    const b = await startNode({ LAN_SYNC_NODE_NAME: 'B', ...tls('b') });
    expect(b.service.syncUrl).toMatch(/^https:/);
    const a = await startNode({ LAN_SYNC_NODE_NAME: 'A', LAN_SYNC_PEERS: `127.0.0.1:${b.service.syncPort}`, ...tls('a') });
    await a.service.engine.put({ id: 'over-tls', type: 'note', data: 'sealed, then TLS' });
    await waitFor('item over TLS', () => b.service.engine.get('over-tls'));
    // Plain HTTP to a TLS port gets nowhere.
    await expect(fetch(`http://127.0.0.1:${b.service.syncPort}/sync/v1/info`)).rejects.toThrow();
  });

  it('retries an unreachable peer with backoff and catches up from its cursor when it is back', async () => {
    const bDir = tempDir();
    let b = await startNode({ LAN_SYNC_NODE_NAME: 'B' }, bDir);
    const port = b.service.syncPort!;
    const a = await startNode({ LAN_SYNC_NODE_NAME: 'A', LAN_SYNC_PEERS: `127.0.0.1:${port}` });
    await a.service.engine.put({ id: 'first', type: 'note', data: 1 });
    await waitFor('first item on B', () => b.service.engine.get('first'));
    // …and acknowledged to A (a push whose ack is lost is sent again: at least once).
    await waitFor('first item acknowledged', async () => (await a.service.engine.peerStatus(b.service.nodeId))?.pendingChanges === 0);
    await b.service.close();
    const closedAt = a.logs.length;
    // Offline writes on A queue up; rounds fail and back off.
    for (let i = 0; i < 5; i++) await a.service.engine.put({ id: `offline-${i}`, type: 'note', data: i });
    const failed = await waitFor('a failed round', async () => (await a.service.status()).peers.find((p) => p.state === 'backoff'));
    expect(failed.last_error).not.toBeNull();
    expect(failed.pending_changes).toBeGreaterThanOrEqual(5);
    expect(failed.next_attempt_at).not.toBeNull();
    // B comes back on the same port with the same database: A's retry delivers only what B is missing.
    b = await startNode({ LAN_SYNC_NODE_NAME: 'B', LAN_SYNC_PORT: String(port) }, bDir);
    await waitFor('catch-up on B', async () => (await b.service.engine.list({ limit: 100 })).items.length === 6, 10_000);
    // From its cursor: the item B already had is not sent again.
    const pushedSince = (): number =>
      a.logs.slice(closedAt).filter((line) => line['event'] === 'sync-round' && line['ok'] === true).reduce((sum, line) => sum + (line['pushed'] as number), 0);
    await waitFor('the rounds to be logged', () => pushedSince() >= 5);
    expect(pushedSince()).toBe(5);
  });

  it('runs its retry backoff and periodic rounds on the injected clock and timers (ManualClock)', async () => {
    const port = await unusedPort();
    // Years away from the system clock: a time the scheduler took from Date.now() would show.
    const clock = new ManualClock(Date.UTC(2031, 0, 1));
    const a = await startNode({ LAN_SYNC_NODE_NAME: 'A', LAN_SYNC_PEERS: `127.0.0.1:${port}`, LAN_SYNC_INTERVAL: '3600' }, tempDir(), {
      now: clock.now,
      timers: clock,
    });
    // The first round (at start) is refused: the retry is due 1 s (±10 % jitter) later in virtual
    // time, on a timer of the ManualClock.
    const failed = await waitFor('a failed round', async () => (await a.service.status()).peers.find((p) => p.state === 'backoff'));
    const retryAt = Date.parse(failed.next_attempt_at!);
    expect(retryAt - clock.now()).toBeGreaterThanOrEqual(900);
    expect(retryAt - clock.now()).toBeLessThanOrEqual(1100);
    expect(clock.pendingDueTimes).toEqual([retryAt]);

    // B comes up on that port; real time passing beyond the retry delay does not retry…
    const b = await startNode({ LAN_SYNC_NODE_NAME: 'B', LAN_SYNC_PORT: String(port) });
    await b.service.engine.put({ id: 'from-b', type: 'note', data: { text: 'B' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await a.service.engine.get('from-b')).toBeUndefined();
    expect(a.logs.filter(isRound)).toHaveLength(0);
    // …moving the clock to the retry does.
    await clock.advance(retryAt - clock.now());
    await waitFor('the retry round', () => a.logs.some(isRound), 10_000);
    expect(await a.service.engine.get('from-b')).toBeDefined();

    // After a successful round the next one is the periodic round, LAN_SYNC_INTERVAL (1 h ±10 %) later.
    const synced = await waitFor('the next periodic round planned', async () =>
      (await a.service.status()).peers.find((p) => p.state === 'idle' && p.next_attempt_at !== null),
    );
    const intervalAt = Date.parse(synced.next_attempt_at!);
    expect(intervalAt - clock.now()).toBeGreaterThanOrEqual(3_240_000);
    expect(intervalAt - clock.now()).toBeLessThanOrEqual(3_960_000);
    const roundsBefore = a.logs.filter(isRound).length;
    await clock.advance(intervalAt - clock.now());
    await waitFor('the periodic round', () => a.logs.filter(isRound).length > roundsBefore, 10_000);
    expect(a.logs.filter(isRound).at(-1)?.['reason']).toBe('interval');
  });

  it('falls back to a full round when a live push meets a peer whose database was replaced', async () => {
    const bDir = tempDir();
    let b = await startNode({ LAN_SYNC_NODE_NAME: 'B', LAN_SYNC_NODE_ID: 'node-b' }, bDir);
    const port = b.service.syncPort!;
    const a = await startNode({ LAN_SYNC_NODE_NAME: 'A', LAN_SYNC_PEERS: `127.0.0.1:${port}` });
    for (let i = 0; i < 3; i++) await a.service.engine.put({ id: `before-${i}`, type: 'note', data: i });
    await waitFor('converged', async () => (await b.service.engine.list()).items.length === 3);
    await waitFor('acknowledged', async () => (await a.service.engine.peerStatus('node-b'))?.pendingChanges === 0);
    // B loses its database (restored from nothing): same node id, new log epoch, no cursors.
    await b.service.close();
    rmSync(join(bDir, 'sync.sqlite'), { force: true });
    rmSync(join(bDir, 'sync.sqlite-wal'), { force: true });
    rmSync(join(bDir, 'sync.sqlite-shm'), { force: true });
    b = await startNode({ LAN_SYNC_NODE_NAME: 'B', LAN_SYNC_NODE_ID: 'node-b', LAN_SYNC_PORT: String(port) }, bDir);
    const logged = a.logs.length;
    await a.service.engine.put({ id: 'after', type: 'note', data: 'live' });
    // The push-only attempt is refused (A's idea of B's cursor is stale); the full round sends everything.
    await waitFor('full resync on B', async () => (await b.service.engine.list()).items.length === 4, 5000);
    const round = await waitFor('the round', () => a.logs.slice(logged).find((line) => line['event'] === 'sync-round' && line['ok'] === true && (line['pushed'] as number) > 0));
    expect(round['mode']).toBe('full');
    expect(round['pushed']).toBe(4);
  });

  it('never syncs with itself when its own address is configured', async () => {
    const dir = tempDir();
    // Port chosen by a first start, then reused with itself as the static peer.
    const probe = await startNode({}, dir);
    const port = probe.service.syncPort!;
    await probe.service.close();
    const self = await startNode({ LAN_SYNC_PORT: String(port), LAN_SYNC_PEERS: `127.0.0.1:${port}` }, dir);
    const peer = await waitFor('self detection', async () => (await self.service.status()).peers.find((p) => p.state === 'self'));
    expect(peer.address).toBe(`127.0.0.1:${port}`);
    expect(self.logs.some((line) => line['event'] === 'peer-is-self')).toBe(true);
  });

  it('generates a node id once and keeps it across restarts', async () => {
    const dir = tempDir();
    const first = await startNode({}, dir);
    const id = first.service.nodeId;
    expect(readFileSync(join(dir, 'node-id'), 'utf8').trim()).toBe(id);
    expect(first.logs.some((line) => line['event'] === 'node-id-generated')).toBe(true);
    await first.service.close();
    const second = await startNode({}, dir);
    expect(second.service.nodeId).toBe(id);
    expect(second.logs.some((line) => line['event'] === 'node-id-generated')).toBe(false);
  });

  it.each([
    ['unset', {}],
    ['empty', { LAN_SYNC_SHARED_SECRET: '' }],
    ['the documented default', { LAN_SYNC_SHARED_SECRET: 'change-me' }],
  ])('refuses to enable sync with a secret that is %s, says how to set one, and keeps the data API working', async (_label, env) => {
    const dataDir = tempDir();
    const config = parseConfig({ LAN_SYNC_MDNS: 'false', LAN_SYNC_PORT: '0', TROSYN_DATA_DIR: dataDir, ...env }, { baseDir: dataDir, hostname: 'h' });
    const logs: LogFields[] = [];
    const service = await LanSyncService.start({ settings: config.lanSync, dataDir, logger: { log: (level, msg, fields = {}) => logs.push({ level, msg, ...fields }) }, keyOptions });
    cleanups.push(() => service.close());
    expect(service.enabled).toBe(false);
    expect(service.syncPort).toBeUndefined();
    const line = logs.find((entry) => entry['event'] === 'sync-disabled');
    expect(line?.['level']).toBe('error');
    expect(String(line?.['msg'])).toMatch(/LAN_SYNC_SHARED_SECRET/);
    expect(String(line?.['msg'])).toMatch(/openssl rand/);
    expect(service.health()).toMatchObject({ enabled: false, port: null });
    await service.engine.put({ id: 'local', type: 'note', data: 'still works' });
    expect((await service.status()).disabled_reason).toMatch(/LAN_SYNC_SHARED_SECRET/);
  });
});
