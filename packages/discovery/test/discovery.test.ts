import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Discovery, DiscoveryError, SERVICE_TYPE, type DiscoveryConfig, type Peer } from '../src/index.js';
import { FakeNetwork, FakeSocket } from './fake-network.ts';

const created: Discovery[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((d) => d.dispose()));
});

function node(network: FakeNetwork, config: Partial<DiscoveryConfig> & { nodeId: string }, address?: string) {
  const factory = network.factory(address);
  const discovery = new Discovery({ port: 5000, discoveryInterval: 200, deviceTimeout: 600, createMdns: factory, ...config });
  created.push(discovery);
  return { discovery, factory };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('Discovery (in-memory network)', () => {
  it('opens no socket and loads no multicast code until start()', () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `import(${JSON.stringify(dist)}).then((m) => {
      new m.Discovery({ nodeId: 'x', port: 5000 });
      const loaded = Object.keys(require.cache).some((k) => k.includes('multicast-dns'));
      console.log(JSON.stringify({ udp: process.getActiveResourcesInfo().includes('UDPWrap'), loaded }));
    })`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ udp: false, loaded: false });

    const network = new FakeNetwork();
    const { factory } = node(network, { nodeId: 'lazy' });
    expect(factory.created).toHaveLength(0);
  });

  it('lets two nodes find each other with id, name, version, port, TXT and IPv4+IPv6 addresses', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a', nodeName: 'Alpha', addresses: ['10.0.0.1', 'fd00::1'], tls: true, metadata: { fp: 'abc' } });
    const b = node(network, { nodeId: 'node-b', nodeName: 'Beta', port: 6000, addresses: ['10.0.0.2'] });
    await a.discovery.start();
    await sleep(20);
    const bSeesA = once(b.discovery, 'peer-up');
    const aSeesB = once(a.discovery, 'peer-up');
    await b.discovery.start();
    const [peerA] = (await bSeesA) as [Peer];
    const [peerB] = (await aSeesB) as [Peer];
    expect(peerA).toMatchObject({
      nodeId: 'node-a', name: 'Alpha', protocolVersion: 1, tls: true, port: 5000,
      addresses: ['10.0.0.1', 'fd00::1'], txt: { txtvers: '1', id: 'node-a', name: 'Alpha', proto: '1', tls: '1', fp: 'abc' },
    });
    expect(peerA.instance).toBe(a.discovery.instance!.toLowerCase());
    expect(peerB).toMatchObject({ nodeId: 'node-b', name: 'Beta', port: 6000, addresses: ['10.0.0.2'], tls: false });
    expect(a.discovery.peers().map((p) => p.nodeId)).toEqual(['node-b']);
  });

  it('ignores its own announcements and does not answer its own queries', async () => {
    const network = new FakeNetwork();
    const { discovery } = node(network, { nodeId: 'alone' });
    await discovery.start();
    await sleep(450);
    expect(discovery.peers()).toEqual([]);
    const stats = discovery.stats();
    expect(stats.ownPacketsIgnored).toBeGreaterThan(2);
    expect(stats.queriesAnswered).toBe(0);
    expect(stats.conflicts).toBe(0);
  });

  it('sends goodbye records on stop, so peers drop it at once', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a', deviceTimeout: 60_000 });
    const b = node(network, { nodeId: 'node-b', deviceTimeout: 60_000 });
    await Promise.all([a.discovery.start(), b.discovery.start()]);
    await until(() => a.discovery.peers().length === 1 && b.discovery.peers().length === 1);
    const down = once(a.discovery, 'peer-down');
    const stoppedDown = once(b.discovery, 'peer-down');
    const started = Date.now();
    await b.discovery.stop();
    const [peer, reason] = (await down) as [Peer, string];
    expect([peer.nodeId, reason]).toEqual(['node-b', 'goodbye']);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await stoppedDown).slice(1)).toEqual(['stopped']);
    const goodbye = b.factory.created[0]!.sent.at(-1)!;
    expect(goodbye.packet.answers!.every((record) => record.ttl === 0)).toBe(true);
    expect(b.factory.created[0]!.destroyed).toBe(true);
  });

  it('reports a peer that vanished without goodbye down after deviceTimeout', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a', discoveryInterval: 100, deviceTimeout: 400 });
    const b = node(network, { nodeId: 'node-b', discoveryInterval: 100, deviceTimeout: 400 });
    await Promise.all([a.discovery.start(), b.discovery.start()]);
    await until(() => a.discovery.peers().length === 1);
    await sleep(600); // refreshed by queries well past one timeout
    expect(a.discovery.peers().map((p) => p.nodeId)).toEqual(['node-b']);
    network.detach(b.factory.created[0]!); // the cable is cut: no goodbye
    const cut = Date.now();
    const [peer, reason] = (await once(a.discovery, 'peer-down')) as [Peer, string];
    expect([peer.nodeId, reason]).toEqual(['node-b', 'timeout']);
    // Not at once: only when nothing was heard for the timeout (last refresh ≤ ~150 ms before the cut).
    expect(Date.now() - cut).toBeGreaterThanOrEqual(150);
  });

  it('sees a restart as the old instance down and a new one up', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a', deviceTimeout: 60_000 });
    const b = node(network, { nodeId: 'node-b', deviceTimeout: 60_000 }, '10.0.0.77');
    await Promise.all([a.discovery.start(), b.discovery.start()]);
    await until(() => a.discovery.peers().length === 1);
    const first = a.discovery.peers()[0]!.instance;
    // A crash: the socket disappears without goodbye, and a new process starts on the same address.
    network.detach(b.factory.created[0]!);
    const events: string[] = [];
    a.discovery.on('peer-down', (p, reason) => events.push(`down ${p.instance} ${reason}`));
    a.discovery.on('peer-up', (p) => events.push(`up ${p.instance}`));
    const b2 = node(network, { nodeId: 'node-b', deviceTimeout: 60_000 }, '10.0.0.77');
    await b2.discovery.start();
    await until(() => events.length === 2);
    const second = a.discovery.peers()[0]!.instance;
    expect(second).not.toBe(first);
    expect(events).toEqual([`down ${first} restarted`, `up ${second}`]);
  });

  it('reports two nodes claiming one node id as a conflict, on both sides, without merging', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'twin', nodeName: 'Twin A', port: 5000 });
    const b = node(network, { nodeId: 'twin', nodeName: 'Twin B', port: 5001 });
    const aConflict = once(a.discovery, 'conflict');
    const bConflict = once(b.discovery, 'conflict');
    await Promise.all([a.discovery.start(), b.discovery.start()]);
    const [conflict] = await aConflict;
    expect(conflict).toMatchObject({ nodeId: 'twin', current: undefined, claimant: { name: 'Twin B', port: 5001 } });
    await bConflict;
    expect(a.discovery.peers()).toEqual([]);
    expect(a.discovery.stats().conflicts).toBe(1);
  });

  it('answers PTR, SRV and service-enumeration queries for itself', async () => {
    const network = new FakeNetwork();
    const { discovery, factory } = node(network, { nodeId: 'node-a', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await discovery.start();
    await sleep(1_100); // past the two start-up announcements and the one-second multicast gap
    const socket = factory.created[0]!;
    const before = socket.sent.length;
    network.inject({ type: 'query', questions: [{ name: SERVICE_TYPE, type: 'PTR' }] });
    await until(() => socket.sent.length > before);
    const answer = socket.sent.at(-1)!;
    expect(answer.kind).toBe('response');
    expect(answer.destination).toBeNull();
    expect(answer.packet.answers!.map((r) => r.type)).toEqual(['PTR', 'SRV', 'TXT', ...answer.packet.answers!.slice(3).map(() => expect.stringMatching(/^(A|AAAA)$/))]);
    expect(discovery.stats().queriesAnswered).toBe(1);

    await sleep(1_000);
    const instance = discovery.instance!;
    network.inject({ type: 'query', questions: [{ name: instance, type: 'SRV' }, { name: '_services._dns-sd._udp.local', type: 'PTR' }] });
    await until(() => socket.sent.length > before + 1);
    const records = socket.sent.at(-1)!.packet.answers!;
    expect(records.find((r) => r.type === 'SRV')!.name).toBe(instance);
    expect(records.find((r) => r.name === '_services._dns-sd._udp.local')!.data).toBe(SERVICE_TYPE);

    const unrelated = socket.sent.length;
    network.inject({ type: 'query', questions: [{ name: '_http._tcp.local', type: 'PTR' }] });
    await sleep(200);
    expect(socket.sent.length).toBe(unrelated);
  });

  it('answers a legacy one-shot query by unicast with its id and short TTLs (RFC 6762 §6.7)', async () => {
    const network = new FakeNetwork();
    const { discovery, factory } = node(network, { nodeId: 'node-a', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await discovery.start();
    const socket = factory.created[0]!;
    network.inject({ type: 'query', id: 4242, questions: [{ name: SERVICE_TYPE, type: 'PTR' }] }, { address: '10.0.0.9', port: 40_000 });
    await until(() => socket.sent.some((s) => s.destination !== null));
    const reply = socket.sent.find((s) => s.destination !== null)!;
    expect(reply.destination).toEqual({ address: '10.0.0.9', port: 40_000 });
    expect(reply.packet.id).toBe(4242);
    expect(reply.packet.questions).toHaveLength(1);
    expect(Math.max(...reply.packet.answers!.map((r) => r.ttl!))).toBe(10);
  });

  it('caps unicast replies per second, so spoofed one-shot queries cannot turn it into a reflector', async () => {
    const network = new FakeNetwork();
    const { discovery, factory } = node(network, { nodeId: 'node-a', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await discovery.start();
    const junk = Array.from({ length: 20 }, (_, i) => ({ name: `junk${i}.example`, type: 'TXT' as const }));
    for (let i = 0; i < 50; i++) {
      network.inject({ type: 'query', id: i, questions: [{ name: SERVICE_TYPE, type: 'PTR' }, ...junk] }, { address: '192.0.2.1', port: 40_000 });
    }
    await until(() => discovery.stats().unicastRepliesDropped + discovery.stats().queriesAnswered === 50);
    const replies = factory.created[0]!.sent.filter((s) => s.destination !== null);
    expect(replies).toHaveLength(20);
    expect(discovery.stats().unicastRepliesDropped).toBe(30);
    // Only the question about us is echoed, not the 20 others.
    expect(replies[0]!.packet.questions).toEqual([{ name: SERVICE_TYPE, type: 'PTR' }]);
  });

  it('stays quiet when the query lists it as a known answer (RFC 6762 §7.1)', async () => {
    const network = new FakeNetwork();
    const { discovery, factory } = node(network, { nodeId: 'node-a', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await discovery.start();
    await sleep(1_100);
    const socket = factory.created[0]!;
    const before = socket.sent.length;
    const instance = discovery.instance!;
    network.inject({ type: 'query', questions: [{ name: SERVICE_TYPE, type: 'PTR' }], answers: [{ name: SERVICE_TYPE, type: 'PTR', ttl: 100, data: instance }] });
    await sleep(250);
    expect(socket.sent.length).toBe(before);
    expect(discovery.stats().answersSuppressed).toBe(1);
    // With less than half the TTL left, the querier is about to forget us: answer.
    network.inject({ type: 'query', questions: [{ name: SERVICE_TYPE, type: 'PTR' }], answers: [{ name: SERVICE_TYPE, type: 'PTR', ttl: 30, data: instance }] });
    await until(() => socket.sent.length > before);
  });

  it('lists peers heard within half an interval as known answers in its periodic queries', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a', discoveryInterval: 300, deviceTimeout: 2_000 });
    await a.discovery.start();
    const chatty = `chatty.${SERVICE_TYPE}`;
    const announceChatty = () => network.inject({
      type: 'response',
      answers: [
        { name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: chatty },
        { name: chatty, type: 'SRV', ttl: 120, data: { port: 5000, target: 'chatty.local' } },
        { name: chatty, type: 'TXT', ttl: 120, data: ['id=chatty', 'name=Chatty', 'proto=1'] },
      ],
    });
    // A peer heard every 50 ms (as when other nodes' queries keep it talking) is always fresh.
    const timer = setInterval(announceChatty, 50);
    await sleep(1_000);
    clearInterval(timer);
    const queries = a.factory.created[0]!.sent.filter((s) => s.kind === 'query' && s.packet.questions![0]!.name === SERVICE_TYPE);
    const known = queries.slice(2).map((q) => (q.packet.answers ?? []).map((r) => [r.data, r.ttl]));
    expect(known.length).toBeGreaterThanOrEqual(1);
    // The TTL left, rounded down: 120 s minus at most 50 ms of age.
    for (const answers of known) {
      expect(answers.map(([name]) => name)).toEqual([chatty]);
      expect([119, 120]).toContain(answers[0]![1]);
    }
  });

  it('asks for SRV and TXT when it only hears a PTR of an unknown instance', async () => {
    const network = new FakeNetwork();
    const { discovery, factory } = node(network, { nodeId: 'node-a', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await discovery.start();
    const instance = `stranger.${SERVICE_TYPE}`;
    network.inject({ type: 'response', answers: [{ name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: instance }] });
    const socket = factory.created[0]!;
    await until(() => socket.sent.some((s) => s.kind === 'query' && s.packet.questions!.some((q) => q.name === instance)));
    const question = socket.sent.find((s) => s.packet.questions?.some((q) => q.name === instance))!;
    expect(question.packet.questions!.map((q) => q.type)).toEqual(['SRV', 'TXT']);
  });

  it('counts undecodable datagrams and invalid records, and keeps working', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    const warnings: Error[] = [];
    a.discovery.on('warning', (error) => warnings.push(error));
    await a.discovery.start();
    const from = { address: '10.0.0.66', port: 5353 };
    for (const bytes of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(12, 0xff), Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c])]) {
      network.deliver(bytes, from);
    }
    const evil = `evil.${SERVICE_TYPE}`;
    network.inject({
      type: 'response',
      answers: [
        { name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: evil },
        { name: evil, type: 'SRV', ttl: 120, data: { port: 0, target: 'evil.local' } },
        { name: evil, type: 'TXT', ttl: 120, data: ['id=evil'] },
      ],
    }, from);
    network.inject({ type: 'query', questions: Array.from({ length: 500 }, (_, i) => ({ name: `q${i}.local`, type: 'A' as const })) }, from);
    await until(() => a.discovery.stats().invalidRecords === 1 && a.discovery.stats().malformedPackets === 4);
    expect(a.discovery.peers()).toEqual([]);
    expect(warnings).toEqual([]);

    const b = node(network, { nodeId: 'node-b', discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await b.discovery.start();
    await until(() => a.discovery.peers().length === 1);
  });

  it('refuses announcements beyond maxPeers and counts them', async () => {
    const network = new FakeNetwork();
    const { discovery } = node(network, { nodeId: 'node-a', maxPeers: 2, discoveryInterval: 60_000, deviceTimeout: 120_000 });
    await discovery.start();
    for (let i = 0; i < 4; i++) {
      const name = `n${i}.${SERVICE_TYPE}`;
      network.inject({
        type: 'response',
        answers: [
          { name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: name },
          { name, type: 'SRV', ttl: 120, data: { port: 5000, target: `n${i}.local` } },
          { name, type: 'TXT', ttl: 120, data: [`id=n${i}`, `name=N${i}`, 'proto=1'] },
        ],
      }, { address: `10.0.1.${i}`, port: 5353 });
    }
    await until(() => discovery.stats().peersRefused === 2);
    expect(discovery.peers()).toHaveLength(2);
  });

  it('opens one socket per interface, IPv4 and IPv6, binding the wildcard unless told otherwise', async () => {
    const network = new FakeNetwork();
    const { discovery, factory } = node(network, { nodeId: 'node-a', interface: ['10.0.0.1', '::%eth0'], addresses: ['10.0.0.1'] });
    await discovery.start();
    expect(factory.created.map((s) => s.options)).toEqual([
      { type: 'udp4', ip: '224.0.0.251', port: 5353, reuseAddr: true, loopback: true, interface: '10.0.0.1', bind: '0.0.0.0' },
      { type: 'udp6', ip: 'ff02::fb', port: 5353, reuseAddr: true, loopback: true, interface: '::%eth0', bind: '::' },
    ]);
    const other = node(network, { nodeId: 'node-b', interface: '10.0.0.2', bind: '10.0.0.2', mdnsPort: 5454, addresses: ['10.0.0.2'] });
    await other.discovery.start();
    expect(other.factory.created[0]!.options).toMatchObject({ interface: '10.0.0.2', bind: '10.0.0.2', port: 5454 });
  });

  it('starts with bind: false, where multicast-dns is ready before anyone can listen', async () => {
    const network = new FakeNetwork();
    const factory = (options: ConstructorParameters<typeof FakeSocket>[2]) => {
      const socket = new FakeSocket(network, '10.0.0.9', options);
      network.sockets.add(socket);
      socket.emit('ready'); // synchronously, as multicast-dns does without binding
      return socket;
    };
    const discovery = new Discovery({ nodeId: 'unbound', port: 5000, bind: false, interface: '10.0.0.9', createMdns: factory });
    created.push(discovery);
    await discovery.start();
    expect(discovery.running).toBe(true);
  });

  it('turns an exception thrown by an event listener into a warning, and keeps the peer', async () => {
    const network = new FakeNetwork();
    const a = node(network, { nodeId: 'node-a' });
    const b = node(network, { nodeId: 'node-b' });
    a.discovery.on('peer-up', () => {
      throw new Error('listener bug');
    });
    const warning = once(a.discovery, 'warning');
    await Promise.all([a.discovery.start(), b.discovery.start()]);
    const [error] = (await warning) as [Error];
    expect(error.message).toBe('listener bug');
    expect(a.discovery.peers().map((p) => p.nodeId)).toEqual(['node-b']);
  });

  it('starts a new instance on every start, and disposes idempotently', async () => {
    const network = new FakeNetwork();
    const { discovery } = node(network, { nodeId: 'node-a' });
    await discovery.start();
    const first = discovery.instance;
    await discovery.stop();
    expect(discovery.running).toBe(false);
    expect(discovery.instance).toBeUndefined();
    await discovery.start();
    expect(discovery.instance).not.toBe(first);
    await discovery.dispose();
    await discovery.dispose();
    await expect(discovery.start()).rejects.toMatchObject({ code: 'disposed' });
  });

  it('fails start() with socket-failed when the socket cannot bind, and can retry', async () => {
    const network = new FakeNetwork();
    network.bindError = Object.assign(new Error('bind EADDRINUSE 0.0.0.0:5353'), { code: 'EADDRINUSE' });
    const { discovery, factory } = node(network, { nodeId: 'node-a' });
    await expect(discovery.start()).rejects.toMatchObject({ name: 'DiscoveryError', code: 'socket-failed', message: expect.stringContaining('EADDRINUSE') });
    expect(factory.created[0]!.destroyed).toBe(true);
    expect(discovery.instance).toBeUndefined();
    network.bindError = undefined;
    await discovery.start();
    expect(discovery.running).toBe(true);
  });

  it('validates its config with invalid-config errors that name the field', () => {
    const bad: [Partial<DiscoveryConfig>, RegExp][] = [
      [{ nodeId: '' }, /nodeId/],
      [{ nodeId: 'has space' }, /nodeId/],
      [{ port: 0 }, /port/],
      [{ port: 70_000 }, /port/],
      [{ nodeName: 'a\nb' }, /nodeName/],
      [{ discoveryInterval: 1 }, /discoveryInterval/],
      [{ discoveryInterval: 30_000, deviceTimeout: 30_000 }, /deviceTimeout/],
      [{ metadata: { id: 'x' } }, /reserved/],
      [{ metadata: { fp: 'x'.repeat(300) } }, /TXT/],
      [{ addresses: ['not-an-ip'] }, /addresses/],
      [{ maxPeers: 0 }, /maxPeers/],
    ];
    for (const [overrides, message] of bad) {
      let error: unknown;
      try {
        new Discovery({ nodeId: 'ok', port: 5000, ...overrides });
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(overrides)).toBeInstanceOf(DiscoveryError);
      expect((error as DiscoveryError).code).toBe('invalid-config');
      expect((error as DiscoveryError).message).toMatch(message);
    }
  });
});
