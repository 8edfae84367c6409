/**
 * Real multicast between real processes: three hosts (network namespaces) on a bridge in a
 * fourth, one discovery node process per host, bound to the namespace's own interface. Nothing
 * is sent on the machine's real interfaces. Needs root (CI has it); without namespaces the
 * suite fails with NetnsError's explanation instead of passing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createLan, namespacesOfThisProcess, type Lan, type LanHost } from './netns.ts';
import { DiscoveryNode, type NodeEvent } from './discovery-node.ts';

const INTERVAL = 500;
const TIMEOUT = 2_000;
/** Generous bound for "seen": process start-up plus a few round trips on a loaded 2-core CI box. */
const SEEN = 10_000;

let lan: Lan;
const nodes: DiscoveryNode[] = [];

function startNode(host: LanHost, nodeId: string, name = nodeId): DiscoveryNode {
  const node = new DiscoveryNode(host, {
    nodeId,
    nodeName: name,
    port: 5000,
    // Both families on the namespace's interface: one IPv4 and one IPv6 socket.
    interface: [host.ipv4, `::%${host.interfaceName}`],
    discoveryInterval: INTERVAL,
    deviceTimeout: TIMEOUT,
  });
  nodes.push(node);
  return node;
}

const peerOf = (event: NodeEvent) => event['peer'] as { nodeId: string; instance: string; addresses: string[]; port: number };

beforeAll(() => {
  lan = createLan({ hosts: 3, ipv6: true });
});

afterAll(async () => {
  for (const node of nodes) node.kill('SIGKILL');
  await Promise.all(nodes.map((node) => node.exited));
  lan?.destroy();
  expect(namespacesOfThisProcess()).toEqual([]);
});

describe('discovery on a namespace LAN', () => {
  let n1: DiscoveryNode;
  let n2: DiscoveryNode;
  let n3: DiscoveryNode;

  it('lets every node see every other, with its IPv4 and IPv6 address', async () => {
    const [h1, h2, h3] = lan.hosts as [LanHost, LanHost, LanHost];
    n1 = startNode(h1, 'node-1');
    n2 = startNode(h2, 'node-2');
    n3 = startNode(h3, 'node-3');
    const trio = [n1, n2, n3];
    for (const observer of trio) {
      for (const other of trio) {
        if (other === observer) continue;
        const event = await observer.waitForPeer('peer-up', other.nodeId, SEEN);
        expect(peerOf(event).addresses).toEqual([other.host.ipv4, other.host.ipv6]);
        expect(peerOf(event).port).toBe(5000);
      }
    }
    for (const node of trio) {
      expect(node.events.filter((e) => e.type === 'peer-up')).toHaveLength(2);
      expect(node.events.filter((e) => e.type === 'conflict' || e.type === 'warning' || e.type === 'peer-down')).toEqual([]);
      const stats = await node.stats();
      expect(stats['ownPacketsIgnored']).toBeGreaterThan(0);
    }
  }, 30_000);

  it('keeps peers up while they are alive, across several timeouts', async () => {
    const from = n1.events.length;
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT * 1.5));
    expect(n1.events.slice(from).filter((e) => e.type.startsWith('peer-'))).toEqual([]);
  }, 10_000);

  it('reports a SIGKILLed node down after the device timeout', async () => {
    const from = [n1.events.length, n2.events.length];
    const killedAt = performance.timeOrigin + performance.now();
    n3.kill('SIGKILL');
    await n3.exited;
    for (const [i, observer] of [n1, n2].entries()) {
      const event = await observer.waitForPeer('peer-down', 'node-3', TIMEOUT + SEEN, from[i]);
      expect(event['reason']).toBe('timeout');
      // Down only once nothing was heard for the timeout: at least timeout minus one refresh.
      expect(event.at - killedAt).toBeGreaterThanOrEqual(TIMEOUT - INTERVAL * 2);
    }
  }, 30_000);

  it('sees a restarted node come back as a new instance', async () => {
    const before = peerOf(n1.events.find((e) => e.type === 'peer-up' && peerOf(e).nodeId === 'node-3')!).instance;
    const from = [n1.events.length, n2.events.length];
    n3 = startNode(lan.hosts[2]!, 'node-3');
    for (const [i, observer] of [n1, n2].entries()) {
      const event = await observer.waitForPeer('peer-up', 'node-3', SEEN, from[i]);
      expect(peerOf(event).instance).not.toBe(before);
    }
    await n3.waitForPeer('peer-up', 'node-1', SEEN);
    await n3.waitForPeer('peer-up', 'node-2', SEEN);
  }, 30_000);

  it('treats a crash followed at once by a new process as a restart, before any timeout', async () => {
    const from = n1.events.length;
    n3.kill('SIGKILL');
    await n3.exited;
    const restartedAt = performance.timeOrigin + performance.now();
    n3 = startNode(lan.hosts[2]!, 'node-3');
    const down = await n1.waitForPeer('peer-down', 'node-3', SEEN, from);
    const up = await n1.waitForPeer('peer-up', 'node-3', SEEN, from);
    expect(down['reason']).toBe('restarted');
    expect(n1.events.indexOf(up)).toBeGreaterThan(n1.events.indexOf(down));
    expect(down.at - restartedAt).toBeLessThan(SEEN);
    await n3.waitForPeer('peer-up', 'node-1', SEEN);
    await n3.waitForPeer('peer-up', 'node-2', SEEN);
  }, 30_000);

  it('sees a stopped node go at once, thanks to its goodbye', async () => {
    const from = [n1.events.length, n3.events.length];
    const stoppedAt = performance.timeOrigin + performance.now();
    n2.kill('SIGTERM');
    expect(await n2.exited).toBe(0);
    for (const [i, observer] of [n1, n3].entries()) {
      const event = await observer.waitForPeer('peer-down', 'node-2', TIMEOUT, from[i]);
      expect(event['reason']).toBe('goodbye');
      expect(event.at - stoppedAt).toBeLessThan(TIMEOUT);
    }
  }, 30_000);

  it('reports a host whose cable is pulled down, and up again when it is back', async () => {
    const h1 = lan.hosts[0]!;
    const from = [n1.events.length, n3.events.length];
    h1.linkDown();
    const down = await n3.waitForPeer('peer-down', 'node-1', TIMEOUT + SEEN, from[1]);
    expect(down['reason']).toBe('timeout');
    await n1.waitForPeer('peer-down', 'node-3', TIMEOUT + SEEN, from[0]);
    h1.linkUp();
    await n3.waitForPeer('peer-up', 'node-1', SEEN, from[1]);
    await n1.waitForPeer('peer-up', 'node-3', SEEN, from[0]);
  }, 40_000);

  it('reports a second node claiming an existing node id as a conflict, not a merge', async () => {
    const from = [n1.events.length, n3.events.length];
    const impostor = startNode(lan.hosts[1]!, 'node-1', 'impostor');
    const selfConflict = await n1.waitFor((e) => n1.events.indexOf(e) >= from[0]! && e.type === 'conflict', SEEN, 'conflict');
    expect(selfConflict['conflict']).toMatchObject({ nodeId: 'node-1', claimant: { name: 'impostor', addresses: [lan.hosts[1]!.ipv4, lan.hosts[1]!.ipv6] } });
    expect((selfConflict['conflict'] as { current?: unknown }).current).toBeUndefined();
    const thirdParty = await n3.waitFor((e) => n3.events.indexOf(e) >= from[1]! && e.type === 'conflict', SEEN, 'conflict');
    expect(thirdParty['conflict']).toMatchObject({ nodeId: 'node-1', current: { name: 'node-1' }, claimant: { name: 'impostor' } });
    await impostor.waitFor((e) => e.type === 'conflict', SEEN, 'conflict');
    // node-3 still holds the original node-1, unmerged.
    const after = n3.events.slice(from[1]).filter((e) => e.type.startsWith('peer-') && peerOf(e).nodeId === 'node-1');
    expect(after).toEqual([]);
    impostor.kill('SIGTERM');
    await impostor.exited;
  }, 30_000);

  it('treats a node on two interfaces as one peer with both addresses, without flapping', async () => {
    const h3 = lan.hosts[2]!;
    const second = h3.addInterface();
    const from = n1.events.length;
    n3.kill('SIGTERM');
    await n3.exited;
    await n1.waitForPeer('peer-down', 'node-3', TIMEOUT, from);
    const afterDown = n1.events.length;
    n3 = new DiscoveryNode(h3, {
      nodeId: 'node-3', port: 5000, interface: [h3.ipv4, second.ipv4], discoveryInterval: INTERVAL, deviceTimeout: TIMEOUT,
    });
    nodes.push(n3);
    const up = await n1.waitForPeer('peer-up', 'node-3', SEEN, afterDown);
    expect(peerOf(up).addresses).toEqual([h3.ipv4, second.ipv4, h3.ipv6].sort());
    await n3.waitForPeer('peer-up', 'node-1', SEEN);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT));
    // Heard on both interfaces, still exactly one peer and no churn.
    expect(n1.events.slice(afterDown).filter((e) => e.type.startsWith('peer-')).map((e) => e.type)).toEqual(['peer-up']);
    expect(n3.events.filter((e) => e.type === 'peer-up' && peerOf(e).nodeId === 'node-1')).toHaveLength(1);
    const stats = await n3.stats();
    expect(stats['sendErrors']).toBe(0);
  }, 30_000);

  it('ignores and counts malformed and hostile packets, and keeps working', async () => {
    const before = await n1.stats();
    const from = n1.events.length;
    const sender = fileURLToPath(new URL('./fixtures/hostile-sender.ts', import.meta.url));
    const child = lan.hosts[1]!.spawn(process.execPath, ['--no-warnings', sender, lan.hosts[1]!.ipv4], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    const sent = JSON.parse(output) as { malformed: number; invalid: number };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await n1.stats();
    expect(after['malformedPackets']! - before['malformedPackets']!).toBe(sent.malformed);
    expect(after['invalidRecords']! - before['invalidRecords']!).toBeGreaterThanOrEqual(sent.invalid);
    expect(n1.events.slice(from).filter((e) => e.type.startsWith('peer-') || e.type === 'warning')).toEqual([]);
    // Still alive and still answering: a node started now finds it.
    const late = startNode(lan.hosts[1]!, 'node-late');
    await late.waitForPeer('peer-up', 'node-1', SEEN);
  }, 30_000);
});
