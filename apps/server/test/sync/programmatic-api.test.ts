import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { LanSyncService } from '../../src/sync/lan-sync-service.js';

// The README's "LAN sync from your own Node app": a separate Node process imports the built
// @trosyn/server by name and runs two nodes with LanSyncService on 127.0.0.1.
it('runs LAN-sync nodes from another Node program through @trosyn/server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trosyn-embedded-'));
  try {
    const script = join(import.meta.dirname, 'fixtures', 'embedded-node.mjs');
    // Run from the package so that `@trosyn/server` resolves to this package (self-reference).
    const { stdout } = await promisify(execFile)(process.execPath, [script, dir], { cwd: join(import.meta.dirname, '..', '..'), timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ ok: true, data: { from: 'b' }, peers: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

// The README's example program, exactly as printed, as one node of a pair: the other is started
// here; the example's write reaches it, its write reaches the example, and SIGINT ends it cleanly.
it('runs the README example program as printed', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### LAN sync from your own Node app'));
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain('LanSyncService.start');
  // Inside the package, so that `@trosyn/server` resolves to it (self-reference), as in a user's app.
  const work = mkdtempSync(join(import.meta.dirname, '..', '..', '.readme-example-'));
  const secret = 'readme example secret, not the default';
  const settings = { LAN_SYNC_SHARED_SECRET: secret, LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_PORT: '0', LAN_SYNC_MDNS: 'false' };
  const config = parseConfig({ ...settings, TROSYN_DATA_DIR: join(work, 'peer'), LAN_SYNC_NODE_NAME: 'peer' }, { baseDir: work, hostname: 'peer' });
  const peer = await LanSyncService.start({ settings: config.lanSync, dataDir: config.dataDir, store: config.store, logger: silentLogger });
  let child: ChildProcess | undefined;
  try {
    const script = join(work, 'lan-node.mjs');
    writeFileSync(script, example!);
    const env = { PATH: process.env['PATH'], ...settings, LAN_SYNC_PEERS: `127.0.0.1:${peer.syncPort}`, TROSYN_DATA_DIR: join(work, 'example'), LAN_SYNC_NODE_NAME: 'example' };
    child = spawn(process.execPath, [script], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const waitFor = async (what: string, probe: () => Promise<boolean> | boolean) => {
      for (const deadline = Date.now() + 45_000; !(await probe()); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > deadline || child!.exitCode !== null) throw new Error(`${what}: not seen; example stderr:\n${stderr}`);
      }
    };
    await waitFor("the example's write on the peer", async () => (await peer.engine.get('visitor-example')) !== undefined);
    expect(stdout).toContain('local visitor-example');
    await peer.engine.put({ id: 'from-peer', type: 'note', data: 1 });
    await waitFor("the peer's write in the example", () => stdout.includes('remote from-peer'));
    expect(stderr).toContain('"event":"sync-round"');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await peer.close();
    rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
