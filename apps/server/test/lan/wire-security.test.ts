import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanCluster } from './lan-cluster.js';
import { SYNC_PORT, type LanNode } from './lan-node.js';
import { PacketCapture } from './packet-capture.js';
import type { RecordedRequest } from './agent-main.js';
import { waitForConvergence } from './wait-for-convergence.js';

const PROXY_PORT = 6000;
const ITEMS_PER_NODE = 20;

/** Every way the marker could appear if an item were on the wire in clear or merely encoded. */
function encodingsOf(marker: string): Buffer[] {
  const bytes = Buffer.from(marker, 'utf8');
  const forms = [bytes, Buffer.from(bytes.toString('hex')), Buffer.from(marker, 'utf16le')];
  // base64 of a string depends on its offset modulo 3 in the encoded text: take the stable middle of each.
  for (const pad of ['', 'x', 'xx']) {
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = Buffer.from(pad + marker).toString(encoding);
      forms.push(Buffer.from(encoded.slice(4, -4)));
    }
  }
  return forms;
}

// node-2 syncs with node-1 through a recording HTTP proxy in its own namespace (its static peer
// is the proxy), while tcpdump records the bridge. Both nodes have mDNS off, so every sync
// request goes through the proxy and over the bridge.
describe('what a LAN eavesdropper sees of a sync', { timeout: 90_000 }, () => {
  let cluster: LanCluster;
  let n1: LanNode;
  let n2: LanNode;
  const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
  let capture: { bytes: Buffer; packets: number };
  let records: readonly RecordedRequest[];

  beforeAll(async () => {
    cluster = await LanCluster.create({
      nodes: [{ env: { LAN_SYNC_MDNS: 'false' } }, { env: { LAN_SYNC_MDNS: 'false', LAN_SYNC_PEERS: `127.0.0.1:${PROXY_PORT}` } }],
      subnet: 4,
      start: false,
    });
    [n1, n2] = cluster.nodes as [LanNode, LanNode];
    await n2.config.agent.startProxy('127.0.0.1', PROXY_PORT, `http://${n1.address}:${SYNC_PORT}`);
    const tcpdump = await PacketCapture.start(cluster.lan, `${n1.config.dataDir}/../sync.pcap`, `tcp port ${SYNC_PORT}`);
    try {
      await Promise.all([n1.start(), n2.start()]);
      for (let i = 0; i < ITEMS_PER_NODE; i++) {
        await n1.createItem({ id: `from-n1-${i}`, type: 'secret', data: { note: `${marker} n1 ${i}`, filler: randomBytes(500).toString('hex') } });
        await n2.createItem({ id: `from-n2-${i}`, type: 'secret', data: { note: `${marker} n2 ${i}`, filler: randomBytes(500).toString('hex') } });
      }
      await waitForConvergence([n1, n2], { type: 'secret', count: 2 * ITEMS_PER_NODE, timeoutMs: 30_000 });
      // One more write on node-1, which knows node-2 from node-2's handshake by now: node-1
      // pushes it at once, on a sync stream of its own (node-2's requests all go through the proxy).
      const fromIndex = n1.logs.length;
      await n1.createItem({ id: 'pushed-by-n1', type: 'secret-push', data: { note: `${marker} pushed` } });
      await n1.waitForLog((line) => line.event === 'sync-round' && line['reason'] === 'push' && line['ok'] === true, { fromIndex, timeoutMs: 10_000 });
    } finally {
      capture = await tcpdump.stop();
    }
    records = await n2.config.agent.proxyRecords();
  }, 120_000);
  afterAll(async () => cluster?.dispose());

  it('carries no item plaintext on the wire', () => {
    // The search would find an item merely encoded, e.g. base64 of its JSON.
    const encodedItem = Buffer.from(Buffer.from(JSON.stringify({ note: `${marker} n1 0` })).toString('base64'));
    expect(encodingsOf(marker).some((form) => encodedItem.includes(form))).toBe(true);
    // The capture really holds the sync, more bytes than the items: node-2's requests through the
    // proxy as HTTP requests (the proxy does not pass upgrades), node-1's pushes on a sync stream.
    expect(capture.packets).toBeGreaterThan(10);
    expect(capture.bytes.includes('POST /sync/v1/messages HTTP/1.1')).toBe(true);
    expect(capture.bytes.includes('Upgrade: trosyn-sync/1')).toBe(true);
    expect(capture.bytes.length).toBeGreaterThan(2 * ITEMS_PER_NODE * 1_000);
    for (const form of encodingsOf(marker)) expect(capture.bytes.includes(form), `found ${form.toString()}`).toBe(false);
  });

  it('rejects a captured sealed request sent again, and applies nothing', async () => {
    const sealed = records.filter((record) => record.method === 'POST' && record.status === 200 && !record.path.includes('handshake'));
    expect(sealed.length).toBeGreaterThan(0);
    const before = await n1.listAll({ type: 'secret' });
    const logIndex = n1.logs.length;
    // The newest one: its session is still open, so only replay protection can refuse it.
    const original = sealed.at(-1)!;
    const replay = await n2.config.agent.fetch(`http://${n1.address}:${SYNC_PORT}${original.path}`, {
      method: original.method,
      headers: original.headers,
      rawBody: Buffer.from(original.bodyBase64, 'base64'),
    });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    expect(replay.body).not.toContain(marker);
    await n1.waitForLog((line) => line.event === 'auth-failed' || line.event === 'suspicious', { fromIndex: logIndex, timeoutMs: 5_000 });
    expect(await n1.listAll({ type: 'secret' })).toEqual(before);
  });

  it('rejects a captured handshake proof sent again', async () => {
    const proofs = records.filter((record) => record.method === 'POST' && record.path.includes('handshake') && record.path.includes('proof'));
    expect(proofs.length).toBeGreaterThan(0);
    const original = proofs.at(-1)!;
    const replay = await n2.config.agent.fetch(`http://${n1.address}:${SYNC_PORT}${original.path}`, {
      method: original.method,
      headers: original.headers,
      rawBody: Buffer.from(original.bodyBase64, 'base64'),
    });
    // Its handshake is finished: a replayed proof must never open a second session.
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
  });
});
