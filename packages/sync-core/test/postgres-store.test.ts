import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SyncEngine, SyncError } from '../src/index.js';
import { openPostgresStore, type PostgresStore } from '../src/postgres.js';
import { runSyncStoreTests } from '../src/testing.js';
import { freshSchema, openFreshPostgresStore, postgresUrl } from './postgres.js';

const schemaOf = new WeakMap<object, string>();

if (postgresUrl !== '') {
  await runSyncStoreTests({
    name: 'postgres',
    create: async () => {
      const schema = freshSchema();
      const store = await openFreshPostgresStore(schema);
      schemaOf.set(store, schema);
      return store;
    },
    reopen: async (closed) => openFreshPostgresStore(schemaOf.get(closed)!),
  });
}

/** A child process holding the store of `schema` open until killed; resolves once it holds it. */
function holdInChild(schema: string): Promise<{ kill: () => Promise<void> }> {
  const script = `
    const { openPostgresStore } = await import(${JSON.stringify(new URL('../dist/postgres.js', import.meta.url).href)});
    await openPostgresStore({ connectionString: process.env.URL, schema: process.env.SCHEMA });
    console.log('holding');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, URL: postgresUrl, SCHEMA: schema }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('holding')) return;
      child.removeAllListeners('exit');
      resolve({ kill: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGKILL'))) });
    });
  });
}

describe.skipIf(postgresUrl === '')('PostgreSQL store: one replica, one engine', () => {
  it('refuses a second store on the same schema (in this process) until the first is closed', async () => {
    const schema = freshSchema();
    const first = await openFreshPostgresStore(schema);
    const second = await openPostgresStore({ connectionString: postgresUrl, schema }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(SyncError);
    expect((second as SyncError).code).toBe('store-in-use');
    expect((second as SyncError).message).toContain(`schema "${schema}"`);
    // Another schema of the same database is another replica: allowed.
    const other = await openFreshPostgresStore();
    await other.close();
    await first.close();
    const again = await openFreshPostgresStore(schema);
    await again.close();
  });

  it('refuses it while another server process holds it, and takes it over once that process died', async () => {
    const schema = freshSchema();
    const holder = await holdInChild(schema);
    try {
      await expect(openFreshPostgresStore(schema)).rejects.toMatchObject({ code: 'store-in-use' });
    } finally {
      await holder.kill();
    }
    // The lock went with the dead process's session (the server notices the closed socket).
    let store: PostgresStore | undefined;
    for (let i = 0; i < 50 && store === undefined; i++) {
      store = await openFreshPostgresStore(schema).catch(() => undefined);
      if (store === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(store).toBeDefined();
    await store!.close();
  }, 60_000);

  it('keeps a replica an engine writes, across engines and stores', async () => {
    const schema = freshSchema();
    const store = await openFreshPostgresStore(schema);
    const engine = new SyncEngine({ store, nodeId: 'hub' });
    await engine.putMany([
      { id: 'b', type: 'note', data: { text: 'ß' } },
      { id: 'a', type: 'note', data: [1, 2] },
    ]);
    await engine.delete('b');
    await engine.dispose();
    await store.close();
    const reopened = await openFreshPostgresStore(schema);
    const again = new SyncEngine({ store: reopened });
    expect(again.nodeId).toBe('hub');
    expect((await again.list({ includeDeleted: true })).items.map((i) => [i.id, i.deleted, i.data])).toEqual([
      ['a', false, [1, 2]],
      ['b', true, null],
    ]);
    expect((await again.history('b')).map((h) => h.item.data)).toEqual([{ text: 'ß' }]);
    expect(again.changeFeedEnd.seq).toBe(3);
    await again.dispose();
    await reopened.close();
    await expect(openPostgresStore({ connectionString: postgresUrl, schema: 'Bad-Name' })).rejects.toThrow(/schema must match/);
  });
});

