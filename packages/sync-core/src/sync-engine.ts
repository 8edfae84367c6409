import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Kysely, SqliteDialect, type SqliteDatabase as KyselySqliteDatabase } from 'kysely';
import { AsyncMutex } from './async-mutex.js';
import { cacheSizeOption, resolveConfig, type ResolvedConfig } from './engine-config.js';
import { prepareEngineStatements, type EngineStatements } from './engine-statements.js';
import { ClockDriftError, SyncError, SyncProtocolError, SyncRemoteError } from './errors.js';
import { decodeHlc, hlcWallPrefix, HybridLogicalClock } from './hlc.js';
import { changeToItem, changeToMergeState, parseVector, remoteChangeEvent, rowToItem, rowToMergeState, type HistoryRow, type ItemRow, type NewState, type PeerRow } from './item-rows.js';
import { checkId, checkLimit, checkType, prepareWrites, type PreparedWrite } from './local/input-checks.js';
import { conflictRecord, historyEntry, peerStatus } from './local/records.js';
import { defaultResolve, lastWriteWins, resolveConflict, type ConflictResolver, type Resolution } from './merge/conflict-resolver.js';
import { absorbedLosers, unloggedLostVersions } from './merge/lost-versions.js';
import { decideChange, planRemoteChange, type ChangeDecision, type ChangeOutcome, type HistoryState } from './merge/merge-plan.js';
import { parseSyncRequest, parseSyncResponse, type ValidatedChange, type ValidatedLostVersion, type ValidatedPage, type ValidationLimits } from './message-validator.js';
import { SYNC_PROTOCOL_VERSION, type ChangePage, type LogCursor, type PageLimits, type PullRequest, type PushRequest, type SyncResponse } from './messages.js';
import { scanPageTimestamps, type PageTimestamps } from './future-timestamps.js';
import { isValidNodeId } from './node-id.js';
import { acknowledges, ackMoves, canContinue, changeFeedStart, checkPeerLogPosition, commonLimits, cursorAfterPage, pageStart, provesRestore, type LogState } from './protocol/cursor-rules.js';
import { buildPage, type BuiltPage } from './protocol/page-builder.js';
import type { ConflictRule } from './resolution.js';
import { migrate, type SyncDatabase } from './schema.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { JsonValue, SyncItem } from './sync-item.js';
import type { SyncRequestContext, SyncResponder, SyncTransport } from './sync-transport.js';
import type {
  ChangeFeedOptions,
  ChangeFeedPage,
  ClockDriftEvent,
  ChangeFeedPosition,
  ConflictListOptions,
  ConflictRecord,
  GarbageCollectionReport,
  HistoryEntry,
  HistoryReason,
  ItemPage,
  ListOptions,
  PeerStatus,
  PutInput,
  SyncEngineConfig,
  SyncEngineEvents,
  SyncRoundOptions,
  SyncRoundReport,
  SyncStatus,
} from './sync-types.js';
import { systemWallClockMicros } from './system-wall-clock.js';
import { TypedEmitter } from './typed-emitter.js';
import { joinVectors } from './version-vector.js';

/**
 * How many sequence numbers one change-feed call looks at. A type filter then costs one bounded
 * index range per call, however rare the type: the position moves on past the range read.
 */
const CHANGE_FEED_SCAN = 10_000;

/** A remote change of a page being applied, with its merge decision and, for a conflict, its resolution. */
interface PlannedChange {
  readonly change: ValidatedChange;
  readonly local: ItemRow | undefined;
  readonly decision: ChangeDecision;
  resolution?: Resolution;
}

function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof SyncError) return { code: error.code, message: error.message };
  if (error instanceof Error && error.name === 'AbortError') return { code: 'aborted', message: error.message };
  return { code: 'transport-error', message: error instanceof Error ? error.message : String(error) };
}

/**
 * A replicated item store: items in SQLite, a hybrid logical clock, version vectors,
 * tombstones, history, a conflict log, and the delta-sync protocol (both the requesting and
 * the responding side) over any {@link SyncTransport}.
 *
 * Storage: all writes (local and applied pages) go through one better-sqlite3 connection in
 * synchronous transactions, serialised by an async mutex; every multi-statement write is a
 * single transaction, and a page is applied together with the cursor that acknowledges it.
 * {@link SyncEngine.kysely} gives typed read access to the same tables.
 *
 * Custom conflict resolution: subclass and override {@link SyncEngine.resolveConflict}, or
 * pass `resolveConflict` in the config.
 *
 * @example
 * ```ts
 * import { SyncEngine } from '@trosyn/sync-core';
 * import { createInMemoryTransportPair } from '@trosyn/sync-core/testing';
 *
 * const a = new SyncEngine({ database: 'a.db', nodeId: 'a' });
 * const b = new SyncEngine({ database: 'b.db', nodeId: 'b' });
 * await a.put({ id: 'note-1', type: 'note', data: { text: 'hello' } });
 * const { aToB } = createInMemoryTransportPair(a, b);
 * const report = await a.syncWith('b', aToB); // pull from b, then push to b
 * console.log(report.ok, await b.get('note-1'));
 * ```
 */
export class SyncEngine implements SyncResponder {
  readonly #db: SqliteDatabase;
  readonly #ownsDb: boolean;
  readonly #config: ResolvedConfig;
  readonly #validationLimits: ValidationLimits;
  readonly #clock: HybridLogicalClock;
  readonly #nodeId: string;
  #epoch: string;
  readonly #mutex = new AsyncMutex();
  readonly #events = new TypedEmitter<SyncEngineEvents>();
  /** `undefined`: the built-in rule, decided without building items for a resolver. */
  readonly #resolver: ConflictResolver | undefined;
  readonly #stmt: EngineStatements;
  #kysely: Kysely<SyncDatabase> | undefined;
  #lastSeq: number;
  #gcSeq: number;
  #disposed = false;

  constructor(config: SyncEngineConfig) {
    if (typeof config !== 'object' || config === null) throw new SyncError('invalid-config', 'config must be an object');
    const frozen = Object.freeze({ ...config });
    this.#config = resolveConfig(frozen);
    this.#validationLimits = {
      maxChanges: this.#config.pageMaxChanges,
      maxBytes: this.#config.pageMaxBytes,
      maxItemBytes: this.#config.maxItemBytes,
    };
    if (frozen.nodeId !== undefined && !isValidNodeId(frozen.nodeId)) {
      throw new SyncError('invalid-config', `nodeId must be 1–64 ASCII letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(frozen.nodeId)}`);
    }
    if (frozen.synchronous !== undefined && frozen.synchronous !== 'normal' && frozen.synchronous !== 'full') {
      throw new SyncError('invalid-config', `synchronous must be 'normal' or 'full', got ${JSON.stringify(frozen.synchronous)}`);
    }
    this.#resolver = this.#chooseResolver(frozen);
    const cacheSizeKiB = cacheSizeOption(frozen);

    if (typeof frozen.database === 'string') {
      // better-sqlite3 is a native module: load it only when the engine has to open a file itself.
      const require = createRequire(import.meta.url);
      let Database: new (path: string) => SqliteDatabase;
      try {
        Database = require('better-sqlite3') as new (path: string) => SqliteDatabase;
      } catch (error) {
        throw new SyncError('invalid-config', 'opening a database by path needs the better-sqlite3 package: npm install better-sqlite3', { cause: error });
      }
      this.#db = new Database(frozen.database);
      this.#ownsDb = true;
    } else if (typeof frozen.database === 'object' && frozen.database !== null && typeof frozen.database.prepare === 'function') {
      this.#db = frozen.database;
      this.#ownsDb = false;
    } else {
      throw new SyncError('invalid-config', 'database must be a file path or a better-sqlite3 Database');
    }

    try {
      if (!this.#db.memory) {
        this.#db.pragma('journal_mode = WAL');
        // Checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: each checkpoint fsyncs, and
        // with bulk page applies the fsyncs, not the inserts, set the pace (measured ~2x).
        this.#db.pragma('wal_autocheckpoint = 10000');
      }
      this.#db.pragma(`synchronous = ${frozen.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.pragma('busy_timeout = 5000');
      // Negative: a size in KiB rather than in pages (see cacheSizeKiB).
      this.#db.pragma(`cache_size = -${cacheSizeKiB}`);
      migrate(this.#db);
      this.#stmt = prepareEngineStatements(this.#db);
      const meta = new Map((this.#stmt.allMeta.all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      const storedNode = meta.get('node_id');
      if (storedNode !== undefined && frozen.nodeId !== undefined && storedNode !== frozen.nodeId) {
        throw new SyncError(
          'node-id-mismatch',
          `database belongs to node ${JSON.stringify(storedNode)}, not ${JSON.stringify(frozen.nodeId)}; a database must keep its node id`,
        );
      }
      this.#nodeId = storedNode ?? frozen.nodeId ?? randomUUID();
      this.#epoch = meta.get('epoch') ?? randomUUID();
      this.#lastSeq = Number(meta.get('last_seq') ?? 0);
      this.#gcSeq = Number(meta.get('gc_seq') ?? 0);
      this.#clock = new HybridLogicalClock({
        nodeId: this.#nodeId,
        wallClockMicros: frozen.wallClockMicros ?? systemWallClockMicros,
        maxDriftMs: this.#config.maxClockDriftMs,
        last: meta.get('clock'),
      });
      if (storedNode === undefined || !meta.has('epoch')) {
        this.#db.transaction(() => {
          this.#stmt.setMeta.run('node_id', this.#nodeId);
          this.#stmt.setMeta.run('epoch', this.#epoch);
          this.#persistCounters();
        })();
      }
    } catch (error) {
      if (this.#ownsDb) this.#db.close();
      throw error;
    }
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#nodeId;
  }

  /** The greatest timestamp this node issued or adopted (its HLC's state; it runs ahead of the wall clock after a clock ran ahead). */
  get hlc(): string {
    return this.#clock.last;
  }

  /** Random id of this database's change log; a new database (or a wiped one) gets a new epoch. */
  get epoch(): string {
    return this.#epoch;
  }

  /**
   * Typed kysely access to the engine's `sync_*` tables, for reporting queries. Read only:
   * writing these tables directly bypasses the clock and the change log.
   */
  get kysely(): Kysely<SyncDatabase> {
    this.#assertOpen();
    this.#kysely ??= new Kysely<SyncDatabase>({
      dialect: new SqliteDialect({ database: this.#db as unknown as KyselySqliteDatabase }),
    });
    return this.#kysely;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends keyof SyncEngineEvents>(name: K, listener: (event: SyncEngineEvents[K]) => void): () => void {
    return this.#events.on(name, listener);
  }

  /** Unsubscribes a listener. */
  off<K extends keyof SyncEngineEvents>(name: K, listener: (event: SyncEngineEvents[K]) => void): void {
    this.#events.off(name, listener);
  }

  // ---------------------------------------------------------------- local API

  /** Creates or replaces an item. A local write always succeeds offline; it queues in the change log. */
  async put(input: PutInput): Promise<SyncItem> {
    const [item] = await this.putMany([input]);
    return item!;
  }

  /**
   * Creates an item whose id is not taken: {@link SyncEngine.put}, except that it fails with
   * `already-exists` when a live item has the id (a deleted one is replaced, as `put` would).
   * The check and the write are one transaction, so two creates of one id cannot both succeed.
   */
  async create(input: PutInput): Promise<SyncItem> {
    const [item] = await this.#write(prepareWrites([input], this.#config.maxItemBytes), true);
    return item!;
  }

  /** Writes several items in one transaction (all or none). */
  async putMany(inputs: readonly PutInput[]): Promise<SyncItem[]> {
    if (!Array.isArray(inputs)) throw new SyncError('invalid-argument', 'putMany expects an array');
    return this.#write(prepareWrites(inputs, this.#config.maxItemBytes), false);
  }

  /** One transaction writing `prepared`; with `mustBeAbsent`, a live item with one of the ids fails it. */
  #write(prepared: readonly PreparedWrite[], mustBeAbsent: boolean): Promise<SyncItem[]> {
    return this.#mutex.run(() => {
      this.#assertOpen();
      const changed: ItemRow[] = [];
      this.#db.transaction(() => {
        // Rows written earlier in this batch take precedence over these.
        const previous = this.#localRows(prepared.map((p) => p.id));
        if (mustBeAbsent) {
          for (const { id } of prepared) {
            if (previous.get(id)?.deleted === 0) throw new SyncError('already-exists', `an item with id ${JSON.stringify(id)} already exists`);
          }
        }
        for (const { id, type, dataJson } of prepared) {
          const row = this.#writeLocal(id, type, dataJson, false, previous.get(id));
          previous.set(id, row);
          changed.push(row);
        }
        this.#persistCounters();
      })();
      return this.#emitLocal(changed);
    });
  }

  /** The item with this id, or `undefined`. Tombstones only with `includeDeleted`. */
  async get(id: string, options: { readonly includeDeleted?: boolean } = {}): Promise<SyncItem | undefined> {
    this.#assertOpen();
    const row = this.#stmt.getItem.get(checkId(id)) as ItemRow | undefined;
    if (row === undefined || (row.deleted === 1 && options.includeDeleted !== true)) return undefined;
    return rowToItem(row);
  }

  /**
   * Deletes an item: writes a tombstone that replicates. Returns the tombstone, or
   * `undefined` when there is no live item with this id.
   */
  async delete(id: string): Promise<SyncItem | undefined> {
    checkId(id);
    return this.#mutex.run(() => {
      this.#assertOpen();
      let row: ItemRow | undefined;
      this.#db.transaction(() => {
        const previous = this.#stmt.getItem.get(id) as ItemRow | undefined;
        if (previous === undefined || previous.deleted === 1) return;
        row = this.#writeLocal(id, previous.type, null, true, previous);
        this.#persistCounters();
      })();
      return row === undefined ? undefined : this.#emitLocal([row])[0];
    });
  }

  /** Items ordered by id, paged. */
  async list(options: ListOptions = {}): Promise<ItemPage> {
    const limit = checkLimit(options.limit);
    let query = this.kysely.selectFrom('sync_items').selectAll().orderBy('id').limit(limit + 1);
    if (options.type !== undefined) query = query.where('type', '=', checkType(options.type));
    if (options.cursor !== undefined) query = query.where('id', '>', checkId(options.cursor));
    if (options.includeDeleted !== true) query = query.where('deleted', '=', 0);
    const rows = await query.execute();
    const items = rows.slice(0, limit).map(rowToItem);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : undefined };
  }

  /** The end of this node's change feed: {@link SyncEngine.changeFeed} after it returns only later changes. */
  get changeFeedEnd(): ChangeFeedPosition {
    return { epoch: this.#epoch, seq: this.#lastSeq };
  }

  /**
   * Items that changed after a position in this node's change log, oldest change first: local
   * writes and applied remote changes alike, each as its current version (an item changed twice
   * since `after` appears once, at its latest change). For an application that mirrors or reacts
   * to the store: read pages until `hasMore` is false, then wait for the `item-changed` event
   * and continue from the last `position`. A page covers at most 10,000 sequence numbers, so
   * `hasMore` can be true on a page with few entries.
   */
  async changeFeed(options: ChangeFeedOptions = {}): Promise<ChangeFeedPage> {
    this.#assertOpen();
    const limit = checkLimit(options.limit);
    const type = options.type === undefined ? undefined : checkType(options.type);
    const after = options.after;
    if (after !== undefined && (typeof after !== 'object' || after === null || typeof after.epoch !== 'string' || !Number.isSafeInteger(after.seq) || after.seq < 0)) {
      throw new SyncError('invalid-argument', 'after must be a position { epoch: string, seq: non-negative integer }');
    }
    const { reset, from } = changeFeedStart(after, this.#log);
    const through = Math.min(from + CHANGE_FEED_SCAN, this.#lastSeq);
    const rows = (type === undefined ? this.#stmt.feedRange.all(from, through, limit + 1) : this.#stmt.feedRangeOfType.all(from, through, type, limit + 1)) as ItemRow[];
    const full = rows.length > limit;
    const page = full ? rows.slice(0, limit) : rows;
    const end = full ? page[page.length - 1]!.seq : through;
    return {
      entries: page.map((row) => ({ seq: row.seq, item: rowToItem(row), peerId: row.from_peer })),
      position: { epoch: this.#epoch, seq: end },
      hasMore: end < this.#lastSeq,
      reset,
    };
  }

  /** Superseded versions of an item, newest first; `before`: only entries older than that history id (paging). */
  async history(id: string, options: { readonly limit?: number; readonly before?: number } = {}): Promise<HistoryEntry[]> {
    const { before } = options;
    if (before !== undefined && !Number.isSafeInteger(before)) throw new SyncError('invalid-argument', 'before must be an integer');
    const query = this.kysely.selectFrom('sync_history').selectAll().where('item_id', '=', checkId(id));
    const rows = await (before === undefined ? query : query.where('id', '<', before)).orderBy('id', 'desc').limit(checkLimit(options.limit)).execute();
    return rows.map(historyEntry);
  }

  /** One history entry by its id, or `undefined`. */
  async getHistoryEntry(historyId: number): Promise<HistoryEntry | undefined> {
    this.#assertOpen();
    if (!Number.isSafeInteger(historyId)) throw new SyncError('invalid-argument', 'historyId must be an integer');
    const row = this.#stmt.getHistory.get(historyId) as HistoryRow | undefined;
    return row === undefined ? undefined : historyEntry(row);
  }

  /**
   * Restores an item from history (by default its latest non-deleted version). Restoring is
   * a new write: it gets a new timestamp and version and replicates like any other change.
   * @throws {SyncError} `not-found` when there is no such version.
   */
  async restore(id: string, options: { readonly historyId?: number } = {}): Promise<SyncItem> {
    this.#assertOpen();
    checkId(id);
    const entry =
      options.historyId === undefined
        ? (this.#stmt.latestLiveHistory.get(id) as HistoryRow | undefined)
        : (this.#stmt.getHistory.get(options.historyId) as HistoryRow | undefined);
    if (entry === undefined || entry.item_id !== id) {
      throw new SyncError('not-found', `no history version ${options.historyId ?? '(latest live)'} for item ${JSON.stringify(id)}`);
    }
    if (entry.deleted === 1 || entry.data === null) throw new SyncError('invalid-argument', `history entry ${entry.id} is a deletion`);
    return this.put({ id, type: entry.type, data: JSON.parse(entry.data) as JsonValue });
  }

  /** Conflict log entries, oldest first. */
  async conflicts(options: ConflictListOptions = {}): Promise<ConflictRecord[]> {
    let query = this.kysely.selectFrom('sync_conflicts').selectAll().orderBy('id').limit(checkLimit(options.limit));
    if (options.acknowledged === true) query = query.where('acknowledged_at', 'is not', null);
    if (options.acknowledged === false) query = query.where('acknowledged_at', 'is', null);
    if (options.itemId !== undefined) query = query.where('item_id', '=', checkId(options.itemId));
    if (options.cursor !== undefined) query = query.where('id', '>', options.cursor);
    return (await query.execute()).map(conflictRecord);
  }

  /** Marks conflicts as reviewed. Returns how many were newly acknowledged. */
  async acknowledgeConflicts(ids: readonly number[]): Promise<number> {
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id))) {
      throw new SyncError('invalid-argument', 'ids must be an array of integers');
    }
    if (ids.length === 0) return 0;
    const result = await this.kysely
      .updateTable('sync_conflicts')
      .set({ acknowledged_at: this.#clock.wallMicros() })
      .where('id', 'in', ids)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Engine status with every known peer. */
  async status(): Promise<SyncStatus> {
    this.#assertOpen();
    const peers = (this.#stmt.allPeers.all() as PeerRow[]).map((row) => this.#peerStatus(row));
    return { nodeId: this.#nodeId, epoch: this.#epoch, lastSeq: this.#lastSeq, peers };
  }

  /** Status of one peer, or `undefined` if this node never exchanged with it. */
  async peerStatus(peerId: string): Promise<PeerStatus | undefined> {
    this.#assertOpen();
    const row = this.#stmt.getPeer.get(peerId) as PeerRow | undefined;
    return row === undefined ? undefined : this.#peerStatus(row);
  }

  /**
   * Removes tombstones older than `tombstoneRetentionMs` and history beyond its retention.
   * Peers whose cursor predates a removed tombstone get a full resync next time (never a
   * delta, which could not tell them about the deletion). Run it periodically.
   */
  async collectGarbage(): Promise<GarbageCollectionReport> {
    return this.#mutex.run(() => {
      this.#assertOpen();
      const now = this.#clock.wallMicros();
      const horizon = hlcWallPrefix(now - this.#config.tombstoneRetentionMs * 1000);
      let tombstonesCollected = 0;
      let historyEntriesPruned = 0;
      this.#db.transaction(() => {
        const expired = this.#stmt.expiredTombstones.all(horizon) as { id: string; seq: number }[];
        for (const { id, seq } of expired) {
          this.#stmt.deleteItem.run(id);
          this.#gcSeq = Math.max(this.#gcSeq, seq);
        }
        tombstonesCollected = expired.length;
        historyEntriesPruned += this.#stmt.pruneHistoryAge.run(now - this.#config.historyMaxAgeMs * 1000).changes;
        historyEntriesPruned += this.#stmt.pruneHistoryCount.run(this.#config.historyMaxVersions).changes;
        this.#stmt.setMeta.run('gc_seq', String(this.#gcSeq));
      })();
      return { tombstonesCollected, historyEntriesPruned };
    });
  }

  /**
   * The conflict resolution rule. Called for true conflicts only: two versions of one item
   * where neither was written with knowledge of the other. The default keeps a deletion over
   * a modification, else the version with the greater (HLC, node id). Override it in a
   * subclass for custom merging; the result is validated. It runs while the engine holds its
   * write lock: it may read (`get`, `history`), but must not write (`put`, `delete`), which
   * would wait for the lock forever.
   */
  protected async resolveConflict(local: SyncItem, remote: SyncItem): Promise<SyncItem> {
    return defaultResolve(local, remote);
  }

  /**
   * The one resolver the engine calls: the `resolver` option, else the `resolveConflict`
   * function option, else a subclass's {@link SyncEngine.resolveConflict} override (the seed's
   * documented form), each adapted onto {@link ConflictResolver}. `undefined` for the built-in
   * rule, which then decides without building items for a resolver.
   */
  #chooseResolver(config: SyncEngineConfig): ConflictResolver | undefined {
    const { resolver, resolveConflict: resolveFunction } = config;
    if (resolver !== undefined && resolveFunction !== undefined) {
      throw new SyncError('invalid-config', 'pass either resolver or resolveConflict, not both');
    }
    if (resolver !== undefined) {
      if (typeof resolver !== 'object' || resolver === null || typeof resolver.resolve !== 'function') {
        throw new SyncError('invalid-config', 'resolver must be an object with a resolve(local, remote, context) method');
      }
      return resolver === lastWriteWins ? undefined : resolver;
    }
    if (resolveFunction !== undefined) {
      if (typeof resolveFunction !== 'function') throw new SyncError('invalid-config', 'resolveConflict must be a function');
      return { resolve: (local, remote, context) => resolveFunction(local, remote, context) };
    }
    // In the base constructor `this` already has the subclass's prototype, so an override shows.
    if (this.resolveConflict !== SyncEngine.prototype.resolveConflict) {
      return { resolve: (local, remote) => this.resolveConflict(local, remote) };
    }
    return undefined;
  }

  // ---------------------------------------------------------------- sync: responder side

  /**
   * Serves one request from a peer (the responder side of the protocol; a transport's server
   * calls this). `context.peerId` must be the peer the transport authenticated; a message
   * claiming another node id is rejected. Bad requests come back as `{ type: 'error' }`
   * responses with a {@link SyncErrorCode}; nothing is applied from a rejected push.
   */
  async handleSyncRequest(message: unknown, context: SyncRequestContext): Promise<SyncResponse> {
    const peerId = context?.peerId;
    try {
      this.#assertOpen();
      if (!isValidNodeId(peerId)) throw new SyncError('invalid-argument', 'context.peerId must be a valid node id');
      const request = parseSyncRequest(message, this.#validationLimits);
      if (request.type === 'pull') {
        if (request.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `request claims node ${request.nodeId} but comes from ${peerId}`);
        return this.#servePull(request, peerId);
      }
      const page = request.page as ValidatedPage;
      if (page.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `page claims node ${page.nodeId} but comes from ${peerId}`);
      const cursor = await this.#applyPage(peerId, page);
      return { type: 'push-ack', protocol: SYNC_PROTOCOL_VERSION, nodeId: this.#nodeId, cursor };
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      if (isValidNodeId(peerId) && !this.#disposed) this.#recordPeerError(peerId, error);
      return { type: 'error', protocol: SYNC_PROTOCOL_VERSION, code: error.code, message: error.message };
    }
  }

  /**
   * A peer holding a cursor beyond the end of our log in our epoch proves that this database
   * was restored from a backup: sequence numbers would be reissued and peers would take our
   * lost states for echoes. A new epoch makes every peer treat our log as new (full resync,
   * echo markers forgotten).
   */
  #checkRestored(cursor: LogCursor | null): void {
    if (!provesRestore(cursor, this.#log)) return;
    this.#epoch = randomUUID();
    this.#stmt.setMeta.run('epoch', this.#epoch);
  }

  #servePull(request: PullRequest, peerId: string): SyncResponse {
    const peer = this.#getPeer(peerId);
    this.#checkRestored(request.cursor);
    const c = request.cursor;
    if (c.epoch === this.#epoch) {
      // The requester's cursor acknowledges our log up to it; written only when it moved.
      const acked = Math.min(c.seq, this.#lastSeq);
      if (peer === undefined) {
        this.#db.transaction(() => {
          this.#stmt.ensurePeer.run(peerId);
          this.#stmt.setPeerAcked.run(this.#epoch, acked, peerId);
        })();
      } else if (ackMoves(peer, c.seq, this.#log)) {
        this.#stmt.setPeerAcked.run(this.#epoch, acked, peerId);
      }
    }
    // A cursor into another epoch (we were wiped), from before collected tombstones, or
    // beyond our log (we were restored from a backup) cannot be continued with a delta.
    const continuable = canContinue(c, this.#log);
    const mode = continuable && !c.resyncing ? 'delta' : 'full';
    const after = continuable ? c.seq : 0;
    const knowsRequester = peer !== undefined && peer.epoch === request.epoch;
    const limits = commonLimits(request.limits, this.#ownLimits);
    const { page } = this.#buildPage(peerId, after, mode, limits, knowsRequester ? { epoch: request.epoch, seq: peer.cursor } : null, knowsRequester);
    return {
      type: 'pull-page',
      protocol: SYNC_PROTOCOL_VERSION,
      page,
      yourCursor: knowsRequester ? { epoch: peer.epoch, seq: peer.cursor, resyncing: peer.resyncing === 1 } : null,
      limits: this.#ownLimits,
    };
  }

  /** The page limits this node applies to pages it sends and receives. */
  get #ownLimits(): PageLimits {
    return { maxChanges: this.#config.pageMaxChanges, maxBytes: this.#config.pageMaxBytes };
  }

  // ---------------------------------------------------------------- sync: requester side

  /**
   * Runs one sync round with a peer through `transport`: pulls every page of the peer's
   * changes after this node's cursor, then pushes every page of this node's changes the peer
   * has not confirmed. Never throws for sync failures: the report says what happened (pages
   * applied before a failure stay applied, with their cursors).
   */
  async syncWith(peerId: string, transport: SyncTransport, options: SyncRoundOptions = {}): Promise<SyncRoundReport> {
    if (!isValidNodeId(peerId)) throw new SyncError('invalid-argument', `invalid peer id ${JSON.stringify(peerId)}`);
    if (peerId === this.#nodeId) throw new SyncError('invalid-argument', 'a node cannot sync with itself');
    if (options.pushOnly !== undefined) checkPeerLogPosition(options.pushOnly);
    this.#assertOpen();
    const started = performance.now();
    const maxPages = options.maxPages ?? 100_000;
    const pulled = { pages: 0, changes: 0, bytes: 0, mode: null as 'delta' | 'full' | null };
    const pushed = { pages: 0, changes: 0, bytes: 0, mode: null as 'delta' | 'full' | null };
    let conflicts = 0;
    const countConflicts = (): void => {
      conflicts += 1;
    };
    const unsubscribe = this.#events.on('conflict', (record) => {
      if (record.peerId === peerId) countConflicts();
    });
    let error: { code: string; message: string } | null = null;
    // The round's bookkeeping is written once, when it ends (one transaction with the last
    // acknowledgement): a live push then costs the receiver's transaction and one of ours.
    const attemptAt = this.#clock.wallMicros();
    let lastAck: number | undefined;
    try {
      // Pull, unless the caller knows where the peer stands in our log.
      let yourCursor: LogCursor | null = options.pushOnly?.yourCursor ?? null;
      let remoteLimits: PageLimits = options.pushOnly?.limits ?? this.#ownLimits;
      for (let pages = 0; options.pushOnly === undefined; pages++) {
        if (pages >= maxPages) throw new SyncError('invalid-message', `peer sent more than ${maxPages} pages in one round`);
        options.signal?.throwIfAborted();
        const peer = this.#getPeer(peerId);
        const request: PullRequest = {
          type: 'pull',
          protocol: SYNC_PROTOCOL_VERSION,
          nodeId: this.#nodeId,
          epoch: this.#epoch,
          cursor: peer?.epoch ? { epoch: peer.epoch, seq: peer.cursor, resyncing: peer.resyncing === 1 } : { epoch: null, seq: 0, resyncing: false },
          limits: this.#ownLimits,
        };
        const response = parseSyncResponse(await transport.request(request, { signal: options.signal }), this.#validationLimits);
        if (response.type === 'error') throw new SyncRemoteError(response.code, response.message);
        if (response.type !== 'pull-page') throw new SyncProtocolError('invalid-message', `expected a pull-page response, got ${response.type}`);
        const page = response.page;
        if (page.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `page comes from ${page.nodeId}, expected ${peerId}`);
        await this.#applyPage(peerId, page);
        pulled.pages += 1;
        pulled.changes += page.changes.length;
        pulled.bytes += page.bytes;
        pulled.mode ??= page.mode;
        yourCursor = response.yourCursor;
        remoteLimits = response.limits;
        if (!page.hasMore) break;
        if (page.through <= page.after) {
          throw new SyncProtocolError('invalid-message', 'peer announced more pages without making progress');
        }
      }
      // Push.
      this.#checkRestored(yourCursor);
      const limits = commonLimits(remoteLimits, this.#ownLimits);
      const continuable = canContinue(yourCursor, this.#log);
      let after = continuable ? yourCursor!.seq : 0;
      const mode: 'delta' | 'full' = continuable && !yourCursor!.resyncing ? 'delta' : 'full';
      for (let pages = 0; ; pages++) {
        if (pages >= maxPages) throw new SyncError('invalid-message', `more than ${maxPages} pages to push in one round`);
        options.signal?.throwIfAborted();
        if (mode === 'delta' && after >= this.#lastSeq) break;
        const peer = this.#getPeer(peerId);
        const receiverCursor = peer?.epoch ? { epoch: peer.epoch, seq: peer.cursor } : null;
        // The pull just now applied the peer's current epoch, so our echo markers are valid.
        const { page, bytes } = this.#buildPage(peerId, after, mode, limits, receiverCursor, receiverCursor !== null);
        const request: PushRequest = { type: 'push', protocol: SYNC_PROTOCOL_VERSION, page };
        const response = parseSyncResponse(await transport.request(request, { signal: options.signal }), this.#validationLimits);
        if (response.type === 'error') throw new SyncRemoteError(response.code, response.message);
        if (response.type !== 'push-ack') throw new SyncProtocolError('invalid-message', `expected a push-ack response, got ${response.type}`);
        if (response.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `ack comes from ${response.nodeId}, expected ${peerId}`);
        pushed.pages += 1;
        pushed.changes += page.changes.length;
        pushed.bytes += bytes;
        pushed.mode ??= mode;
        if (response.cursor.epoch === this.#epoch) {
          lastAck = Math.min(response.cursor.seq, this.#lastSeq);
          // Progress of a long push is kept page by page; the last ack goes with the round's end.
          if (page.hasMore) this.#stmt.setPeerAcked.run(this.#epoch, lastAck, peerId);
        }
        if (!page.hasMore) break;
        after = page.through;
      }
      this.#db.transaction(() => {
        this.#stmt.ensurePeer.run(peerId);
        if (lastAck !== undefined) this.#stmt.setPeerAcked.run(this.#epoch, lastAck, peerId);
        this.#stmt.setPeerSuccess.run(attemptAt, this.#clock.wallMicros(), peerId);
      })();
    } catch (caught) {
      if (caught instanceof SyncError && caught.code === 'disposed') throw caught;
      error = errorInfo(caught);
      if (!this.#disposed) {
        this.#db.transaction(() => {
          this.#stmt.ensurePeer.run(peerId);
          this.#stmt.setPeerError.run(attemptAt, error!.code, error!.message, this.#clock.wallMicros(), peerId);
        })();
      }
    } finally {
      unsubscribe();
    }
    const report: SyncRoundReport = { peerId, ok: error === null, error, pulled, pushed, conflicts, durationMs: performance.now() - started };
    this.#events.emit('sync-round-finished', report);
    return report;
  }

  // ---------------------------------------------------------------- internals: pages

  #buildPage(
    peerId: string,
    after: number,
    mode: 'delta' | 'full',
    limits: PageLimits,
    receiverCursor: ChangePage['receiverCursor'],
    suppressEchoes: boolean,
  ): BuiltPage {
    const request = { nodeId: this.#nodeId, epoch: this.#epoch, lastSeq: this.#lastSeq, peerId, after, mode, limits, receiverCursor, suppressEchoes };
    return buildPage(request, this.#stmt.scanLog.iterate(after) as IterableIterator<ItemRow>, (row) => this.#lostVersions(row));
  }

  /** The conflict losers a resolved state absorbed, from this node's history (see {@link absorbedLosers}). */
  #lostVersions(row: ItemRow): ValidatedLostVersion[] {
    const losers = this.#stmt.conflictLosers.all(row.id) as HistoryRow[];
    return absorbedLosers(parseVector(row.vector), parseVector(row.value_vector!), losers, this.#config.maxItemBytes);
  }

  #applyPage(peerId: string, page: ValidatedPage): Promise<LogCursor> {
    return this.#mutex.run(async () => {
      const started = performance.now();
      this.#assertOpen();
      const peer = this.#getPeer(peerId);
      // A full resync's sweep needs to know which of our items the sender had received.
      const { startFresh, baseCursor, sweepThrough } = pageStart(page, peer, peerId, this.#log);
      // Pages may overlap what is already applied (a pull and a push of the same range racing);
      // applying is idempotent, but skipping saves the work.
      const fresh = startFresh ? page.changes : page.changes.filter((c) => c.seq > baseCursor);
      const stamps = this.#screenTimestamps(peerId, fresh);
      if (fresh.length === 0 && page.mode === 'delta' && page.through <= baseCursor && !acknowledges(page.receiverCursor, peer!, this.#log)) {
        // An empty delta page at our cursor (a round with nothing new): nothing to write.
        return { epoch: page.epoch, seq: baseCursor, resyncing: false };
      }

      const locals = this.#localRows(fresh.map((c) => c.id));
      const plans: PlannedChange[] = fresh.map((change) => {
        const local = locals.get(change.id);
        return { change, local, decision: decideChange(local, change) };
      });
      for (const plan of plans) {
        if (plan.decision.kind === 'conflict') plan.resolution = await this.#resolve(plan.local!, plan.change);
      }
      this.#assertOpen();

      const changedRows: ItemRow[] = [];
      const conflictRecords: ConflictRecord[] = [];
      const { seq: newCursor, resyncing, resyncDone } = cursorAfterPage(page, baseCursor);
      // Within the drift only: later local writes sort after the page, and a far clock is not adopted.
      if (stamps.adoptable !== undefined) this.#clock.receive(stamps.adoptable);
      this.#db.transaction(() => {
        this.#stmt.ensurePeer.run(peerId);
        if (startFresh) {
          this.#stmt.clearSeen.run(peerId);
          if (peer?.epoch != null && peer.epoch !== page.epoch) {
            // The peer's log was replaced (wiped or restored database): it may no longer hold
            // what it once sent or produced, so stop treating those states as echoes.
            this.#stmt.forgetFromPeer.run(peerId);
            this.#stmt.forgetOrigin.run(this.#nodeId, peerId);
          }
        }
        for (const plan of plans) {
          const outcome = planRemoteChange({ nodeId: this.#nodeId, peerId, ...plan });
          this.#writeOutcome(peerId, plan.change.id, outcome, changedRows, conflictRecords);
          // After the plan: a losing value this node held itself is already in its history then.
          if (plan.change.lost !== undefined && plan.decision.kind !== 'skip' && plan.decision.kind !== 'insert') this.#logLostVersions(peerId, plan.change, conflictRecords);
        }
        if (page.mode === 'full' && sweepThrough > 0) {
          for (const change of page.changes) this.#stmt.insertSeen.run(peerId, change.id);
          for (const id of page.echoIds ?? []) this.#stmt.insertSeen.run(peerId, id);
        }
        if (resyncDone) {
          if (sweepThrough > 0) this.#sweep(peerId, sweepThrough, changedRows, conflictRecords);
          this.#stmt.clearSeen.run(peerId);
        }
        // The sender tells how far it has received our log: that acknowledges our changes.
        if (page.receiverCursor !== null && page.receiverCursor.epoch === this.#epoch) {
          this.#stmt.setPeerAcked.run(this.#epoch, Math.min(page.receiverCursor.seq, this.#lastSeq), peerId);
        }
        this.#stmt.setPeerCursor.run(page.epoch, newCursor, resyncing ? 1 : 0, resyncDone ? 0 : sweepThrough, peerId);
        this.#persistCounters();
      })();

      if (this.#events.has('item-changed')) {
        for (const row of changedRows) this.#events.emit('item-changed', remoteChangeEvent(row, peerId));
      }
      for (const record of conflictRecords) this.#events.emit('conflict', record);
      if (stamps.firstBeyond !== undefined) this.#events.emit('future-changes-accepted', { ...this.#driftEvent(peerId, stamps.firstBeyond), changes: stamps.changesBeyond });
      if (this.#events.has('page-applied')) {
        this.#events.emit('page-applied', { peerId, changes: fresh.length, itemsChanged: changedRows.length, durationMs: performance.now() - started });
      }
      return { epoch: page.epoch, seq: newCursor, resyncing };
    });
  }

  /** Sorts a page's timestamps against the drift limit; with the `reject` policy, refuses a page beyond it. */
  #screenTimestamps(peerId: string, changes: readonly ValidatedChange[]): PageTimestamps {
    const stamps = scanPageTimestamps(changes, this.#clock.wallMicros() + this.#config.maxClockDriftMs * 1000);
    if (stamps.firstBeyond !== undefined && this.#config.futureTimestamps === 'reject') {
      const event = this.#driftEvent(peerId, stamps.firstBeyond);
      this.#events.emit('clock-drift-rejected', event);
      throw new ClockDriftError(event.remoteHlc, event.driftMs, event.maxDriftMs);
    }
    return stamps;
  }

  #driftEvent(peerId: string, remoteHlc: string): ClockDriftEvent {
    return { peerId, remoteHlc, driftMs: this.#clock.excessDriftMs(decodeHlc(remoteHlc)!) ?? 0, maxDriftMs: this.#config.maxClockDriftMs };
  }

  /** Writes one planned remote change: its history entries, its new state, its conflict. */
  #writeOutcome(peerId: string, itemId: string, outcome: ChangeOutcome, changedRows: ItemRow[], conflicts: ConflictRecord[]): void {
    for (const { state, reason } of outcome.history) this.#insertHistory(state, reason);
    if (outcome.state !== undefined) changedRows.push(this.#writeState(outcome.state));
    const conflict = outcome.conflict;
    if (conflict !== undefined) conflicts.push(this.#logConflict(itemId, peerId, conflict.rule, conflict.winner, conflict.local, conflict.remote, conflict.result));
  }

  /**
   * Logs the conflicts a remote state absorbed elsewhere that this node has not logged yet
   * (its history holds no `conflict-loser` entry with that timestamp): the losing version goes
   * to history and the conflict log, the remote state being the winner. Called after the
   * plan's own writes, so a losing value this node held itself is logged once, by the plan.
   * Only for items this node already held: a node that first sees an item gets no old conflicts.
   */
  #logLostVersions(peerId: string, change: ValidatedChange, conflicts: ConflictRecord[]): void {
    const alreadyLogged = (hlc: string): boolean => this.#stmt.hasConflictLoser.get(change.id, hlc) !== undefined;
    const records = unloggedLostVersions(change, alreadyLogged);
    if (records.length === 0) return;
    const winnerItem = changeToItem(change);
    for (const { row, rule } of records) {
      this.#insertHistory(row, 'conflict-loser');
      conflicts.push(this.#logConflict(change.id, peerId, rule, 'remote', rowToItem(row), winnerItem, winnerItem));
    }
  }

  #sweep(peerId: string, through: number, changedRows: ItemRow[], conflicts: ConflictRecord[]): void {
    const candidates = this.#stmt.sweepCandidates.all(through, peerId) as ItemRow[];
    for (const row of candidates) {
      const tombstone = this.#writeLocal(row.id, row.type, null, true, row, 'resync-removed');
      changedRows.push(tombstone);
      const item = rowToItem(row);
      conflicts.push(this.#logConflict(row.id, peerId, 'resync-removed', 'remote', item, { ...item, data: null, deleted: true }, rowToItem(tombstone)));
    }
  }

  #resolve(local: ItemRow, change: ValidatedChange): Promise<Resolution> {
    const localSide = { item: rowToItem(local), state: rowToMergeState(local), dataJson: local.data };
    const remoteSide = { item: changeToItem(change), state: changeToMergeState(change), dataJson: change.dataJson };
    return resolveConflict(this.#resolver, localSide, remoteSide, {
      context: { nodeId: this.#nodeId, defaultResolve },
      maxItemBytes: this.#config.maxItemBytes,
      isTooFarAhead: (hlc) => this.#clock.excessDriftMs(decodeHlc(hlc)!) !== undefined,
    });
  }

  // ---------------------------------------------------------------- internals: rows

  #writeLocal(id: string, type: string, dataJson: string | null, deleted: boolean, previous: ItemRow | undefined, reason: HistoryReason = 'superseded'): ItemRow {
    const hlc = this.#clock.now();
    const vector = joinVectors(previous === undefined ? {} : parseVector(previous.vector), { [this.#nodeId]: hlc });
    if (previous !== undefined) this.#insertHistory(previous, reason);
    return this.#writeState({
      id,
      type,
      data: dataJson,
      version: (previous?.version ?? 0) + 1,
      hlc,
      node_id: this.#nodeId,
      deleted: deleted ? 1 : 0,
      vector: JSON.stringify(vector),
      value_vector: null,
      origin: this.#nodeId,
      from_peer: null,
    });
  }

  /**
   * The stored rows of these ids, by id: one query for a batch or a page rather than one per
   * item, and a plain key lookup for a single id (a live write, a live push), which costs less
   * than the batch query's `json_each`.
   */
  #localRows(ids: readonly string[]): Map<string, ItemRow> {
    const rows = new Map<string, ItemRow>();
    if (ids.length === 1) {
      const row = this.#stmt.getItem.get(ids[0]) as ItemRow | undefined;
      if (row !== undefined) rows.set(row.id, row);
    } else if (ids.length > 1) {
      for (const row of this.#stmt.getItems.all(JSON.stringify(ids)) as ItemRow[]) rows.set(row.id, row);
    }
    return rows;
  }

  #writeState(state: NewState): ItemRow {
    const row: ItemRow = { ...state, seq: ++this.#lastSeq };
    // Positional parameters: binding a named-parameter object costs a property lookup per column.
    this.#stmt.upsertItem.run(row.id, row.type, row.data, row.version, row.hlc, row.node_id, row.deleted, row.vector, row.value_vector, row.seq, row.origin, row.from_peer);
    return row;
  }

  #insertHistory(row: HistoryState, reason: HistoryReason): void {
    this.#stmt.insertHistory.run(row.id, row.type, row.data, row.version, row.hlc, row.node_id, row.deleted, row.vector, reason, this.#clock.wallMicros());
  }

  #logConflict(itemId: string, peerId: string | null, rule: ConflictRule, winner: 'local' | 'remote' | 'merged', local: SyncItem, remote: SyncItem, result: SyncItem): ConflictRecord {
    const detected = this.#clock.wallMicros();
    const info = this.#stmt.insertConflict.run(itemId, peerId, rule, winner, JSON.stringify(local), JSON.stringify(remote), JSON.stringify(result), detected);
    return { id: Number(info.lastInsertRowid), itemId, peerId, rule, winner, local, remote, result, detectedAt: new Date(detected / 1000), acknowledgedAt: null };
  }

  #persistCounters(): void {
    this.#stmt.setMeta.run('last_seq', String(this.#lastSeq));
    this.#stmt.setMeta.run('clock', this.#clock.last);
  }

  #emitLocal(rows: readonly ItemRow[]): SyncItem[] {
    const items = rows.map(rowToItem);
    if (this.#events.has('item-changed')) items.forEach((item, i) => this.#events.emit('item-changed', { item, source: 'local', peerId: null, seq: rows[i]!.seq }));
    return items;
  }

  #getPeer(peerId: string): PeerRow | undefined {
    return this.#stmt.getPeer.get(peerId) as PeerRow | undefined;
  }

  /** An error serving a peer's request (this node did not attempt a round: `last_attempt` stays). */
  #recordPeerError(peerId: string, error: SyncError): void {
    this.#db.transaction(() => {
      this.#stmt.ensurePeer.run(peerId);
      this.#stmt.setPeerError.run(null, error.code, error.message, this.#clock.wallMicros(), peerId);
    })();
  }

  #peerStatus(row: PeerRow): PeerStatus {
    const acked = row.acked_epoch === this.#epoch ? row.acked : 0;
    return peerStatus(row, (this.#stmt.countPending.get(acked, row.peer_id, row.peer_id) as { n: number }).n);
  }

  /** Where this node's change log stands, for the cursor rules. */
  get #log(): LogState {
    return { epoch: this.#epoch, lastSeq: this.#lastSeq, gcSeq: this.#gcSeq };
  }

  #assertOpen(): void {
    if (this.#disposed) throw new SyncError('disposed', 'the sync engine was disposed');
  }

  /** Whether {@link SyncEngine.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Waits for in-flight writes, then closes the database if the engine opened it. Idempotent;
   * any later call throws a `disposed` {@link SyncError}.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    await this.#mutex.run(() => {
      if (this.#disposed) return;
      this.#disposed = true;
      this.#events.clear();
      // Never kysely.destroy(): its driver closes the database, which may belong to the app.
      if (this.#ownsDb && this.#db.open) this.#db.close();
    });
  }

  /** Same as {@link SyncEngine.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
