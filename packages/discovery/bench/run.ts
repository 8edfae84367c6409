/**
 * Discovery benchmark, on a LAN of network namespaces it creates and deletes (never on the
 * machine's real interfaces). Prints:
 *
 * 1. Start-up latency: time from a node calling start() to every other node reporting it
 *    (`peer-up`), and to the new node seeing all of them — versus the 30 s query interval.
 * 2. Idle traffic: packets an idle node sends per minute, counted twice — by the node
 *    (`stats().packetsSent`) and on the wire (its bridge port's received-packet counter) —
 *    over a fixed window at the default 30 s interval, and over a bounded window at a 1 s
 *    interval, extrapolated to 30 s.
 *
 * Usage: `pnpm --filter @trosyn/discovery bench [-- --rounds 10 --window 60]` (needs root).
 */
import { parseArgs } from 'node:util';
import { createLan, namespacesOfThisProcess, type Lan, type LanHost } from '../test/netns.ts';
import { DiscoveryNode } from '../test/discovery-node.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    window: { type: 'string', default: '60' },
    'short-window': { type: 'string', default: '20' },
  },
});
const ROUNDS = Number(values.rounds);
const WINDOW_S = Number(values.window);
const SHORT_WINDOW_S = Number(values['short-window']);
const DEFAULT_INTERVAL = 30_000;
const DEFAULT_TIMEOUT = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nodes: DiscoveryNode[] = [];

function start(host: LanHost, nodeId: string, interval = DEFAULT_INTERVAL, timeout = DEFAULT_TIMEOUT): DiscoveryNode {
  const node = new DiscoveryNode(host, { nodeId, port: 5000, interface: host.ipv4, discoveryInterval: interval, deviceTimeout: timeout });
  nodes.push(node);
  return node;
}

async function stopAll(): Promise<void> {
  for (const node of nodes.splice(0)) {
    node.kill('SIGTERM');
    await node.exited;
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function describe(label: string, samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return `${label.padEnd(52)} median ${quantile(sorted, 0.5).toFixed(1).padStart(7)} ms   p90 ${quantile(sorted, 0.9).toFixed(1).padStart(7)} ms   max ${sorted.at(-1)!.toFixed(1).padStart(7)} ms   mean ${mean.toFixed(1).padStart(7)} ms`;
}

async function startupLatency(lan: Lan): Promise<void> {
  const [h1, h2, h3, h4] = lan.hosts as [LanHost, LanHost, LanHost, LanHost];
  const residents = [start(h1, 'resident-1'), start(h2, 'resident-2'), start(h3, 'resident-3')];
  for (const a of residents) for (const b of residents) if (a !== b) await a.waitForPeer('peer-up', b.nodeId, 15_000);
  await sleep(1_500); // past the residents' start-up announcements: a quiet LAN

  const seenByAll: number[] = [];
  const seesAll: number[] = [];
  const processToSeen: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const from = residents.map((node) => node.events.length);
    const spawnedAt = performance.timeOrigin + performance.now();
    const newcomer = start(h4, `newcomer-${round}`);
    const starting = await newcomer.waitFor((e) => e.type === 'starting', 15_000, 'starting');
    const ups = await Promise.all(residents.map((node, i) => node.waitForPeer('peer-up', newcomer.nodeId, 15_000, from[i])));
    const own = await Promise.all(residents.map((node) => newcomer.waitForPeer('peer-up', node.nodeId, 15_000)));
    const lastUp = Math.max(...ups.map((e) => e.at));
    seenByAll.push(lastUp - starting.at);
    seesAll.push(Math.max(...own.map((e) => e.at)) - starting.at);
    processToSeen.push(lastUp - spawnedAt);
    newcomer.kill('SIGTERM');
    await newcomer.exited;
    await Promise.all(residents.map((node, i) => node.waitForPeer('peer-down', newcomer.nodeId, 5_000, from[i])));
    nodes.splice(nodes.indexOf(newcomer), 1);
    await sleep(1_200); // let the residents' one-second multicast gap pass, as on a quiet LAN
  }
  console.log(`\n1. Start-up latency (${ROUNDS} rounds; 3 idle residents, interval ${DEFAULT_INTERVAL / 1000} s, timeout ${DEFAULT_TIMEOUT / 1000} s)`);
  console.log(describe('start() → all 3 residents report peer-up', seenByAll));
  console.log(describe('start() → newcomer has seen all 3 residents', seesAll));
  console.log(describe('process spawn → all 3 report it (incl. Node boot)', processToSeen));
  const median = quantile([...seenByAll].sort((a, b) => a - b), 0.5);
  console.log(`   ratio: the 30 s discovery interval is ${(DEFAULT_INTERVAL / median).toFixed(0)}× the median start-up latency`);
  await stopAll();
}

async function idleTraffic(lan: Lan, interval: number, timeout: number, windowS: number): Promise<{ perNode: number[]; wire: number[] }> {
  const hosts = lan.hosts.slice(0, 3);
  const idle = hosts.map((host, i) => start(host, `idle-${interval}-${i}`, interval, timeout));
  for (const a of idle) for (const b of idle) if (a !== b) await a.waitForPeer('peer-up', b.nodeId, 15_000);
  // Skip the start-up burst (two announcements and queries in the first second) and let phases spread.
  await sleep(Math.max(2_000, interval));
  const statsBefore = await Promise.all(idle.map((node) => node.stats()));
  const wireBefore = hosts.map((host) => host.packetsSent());
  await sleep(windowS * 1000);
  const statsAfter = await Promise.all(idle.map((node) => node.stats()));
  const wireAfter = hosts.map((host) => host.packetsSent());
  for (const node of idle) {
    if (node.events.some((e) => e.type === 'peer-down')) throw new Error(`${node.nodeId} lost a peer while idle: the measurement is void`);
  }
  await stopAll();
  return {
    perNode: statsAfter.map((after, i) => after['packetsSent']! - statsBefore[i]!['packetsSent']!),
    wire: wireAfter.map((after, i) => after - wireBefore[i]!),
  };
}

function perMinute(counts: readonly number[], windowS: number, scale = 1): string {
  return counts.map((count) => ((count * 60 * scale) / windowS).toFixed(1)).join(' / ');
}

let lan: Lan | undefined;
try {
  console.log(`Trosyn discovery benchmark — Node ${process.version}, real multicast between processes in network namespaces`);
  lan = createLan({ hosts: 4 });
  await startupLatency(lan);

  const fixed = await idleTraffic(lan, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, WINDOW_S);
  console.log(`\n2a. Idle traffic, defaults (interval 30 s, timeout 90 s), 3 nodes, counted over a fixed ${WINDOW_S} s window`);
  console.log(`   packets sent per node (node count):      ${fixed.perNode.join(' / ')}  → per minute ${perMinute(fixed.perNode, WINDOW_S)}`);
  console.log(`   packets on the wire per node (bridge):   ${fixed.wire.join(' / ')}  → per minute ${perMinute(fixed.wire, WINDOW_S)}`);

  const shortInterval = 1_000;
  const short = await idleTraffic(lan, shortInterval, 3_000, SHORT_WINDOW_S);
  const scale = shortInterval / DEFAULT_INTERVAL;
  console.log(`\n2b. Idle traffic, interval 1 s (timeout 3 s), 3 nodes, over ${SHORT_WINDOW_S} s, extrapolated to a 30 s interval`);
  console.log(`   packets sent per node (node count):      ${short.perNode.join(' / ')}  → per minute at 1 s ${perMinute(short.perNode, SHORT_WINDOW_S)}`);
  console.log(`   packets on the wire per node (bridge):   ${short.wire.join(' / ')}  → per minute at 1 s ${perMinute(short.wire, SHORT_WINDOW_S)}`);
  console.log(`   extrapolated to the 30 s interval (× ${scale.toFixed(4)}): ${perMinute(short.perNode, SHORT_WINDOW_S, scale)} packets/min per node`);
  console.log('   (extrapolation assumes traffic scales with 1/interval: every packet of an idle node is a query or an answer to one)');
} finally {
  for (const node of nodes) node.kill('SIGKILL');
  lan?.destroy();
  const left = namespacesOfThisProcess();
  console.log(left.length === 0 ? '\nnamespaces deleted' : `\nWARNING: namespaces left: ${left.join(', ')}`);
}
