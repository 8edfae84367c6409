import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, createResponder, createSessionStore, deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { SyncEngine } from '@trosyn/sync-core';
import { silentLogger } from '../../src/logger.js';
import { HttpSyncTransport } from '../../src/sync/http-sync-transport.js';
import type { StreamRequestHandler } from '../../src/sync/sealed-stream-route.js';
import { createSyncApp, listenSyncServer } from '../../src/sync/sync-server.js';

// The transport's session lifetime in virtual time: both ends read one injected clock, over real
// HTTP on 127.0.0.1, so expiry and renewal are reached without waiting ten minutes.
const networkKey = await deriveNetworkKey('session-renewal secret, not the default', { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(options: { sessionTtlMs: number; renewBeforeMs: number; streamRequests?: StreamRequestHandler }) {
  const clock = { now: 1_700_000_000_000 };
  const now = () => clock.now;
  const responder = new SyncEngine({ database: ':memory:', nodeId: 'responder' });
  await responder.put({ id: 'x', type: 't', data: 1 });
  const handshake = createResponder({ networkKey, nodeId: 'responder', clock: now, sessionTtlMs: options.sessionTtlMs });
  const sessions = createSessionStore();
  const app = createSyncApp({
    responder,
    handshake,
    sessions,
    nodeId: 'responder',
    nodeName: 'responder',
    logger: silentLogger,
    handshakeLimiter: createRateLimiter({ capacity: 100, refillPerSecond: 100 }),
    failureLimiter: createRateLimiter({ capacity: 5, refillPerSecond: 0.1 }),
    maxMessageBytes: 1024 * 1024,
    now,
    ...(options.streamRequests === undefined ? {} : { streamRequests: options.streamRequests }),
  });
  const server = await listenSyncServer(app, { host: '127.0.0.1', port: 0 });
  const handshakes: string[] = [];
  const transport = new HttpSyncTransport({
    url: server.url,
    networkKey,
    nodeId: 'requester',
    expectedPeerNodeId: 'responder',
    renewBeforeMs: options.renewBeforeMs,
    now,
    onEvent: (event) => {
      if (event.type === 'handshake') handshakes.push(event.outcome);
    },
  });
  cleanups.push(async () => {
    transport.close();
    await server.close();
    sessions.dispose();
    handshake.dispose();
    await responder.dispose();
  });
  const requester = new SyncEngine({ database: ':memory:', nodeId: 'requester' });
  cleanups.push(() => requester.dispose());
  const pull = async () => {
    const report = await requester.syncWith('responder', transport);
    expect(report.error).toBeNull();
    return report;
  };
  return { clock, transport, handshakes, pull };
}

/**
 * Streamed answers of two messages each, named by the request: the second waits until the test
 * calls the answer's gate (`gates.get(name)!()`), so a test decides when each stream ends.
 */
function gatedStreams(): { readonly gates: Map<string, () => void>; readonly streamRequests: StreamRequestHandler } {
  const gates = new Map<string, () => void>();
  const streamRequests: StreamRequestHandler = {
    async *answer(request) {
      const name = (request as { name: string }).name;
      yield { name, part: 1 };
      await new Promise<void>((resolve) => gates.set(name, resolve));
      yield { name, part: 2 };
    },
  };
  return { gates, streamRequests };
}

describe('HttpSyncTransport sessions (injected clock)', () => {
  it('renews its session shortly before it expires, without a refused request', async () => {
    const { clock, transport, handshakes, pull } = await pair({ sessionTtlMs: 60_000, renewBeforeMs: 10_000 });
    expect(await transport.connect()).toBe('responder');
    await pull();
    clock.now += 49_000; // 11 s left: the session is kept
    await pull();
    expect(handshakes).toEqual(['ok']);
    clock.now += 2_000; // 9 s left: renewed before the request goes out
    expect(transport.connected).toBe(true);
    await pull();
    expect(handshakes).toEqual(['ok', 'ok']);
    expect(transport.connected).toBe(true);
  });

  it('replaces a session that expired while idle with a new handshake before the next request', async () => {
    const { clock, transport, handshakes, pull } = await pair({ sessionTtlMs: 60_000, renewBeforeMs: 0 });
    await transport.connect();
    clock.now += 61_000;
    expect(transport.connected).toBe(false);
    expect((await pull()).pulled.changes).toBe(1);
    expect(handshakes).toEqual(['ok', 'ok']);
    expect(transport.connected).toBe(true);
  });

  it('lets a streamed answer running on a session finish on it when a new request renews the session', async () => {
    const { gates, streamRequests } = gatedStreams();
    const { clock, transport, handshakes } = await pair({ sessionTtlMs: 60_000, renewBeforeMs: 10_000, streamRequests });
    const first = transport.requestStream({ name: 'first' }, undefined);
    expect((await first.next()).value).toEqual({ name: 'first', part: 1 });
    clock.now += 51_000; // 9 s left: the next request renews the session
    const second = transport.requestStream({ name: 'second' }, undefined);
    expect((await second.next()).value).toEqual({ name: 'second', part: 1 });
    expect(handshakes).toEqual(['ok', 'ok']);
    // The first stream still reads the session it started on (renewal did not wipe it).
    gates.get('first')!();
    expect((await first.next()).value).toEqual({ name: 'first', part: 2 });
    expect((await first.next()).done).toBe(true);
    gates.get('second')!();
    expect((await second.next()).value).toEqual({ name: 'second', part: 2 });
    expect((await second.next()).done).toBe(true);
  });

  it('lets a streamed answer that started within its session\'s life run past the session\'s expiry to its end', async () => {
    const { gates, streamRequests } = gatedStreams();
    const { clock, transport, handshakes } = await pair({ sessionTtlMs: 60_000, renewBeforeMs: 10_000, streamRequests });
    await transport.connect();
    clock.now += 45_000; // the session has 15 s left when the long answer starts
    const long = transport.requestStream({ name: 'long' }, undefined);
    expect((await long.next()).value).toEqual({ name: 'long', part: 1 });
    clock.now += 40_000; // its session expired 25 s ago; the answer goes on
    gates.get('long')!();
    expect((await long.next()).value).toEqual({ name: 'long', part: 2 });
    expect((await long.next()).done).toBe(true);
    // A new request never goes out on the expired session: it runs a new handshake.
    const next = transport.requestStream({ name: 'next' }, undefined);
    expect((await next.next()).value).toEqual({ name: 'next', part: 1 });
    expect(handshakes).toEqual(['ok', 'ok']);
    gates.get('next')!();
    expect((await next.next()).value).toEqual({ name: 'next', part: 2 });
  });

  it('cuts a streamed answer one session lifetime after it started', async () => {
    const { gates, streamRequests } = gatedStreams();
    const { clock, transport } = await pair({ sessionTtlMs: 60_000, renewBeforeMs: 10_000, streamRequests });
    const endless = transport.requestStream({ name: 'endless' }, undefined);
    expect((await endless.next()).value).toEqual({ name: 'endless', part: 1 });
    clock.now += 60_001; // one lifetime after the answer started: its hold is over
    gates.get('endless')!();
    await expect(endless.next()).rejects.toThrow(/cut the streamed answer|expired/);
  });
});
