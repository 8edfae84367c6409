import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runServerToExit, startServerProcess } from './server-process.js';

// LAN_SYNC_CONFLICT_RESOLVER on a real process: loaded and checked at start (issue #20).
const fixture = (name: string): string => fileURLToPath(new URL(`../sync/fixtures/${name}`, import.meta.url));

describe('LAN_SYNC_CONFLICT_RESOLVER (real process)', { timeout: 60_000 }, () => {
  it('starts with a resolver module and says so', async () => {
    const server = await startServerProcess({ env: { LAN_SYNC_CONFLICT_RESOLVER: fixture('merge-documents.mjs'), LLM_MODEL_PATH: '/nonexistent/no-model.gguf' } });
    try {
      const line = server.stdout.find((text) => text.includes('"event":"conflict-resolver"'));
      expect(JSON.parse(line ?? '{}')).toMatchObject({ source: fixture('merge-documents.mjs'), name: 'resolveConflict' });
    } finally {
      await server.stop();
    }
  });

  it('refuses to start with a module that exports no resolver, naming the variable', async () => {
    const { code, stderr } = await runServerToExit({ LAN_SYNC_CONFLICT_RESOLVER: fixture('not-a-resolver.mjs'), LLM_MODEL_PATH: '/nonexistent/no-model.gguf' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/trosyn: cannot start: LAN_SYNC_CONFLICT_RESOLVER: .*not-a-resolver\.mjs must export function resolveConflict/);
  });
});
