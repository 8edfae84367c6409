import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStore, type SyncStore } from '../src/index.js';
import { runSyncStoreTests } from '../src/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const paths = new WeakMap<SyncStore, string>();
let count = 0;

await runSyncStoreTests({
  name: 'sqlite',
  create: async () => {
    const path = join(dir, `store-${++count}.db`);
    const store = new SqliteStore(path);
    paths.set(store, path);
    return store;
  },
  reopen: async (closed) => new SqliteStore(paths.get(closed)!),
});
