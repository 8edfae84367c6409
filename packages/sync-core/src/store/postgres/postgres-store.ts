import type pg from 'pg';
import { AsyncMutex } from '../../async-mutex.js';
import { SyncError } from '../../errors.js';
import type { ConflictRow, HistoryRow, ItemRow, PeerRow } from '../rows.js';
import type { ConflictQuery, ItemQuery, SyncStore } from '../sync-store.js';
import type { CommitResult, WriteBatch } from '../write-batch.js';
import { migratePostgres } from './schema.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** A PostgreSQL connection string: `postgres://user:password@host:port/database`. */
  readonly connectionString: string;
  /**
   * The schema holding the store's `sync_*` tables (created when missing). Default `trosyn_sync`.
   * One schema holds one node's replica: several nodes can share a database, each in its own.
   */
  readonly schema?: string | undefined;
  /** Connections for reads, besides the one that holds the lock and commits. Default 4. */
  readonly readConnections?: number | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** int8 (bigint) values are microseconds and log positions, far below 2^53: read them as numbers. */
const INT8_OID = 20;

/** The `pg` driver, loaded when a store is opened: importing this module needs no driver. */
async function loadDriver(): Promise<typeof pg> {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw new SyncError('invalid-config', 'the PostgreSQL store needs the pg package: npm install pg', { cause: error });
  }
}

/**
 * Opens a store in a PostgreSQL database, for a hub node that keeps its replica in an existing,
 * backed-up, replicable database: connects, takes the schema's lock, creates or migrates the
 * tables and reads the meta values.
 *
 * Two engines must never write one replica (each plans against its own view of the log): the
 * store holds a session-level advisory lock on its schema for as long as it is open, and a
 * second store opened on the same schema, from this process or another server, is refused
 * with `store-in-use`. The lock goes with the connection, so a crashed server frees it.
 * @throws {SyncError} `store-in-use`, `invalid-config`, `schema-too-new`; the driver's error when
 *   the server cannot be reached.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  if (typeof options?.connectionString !== 'string' || options.connectionString.length === 0) {
    throw new SyncError('invalid-config', 'connectionString must be a postgres:// URL');
  }
  const schema = options.schema ?? 'trosyn_sync';
  if (!SCHEMA_NAME.test(schema)) throw new SyncError('invalid-config', `schema must match ${SCHEMA_NAME.source}, got ${JSON.stringify(schema)}`);
  const readConnections = options.readConnections ?? 4;
  if (!Number.isSafeInteger(readConnections) || readConnections < 1) throw new SyncError('invalid-config', 'readConnections must be a positive integer');
  const driver = await loadDriver();
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : driver.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
  };
  const config = { connectionString: options.connectionString, types, options: `-c search_path=${schema}` };
  const writer = new driver.Pool({ ...config, max: 1 });
  const readers = new driver.Pool({ ...config, max: readConnections });
  // An idle connection that fails (server restart) must not crash the process; the next query reports it.
  writer.on('error', () => undefined);
  readers.on('error', () => undefined);
  let client: pg.PoolClient | undefined;
  try {
    client = await writer.connect();
    const lockKey = `trosyn-sync:${schema}`;
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockKey]);
    if (rows[0]?.locked !== true) {
      throw new SyncError(
        'store-in-use',
        `another engine holds the store in schema "${schema}" of this database (a second server, or a second store in this one); ` +
          'two nodes must never share one replica: give each node its own schema',
      );
    }
    await migratePostgres(client, schema);
    const meta = await client.query<{ key: string; value: string }>('SELECT key, value FROM sync_meta');
    return new PostgresStore(writer, readers, client, lockKey, new Map(meta.rows.map((r) => [r.key, r.value])));
  } catch (error) {
    client?.release(true);
    await Promise.all([writer.end(), readers.end()]);
    throw error;
  }
}

/**
 * The PostgreSQL store ({@link openPostgresStore}). A commit is one transaction on the
 * connection that holds the lock, written with one statement per kind of row (arrays unnested),
 * so a page of a thousand changes costs a handful of round trips; reads use a small pool.
 */
export class PostgresStore implements SyncStore {
  readonly #writer: pg.Pool;
  readonly #readers: pg.Pool;
  readonly #client: pg.PoolClient;
  readonly #meta: Map<string, string>;
  readonly #lockKey: string;
  /** Commits come from several async paths: one transaction at a time on the one connection. */
  readonly #commits = new AsyncMutex();
  #closed = false;

  /** @internal Use {@link openPostgresStore}. */
  constructor(writer: pg.Pool, readers: pg.Pool, client: pg.PoolClient, lockKey: string, meta: Map<string, string>) {
    this.#writer = writer;
    this.#lockKey = lockKey;
    this.#readers = readers;
    this.#client = client;
    this.#meta = meta;
  }

  get meta(): ReadonlyMap<string, string> {
    return this.#meta;
  }

  commit(batch: WriteBatch): Promise<CommitResult> {
    return this.#commits.run(async () => {
      if (this.#closed) throw new SyncError('disposed', 'the PostgreSQL store was closed');
      const client = this.#client;
      await client.query('BEGIN');
      try {
        const result = await this.#write(client, batch);
        await client.query('COMMIT');
        for (const key in batch.meta) this.#meta.set(key, batch.meta[key]!);
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async #write(client: pg.PoolClient, batch: WriteBatch): Promise<CommitResult> {
    const peer = batch.peer;
    if (peer !== undefined) {
      await client.query('INSERT INTO sync_peers (peer_id) VALUES ($1) ON CONFLICT (peer_id) DO NOTHING', [peer.peerId]);
      if (peer.clearSeen === true) await client.query('DELETE FROM sync_resync_seen WHERE peer_id = $1', [peer.peerId]);
      if (peer.forgetMarkers !== undefined) {
        await client.query('UPDATE sync_items SET from_peer = NULL WHERE from_peer = $1', [peer.peerId]);
        await client.query('UPDATE sync_items SET origin = $1 WHERE origin = $2', [peer.forgetMarkers.nodeId, peer.peerId]);
      }
    }
    const history = batch.history ?? [];
    if (history.length > 0) {
      const column = <T>(pick: (h: (typeof history)[number]) => T): T[] => history.map(pick);
      await client.query(
        `INSERT INTO sync_history (item_id, type, data, version, hlc, node_id, deleted, vector, reason, recorded_at)
         SELECT item_id, type, data, version, hlc, node_id, deleted, vector, reason, recorded_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::smallint[], $8::text[], $9::text[], $10::bigint[])
           WITH ORDINALITY AS t(item_id, type, data, version, hlc, node_id, deleted, vector, reason, recorded_at, ord)
         ORDER BY ord`,
        [
          column((h) => h.state.id),
          column((h) => h.state.type),
          column((h) => h.state.data),
          column((h) => h.state.version),
          column((h) => h.state.hlc),
          column((h) => h.state.node_id),
          column((h) => h.state.deleted),
          column((h) => h.state.vector),
          column((h) => h.reason),
          column((h) => h.recordedAt),
        ],
      );
    }
    // One upsert per id: a later state of an id in the batch supersedes an earlier one, as
    // statements run one by one would leave it (and PostgreSQL refuses one row twice).
    const latest = new Map<string, ItemRow>();
    for (const row of batch.items ?? []) latest.set(row.id, row);
    if (latest.size > 0) {
      const rows = [...latest.values()];
      const column = <T>(pick: (r: ItemRow) => T): T[] => rows.map(pick);
      await client.query(
        `INSERT INTO sync_items (id, type, data, version, hlc, node_id, deleted, vector, value_vector, seq, origin, from_peer)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::smallint[], $8::text[], $9::text[],
           $10::bigint[], $11::text[], $12::text[])
         ON CONFLICT (id) DO UPDATE SET type = excluded.type, data = excluded.data, version = excluded.version, hlc = excluded.hlc,
           node_id = excluded.node_id, deleted = excluded.deleted, vector = excluded.vector, value_vector = excluded.value_vector,
           seq = excluded.seq, origin = excluded.origin, from_peer = excluded.from_peer`,
        [
          column((r) => r.id),
          column((r) => r.type),
          column((r) => r.data),
          column((r) => r.version),
          column((r) => r.hlc),
          column((r) => r.node_id),
          column((r) => r.deleted),
          column((r) => r.vector),
          column((r) => r.value_vector),
          column((r) => r.seq),
          column((r) => r.origin),
          column((r) => r.from_peer),
        ],
      );
    }
    let conflictIds: number[] = [];
    const conflicts = batch.conflicts ?? [];
    if (conflicts.length > 0) {
      const column = <T>(pick: (c: (typeof conflicts)[number]) => T): T[] => conflicts.map(pick);
      const inserted = await client.query<{ id: number }>(
        `INSERT INTO sync_conflicts (item_id, peer_id, rule, winner, local, remote, result, detected_at)
         SELECT item_id, peer_id, rule, winner, local, remote, result, detected_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
           WITH ORDINALITY AS t(item_id, peer_id, rule, winner, local, remote, result, detected_at, ord)
         ORDER BY ord
         RETURNING id`,
        [
          column((c) => c.item_id),
          column((c) => c.peer_id),
          column((c) => c.rule),
          column((c) => c.winner),
          column((c) => c.local),
          column((c) => c.remote),
          column((c) => c.result),
          column((c) => c.detected_at),
        ],
      );
      // Ids come from one sequence in insertion order, and this store is the only writer.
      conflictIds = inserted.rows.map((r) => r.id).sort((a, b) => a - b);
    }
    if (peer !== undefined) {
      const id = peer.peerId;
      if (peer.seen !== undefined && peer.seen.length > 0) {
        await client.query('INSERT INTO sync_resync_seen (peer_id, item_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [id, peer.seen]);
      }
      if (peer.acked !== undefined) await client.query('UPDATE sync_peers SET acked_epoch = $1, acked = $2 WHERE peer_id = $3', [peer.acked.epoch, peer.acked.seq, id]);
      const c = peer.cursor;
      if (c !== undefined) {
        await client.query('UPDATE sync_peers SET epoch = $1, cursor = $2, resyncing = $3, sweep_through = $4 WHERE peer_id = $5', [c.epoch, c.seq, c.resyncing ? 1 : 0, c.sweepThrough, id]);
      }
      if (peer.success !== undefined) await client.query('UPDATE sync_peers SET last_attempt = $1, last_success = $2 WHERE peer_id = $3', [peer.success.attemptAt, peer.success.at, id]);
      const e = peer.error;
      if (e !== undefined) {
        await client.query(
          'UPDATE sync_peers SET last_attempt = coalesce($1, last_attempt), last_error_code = $2, last_error = $3, last_error_at = $4 WHERE peer_id = $5',
          [e.attemptAt, e.code, e.message, e.at, id],
        );
      }
    }
    if (batch.deleteItems !== undefined && batch.deleteItems.length > 0) {
      await client.query('DELETE FROM sync_items WHERE id = ANY($1::text[])', [batch.deleteItems]);
    }
    let historyPruned = 0;
    if (batch.pruneHistory !== undefined) {
      historyPruned += (await client.query('DELETE FROM sync_history WHERE recorded_at < $1', [batch.pruneHistory.recordedBefore])).rowCount ?? 0;
      const byCount = await client.query(
        `DELETE FROM sync_history WHERE id IN (
           SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY item_id ORDER BY id DESC) AS rn FROM sync_history) AS ranked WHERE rn > $1)`,
        [batch.pruneHistory.keepPerItem],
      );
      historyPruned += byCount.rowCount ?? 0;
    }
    let acknowledged = 0;
    const ack = batch.acknowledgeConflicts;
    if (ack !== undefined && ack.ids.length > 0) {
      const updated = await client.query('UPDATE sync_conflicts SET acknowledged_at = $1 WHERE id = ANY($2::bigint[]) AND acknowledged_at IS NULL', [ack.at, ack.ids]);
      acknowledged = updated.rowCount ?? 0;
    }
    const meta = Object.entries(batch.meta ?? {});
    if (meta.length > 0) {
      await client.query(
        'INSERT INTO sync_meta (key, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [meta.map(([key]) => key), meta.map(([, value]) => value)],
      );
    }
    return { conflictIds, historyPruned, acknowledged };
  }

  async #rows<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
    if (this.#closed) throw new SyncError('disposed', 'the PostgreSQL store was closed');
    return (await this.#readers.query<T>(sql, params)).rows;
  }

  async getItems(ids: readonly string[]): Promise<Map<string, ItemRow>> {
    const rows = new Map<string, ItemRow>();
    if (ids.length === 0) return rows;
    const found =
      ids.length === 1
        ? await this.#rows<ItemRow>('SELECT * FROM sync_items WHERE id = $1', [ids[0]])
        : await this.#rows<ItemRow>('SELECT * FROM sync_items WHERE id = ANY($1::text[])', [ids]);
    for (const row of found) rows.set(row.id, row);
    return rows;
  }

  async listItems(query: ItemQuery): Promise<ItemRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.type !== undefined) where.push(`type = $${params.push(query.type)}`);
    if (query.afterId !== undefined) where.push(`id > $${params.push(query.afterId)}`);
    if (!query.includeDeleted) where.push('deleted = 0');
    const limit = `$${params.push(query.limit)}`;
    return this.#rows<ItemRow>(`SELECT * FROM sync_items${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY id LIMIT ${limit}`, params);
  }

  async scanLog(after: number, through: number, limit: number, maxBytes: number): Promise<ItemRow[]> {
    // The running total stops the read at the row whose data reaches the budget, in the server:
    // a page of large items is not fetched a thousand rows at a time.
    return this.#rows<ItemRow>(
      `SELECT id, type, data, version, hlc, node_id, deleted, vector, value_vector, seq, origin, from_peer FROM (
         SELECT *, sum(coalesce(length(data), 0)) OVER (ORDER BY seq) - coalesce(length(data), 0) AS before
         FROM sync_items WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3) AS t
       WHERE before < $4 ORDER BY seq`,
      [after, through, limit, maxBytes],
    );
  }

  async feedRange(after: number, through: number, type: string | undefined, limit: number): Promise<ItemRow[]> {
    return type === undefined
      ? this.#rows<ItemRow>('SELECT * FROM sync_items WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3', [after, through, limit])
      : this.#rows<ItemRow>('SELECT * FROM sync_items WHERE seq > $1 AND seq <= $2 AND type = $3 ORDER BY seq LIMIT $4', [after, through, type, limit]);
  }

  async sweepCandidates(peerId: string, through: number, options: { readonly ignoreStoredSeen: boolean; readonly alsoSeen: readonly string[] }): Promise<ItemRow[]> {
    const rows = options.ignoreStoredSeen
      ? await this.#rows<ItemRow>('SELECT * FROM sync_items WHERE deleted = 0 AND seq <= $1', [through])
      : await this.#rows<ItemRow>(
          `SELECT * FROM sync_items AS i WHERE i.deleted = 0 AND i.seq <= $1
             AND NOT EXISTS (SELECT 1 FROM sync_resync_seen AS s WHERE s.peer_id = $2 AND s.item_id = i.id)`,
          [through, peerId],
        );
    if (options.alsoSeen.length === 0) return rows;
    const seen = new Set(options.alsoSeen);
    return rows.filter((row) => !seen.has(row.id));
  }

  async expiredTombstones(hlcBefore: string): Promise<{ id: string; seq: number }[]> {
    return this.#rows('SELECT id, seq FROM sync_items WHERE deleted = 1 AND hlc < $1', [hlcBefore]);
  }

  async countPending(peerId: string, acked: number): Promise<number> {
    const [row] = await this.#rows<{ n: number }>(
      'SELECT count(*)::bigint AS n FROM sync_items WHERE seq > $1 AND origin <> $2 AND (from_peer IS NULL OR from_peer <> $2)',
      [acked, peerId],
    );
    return row!.n;
  }

  async getHistory(historyId: number): Promise<HistoryRow | undefined> {
    return (await this.#rows<HistoryRow>('SELECT * FROM sync_history WHERE id = $1', [historyId]))[0];
  }

  async listHistory(itemId: string, options: { readonly beforeId?: number | undefined; readonly limit: number }): Promise<HistoryRow[]> {
    return options.beforeId === undefined
      ? this.#rows<HistoryRow>('SELECT * FROM sync_history WHERE item_id = $1 ORDER BY id DESC LIMIT $2', [itemId, options.limit])
      : this.#rows<HistoryRow>('SELECT * FROM sync_history WHERE item_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [itemId, options.beforeId, options.limit]);
  }

  async latestLiveHistory(itemId: string): Promise<HistoryRow | undefined> {
    return (await this.#rows<HistoryRow>('SELECT * FROM sync_history WHERE item_id = $1 AND deleted = 0 ORDER BY id DESC LIMIT 1', [itemId]))[0];
  }

  async conflictLosers(itemId: string): Promise<HistoryRow[]> {
    return this.#rows<HistoryRow>("SELECT * FROM sync_history WHERE item_id = $1 AND reason = 'conflict-loser' ORDER BY id DESC LIMIT 64", [itemId]);
  }

  async hasConflictLoser(itemId: string, hlc: string): Promise<boolean> {
    return (await this.#rows("SELECT 1 FROM sync_history WHERE item_id = $1 AND hlc = $2 AND reason = 'conflict-loser' LIMIT 1", [itemId, hlc])).length > 0;
  }

  async listConflicts(query: ConflictQuery): Promise<ConflictRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.acknowledged === true) where.push('acknowledged_at IS NOT NULL');
    if (query.acknowledged === false) where.push('acknowledged_at IS NULL');
    if (query.itemId !== undefined) where.push(`item_id = $${params.push(query.itemId)}`);
    if (query.afterId !== undefined) where.push(`id > $${params.push(query.afterId)}`);
    const limit = `$${params.push(query.limit)}`;
    return this.#rows<ConflictRow>(`SELECT * FROM sync_conflicts${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY id LIMIT ${limit}`, params);
  }

  async getPeer(peerId: string): Promise<PeerRow | undefined> {
    return (await this.#rows<PeerRow>('SELECT * FROM sync_peers WHERE peer_id = $1', [peerId]))[0];
  }

  async listPeers(): Promise<PeerRow[]> {
    return this.#rows<PeerRow>('SELECT * FROM sync_peers ORDER BY peer_id', []);
  }

  /** Waits for a commit in progress, releases the lock (with its connection) and ends the pools. Idempotent. */
  async close(): Promise<void> {
    await this.#commits.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      // Released explicitly, so a store opened right after this one resolves finds it free; ending
      // the session (below, or a crash) releases it too.
      await this.#client.query('SELECT pg_advisory_unlock(hashtext($1))', [this.#lockKey]).catch(() => undefined);
      this.#client.release(true);
      await Promise.all([this.#writer.end(), this.#readers.end()]);
    });
  }
}
