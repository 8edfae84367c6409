import type { PoolClient } from 'pg';
import { SyncError } from '../../errors.js';

/**
 * Versioned migrations of the store's tables in PostgreSQL (append only; never edit a shipped
 * one). The same tables as the SQLite store. Text compared by order (ids, HLCs, types) uses the
 * "C" collation: byte order, as SQLite compares, so paging and timestamps order alike on
 * every store whatever the database's locale. Integers that hold microseconds or log
 * positions are `bigint`.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sync_meta (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE sync_items (
    id text COLLATE "C" PRIMARY KEY,
    type text COLLATE "C" NOT NULL,
    data text,
    version bigint NOT NULL,
    hlc text COLLATE "C" NOT NULL,
    node_id text COLLATE "C" NOT NULL,
    deleted smallint NOT NULL,
    vector text NOT NULL,
    value_vector text,
    seq bigint NOT NULL,
    origin text COLLATE "C" NOT NULL,
    from_peer text COLLATE "C"
  );
  CREATE UNIQUE INDEX sync_items_seq ON sync_items (seq);
  CREATE INDEX sync_items_type ON sync_items (type, id);
  CREATE INDEX sync_items_tombstones ON sync_items (hlc) WHERE deleted = 1;
  CREATE TABLE sync_history (
    id bigserial PRIMARY KEY,
    item_id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    data text,
    version bigint NOT NULL,
    hlc text COLLATE "C" NOT NULL,
    node_id text COLLATE "C" NOT NULL,
    deleted smallint NOT NULL,
    vector text NOT NULL,
    reason text NOT NULL,
    recorded_at bigint NOT NULL
  );
  CREATE INDEX sync_history_item ON sync_history (item_id, id);
  CREATE INDEX sync_history_recorded ON sync_history (recorded_at);
  CREATE TABLE sync_conflicts (
    id bigserial PRIMARY KEY,
    item_id text COLLATE "C" NOT NULL,
    peer_id text COLLATE "C",
    rule text NOT NULL,
    winner text NOT NULL,
    local text NOT NULL,
    remote text NOT NULL,
    result text NOT NULL,
    detected_at bigint NOT NULL,
    acknowledged_at bigint
  );
  CREATE INDEX sync_conflicts_item ON sync_conflicts (item_id, id);
  CREATE TABLE sync_peers (
    peer_id text COLLATE "C" PRIMARY KEY,
    epoch text,
    cursor bigint NOT NULL DEFAULT 0,
    resyncing smallint NOT NULL DEFAULT 0,
    sweep_through bigint NOT NULL DEFAULT 0,
    acked_epoch text,
    acked bigint NOT NULL DEFAULT 0,
    last_attempt bigint,
    last_success bigint,
    last_error_code text,
    last_error text,
    last_error_at bigint
  );
  CREATE TABLE sync_resync_seen (peer_id text COLLATE "C" NOT NULL, item_id text COLLATE "C" NOT NULL, PRIMARY KEY (peer_id, item_id));
  `,
];

/** The schema version this library writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Creates the schema if needed and brings its tables to {@link POSTGRES_SCHEMA_VERSION}, each
 * migration in one transaction with the version bump. The caller holds the store's lock.
 * @throws {SyncError} `schema-too-new` for tables of a newer library version.
 */
export async function migratePostgres(client: PoolClient, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".sync_schema (version integer NOT NULL)`);
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM "${schema}".sync_schema`);
  const current = rows[0]?.version ?? 0;
  if (current > POSTGRES_SCHEMA_VERSION) {
    throw new SyncError('schema-too-new', `store schema version ${current} is newer than this @trosyn/sync-core supports (${POSTGRES_SCHEMA_VERSION}); upgrade the package`);
  }
  for (let version = current; version < POSTGRES_SCHEMA_VERSION; version++) {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL search_path TO "${schema}"`);
      await client.query(MIGRATIONS[version]!);
      if (version === 0) await client.query('INSERT INTO sync_schema (version) VALUES ($1)', [version + 1]);
      else await client.query('UPDATE sync_schema SET version = $1', [version + 1]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }
}
