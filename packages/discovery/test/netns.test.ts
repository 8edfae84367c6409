import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createLan, namespacesOfThisProcess, type Lan } from './netns.ts';

describe('createLan (namespace harness)', () => {
  let lan: Lan | undefined;
  afterAll(() => lan?.destroy());

  it('builds hosts with their own addresses and a multicast route, none of it in the root namespace', () => {
    const rootLinksBefore = new Set(listLinks());
    lan = createLan({ hosts: 2, subnet: 7, ipv6: true });
    expect(namespacesOfThisProcess().sort()).toEqual([`${lan.id}-br`, `${lan.id}-h1`, `${lan.id}-h2`].sort());
    const [h1, h2] = lan.hosts;
    expect([h1!.ipv4, h2!.ipv6]).toEqual(['10.213.7.1', 'fd00:213:7::2']);
    expect(h1!.run('ip', ['-4', 'addr', 'show', 'dev', 'eth0'])).toContain('10.213.7.1/24');
    expect(h1!.run('ip', ['route', 'show', 'table', 'main'])).toMatch(/^224\.0\.0\.0\/4 dev eth0/m);
    expect(h1!.run('ip', ['link', 'show', 'lo'])).toMatch(/state UNKNOWN|UP/);
    // No veth or bridge appeared in the namespace we run in.
    expect(listLinks().filter((link) => !rootLinksBefore.has(link))).toEqual([]);
  });

  it('carries traffic between hosts, and stops when a cable is pulled', async () => {
    const [h1, h2] = lan!.hosts;
    const probe = (from: typeof h1, to: string) => new Promise<number | null>((resolve) => {
      // A one-shot UDP echo with node itself: no dependency on ping being installed.
      const server = h2!.spawn(process.execPath, ['-e', `
        const s = require('node:dgram').createSocket('udp4');
        s.on('message', (m, r) => s.send(m, r.port, r.address, () => process.exit(0)));
        s.bind(7777, '${to}', () => console.log('ready'));
        setTimeout(() => process.exit(3), 3000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
      server.stdout!.once('data', () => {
        const client = from!.spawn(process.execPath, ['-e', `
          const s = require('node:dgram').createSocket('udp4');
          s.on('message', () => process.exit(0));
          s.send('x', 7777, '${to}');
          setTimeout(() => process.exit(2), 1000);`], { stdio: 'ignore' });
        client.once('exit', (code) => {
          server.kill('SIGKILL');
          resolve(code);
        });
      });
    });
    expect(await probe(h1, h2!.ipv4)).toBe(0);
    expect(h1!.packetsSent()).toBeGreaterThan(0);
    h1!.linkDown();
    expect(await probe(h1, h2!.ipv4)).toBe(2);
    h1!.linkUp();
    // The bridge port needs a moment to forward again.
    let code: number | null = 2;
    for (let attempt = 0; attempt < 5 && code !== 0; attempt++) code = await probe(h1, h2!.ipv4);
    expect(code).toBe(0);
  }, 30_000);

  it('kills its processes and deletes every namespace on destroy, idempotently', async () => {
    const child = lan!.hosts[0]!.spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    lan!.destroy();
    lan!.destroy();
    expect(await exited).toBe('SIGKILL');
    expect(namespacesOfThisProcess()).toEqual([]);
    expect(() => lan!.hosts[0]!.spawn('true', [])).toThrow(/destroyed/);
  });
});

function listLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n').map((line) => line.split(':')[1]?.trim() ?? '').filter(Boolean);
}
