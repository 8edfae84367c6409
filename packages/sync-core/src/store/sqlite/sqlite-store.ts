import { createRequire } from 'node:module';
import { SyncError } from '../../errors.js';
import type { ConflictRow, HistoryRow, ItemRow, PeerRow } from '../rows.js';
import type { ConflictQuery, ItemQuery, SyncStore } from '../sync-store.js';
import type { CommitResult, WriteBatch } from '../write-batch.js';
import { migrate } from './schema.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';
import { prepareEngineStatements, type EngineStatements } from './statements.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** SQLite `synchronous`: `'normal'` (default) or `'full'`. */
  readonly synchronous?: 'normal' | 'full' | undefined;
  /** Page cache of the connection in KiB (default 32 MiB). */
  readonly cacheSizeKiB?: number | undefined;
}

/**
 * The default store: the engine's `sync_*` tables in a SQLite database through better-sqlite3,
 * in WAL mode. A commit is one synchronous transaction with prepared statements (no `await`
 * inside it), which keeps a page and its cursor together and costs what direct SQL costs.
 *
 * Opening it creates or migrates the tables (`schema-too-new` for a database of a newer
 * version) and reads the meta values; it can share the database with the application.
 */
export class SqliteStore implements SyncStore {
  readonly #db: SqliteDatabase;
  readonly #ownsDb: boolean;
  readonly #stmt: EngineStatements;
  readonly #meta: Map<string, string>;
  /** Statements of the filtered list queries, by SQL text (a handful of filter combinations). */
  readonly #queries = new Map<string, SqliteStatement>();

  /**
   * @param database a file path (`':memory:'` for tests), opened with better-sqlite3 and closed
   *   by {@link SqliteStore.close}; or an open better-sqlite3 `Database` the application owns.
   */
  constructor(database: string | SqliteDatabase, options: SqliteStoreOptions = {}) {
    if (typeof database === 'string') {
      // better-sqlite3 is a native module: load it only when the store has to open a file itself.
      const require = createRequire(import.meta.url);
      let Database: new (path: string) => SqliteDatabase;
      try {
        Database = require('better-sqlite3') as new (path: string) => SqliteDatabase;
      } catch (error) {
        throw new SyncError('invalid-config', 'opening a database by path needs the better-sqlite3 package: npm install better-sqlite3', { cause: error });
      }
      this.#db = new Database(database);
      this.#ownsDb = true;
    } else if (typeof database === 'object' && database !== null && typeof database.prepare === 'function') {
      this.#db = database;
      this.#ownsDb = false;
    } else {
      throw new SyncError('invalid-config', 'database must be a file path or a better-sqlite3 Database');
    }
    try {
      if (!this.#db.memory) {
        this.#db.pragma('journal_mode = WAL');
        // Checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: each checkpoint fsyncs, and
        // with bulk page applies the fsyncs, not the inserts, set the pace.
        this.#db.pragma('wal_autocheckpoint = 10000');
      }
      this.#db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.pragma('busy_timeout = 5000');
      // Negative: a size in KiB rather than in pages.
      this.#db.pragma(`cache_size = -${options.cacheSizeKiB ?? 32 * 1024}`);
      migrate(this.#db);
      this.#stmt = prepareEngineStatements(this.#db);
      this.#meta = new Map((this.#stmt.allMeta.all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    } catch (error) {
      if (this.#ownsDb) this.#db.close();
      throw error;
    }
  }

  get meta(): ReadonlyMap<string, string> {
    return this.#meta;
  }

  async commit(batch: WriteBatch): Promise<CommitResult> {
    const result = this.#db.transaction(() => this.#write(batch))();
    for (const key in batch.meta) this.#meta.set(key, batch.meta[key]!);
    return result;
  }

  #write(batch: WriteBatch): CommitResult {
    const s = this.#stmt;
    const peer = batch.peer;
    if (peer !== undefined) {
      s.ensurePeer.run(peer.peerId);
      if (peer.clearSeen === true) s.clearSeen.run(peer.peerId);
      if (peer.forgetMarkers !== undefined) {
        s.forgetFromPeer.run(peer.peerId);
        s.forgetOrigin.run(peer.forgetMarkers.nodeId, peer.peerId);
      }
    }
    for (const { state: h, reason, recordedAt } of batch.history ?? []) {
      s.insertHistory.run(h.id, h.type, h.data, h.version, h.hlc, h.node_id, h.deleted, h.vector, reason, recordedAt);
    }
    // Positional parameters: binding a named-parameter object costs a property lookup per column.
    for (const r of batch.items ?? []) {
      s.upsertItem.run(r.id, r.type, r.data, r.version, r.hlc, r.node_id, r.deleted, r.vector, r.value_vector, r.seq, r.origin, r.from_peer);
    }
    const conflictIds: number[] = [];
    for (const c of batch.conflicts ?? []) {
      conflictIds.push(Number(s.insertConflict.run(c.item_id, c.peer_id, c.rule, c.winner, c.local, c.remote, c.result, c.detected_at).lastInsertRowid));
    }
    if (peer !== undefined) {
      for (const id of peer.seen ?? []) s.insertSeen.run(peer.peerId, id);
      if (peer.acked !== undefined) s.setPeerAcked.run(peer.acked.epoch, peer.acked.seq, peer.peerId);
      const c = peer.cursor;
      if (c !== undefined) s.setPeerCursor.run(c.epoch, c.seq, c.resyncing ? 1 : 0, c.sweepThrough, peer.peerId);
      if (peer.success !== undefined) s.setPeerSuccess.run(peer.success.attemptAt, peer.success.at, peer.peerId);
      const e = peer.error;
      if (e !== undefined) s.setPeerError.run(e.attemptAt, e.code, e.message, e.at, peer.peerId);
    }
    for (const id of batch.deleteItems ?? []) s.deleteItem.run(id);
    let historyPruned = 0;
    if (batch.pruneHistory !== undefined) {
      historyPruned += s.pruneHistoryAge.run(batch.pruneHistory.recordedBefore).changes;
      historyPruned += s.pruneHistoryCount.run(batch.pruneHistory.keepPerItem).changes;
    }
    const ack = batch.acknowledgeConflicts;
    const acknowledged = ack === undefined || ack.ids.length === 0 ? 0 : s.acknowledgeConflicts.run(ack.at, JSON.stringify(ack.ids)).changes;
    for (const key in batch.meta) s.setMeta.run(key, batch.meta[key]);
    return { conflictIds, historyPruned, acknowledged };
  }

  /**
   * One query for several ids, a plain key lookup for one (a live write or push), which costs
   * less than the batch query's `json_each`.
   */
  async getItems(ids: readonly string[]): Promise<Map<string, ItemRow>> {
    const rows = new Map<string, ItemRow>();
    if (ids.length === 1) {
      const row = this.#stmt.getItem.get(ids[0]) as ItemRow | undefined;
      if (row !== undefined) rows.set(row.id, row);
    } else if (ids.length > 1) {
      for (const row of this.#stmt.getItems.all(JSON.stringify(ids)) as ItemRow[]) rows.set(row.id, row);
    }
    return rows;
  }

  async listItems(query: ItemQuery): Promise<ItemRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.type !== undefined) {
      where.push('type = ?');
      params.push(query.type);
    }
    if (query.afterId !== undefined) {
      where.push('id > ?');
      params.push(query.afterId);
    }
    if (!query.includeDeleted) where.push('deleted = 0');
    const sql = `SELECT * FROM sync_items${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY id LIMIT ?`;
    return this.#query(sql).all(...params, query.limit) as ItemRow[];
  }

  async scanLog(after: number, through: number, limit: number, maxBytes: number): Promise<ItemRow[]> {
    const rows: ItemRow[] = [];
    let bytes = 0;
    for (const row of this.#stmt.scanLog.iterate(after, through) as IterableIterator<ItemRow>) {
      rows.push(row);
      bytes += row.data?.length ?? 0;
      if (rows.length >= limit || bytes >= maxBytes) break;
    }
    return rows;
  }

  async feedRange(after: number, through: number, type: string | undefined, limit: number): Promise<ItemRow[]> {
    const s = this.#stmt;
    return (type === undefined ? s.feedRange.all(after, through, limit) : s.feedRangeOfType.all(after, through, type, limit)) as ItemRow[];
  }

  async sweepCandidates(peerId: string, through: number, options: { readonly ignoreStoredSeen: boolean; readonly alsoSeen: readonly string[] }): Promise<ItemRow[]> {
    const rows = (options.ignoreStoredSeen ? this.#stmt.liveUpTo.all(through) : this.#stmt.sweepCandidates.all(through, peerId)) as ItemRow[];
    if (options.alsoSeen.length === 0) return rows;
    const seen = new Set(options.alsoSeen);
    return rows.filter((row) => !seen.has(row.id));
  }

  async expiredTombstones(hlcBefore: string): Promise<{ id: string; seq: number }[]> {
    return this.#stmt.expiredTombstones.all(hlcBefore) as { id: string; seq: number }[];
  }

  async countPending(peerId: string, acked: number): Promise<number> {
    return (this.#stmt.countPending.get(acked, peerId, peerId) as { n: number }).n;
  }

  async getHistory(historyId: number): Promise<HistoryRow | undefined> {
    return this.#stmt.getHistory.get(historyId) as HistoryRow | undefined;
  }

  async listHistory(itemId: string, options: { readonly beforeId?: number | undefined; readonly limit: number }): Promise<HistoryRow[]> {
    const s = this.#stmt;
    return (options.beforeId === undefined ? s.listHistory.all(itemId, options.limit) : s.listHistoryBefore.all(itemId, options.beforeId, options.limit)) as HistoryRow[];
  }

  async latestLiveHistory(itemId: string): Promise<HistoryRow | undefined> {
    return this.#stmt.latestLiveHistory.get(itemId) as HistoryRow | undefined;
  }

  async conflictLosers(itemId: string): Promise<HistoryRow[]> {
    return this.#stmt.conflictLosers.all(itemId) as HistoryRow[];
  }

  async hasConflictLoser(itemId: string, hlc: string): Promise<boolean> {
    return this.#stmt.hasConflictLoser.get(itemId, hlc) !== undefined;
  }

  async listConflicts(query: ConflictQuery): Promise<ConflictRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.acknowledged === true) where.push('acknowledged_at IS NOT NULL');
    if (query.acknowledged === false) where.push('acknowledged_at IS NULL');
    if (query.itemId !== undefined) {
      where.push('item_id = ?');
      params.push(query.itemId);
    }
    if (query.afterId !== undefined) {
      where.push('id > ?');
      params.push(query.afterId);
    }
    const sql = `SELECT * FROM sync_conflicts${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY id LIMIT ?`;
    return this.#query(sql).all(...params, query.limit) as ConflictRow[];
  }

  #query(sql: string): SqliteStatement {
    let statement = this.#queries.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#queries.set(sql, statement);
    }
    return statement;
  }

  async getPeer(peerId: string): Promise<PeerRow | undefined> {
    return this.#stmt.getPeer.get(peerId) as PeerRow | undefined;
  }

  async listPeers(): Promise<PeerRow[]> {
    return this.#stmt.allPeers.all() as PeerRow[];
  }

  /** Closes the database if the store opened it; one the application passed stays open. */
  async close(): Promise<void> {
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }
}
