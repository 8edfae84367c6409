import { describe, expect, it } from 'vitest';
import { PeerRegistry, type PeerTarget } from './peer-registry.js';

// Links are plain records here: the registry is tested without connections, timers or a clock.
interface FakeLink {
  target: PeerTarget;
  expected: string | undefined;
  closed: boolean;
  readdressed: number;
}

function registry(self = 'self') {
  const links: FakeLink[] = [];
  const peers = new PeerRegistry<FakeLink>(self, {
    open: (target, expected) => {
      const link = { target, expected, closed: false, readdressed: 0 };
      links.push(link);
      return link;
    },
    readdress: (link, target, expected) => {
      Object.assign(link, { target, expected, readdressed: link.readdressed + 1 });
    },
    close: (link) => {
      link.closed = true;
    },
  });
  return { peers, links };
}

const at = (port: number, host = '10.0.0.2'): PeerTarget => ({ host, port, tls: false });

describe('PeerRegistry', () => {
  it('keys peers by source, ignores this node and a configured address given twice', () => {
    const { peers, links } = registry();
    expect(peers.discovered('self', 'me', at(5000))).toBeUndefined();
    expect(peers.addStatic(at(5000, 'fe80::2'))?.key).toBe('static:[fe80::2]:5000');
    expect(peers.addStatic(at(5000, 'fe80::2'))).toBeUndefined();
    expect(peers.discovered('b', 'B', at(5001))).toMatchObject({ round: 'now', isNew: true, entry: { key: 'mdns:b', nodeId: 'b', state: 'candidate' } });
    expect(peers.inbound('c', at(5002))).toMatchObject({ round: 'interval', isNew: true, entry: { key: 'inbound:10.0.0.2:5002' } });
    expect(peers.inbound('self', at(5003))).toBeUndefined();
    // A configured peer's node is not known in advance: its handshake must not expect one.
    expect(links.map((link) => link.expected)).toEqual([undefined, 'b', 'c']);
    expect(peers.snapshots().map((peer) => peer.address)).toEqual(['[fe80::2]:5000', '10.0.0.2:5001', '10.0.0.2:5002']);
  });

  it('asks for a round on discovery only when the peer is new, offline, or not yet authenticated', () => {
    const { peers, links } = registry();
    const { entry } = peers.discovered('b', 'B', at(5001))!;
    expect(peers.discovered('b', 'B', at(5001))?.round).toBe('now'); // not authenticated yet
    peers.identify(entry, 'b');
    expect(peers.discovered('b', 'B2', at(5001))).toBeUndefined(); // only an update
    expect(entry.name).toBe('B2');
    expect(peers.lost('b')?.state).toBe('offline');
    expect(peers.reachable()).toHaveLength(0);
    expect(peers.discovered('b', 'B2', at(5001))).toMatchObject({ round: 'now', isNew: false, entry: { state: 'candidate' } });
    expect(links[0]!.readdressed).toBe(0);
  });

  it('re-points the link of a discovered peer that moved, and of an inbound-only node at a new address', () => {
    const { peers, links } = registry();
    const discovered = peers.discovered('b', 'B', at(5001))!.entry;
    peers.identify(discovered, 'b');
    expect(peers.discovered('b', 'B', at(6001))).toMatchObject({ round: 'now', entry: { authenticated: false } });
    expect(links[0]).toMatchObject({ readdressed: 1, expected: 'b', target: at(6001) });

    const inbound = peers.inbound('c', at(5002))!.entry;
    expect(peers.inbound('c', at(5002))).toBeUndefined(); // same address: nothing new
    peers.failed(inbound, { code: 'unreachable', message: 'down' }, 'backoff', 1);
    expect(peers.inbound('c', at(5003))).toMatchObject({ round: 'now', isNew: false, entry: { state: 'candidate', target: at(5003) } });
    expect(peers.snapshots()).toHaveLength(2);
  });

  it('lets a configured address that reached a known node absorb that entry (one entry per node)', () => {
    const { peers, links } = registry();
    const inbound = peers.inbound('b', at(5001))!.entry;
    const configured = peers.addStatic(at(5001))!;
    expect(peers.identify(configured, 'b')).toEqual({ absorbed: inbound, authenticated: true });
    expect(inbound.removed).toBe(true);
    expect(links[0]!.closed).toBe(true);
    expect(peers.snapshots()).toMatchObject([{ source: 'static', nodeId: 'b' }]);
    expect(peers.byNodeId('b')).toBe(configured);
    // Known from a configured address, a later discovery reuses that entry.
    expect(peers.discovered('b', 'B', at(5001))).toMatchObject({ entry: configured, isNew: false, round: 'now' });
    expect(peers.identify(configured, 'b')).toEqual({ absorbed: undefined, authenticated: false });
  });

  it('a discovered entry never absorbs another: only configured addresses do', () => {
    const { peers } = registry();
    const first = peers.discovered('b', 'B', at(5001))!.entry;
    const configured = peers.addStatic(at(5009))!;
    expect(peers.identify(first, 'b').absorbed).toBeUndefined();
    expect(peers.snapshots()).toHaveLength(2);
    expect(configured.removed).toBe(false);
  });

  it('records failures and successes at the times it is given', () => {
    const { peers } = registry();
    const entry = peers.addStatic(at(5001))!;
    expect(peers.failed(entry, { code: 'unreachable', message: 'no route' }, 'backoff', 1_000)).toBe(1);
    expect(peers.failed(entry, { code: 'http-status', message: '401' }, 'refused', 2_000)).toBe(2);
    expect(peers.snapshots()[0]).toMatchObject({ state: 'refused', failures: 2, lastError: { code: 'http-status', at: new Date(2_000) } });
    entry.state = 'syncing';
    expect(peers.succeeded(entry, 3_000)).toBe(true);
    expect(peers.snapshots()[0]).toMatchObject({ state: 'idle', failures: 0, lastError: null, lastSyncAt: new Date(3_000) });
    expect(peers.failed(entry, { code: 'handshake-refused', message: 'own id' }, 'self', 4_000)).toBe(1);
    expect(peers.snapshots()[0]).toMatchObject({ state: 'self', nextAttemptAt: null });
    expect(peers.reachable()).toHaveLength(0);
  });

  it('keeps an offline peer offline through a failure and a success', () => {
    const { peers } = registry();
    const { entry } = peers.discovered('b', 'B', at(5001))!;
    peers.lost('b');
    peers.failed(entry, { code: 'unreachable', message: 'gone' }, 'backoff', 1);
    expect(entry.state).toBe('offline');
    expect(peers.succeeded(entry, 2)).toBe(false);
    expect(entry.state).toBe('offline');
  });

  it('finds a peer to sync with by node id or by address', () => {
    const { peers } = registry();
    peers.discovered('b', 'B', at(5001));
    peers.addStatic(at(5002, '::1'));
    expect(peers.reachable('b').map((entry) => entry.key)).toEqual(['mdns:b']);
    expect(peers.reachable('[::1]:5002').map((entry) => entry.key)).toEqual(['static:[::1]:5002']);
    expect(peers.reachable('nobody')).toEqual([]);
  });
});
