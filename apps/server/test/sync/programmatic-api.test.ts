import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

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
