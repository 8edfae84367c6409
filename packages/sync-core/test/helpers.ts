import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { SyncEngine } from '../src/index.js';
import type { SyncEngineConfig, SyncRoundReport, SyncStore } from '../src/index.js';
import { createInMemoryTransport, type InMemoryTransport } from '../src/testing.js';
import { freshSchema, openFreshPostgresStore, postgresUrl } from './postgres.js';

/** A controllable wall clock shared by the replicas of a test (each may add a skew). */
export class FakeTime {
  micros = 1_800_000_000_000_000;
  advanceMs(ms: number): void {
    this.micros += Math.round(ms * 1000);
  }
  clock(skewMs = 0): () => number {
    return () => this.micros + skewMs * 1000;
  }
}

/** Where the replicas of a test keep their state: SQLite files (the default) or PostgreSQL schemas. */
export interface StoreAdapter {
  readonly name: string;
  /** Opens the store named `name` of this test (the same storage each time for one name). */
  readonly open?: (name: string) => Promise<SyncStore>;
}

/** Real SQLite database files (WAL). */
export const sqliteAdapter: StoreAdapter = { name: 'sqlite' };

/** Schemas of the throwaway test PostgreSQL server, one per replica and test. */
export const postgresAdapter: StoreAdapter = {
  name: 'postgres',
  open: (name) => openFreshPostgresStore(`${freshSchema()}_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`),
};

/** Every store adapter the engine suites run against: SQLite, and PostgreSQL when its test server runs. */
export const storeAdapters: readonly StoreAdapter[] = postgresUrl === '' ? [sqliteAdapter] : [sqliteAdapter, postgresAdapter];

/**
 * The replicas of a test, removed by `cleanup()`: real SQLite database files (WAL) in a
 * temporary directory, or, with the PostgreSQL adapter, one store per replica name (kept open
 * across engines, as a database file outlives its engine).
 */
export class Replicas {
  readonly dir = mkdtempSync(join(tmpdir(), 'sync-core-test-'));
  readonly engines: SyncEngine[] = [];
  readonly #transports = new Map<string, InMemoryTransport>();
  readonly #stores = new Map<string, SyncStore>();

  constructor(readonly adapter: StoreAdapter = sqliteAdapter) {}

  path(name: string): string {
    return join(this.dir, `${name}.db`);
  }

  async open<T extends SyncEngine = SyncEngine>(nodeId: string, config: Partial<SyncEngineConfig> = {}, Engine: new (config: SyncEngineConfig) => T = SyncEngine as never): Promise<T> {
    const name = config.nodeId ?? nodeId;
    const open = this.adapter.open;
    let engine: T;
    if (open === undefined || config.database !== undefined) {
      engine = new Engine({ database: this.path(name), nodeId, ...config });
    } else {
      let store = this.#stores.get(name);
      if (store === undefined) {
        store = await open(name);
        this.#stores.set(name, store);
      }
      engine = new Engine({ store, nodeId, ...config });
    }
    this.engines.push(engine);
    return engine;
  }

  /** Transport from `from` to `to`, created once per direction. */
  transport(from: SyncEngine, to: SyncEngine): InMemoryTransport {
    const key = `${from.nodeId}->${to.nodeId}`;
    let transport = this.#transports.get(key);
    if (transport === undefined || (transport as { responder?: SyncEngine }).responder !== to) {
      transport = Object.assign(createInMemoryTransport(to, from.nodeId), { responder: to });
      this.#transports.set(key, transport);
    }
    return transport;
  }

  /** One round: `from` pulls from and pushes to `to`. */
  async sync(from: SyncEngine, to: SyncEngine): Promise<SyncRoundReport> {
    return from.syncWith(to.nodeId, this.transport(from, to));
  }

  async cleanup(): Promise<void> {
    for (const engine of this.engines) await engine.dispose();
    for (const store of this.#stores.values()) await store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every item (tombstones included) of an engine, ordered by id. */
export async function allItems(engine: SyncEngine): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await engine.list({ includeDeleted: true, limit: 1000, cursor });
    out.push(...page.items);
    if (page.nextCursor === undefined) return out;
    cursor = page.nextCursor;
  }
}

/** What {@link freshReplicasPerTest} gives the tests of a file. */
export interface PerTestReplicas {
  /** This test's replicas; their databases are removed after it. */
  readonly replicas: Replicas;
  /** This test's clock. */
  readonly time: FakeTime;
}

/**
 * Registers the hooks that give each test of the calling file (or `describe` block) fresh
 * {@link Replicas} on `adapter` (cleaned up after the test) and a fresh {@link FakeTime}. Read
 * them inside tests only.
 */
export function freshReplicasPerTest(adapter: StoreAdapter = sqliteAdapter): PerTestReplicas {
  let current: { replicas: Replicas; time: FakeTime } | undefined;
  beforeEach(() => {
    current = { replicas: new Replicas(adapter), time: new FakeTime() };
  });
  afterEach(async () => {
    await current?.replicas.cleanup();
    current = undefined;
  });
  const inTest = (): { replicas: Replicas; time: FakeTime } => {
    if (current === undefined) throw new Error('freshReplicasPerTest: read replicas and time inside a test');
    return current;
  };
  return {
    get replicas() {
      return inTest().replicas;
    },
    get time() {
      return inTest().time;
    },
  };
}
