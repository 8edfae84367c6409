import { describe, expect, it } from 'vitest';
import {
  addPushTargets,
  deferForInbound,
  INBOUND_QUIET_MS,
  pickPeerHost,
  pushOnlyPosition,
  queuedReason,
  receivesPush,
  retriesOnInbound,
  retryDelayMs,
  stateAfterFailure,
  withJitter,
  type RoundReason,
} from './round-policy.js';

const backoff = { backoffBaseMs: 1000, backoffMaxMs: 60_000 };

describe('round policy', () => {
  it('doubles the retry delay per failure up to the cap; a refusal waits the longest at once', () => {
    expect([1, 2, 3, 4, 6, 7, 8, 100].map((failures) => retryDelayMs(failures, false, backoff))).toEqual([1000, 2000, 4000, 8000, 32_000, 60_000, 60_000, 60_000]);
    expect(retryDelayMs(1, true, backoff)).toBe(60_000);
    expect(retryDelayMs(0, false, backoff)).toBe(1000);
  });

  it('jitters by ±10 %', () => {
    expect(withJitter(1000, 0)).toBe(900);
    expect(withJitter(1000, 0.5)).toBe(1000);
    expect(withJitter(1000, 0.999_999)).toBe(1100);
  });

  it('defers a scheduled round while the peer runs one with us, never a live one, and at most one interval', () => {
    const at = (now: number, reason: RoundReason = 'interval', deferredSince?: number) => deferForInbound({ reason, lastInboundAt: 10_000, deferredSince, now, intervalMs: 30_000 });
    expect(at(10_100)).toEqual({ defer: true, deferredSince: 10_100 });
    expect(at(10_000 + INBOUND_QUIET_MS)).toEqual({ defer: false, deferredSince: undefined });
    for (const reason of ['push', 'queued', 'sync-now'] as const) expect(at(10_100, reason).defer).toBe(false);
    // Waiting since long ago: the peer keeps syncing with us, but our round is due.
    expect(at(10_100, 'interval', 10_100 - 30_000)).toEqual({ defer: false, deferredSince: undefined });
    expect(at(10_100, 'interval', 9_000)).toEqual({ defer: true, deferredSince: 9_000 });
    expect(deferForInbound({ reason: 'interval', lastInboundAt: undefined, deferredSince: undefined, now: 100, intervalMs: 30_000 }).defer).toBe(false);
  });

  it('tells this node, a refusal and a plain failure apart', () => {
    expect(stateAfterFailure({ code: 'handshake-refused', remoteCode: 'unexpected-peer', staticPeer: true })).toBe('self');
    expect(stateAfterFailure({ code: 'handshake-refused', remoteCode: 'unexpected-peer', staticPeer: false })).toBe('backoff');
    expect(stateAfterFailure({ code: 'handshake-refused', remoteCode: 'authentication-failed', staticPeer: true })).toBe('refused');
    expect(stateAfterFailure({ code: 'remote-error', remoteCode: 'rate-limited', staticPeer: false })).toBe('refused');
    expect(stateAfterFailure({ code: undefined, remoteCode: undefined, staticPeer: false })).toBe('backoff');
  });

  it('reaches a discovered peer by its IPv4 source, else an announced address', () => {
    expect(pickPeerHost('192.168.1.20', ['fe80::1'])).toBe('192.168.1.20');
    expect(pickPeerHost('fe80::2', ['fe80::1', '10.0.0.5'])).toBe('10.0.0.5');
    expect(pickPeerHost('fe80::2', ['fe80::1'])).toBe('fe80::1');
    expect(pickPeerHost('fe80::2', [])).toBe('fe80::2');
  });

  it('coalesces pushes: a local change to every peer, a received one to every other peer', () => {
    const peers = [
      { key: 'mdns:b', nodeId: 'b' },
      { key: 'mdns:c', nodeId: 'c' },
      { key: 'static:10.0.0.9:5000', nodeId: undefined },
    ];
    expect(addPushTargets(undefined, undefined, peers)).toBe('all');
    const fromB = addPushTargets(undefined, 'b', peers);
    expect([...(fromB as Set<string>)].sort()).toEqual(['mdns:c', 'static:10.0.0.9:5000']);
    expect([...(addPushTargets(fromB, 'c', peers) as Set<string>)].sort()).toEqual(['mdns:b', 'mdns:c', 'static:10.0.0.9:5000']);
    expect(addPushTargets('all', 'b', peers)).toBe('all');
    expect(addPushTargets(fromB, undefined, peers)).toBe('all');
  });

  it('pushes only to peers it can reach, and runs one full round for mixed queued requests', () => {
    for (const state of ['idle', 'syncing', 'connecting'] as const) expect(receivesPush(state, 'mdns')).toBe(true);
    for (const state of ['backoff', 'refused', 'offline', 'self', 'candidate'] as const) expect(receivesPush(state, 'mdns')).toBe(false);
    expect(receivesPush('candidate', 'inbound')).toBe(true);
    expect(queuedReason(undefined, 'push')).toBe('push');
    expect(queuedReason('push', 'push')).toBe('push');
    expect(queuedReason('push', 'interval')).toBe('queued');
  });

  it('pushes a live change alone only to a peer in good standing, and reads its position only then', () => {
    let reads = 0;
    const position = () => {
      reads += 1;
      return { seq: 42 };
    };
    expect(pushOnlyPosition({ reason: 'push', failures: 0, lastSyncAt: 1 }, position)).toEqual({ seq: 42 });
    expect(reads).toBe(1);
    expect(pushOnlyPosition({ reason: 'push', failures: 1, lastSyncAt: 1 }, position)).toBeUndefined(); // failing since
    expect(pushOnlyPosition({ reason: 'push', failures: 0, lastSyncAt: null }, position)).toBeUndefined(); // never synced
    for (const reason of ['interval', 'queued', 'sync-now', 'discovered'] as const) expect(pushOnlyPosition({ reason, failures: 0, lastSyncAt: 1 }, position)).toBeUndefined();
    expect(reads).toBe(1);
    expect(pushOnlyPosition({ reason: 'push', failures: 0, lastSyncAt: 1 }, () => undefined)).toBeUndefined(); // position unknown: full round
  });

  it('brings a retry forward on a request from the peer once per run of failures, never during a round', () => {
    expect(retriesOnInbound({ state: 'backoff', retriedOnInbound: false }, false)).toBe(true);
    expect(retriesOnInbound({ state: 'backoff', retriedOnInbound: true }, false)).toBe(false);
    expect(retriesOnInbound({ state: 'backoff', retriedOnInbound: false }, true)).toBe(false);
    for (const state of ['idle', 'refused', 'offline', 'candidate'] as const) expect(retriesOnInbound({ state, retriedOnInbound: false }, false)).toBe(false);
  });
});
