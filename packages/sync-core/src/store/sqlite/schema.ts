import { SyncError } from '../../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * Versioned migrations of the engine's own tables. Every table is prefixed `sync_` so the
 * engine can share a database file with the application. Append only: never edit a shipped
 * migration.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE sync_items (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    data TEXT,
    version INTEGER NOT NULL,
    hlc TEXT NOT NULL,
    node_id TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    vector TEXT NOT NULL,
    value_vector TEXT,
    seq INTEGER NOT NULL,
    origin TEXT NOT NULL,
    from_peer TEXT
  );
  CREATE UNIQUE INDEX sync_items_seq ON sync_items (seq);
  CREATE INDEX sync_items_type ON sync_items (type, id);
  CREATE INDEX sync_items_tombstones ON sync_items (hlc) WHERE deleted = 1;
  CREATE TABLE sync_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT,
    version INTEGER NOT NULL,
    hlc TEXT NOT NULL,
    node_id TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    vector TEXT NOT NULL,
    reason TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
  );
  CREATE INDEX sync_history_item ON sync_history (item_id, id);
  CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    peer_id TEXT,
    rule TEXT NOT NULL,
    winner TEXT NOT NULL,
    local TEXT NOT NULL,
    remote TEXT NOT NULL,
    result TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    acknowledged_at INTEGER
  );
  CREATE INDEX sync_conflicts_item ON sync_conflicts (item_id, id);
  CREATE TABLE sync_peers (
    peer_id TEXT PRIMARY KEY,
    epoch TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    resyncing INTEGER NOT NULL DEFAULT 0,
    sweep_through INTEGER NOT NULL DEFAULT 0,
    acked_epoch TEXT,
    acked INTEGER NOT NULL DEFAULT 0,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error_code TEXT,
    last_error TEXT,
    last_error_at INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE sync_resync_seen (peer_id TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (peer_id, item_id)) WITHOUT ROWID;
  `,
];

/** The schema version this library writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the engine's tables to {@link SCHEMA_VERSION}, each migration in its own transaction
 * together with the version bump, so a crash leaves either the old or the new schema.
 * @throws {SyncError} `schema-too-new` when the database was written by a newer library version.
 */
export function migrate(db: SqliteDatabase): void {
  db.exec('CREATE TABLE IF NOT EXISTS sync_schema (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM sync_schema').get() as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new SyncError('schema-too-new', `database schema version ${current} is newer than this @trosyn/sync-core supports (${SCHEMA_VERSION}); upgrade the package`);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      if (version === 0) db.prepare('INSERT INTO sync_schema (version) VALUES (?)').run(version + 1);
      else db.prepare('UPDATE sync_schema SET version = ?').run(version + 1);
    })();
  }
}
