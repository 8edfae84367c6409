import { beforeEach, describe, expect, it } from 'vitest';
import { PeerTable, type PeerTableEvent } from './peer-table.js';
import type { AnnouncedService, ServiceAnnouncement } from './parse-response.js';

class ManualClock {
  time = 1_000_000;
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

const TIMEOUT = 90_000;

function service(nodeId: string, overrides: Partial<AnnouncedService> = {}): AnnouncedService {
  return {
    nodeId, name: `Node ${nodeId}`, protocolVersion: 1, tls: false, port: 5000, host: `${nodeId}.local`,
    addresses: ['10.0.0.1'], txt: { id: nodeId }, ...overrides,
  };
}

function announce(instance: string, svc?: AnnouncedService): ServiceAnnouncement {
  return svc === undefined ? { instance, goodbye: false, ttl: 90 } : { instance, goodbye: false, ttl: 90, service: svc };
}

const goodbye = (instance: string): ServiceAnnouncement => ({ instance, goodbye: true, ttl: 0 });

function summary(events: readonly PeerTableEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'peer-up': return `up ${e.peer.nodeId} ${e.peer.instance}`;
      case 'peer-updated': return `updated ${e.peer.nodeId}`;
      case 'peer-down': return `down ${e.peer.nodeId} ${e.peer.instance} ${e.reason}`;
      case 'conflict': return `conflict ${e.conflict.nodeId} ${e.conflict.current?.instance ?? 'self'} vs ${e.conflict.claimant.instance}`;
    }
  });
}

describe('PeerTable', () => {
  let clock: ManualClock;
  let table: PeerTable;

  beforeEach(() => {
    clock = new ManualClock();
    table = new PeerTable({ selfNodeId: 'me', selfInstance: 'me-1._trosyn._tcp.local', deviceTimeout: TIMEOUT, maxPeers: 8, clock });
  });

  it('reports a new node id as peer-up once, and refreshes silently', () => {
    expect(summary(table.observe(announce('a-1', service('a')), '10.0.0.1').events)).toEqual(['up a a-1']);
    clock.advance(10_000);
    expect(table.observe(announce('a-1', service('a')), '10.0.0.1').events).toEqual([]);
    const [peer] = table.peers();
    expect(peer).toMatchObject({ nodeId: 'a', instance: 'a-1', firstSeen: 1_000_000, lastSeen: 1_010_000, source: '10.0.0.1' });
    expect(Object.isFrozen(peer)).toBe(true);
  });

  it('ignores its own instance', () => {
    expect(table.observe(announce('me-1._trosyn._tcp.local', service('me')), '10.0.0.9')).toEqual({ outcome: 'self', events: [] });
    expect(table.size).toBe(0);
  });

  it('reports peer-updated with the previous state when address, port or TXT change', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    const moved = table.observe(announce('a-1', service('a', { addresses: ['10.0.0.1', 'fd00::1'] })), '10.0.0.1').events;
    expect(moved).toHaveLength(1);
    const event = moved[0]!;
    expect(event.type === 'peer-updated' && event.previous.addresses).toEqual(['10.0.0.1']);
    expect(event.type === 'peer-updated' && event.peer.addresses).toEqual(['10.0.0.1', 'fd00::1']);
    expect(summary(table.observe(announce('a-1', service('a', { addresses: ['10.0.0.1', 'fd00::1'], port: 6000 })), 'x').events)).toEqual(['updated a']);
    expect(summary(table.observe(announce('a-1', service('a', { addresses: ['10.0.0.1', 'fd00::1'], port: 6000, txt: { id: 'a', fp: 'z' } })), 'x').events)).toEqual(['updated a']);
  });

  it('does not report a change of source address alone (several interfaces)', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    expect(table.observe(announce('a-1', service('a')), '192.168.5.1').events).toEqual([]);
    expect(table.peers()[0]!.source).toBe('192.168.5.1');
  });

  it('times a peer out after deviceTimeout, not before', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    clock.advance(TIMEOUT - 1);
    expect(table.expire()).toEqual([]);
    expect(table.nextExpiry()).toBe(1_000_000 + TIMEOUT);
    clock.advance(1);
    expect(summary(table.expire())).toEqual(['down a a-1 timeout']);
    expect(table.peers()).toEqual([]);
    expect(table.nextExpiry()).toBeUndefined();
  });

  it('keeps a peer alive on a PTR-only refresh, and asks to resolve an unknown PTR', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    clock.advance(TIMEOUT - 1);
    expect(table.observe(announce('a-1'), '10.0.0.1')).toEqual({ outcome: 'applied', events: [] });
    clock.advance(10);
    expect(table.expire()).toEqual([]);
    expect(table.observe(announce('b-1'), '10.0.0.2').outcome).toBe('unresolved');
  });

  it('reports a goodbye at once, and treats a goodbye for an unknown instance as stale', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    expect(summary(table.observe(goodbye('a-1'), '10.0.0.1').events)).toEqual(['down a a-1 goodbye']);
    expect(table.observe(goodbye('a-1'), '10.0.0.1')).toEqual({ outcome: 'stale', events: [] });
  });

  it('comes back up after a timeout or goodbye', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    table.observe(goodbye('a-1'), '10.0.0.1');
    expect(summary(table.observe(announce('a-2', service('a')), '10.0.0.1').events)).toEqual(['up a a-2']);
  });

  it('sees a new instance on the same address and port as a restart (crash without goodbye)', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    clock.advance(5_000);
    const events = table.observe(announce('a-2', service('a', { host: 'other.local' })), '10.0.0.1').events;
    expect(summary(events)).toEqual(['down a a-1 restarted', 'up a a-2']);
    expect(table.get('a')!.instance).toBe('a-2');
  });

  it('reports two live instances with one node id as a conflict and does not merge them', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    const events = table.observe(announce('a-x', service('a', { addresses: ['10.0.0.66'] })), '10.0.0.66').events;
    expect(summary(events)).toEqual(['conflict a a-1 vs a-x']);
    const conflict = events[0]!.type === 'conflict' ? events[0]!.conflict : undefined;
    expect(conflict?.claimant.addresses).toEqual(['10.0.0.66']);
    // The held peer is untouched: not merged, not replaced.
    expect(table.get('a')).toMatchObject({ instance: 'a-1', addresses: ['10.0.0.1'] });
    expect(table.peers()).toHaveLength(1);
    // Reported once, not on every announcement of either side.
    expect(table.observe(announce('a-x', service('a', { addresses: ['10.0.0.66'] })), '10.0.0.66').events).toEqual([]);
    expect(table.observe(announce('a-1', service('a')), '10.0.0.1').events).toEqual([]);
  });

  it('promotes the claimant when the held instance leaves', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    table.observe(announce('a-x', service('a', { addresses: ['10.0.0.66'] })), '10.0.0.66');
    expect(summary(table.observe(goodbye('a-1'), '10.0.0.1').events)).toEqual(['down a a-1 goodbye', 'up a a-x']);
  });

  it('drops a claimant that says goodbye, without touching the held peer', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    table.observe(announce('a-x', service('a', { addresses: ['10.0.0.66'] })), '10.0.0.66');
    expect(table.observe(goodbye('a-x'), '10.0.0.66')).toEqual({ outcome: 'applied', events: [] });
    expect(table.size).toBe(1);
    expect(summary(table.observe(goodbye('a-1'), '10.0.0.1').events)).toEqual(['down a a-1 goodbye']);
  });

  it('promotes a live claimant after the held instance times out, and drops silent claimants', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    table.observe(announce('a-x', service('a', { addresses: ['10.0.0.66'] })), '10.0.0.66');
    clock.advance(TIMEOUT / 2);
    table.observe(announce('a-x', service('a', { addresses: ['10.0.0.66'] })), '10.0.0.66');
    clock.advance(TIMEOUT / 2);
    expect(summary(table.expire())).toEqual(['down a a-1 timeout', 'up a a-x']);
    clock.advance(TIMEOUT);
    expect(summary(table.expire())).toEqual(['down a a-x timeout']);
    expect(table.size).toBe(0);
  });

  it('turns a replaced instance that keeps announcing into a conflict instead of flapping', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    table.observe(announce('a-2', service('a')), '10.0.0.1'); // looks like a restart…
    const events = table.observe(announce('a-1', service('a')), '10.0.0.1').events; // …but a-1 is still alive
    expect(summary(events)).toEqual(['conflict a a-2 vs a-1']);
    expect(table.get('a')!.instance).toBe('a-2');
    expect(table.observe(announce('a-2', service('a')), '10.0.0.1').events).toEqual([]);
  });

  it('reports another instance claiming our own node id as a conflict with no current peer', () => {
    const events = table.observe(announce('impostor', service('me')), '10.0.0.5').events;
    expect(summary(events)).toEqual(['conflict me self vs impostor']);
    expect(table.peers()).toEqual([]);
  });

  it('moves an instance that changes its node id', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    expect(summary(table.observe(announce('a-1', service('b')), '10.0.0.1').events)).toEqual(['down a a-1 goodbye', 'up b a-1']);
    expect(table.peers().map((p) => p.nodeId)).toEqual(['b']);
  });

  it('refuses new instances beyond maxPeers', () => {
    for (let i = 0; i < 8; i++) expect(table.observe(announce(`n${i}`, service(`n${i}`)), 'x').outcome).toBe('applied');
    expect(table.observe(announce('n8', service('n8')), 'x')).toEqual({ outcome: 'full', events: [] });
    // Known peers still refresh.
    expect(table.observe(announce('n0', service('n0')), 'x').outcome).toBe('applied');
  });

  it('lists recently heard instances with their remaining TTL as known answers', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    clock.advance(20_000);
    table.observe(announce('b-1', service('b', { addresses: ['10.0.0.2'] })), '10.0.0.2');
    expect(table.knownAnswers(15_000)).toEqual([{ instance: 'b-1', ttl: 90 }]);
    expect(table.knownAnswers(30_000)).toEqual([{ instance: 'a-1', ttl: 70 }, { instance: 'b-1', ttl: 90 }]);
  });

  it('reports every peer down on clear', () => {
    table.observe(announce('a-1', service('a')), '10.0.0.1');
    table.observe(announce('b-1', service('b', { addresses: ['10.0.0.2'] })), '10.0.0.2');
    expect(summary(table.clear('stopped'))).toEqual(['down a a-1 stopped', 'down b b-1 stopped']);
    expect(table.size).toBe(0);
  });
});
