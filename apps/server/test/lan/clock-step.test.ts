import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanCluster } from './lan-cluster.js';
import type { LanNode } from './lan-node.js';
import { waitForConvergence } from './wait-for-convergence.js';
import { waitForPeers } from './wait-for-peers.js';

// Issue #20: a node booted with its clock 700 s behind, then corrected while it runs (as NTP does
// after boot), kept its wrong idea of "now" (the HLC read performance.timeOrigin + now(), fixed at
// start): it refused every peer's write as too far ahead and sat in backoff until restarted.
// libfaketime steps the node's system clock (not its monotonic clock) through a file.
describe('LAN sync across a clock step on a running node', { timeout: 180_000 }, () => {
  let cluster: LanCluster;
  let exact: LanNode;
  let stepped: LanNode;
  let other: LanNode;
  let all: LanNode[];

  beforeAll(async () => {
    // LAN_SYNC_MAX_CLOCK_DRIFT is 600 s by default: 700 s is beyond it.
    cluster = await LanCluster.create({ nodes: [{}, { steppableClock: true, clockOffset: '-700s' }, {}], subnet: 5 });
    [exact, stepped, other] = cluster.nodes as [LanNode, LanNode, LanNode];
    all = [exact, stepped, other];
  }, 120_000);
  afterAll(async () => cluster?.dispose());

  it('refuses to sync while the clock is 700 s behind, and converges once it is corrected, without a restart', async () => {
    await exact.createItem({ id: 'before-correction-a', type: 'step', data: { from: 'exact' } });
    await other.createItem({ id: 'before-correction-c', type: 'step', data: { from: 'other' } });
    await stepped.createItem({ id: 'before-correction-b', type: 'step', data: { from: 'stepped' } });
    await waitForConvergence([exact, other], { type: 'step', count: 2 });
    // The skewed node and its peers do not sync: handshakes are refused as out of the clock window.
    await stepped.waitForLog((line) => line.event === 'sync-failed', { timeoutMs: 20_000 });
    expect(await stepped.getItem('before-correction-a')).toBeUndefined();
    const pid = stepped.pid;

    const fromLine = stepped.logs.length;
    stepped.stepClock('+0');
    const step = await stepped.waitForLog((line) => line.event === 'clock-stepped', { fromIndex: fromLine, timeoutMs: 10_000 });
    expect(step['step_ms'] as number).toBeGreaterThan(690_000);
    const started = Date.now();
    await waitForConvergence(all, { type: 'step', count: 3, timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stepped.pid).toBe(pid);
  });

  it('follows a step backwards and forwards again while running', async () => {
    const ids = await Promise.all(all.map(async (node) => (await node.syncStatus()).node_id));
    for (const [index, node] of all.entries()) await waitForPeers(node, ids.filter((_, o) => o !== index));
    const fromLine = stepped.logs.length;
    stepped.stepClock('-700s');
    await stepped.waitForLog((line) => line.event === 'clock-stepped' && (line['step_ms'] as number) < -690_000, { fromIndex: fromLine, timeoutMs: 10_000 });
    // Written while the node's clock is wrong: the node refuses them (too far ahead of its clock).
    await exact.createItem({ id: 'while-behind', type: 'step-back', data: { n: 1 } });
    await stepped.waitForLog((line) => line.event === 'sync-failed' || line.event === 'sync-request-rejected', { fromIndex: fromLine, timeoutMs: 20_000 });
    stepped.stepClock('+0');
    await waitForConvergence(all, { type: 'step-back', count: 1, timeoutMs: 20_000 });
    // Writes made after the correction flow at once, both ways.
    await stepped.createItem({ id: 'after', type: 'step-after', data: { n: 2 } });
    await exact.createItem({ id: 'after-a', type: 'step-after', data: { n: 3 } });
    await waitForConvergence(all, { type: 'step-after', count: 2, timeoutMs: 10_000 });
  });
});
