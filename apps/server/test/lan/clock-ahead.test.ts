import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanCluster } from './lan-cluster.js';
import type { ApiClockReport, LanNode } from './lan-node.js';
import { waitForConvergence } from './wait-for-convergence.js';
import { waitForPeers } from './wait-for-peers.js';

// Issue #20: a node whose clock ran ahead (700 s, beyond LAN_SYNC_MAX_CLOCK_DRIFT = 600 s) must
// say so loudly (log, /health, sync status), and once its clock is corrected rejoin at once with
// every write it acknowledged meanwhile — although its HLC, and so its writes, stay ahead.
// libfaketime steps the running node's system clock through a file.
describe('a node whose clock runs ahead of its peers', { timeout: 240_000 }, () => {
  let cluster: LanCluster;
  let fast: LanNode;
  let b: LanNode;
  let c: LanNode;
  let all: LanNode[];

  async function waitForClock(node: LanNode, predicate: (clock: ApiClockReport) => boolean, timeoutMs = 20_000): Promise<ApiClockReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const clock = await node.clockHealth();
      if (predicate(clock)) return clock;
      if (Date.now() > deadline) throw new Error(`${node.name}: clock report still ${JSON.stringify(clock)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    cluster = await LanCluster.create({ nodes: [{ steppableClock: true }, {}, {}], subnet: 6 });
    [fast, b, c] = cluster.nodes as [LanNode, LanNode, LanNode];
    all = [fast, b, c];
    const ids = await Promise.all(all.map(async (node) => (await node.syncStatus()).node_id));
    for (const [index, node] of all.entries()) await waitForPeers(node, ids.filter((_, other) => other !== index));
  }, 120_000);
  afterAll(async () => cluster?.dispose());

  it('syncs as usual 200 s ahead and 200 s behind (within the drift) and reports the offset', async () => {
    fast.stepClock('+200s');
    await fast.waitForLog((line) => line.event === 'clock-stepped', { timeoutMs: 10_000 });
    await fast.createItem({ id: 'within', type: 'within-drift', data: { n: 1 } });
    await b.createItem({ id: 'within-b', type: 'within-drift', data: { n: 2 } });
    await waitForConvergence(all, { type: 'within-drift', count: 2, timeoutMs: 15_000 });
    const clock = await waitForClock(fast, (report) => report.peers_compared === 2 && report.offset_ms! > 150_000);
    expect(clock.status).toBe('ok');
    expect(clock.offset_ms!).toBeLessThan(250_000);
    const fastId = (await fast.syncStatus()).node_id;
    const seenByB = (await b.syncStatus()).peers.find((peer) => peer.peer_id === fastId);
    expect(seenByB?.clock_offset_ms).toBeLessThan(-150_000);
    const fromLine = fast.logs.length;
    fast.stepClock('-200s');
    await fast.waitForLog((line) => line.event === 'clock-stepped' && (line['step_ms'] as number) < -350_000, { fromIndex: fromLine, timeoutMs: 10_000 });
    await c.createItem({ id: 'within-c', type: 'within-drift', data: { n: 3 } });
    await fast.createItem({ id: 'within-behind', type: 'within-drift', data: { n: 4 } });
    await waitForConvergence(all, { type: 'within-drift', count: 4, timeoutMs: 15_000 });
    const behind = await waitForClock(fast, (report) => report.peers_compared === 2 && report.offset_ms! < -150_000);
    expect(behind.status).toBe('ok');
    fast.stepClock('+0');
    await waitForClock(fast, (report) => report.status === 'ok' && Math.abs(report.offset_ms!) < 50_000);
  });

  it('700 s ahead: reports it loudly, keeps acknowledging local writes, and rejoins with them once corrected', async () => {
    const fromLine = fast.logs.length;
    fast.stepClock('+700s');
    // The step makes the node handshake again with every peer: the peers refuse (their clocks
    // are 700 s off), and the answers tell how far.
    const ahead = await waitForClock(fast, (report) => report.status === 'ahead');
    expect(ahead.offset_ms!).toBeGreaterThan(650_000);
    expect(ahead.message).toMatch(/ahead of its peers/);
    await fast.waitForLog((line) => line.event === 'clock-status' && line['status'] === 'ahead' && line.level === 'error', { fromIndex: fromLine });
    // The correct nodes do not blame themselves for one wrong peer.
    expect((await b.clockHealth()).status).not.toBe('ahead');

    // Offline-first: the node keeps acknowledging writes while cut off.
    const written = [];
    for (let i = 0; i < 5; i++) written.push(await fast.createItem({ id: `ahead-${i}`, type: 'ahead', data: { i } }));
    await b.createItem({ id: 'meanwhile-b', type: 'ahead', data: { from: 'b' } });
    expect(await b.getItem('ahead-0')).toBeUndefined();

    fast.stepClock('+0');
    // Its HLC stays ahead of the corrected clock: reported, and its writes are accepted anyway.
    await waitForClock(fast, (report) => report.status === 'hlc-ahead' && report.hlc_ahead_ms > 600_000);
    const started = Date.now();
    const converged = await waitForConvergence(all, { type: 'ahead', count: 6, timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const item of written) expect(converged.get(item.id)?.hlc).toBe(item.hlc);
    await b.waitForLog((line) => line.event === 'future-changes-accepted');

    // Writes after the correction flow both ways at once, and an edit of a far-stamped item on a
    // correct node replaces it everywhere (causality does not depend on the timestamps).
    await b.updateItem('ahead-0', { type: 'ahead', data: { edited: 'on b' } });
    await fast.createItem({ id: 'after-correction', type: 'ahead', data: {} });
    const later = await waitForConvergence(all, { type: 'ahead', count: 7, timeoutMs: 15_000 });
    expect(later.get('ahead-0')?.data).toEqual({ edited: 'on b' });
  });
});
