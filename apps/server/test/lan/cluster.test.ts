import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanCluster } from './lan-cluster.js';
import type { ApiItem, LanNode } from './lan-node.js';
import { waitForConvergence } from './wait-for-convergence.js';
import { waitForPeers } from './wait-for-peers.js';

// Three office nodes with the same secret, found by mDNS on a bridged namespace LAN, and a
// fourth with a wrong secret on the same LAN. The scenarios run in order on the same nodes;
// each writes its own item type, so convergence checks of one do not see another's items.
describe('LAN sync between server processes (mDNS, shared secret)', { timeout: 90_000 }, () => {
  let cluster: LanCluster;
  let n1: LanNode;
  let n2: LanNode;
  let n3: LanNode;
  let intruder: LanNode;
  let good: LanNode[];
  const ids = new Map<LanNode, string>();
  let intruderItem: ApiItem;

  beforeAll(async () => {
    cluster = await LanCluster.create({ nodes: [{}, {}, {}, { secret: 'a-different-secret-of-another-office' }], subnet: 1 });
    [n1, n2, n3, intruder] = cluster.nodes as [LanNode, LanNode, LanNode, LanNode];
    good = [n1, n2, n3];
    for (const node of cluster.nodes) ids.set(node, (await node.syncStatus()).node_id);
    intruderItem = await intruder.createItem({ id: 'intruder-item', type: 'intruder', data: { text: 'written on the node with the wrong secret' } });
  }, 120_000);
  afterAll(async () => cluster?.dispose());

  /** The node ids of `nodes`. */
  const idsOf = (...nodes: LanNode[]): string[] => nodes.map((node) => ids.get(node)!);

  it('discovers and authenticates the nodes that share the secret, and converges', async () => {
    expect(new Set(idsOf(...cluster.nodes)).size).toBe(4);
    for (const node of good) {
      const others = good.filter((other) => other !== node);
      const peers = await waitForPeers(node, idsOf(...others));
      // A peer is known from mDNS, or (when it was quicker) from its own handshake to this node.
      for (const peer of peers) expect(['mdns', 'inbound']).toContain(peer.source);
      expect(peers.map((peer) => peer.address)).toEqual(others.map((other) => expect.stringContaining(other.address)));
      for (const other of others) {
        expect(node.logsWhere((line) => line.event === 'peer-authenticated' && line['peer_id'] === ids.get(other)).length).toBeGreaterThan(0);
      }
    }
    // No static peers are configured: every contact started with an mDNS discovery (a node that
    // came up last may know all of its peers from their handshakes, so this is cluster-wide).
    expect(good.flatMap((node) => node.logsWhere((line) => line.event === 'peer-discovered' && line['source'] === 'mdns')).length).toBeGreaterThan(0);
    const written = await Promise.all(good.map((node, index) => node.createItem({ id: `hello-${index + 1}`, type: 'discover', data: { from: node.name, n: index } })));
    const converged = await waitForConvergence(good, { type: 'discover', count: 3 });
    for (const item of written) expect(converged.get(item.id)).toMatchObject({ data: item.data, hlc: item.hlc, node_id: item.node_id, version: item.version });
  });

  it('shows a write on one node on the others within a second', async () => {
    const delays: number[] = [];
    for (const [index, writer] of good.entries()) {
      const readers = good.filter((node) => node !== writer);
      const data = { text: `live write ${index}`, at: Date.now() };
      const started = performance.now();
      const item = await writer.createItem({ id: `live-${index}`, type: 'live', data });
      await Promise.all(readers.map(async (reader) => {
        for (;;) {
          const seen = await reader.getItem(item.id);
          if (seen !== undefined) {
            expect(seen.data).toEqual(data);
            delays.push(performance.now() - started);
            return;
          }
          if (performance.now() - started > 5_000) throw new Error(`${reader.name} has not seen ${item.id} after 5 s`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }));
    }
    expect(delays).toHaveLength(6);
    // Generous on a shared 2-core machine; the benchmark measures the real figure.
    expect(Math.max(...delays)).toBeLessThan(1_000);
  });

  it('keeps accepting writes on a node that is cut off, and catches up when it is back', async () => {
    n3.config.host.linkDown();
    try {
      const offline = [];
      for (let i = 0; i < 5; i++) offline.push(await n3.createItem({ id: `offline-n3-${i}`, type: 'partition', data: { i, side: 'n3' } }));
      const online = [];
      for (let i = 0; i < 5; i++) online.push(await n1.createItem({ id: `online-n1-${i}`, type: 'partition', data: { i, side: 'n1' } }));
      // The cut is real: n2 gets n1's writes but not n3's, and n3 gets nothing.
      await waitForConvergence([n1, n2], { type: 'partition', count: 5 });
      expect(await n2.getItem('offline-n3-0')).toBeUndefined();
      expect((await n3.listAll({ type: 'partition' })).map((item) => item.id).sort()).toEqual(offline.map((item) => item.id).sort());
    } finally {
      n3.config.host.linkUp();
    }
    const converged = await waitForConvergence(good, { type: 'partition', count: 10, timeoutMs: 40_000 });
    expect([...converged.values()].filter((item) => item.node_id === ids.get(n3))).toHaveLength(5);
  });

  it('resolves edits made on both sides of a partition last-write-wins, and logs the conflict on every node', async () => {
    await n1.createItem({ id: 'contested', type: 'conflict', data: { text: 'original' } });
    await waitForConvergence(good, { type: 'conflict', count: 1 });
    n3.config.host.linkDown();
    let edits: ApiItem[];
    try {
      edits = [
        await n1.updateItem('contested', { type: 'conflict', data: { text: 'edited on node-1' } }),
        await n3.updateItem('contested', { type: 'conflict', data: { text: 'edited on node-3' } }),
      ];
    } finally {
      n3.config.host.linkUp();
    }
    // (HLC, node id): the HLC string ends with the node id and is fixed width up to it.
    const winner = edits[0]!.hlc > edits[1]!.hlc ? edits[0]! : edits[1]!;
    const converged = await waitForConvergence(good, { type: 'conflict', count: 1, timeoutMs: 40_000 });
    expect(converged.get('contested')).toMatchObject({ data: winner.data, deleted: false });
    for (const node of good) {
      const logged = (await node.conflicts()).filter((conflict) => JSON.stringify(conflict).includes('contested'));
      expect(logged.length, `conflict log of ${node.name}`).toBeGreaterThan(0);
      // Both versions are in the log for review.
      const text = JSON.stringify(logged);
      expect(text).toContain('edited on node-1');
      expect(text).toContain('edited on node-3');
    }
  });

  it('lets a deletion beat a concurrent, later edit', async () => {
    await n1.createItem({ id: 'doomed', type: 'delete-wins', data: { text: 'original' } });
    await waitForConvergence(good, { type: 'delete-wins', count: 1 });
    n3.config.host.linkDown();
    let edit: ApiItem;
    try {
      await n3.deleteItem('doomed');
      // The edit comes later, so its HLC is higher: only the delete-wins rule can make it lose.
      await new Promise((resolve) => setTimeout(resolve, 50));
      edit = await n1.updateItem('doomed', { type: 'delete-wins', data: { text: 'edited after the delete' } });
    } finally {
      n3.config.host.linkUp();
    }
    const converged = await waitForConvergence(good, { type: 'delete-wins', count: 1, timeoutMs: 40_000 });
    expect(converged.get('doomed')?.deleted).toBe(true);
    for (const node of good) {
      expect(await node.getItem('doomed')).toBeUndefined();
      expect(JSON.stringify(await node.conflicts())).toContain('doomed');
    }
    // The losing edit is kept where it was made, for recovery.
    expect(JSON.stringify(await n1.history('doomed'))).toContain((edit.data as { text: string }).text);
  });

  it('refuses the node with the wrong secret: it gets no data and gives none', async () => {
    const intruderId = ids.get(intruder)!;
    // By now it has been discovered and has tried (and been tried) many times.
    // Each side refuses the other: its proof fails here, ours fails there.
    for (const node of good) {
      expect(node.logsWhere((line) => line.event === 'auth-failed' && line['address'] === intruder.address).length, node.name).toBeGreaterThan(0);
      expect(intruder.logsWhere((line) => line.event === 'auth-failed' && line['address'] === node.address).length, node.name).toBeGreaterThan(0);
    }
    expect((await intruder.listAll()).map((item) => item.id)).toEqual([intruderItem.id]);
    for (const node of good) {
      expect(await node.getItem(intruderItem.id)).toBeUndefined();
      const status = await node.syncStatus();
      expect(status.peers.filter((peer) => peer.peer_id === intruderId && peer.last_sync_at !== null)).toEqual([]);
    }
    expect((await intruder.syncStatus()).peers.filter((peer) => peer.last_sync_at !== null)).toEqual([]);
  });
});
