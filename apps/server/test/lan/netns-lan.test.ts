import { afterAll, describe, expect, it } from 'vitest';
import { NamespaceAgent } from './namespace-agent.js';
import { createLan, listNamespaces, namespacesOfThisProcess, type Lan } from './netns-lan.js';

// The harness the LAN scenarios stand on: if it leaked traffic or namespaces, every scenario
// would be wrong in a way its own assertions cannot see.
describe('test LAN (network namespaces)', () => {
  let lan: Lan | undefined;
  afterAll(() => lan?.destroy());

  it('connects hosts through the bridge only, unplugs one, and leaves nothing behind', async () => {
    lan = createLan({ hosts: 3, subnet: 9 });
    const [h1, h2, h3] = lan.hosts as [NonNullable<Lan['hosts'][0]>, NonNullable<Lan['hosts'][0]>, NonNullable<Lan['hosts'][0]>];
    expect([h1.ipv4, h2.ipv4, h3.ipv4]).toEqual(['10.214.9.1', '10.214.9.2', '10.214.9.3']);
    expect(namespacesOfThisProcess().sort()).toEqual([lan.bridgeNamespace, h1.namespace, h2.namespace, h3.namespace].sort());

    const agents = [h1, h2, h3].map((host) => NamespaceAgent.start(host));
    const [a1, a2, a3] = agents as [NamespaceAgent, NamespaceAgent, NamespaceAgent];
    // h2 runs a proxy that forwards to a port nobody listens on: any answer proves reachability.
    await a2.startProxy(h2.ipv4, 7000, `http://127.0.0.1:1`);
    expect((await a1.fetch(`http://${h2.ipv4}:7000/x`)).status).toBe(502);
    expect((await a3.fetch(`http://${h2.ipv4}:7000/y`)).status).toBe(502);

    h2.linkDown();
    await expect(a1.fetch(`http://${h2.ipv4}:7000/x`, { timeoutMs: 1_000 })).rejects.toThrow();
    // Cut off from the LAN, the host still reaches itself (a node keeps serving its own clients).
    expect((await a2.fetch(`http://${h2.ipv4}:7000/z`)).status).toBe(502);
    h2.linkUp();
    expect((await a1.fetch(`http://${h2.ipv4}:7000/x`, { timeoutMs: 5_000 })).status).toBe(502);

    for (const agent of agents) agent.dispose();
    lan.destroy();
    expect(namespacesOfThisProcess()).toEqual([]);
    expect(listNamespaces()).not.toContain(h1.namespace);
  });
});
