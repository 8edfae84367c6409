import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanCluster } from './lan-cluster.js';
import type { ApiItem, LanNode } from './lan-node.js';
import { waitForConvergence } from './wait-for-convergence.js';
import { waitForPeers } from './wait-for-peers.js';

// Office PCs drift; a node's clock a few minutes off (within LAN_SYNC_MAX_CLOCK_DRIFT) must not
// stop sync nor let a stale write win over one made after it was seen. The clocks are skewed
// with libfaketime (LD_PRELOAD), which moves Node's Date.now and performance.timeOrigin.
describe('LAN sync with nodes whose clocks are minutes off', { timeout: 90_000 }, () => {
  let cluster: LanCluster;
  let exact: LanNode;
  let ahead: LanNode;
  let behind: LanNode;
  let all: LanNode[];

  beforeAll(async () => {
    cluster = await LanCluster.create({ nodes: [{}, { clockOffset: '+3m' }, { clockOffset: '-4m' }], subnet: 3 });
    [exact, ahead, behind] = cluster.nodes as [LanNode, LanNode, LanNode];
    all = [exact, ahead, behind];
  }, 120_000);
  afterAll(async () => cluster?.dispose());

  it('really runs the skewed nodes on skewed clocks', async () => {
    // The HTTP Date header comes from the node process's own clock. (An HLC cannot show it: a node
    // adopts the highest clock it has seen from its peers.)
    for (const [node, offsetMs] of [[exact, 0], [ahead, 180_000], [behind, -240_000]] as const) {
      const before = Date.now();
      const response = await node.config.agent.fetch(`${node.apiUrl}/health`);
      const after = Date.now();
      const nodeTime = Date.parse(response.headers['date'] ?? '');
      // The header has 1 s resolution.
      expect(nodeTime, node.name).toBeGreaterThanOrEqual(before + offsetMs - 2_000);
      expect(nodeTime, node.name).toBeLessThanOrEqual(after + offsetMs + 1_000);
    }
    await Promise.all(all.map((node) => node.createItem({ id: `clock-${node.name}`, type: 'clock', data: {} })));
  });

  it('authenticates and converges', async () => {
    const ids = await Promise.all(all.map(async (node) => (await node.syncStatus()).node_id));
    for (const [index, node] of all.entries()) await waitForPeers(node, ids.filter((_, other) => other !== index));
    await waitForConvergence(all, { type: 'clock', count: 3 });
  });

  it('lets a later write on a slow clock win over the earlier write it has seen from a fast clock', async () => {
    const first = await ahead.createItem({ id: 'memo', type: 'skew', data: { text: 'from the fast clock' } });
    await waitForConvergence(all, { type: 'skew', count: 1 });
    // behind's wall clock is 7 minutes behind first's HLC; the HLC must still order its edit after.
    const second = await behind.updateItem('memo', { type: 'skew', data: { text: 'from the slow clock, later' } });
    expect(second.hlc > first.hlc).toBe(true);
    const converged = await waitForConvergence(all, { type: 'skew', count: 1 });
    expect(converged.get('memo')).toMatchObject({ data: second.data, hlc: second.hlc });
    // A causal overwrite is not a conflict.
    for (const node of all) expect(JSON.stringify(await node.conflicts())).not.toContain('"memo"');
  });

  it('resolves concurrent edits the same way on every node', async () => {
    await exact.createItem({ id: 'agenda', type: 'skew-conflict', data: { text: 'original' } });
    await waitForConvergence(all, { type: 'skew-conflict', count: 1 });
    ahead.config.host.linkDown();
    let edits: ApiItem[];
    try {
      edits = [
        await ahead.updateItem('agenda', { type: 'skew-conflict', data: { text: 'fast clock' } }),
        await behind.updateItem('agenda', { type: 'skew-conflict', data: { text: 'slow clock' } }),
      ];
    } finally {
      ahead.config.host.linkUp();
    }
    const winner = edits[0]!.hlc > edits[1]!.hlc ? edits[0]! : edits[1]!;
    const converged = await waitForConvergence(all, { type: 'skew-conflict', count: 1, timeoutMs: 40_000 });
    expect(converged.get('agenda')?.data).toEqual(winner.data);
    for (const node of all) expect(JSON.stringify(await node.conflicts())).toContain('agenda');
  });
});
