import { afterEach, describe, expect, it } from 'vitest';
import { SyncEngine } from '@trosyn/sync-core';
import { createInMemoryTransport, type InMemoryTransport } from '@trosyn/sync-core/testing';
import type { LogFields, Logger } from '../logger.js';
import { ManualClock } from './manual-clock.js';
import type { PeerTarget } from './peer-registry.js';
import { SyncScheduler, type PeerTransport } from './sync-scheduler.js';

// Real engines (in-memory SQLite) behind sync-core's in-memory transport, so the scheduler's
// decisions (when to run which round) are tested without sockets; HTTP has its own tests.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Network {
  readonly engines: Map<string, SyncEngine>;
  /** Transports created by the scheduler, by target port. */
  readonly transports: InMemoryTransport[];
  /** Ports that answer nothing. */
  readonly down: Set<number>;
}

function setup(selfId: string, peers: Record<number, string>, options: { intervalMs?: number; backoffBaseMs?: number; backoffMaxMs?: number; pushDebounceMs?: number; clock?: ManualClock } = {}) {
  const network: Network = { engines: new Map(), transports: [], down: new Set() };
  const engine = new SyncEngine({ database: ':memory:', nodeId: selfId });
  network.engines.set(selfId, engine);
  for (const id of Object.values(peers)) network.engines.set(id, new SyncEngine({ database: ':memory:', nodeId: id }));
  const logs: LogFields[] = [];
  const logger: Logger = { log: (level, msg, fields = {}) => logs.push({ level, msg, ...fields }) };
  const createTransport = (target: PeerTarget): PeerTransport => {
    const peerId = peers[target.port];
    const responder = peerId === undefined ? undefined : network.engines.get(peerId);
    const inner = createInMemoryTransport(responder ?? engine, selfId);
    network.transports.push(inner);
    let connected = false;
    return {
      get connected() {
        return connected && !network.down.has(target.port);
      },
      async connect() {
        if (network.down.has(target.port) || responder === undefined) throw Object.assign(new Error(`127.0.0.1:${target.port} unreachable`), { code: 'unreachable' });
        connected = true;
        return peerId!;
      },
      request(message, requestOptions) {
        inner.partitioned = network.down.has(target.port);
        return inner.request(message, requestOptions);
      },
      close() {
        connected = false;
      },
    };
  };
  const scheduler = new SyncScheduler({
    engine,
    logger,
    createTransport,
    intervalMs: options.intervalMs ?? 60_000,
    backoffBaseMs: options.backoffBaseMs ?? 20,
    backoffMaxMs: options.backoffMaxMs ?? 200,
    ...(options.pushDebounceMs === undefined ? {} : { pushDebounceMs: options.pushDebounceMs }),
    // Virtual time: the clock and the timers move only when the test advances them; no jitter.
    ...(options.clock === undefined ? {} : { now: options.clock.now, timers: options.clock, random: () => 0.5 }),
  });
  scheduler.start();
  cleanups.push(async () => {
    await scheduler.dispose();
    for (const e of network.engines.values()) await e.dispose();
  });
  const rounds = () => logs.filter((line) => line['event'] === 'sync-round');
  return { engine, scheduler, network, logs, rounds, peer: (id: string) => network.engines.get(id)! };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets in-flight rounds (promise continuations and immediates, no timers) run until `probe` holds. */
async function until(what: string, probe: () => Promise<boolean> | boolean): Promise<void> {
  for (let turn = 0; turn < 20_000; turn++) {
    if (await probe()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

const target = (port: number): PeerTarget => ({ host: '127.0.0.1', port, tls: false });

describe('SyncScheduler', () => {
  it('syncs a discovered peer at once, then coalesces a burst of local writes into few rounds', async () => {
    const { engine, scheduler, peer, rounds } = setup('self', { 5001: 'peer-b' });
    await peer('peer-b').put({ id: 'there', type: 't', data: 1 });
    scheduler.discovered('peer-b', 'B', target(5001));
    await waitFor('first round', async () => (await engine.get('there')) !== undefined);
    await waitFor('round logged', () => rounds().length >= 1);
    const before = rounds().length;
    await Promise.all(Array.from({ length: 50 }, (_, i) => engine.put({ id: `burst-${i}`, type: 't', data: i })));
    await waitFor('burst on the peer', async () => (await peer('peer-b').list({ limit: 100 })).items.length === 51);
    await waitFor('rounds logged', () => rounds().slice(before).reduce((n, line) => n + (line['pushed'] as number), 0) >= 50);
    // 50 writes, a handful of rounds: a round per write would be 50.
    expect(rounds().length - before).toBeLessThanOrEqual(3);
    expect(scheduler.peers()[0]).toMatchObject({ nodeId: 'peer-b', source: 'mdns', authenticated: true, failures: 0 });
  });

  it('ignores its own node id, stops rounds with a peer that went down and catches up when it is back', async () => {
    const { engine, scheduler, network, peer } = setup('self', { 5001: 'peer-b' }, { intervalMs: 50 });
    scheduler.discovered('self', 'me', target(5000));
    expect(scheduler.peers()).toHaveLength(0);
    scheduler.discovered('peer-b', 'B', target(5001));
    await waitFor('authenticated', () => scheduler.peers()[0]?.state === 'idle');
    network.down.add(5001);
    scheduler.lost('peer-b');
    expect(scheduler.peers()[0]!.state).toBe('offline');
    for (let i = 0; i < 3; i++) await engine.put({ id: `offline-${i}`, type: 't', data: i });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // No periodic or live rounds while it is down: nothing failed, nothing retried.
    expect(scheduler.peers()[0]).toMatchObject({ state: 'offline', failures: 0 });
    network.down.delete(5001);
    scheduler.discovered('peer-b', 'B', target(5001));
    await waitFor('caught up', async () => (await peer('peer-b').list({ limit: 10 })).items.length === 3);
  });

  it('backs off exponentially from an unreachable configured peer and recovers', async () => {
    const { scheduler, network, peer, engine } = setup('self', { 5001: 'peer-b' });
    network.down.add(5001);
    await engine.put({ id: 'waiting', type: 't', data: 1 });
    scheduler.addStaticPeer(target(5001));
    const failing = await waitFor('three failures', () => scheduler.peers().find((p) => p.failures >= 3));
    expect(failing).toMatchObject({ state: 'backoff', nodeId: undefined, source: 'static' });
    expect(failing.lastError?.message).toMatch(/unreachable/);
    expect(failing.nextAttemptAt).not.toBeNull();
    network.down.delete(5001);
    await waitFor('recovered', async () => (await peer('peer-b').get('waiting')) !== undefined);
    await waitFor('state', () => scheduler.peers()[0]?.state === 'idle');
    expect(scheduler.peers()[0]).toMatchObject({ nodeId: 'peer-b', failures: 0, lastError: null });
  });

  // Issue #20: a node whose clock was wrong failed its rounds both ways and sat in backoff; once
  // its clock is corrected (or the peer comes back to us) the peer is retried at once.
  it('retries backed-off peers at once when asked (a clock step) and when the peer reaches us', async () => {
    const { scheduler, network, peer, engine } = setup('self', { 5001: 'peer-b', 5002: 'peer-c' }, { backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    network.down.add(5001);
    network.down.add(5002);
    scheduler.discovered('peer-b', 'B', target(5001));
    scheduler.discovered('peer-c', 'C', target(5002));
    await waitFor('both backing off', () => scheduler.peers().every((p) => p.state === 'backoff'));
    await engine.put({ id: 'waiting', type: 't', data: 1 });
    network.down.delete(5001);
    network.down.delete(5002);
    // A minute of backoff ahead: without a retry, nothing moves within the wait below.
    expect(scheduler.clockStepped()).toBe(2);
    await waitFor('b recovered', async () => (await peer('peer-b').get('waiting')) !== undefined, 2000);
    await waitFor('c recovered', async () => (await peer('peer-c').get('waiting')) !== undefined, 2000);
    await waitFor('idle', () => scheduler.peers().every((p) => p.state === 'idle'));

    network.down.add(5001);
    await scheduler.syncNow();
    expect(scheduler.peers().find((p) => p.nodeId === 'peer-b')?.state).toBe('backoff');
    await engine.put({ id: 'later', type: 't', data: 2 });
    network.down.delete(5001);
    scheduler.inboundActivity('peer-b');
    await waitFor('retried on inbound activity', async () => (await peer('peer-b').get('later')) !== undefined, 2000);
  });

  it('follows a node known only from its handshakes to its new address', async () => {
    const { scheduler, engine, peer } = setup('self', { 5001: 'peer-b', 5002: 'peer-b' });
    scheduler.inbound('peer-b', '127.0.0.1', 5001, false);
    scheduler.inbound('peer-b', '127.0.0.1', 5002, false);
    expect(scheduler.peers()).toHaveLength(1);
    expect(scheduler.peers()[0]!.address).toBe('127.0.0.1:5002');
    await engine.put({ id: 'x', type: 't', data: 1 });
    await waitFor('pushed to the new address', async () => (await peer('peer-b').get('x')) !== undefined);
  });

  it('keeps one entry per node when a configured address turns out to be a node known otherwise', async () => {
    const { scheduler } = setup('self', { 5001: 'peer-b' });
    scheduler.inbound('peer-b', '127.0.0.1', 5001, false);
    expect(scheduler.peers()).toHaveLength(1);
    scheduler.addStaticPeer(target(5001));
    await waitFor('static identified', () => scheduler.peers().some((p) => p.source === 'static' && p.nodeId === 'peer-b'));
    expect(scheduler.peers()).toHaveLength(1);
    expect(scheduler.peers()[0]!.source).toBe('static');
  });

  it('waits with scheduled rounds while the peer runs its own round with us, never with live pushes', async () => {
    const { scheduler, engine, peer, rounds } = setup('self', { 5001: 'peer-b' }, { intervalMs: 40 });
    scheduler.discovered('peer-b', 'B', target(5001));
    await waitFor('idle', () => scheduler.peers()[0]?.state === 'idle');
    // The peer keeps sending us requests for 250 ms: no periodic round of ours runs meanwhile…
    const busyFrom = rounds().length;
    const busy = setInterval(() => scheduler.inboundActivity('peer-b'), 10);
    scheduler.inboundActivity('peer-b');
    await new Promise((resolve) => setTimeout(resolve, 250));
    clearInterval(busy);
    expect(rounds().slice(busyFrom).filter((line) => line['reason'] === 'interval')).toHaveLength(0);
    // …and once it is quiet, they resume.
    await waitFor('a periodic round', () => rounds().slice(busyFrom).some((line) => line['reason'] === 'interval'), 2000);
    scheduler.inboundActivity('peer-b');
    const outcomes = await scheduler.syncNow();
    expect(outcomes[0]!.error).toBeNull(); // an explicit "sync now" does not wait
    scheduler.inboundActivity('peer-b');
    const before = rounds().length;
    await engine.put({ id: 'live', type: 't', data: 1 });
    await waitFor('live push despite inbound activity', async () => (await peer('peer-b').get('live')) !== undefined, 200);
    expect(rounds().length).toBeGreaterThan(before);
  });

});

// The same scheduler in virtual time: a ManualClock is its clock and its timers, so these tests
// state exact delays and never wait for real time.
describe('SyncScheduler in virtual time', () => {
  it('backs off from an unreachable peer exactly (base, doubling, capped), then runs periodic rounds', async () => {
    const clock = new ManualClock(1_000_000);
    const { scheduler, network, peer, engine, rounds } = setup('self', { 5001: 'peer-b' }, { clock, backoffBaseMs: 1000, backoffMaxMs: 4000, intervalMs: 60_000 });
    network.down.add(5001);
    await engine.put({ id: 'waiting', type: 't', data: 1 });
    scheduler.addStaticPeer(target(5001));
    const status = () => scheduler.peers()[0]!;
    await until('first failure', () => status().failures === 1);
    const retries: number[] = [];
    for (const expectedFailures of [2, 3, 4, 5]) {
      const delay = status().nextAttemptAt!.getTime() - clock.now();
      retries.push(delay);
      await clock.advance(delay - 1);
      expect(status().failures).toBe(expectedFailures - 1); // not a millisecond early
      await clock.advance(1);
      await until(`failure ${expectedFailures}`, () => status().failures === expectedFailures);
    }
    expect(retries).toEqual([1000, 2000, 4000, 4000]);
    expect(status()).toMatchObject({ state: 'backoff', source: 'static' });
    network.down.delete(5001);
    await clock.advance(4000);
    await until('recovered', async () => (await peer('peer-b').get('waiting')) !== undefined && status().state === 'idle');
    expect(status()).toMatchObject({ failures: 0, lastError: null, nextAttemptAt: new Date(clock.now() + 60_000) });
    const afterRecovery = rounds().length;
    await clock.advance(59_999);
    expect(rounds()).toHaveLength(afterRecovery);
    await clock.advance(1);
    await until('periodic round', () => rounds().length === afterRecovery + 1);
    expect(rounds().at(-1)).toMatchObject({ reason: 'interval', ok: true });
  });

  it('holds local writes for the push debounce window and sends them in one round', async () => {
    const clock = new ManualClock(0);
    const { scheduler, engine, peer, rounds } = setup('self', { 5001: 'peer-b' }, { clock, pushDebounceMs: 100 });
    scheduler.discovered('peer-b', 'B', target(5001));
    await until('idle', () => scheduler.peers()[0]?.state === 'idle');
    const before = rounds().length;
    for (let i = 0; i < 3; i++) {
      await engine.put({ id: `w${i}`, type: 't', data: i });
      await clock.advance(30);
    }
    expect(rounds()).toHaveLength(before);
    expect(await peer('peer-b').get('w0')).toBeUndefined();
    await clock.advance(10);
    await until('pushed', () => rounds().length === before + 1);
    expect(rounds().at(-1)).toMatchObject({ reason: 'push', pushed: 3 });
    expect(await peer('peer-b').get('w2')).toBeDefined();
  });

  it('defers a discovered peer that is syncing with us until its requests have been quiet for 250 ms', async () => {
    const clock = new ManualClock(1_000_000);
    const { engine, scheduler, peer, rounds } = setup('self', { 5001: 'peer-b' }, { clock });
    await peer('peer-b').put({ id: 'there', type: 't', data: 1 });
    scheduler.inboundActivity('peer-b');
    scheduler.discovered('peer-b', 'B', target(5001));
    await clock.advance(200);
    scheduler.inboundActivity('peer-b'); // still busy: the retry at 250 ms is deferred again
    await clock.advance(250);
    expect(rounds()).toHaveLength(0);
    expect(await engine.get('there')).toBeUndefined();
    await clock.advance(250);
    await until('the round once the peer is quiet', async () => (await engine.get('there')) !== undefined);
    expect(scheduler.peers()[0]).toMatchObject({ nodeId: 'peer-b', failures: 0 });
    expect(rounds()[0]).toMatchObject({ reason: 'interval', ok: true });
  });
});
