import { afterAll, describe, expect, it } from 'vitest';
import { countItems } from './count-items.js';
import { LanCluster } from './lan-cluster.js';
import type { LanNode } from './lan-node.js';
import { seedItems } from './seed-items.js';
import { waitForConvergence } from './wait-for-convergence.js';

const TOTAL = 20_000;

describe('a node killed with SIGKILL in the middle of a large initial sync', { timeout: 180_000 }, () => {
  let cluster: LanCluster | undefined;
  afterAll(async () => cluster?.dispose());

  it('restarts on the same data directory and converges with nothing lost', async () => {
    cluster = await LanCluster.create({ nodes: [{ env: { LAN_SYNC_NODE_ID: 'crash-source' } }, {}], subnet: 2, start: false });
    const [source, target] = cluster.nodes as [LanNode, LanNode];
    await seedItems(source.config.dataDir, 'crash-source', TOTAL, 'bulk');
    await source.start();
    await target.start();
    const targetId = (await target.syncStatus()).node_id;

    // Writes the target acknowledged before the crash must survive it.
    const local = [];
    for (let i = 0; i < 20; i++) local.push(await target.createItem({ id: `before-crash-${i}`, type: 'local', data: { i } }));

    // Kill as soon as the first pages have landed, long before the last.
    const deadline = Date.now() + 60_000;
    let landed: number;
    while ((landed = countItems(target.config.dataDir, 'bulk')) === 0) {
      if (Date.now() > deadline) throw new Error('the initial sync did not start within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await target.kill();
    const durable = countItems(target.config.dataDir, 'bulk');
    expect(landed, 'killed mid-sync').toBeLessThan(TOTAL);
    // Every page committed before the kill is still there (and no partial page appears later).
    expect(durable).toBeGreaterThanOrEqual(landed);
    expect(durable).toBeLessThan(TOTAL);

    await target.start();
    expect((await target.syncStatus()).node_id).toBe(targetId);
    const restartDeadline = Date.now() + 90_000;
    while (countItems(target.config.dataDir, 'bulk') < TOTAL || countItems(source.config.dataDir, 'local') < local.length) {
      if (Date.now() > restartDeadline) throw new Error(`no catch-up after restart: target has ${countItems(target.config.dataDir, 'bulk')}/${TOTAL}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const bulk = await waitForConvergence([source, target], { type: 'bulk', count: TOTAL, timeoutMs: 30_000 });
    expect(bulk.get('bulk-0019999')?.data).toMatchObject({ n: 19_999 });
    const survivors = await waitForConvergence([source, target], { type: 'local', count: local.length, timeoutMs: 30_000 });
    for (const item of local) expect(survivors.get(item.id)).toMatchObject({ data: item.data, hlc: item.hlc, node_id: targetId });
  });
});
