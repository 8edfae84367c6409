import { randomUUID } from 'node:crypto';
import { cacheSizeOption, resolveConfig } from './engine-config.js';
import { EngineCore } from './engine-core.js';
import { SyncError } from './errors.js';
import { HybridLogicalClock } from './hlc.js';
import { rowToItem } from './item-rows.js';
import { readChangeFeed } from './local/change-feed.js';
import { collectGarbage } from './local/garbage-collection.js';
import { checkId, checkLimit, checkType, prepareWrites } from './local/input-checks.js';
import { deleteItem, writeItems } from './local/local-writes.js';
import { engineStatus, statusOfPeer } from './local/peer-status.js';
import { conflictRecord, historyEntry } from './local/records.js';
import { defaultResolve, lastWriteWins, type ConflictResolver } from './merge/conflict-resolver.js';
import type { SyncResponse } from './messages.js';
import { isValidNodeId } from './node-id.js';
import { checkPeerLogPosition } from './protocol/cursor-rules.js';
import { runSyncRound } from './protocol/requester.js';
import { handleSyncRequest } from './protocol/responder.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { JsonValue, SyncItem } from './sync-item.js';
import type { SyncRequestContext, SyncResponder, SyncTransport } from './sync-transport.js';
import type {
  ChangeFeedOptions,
  ChangeFeedPage,
  ChangeFeedPosition,
  ConflictListOptions,
  ConflictRecord,
  GarbageCollectionReport,
  HistoryEntry,
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

/**
 * A replicated item store: items with a hybrid logical clock, version vectors, tombstones,
 * history, a conflict log, and the delta-sync protocol (both the requesting and the responding
 * side) over any {@link SyncTransport}.
 *
 * The engine plans; a {@link SyncStore} keeps the state (SQLite by default, or the `store`
 * given). Writes (local and applied pages) are planned under one async write lock and
 * committed as one batch each; a page is committed together with the cursor that
 * acknowledges it.
 *
 * Custom conflict resolution: pass a {@link ConflictResolver} as `resolver`, or subclass and
 * override {@link SyncEngine.resolveConflict}.
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
  readonly #core: EngineCore;
  /** Whether the engine opened its store and closes it on dispose. */
  readonly #ownsStore: boolean;

  constructor(config: SyncEngineConfig) {
    if (typeof config !== 'object' || config === null) throw new SyncError('invalid-config', 'config must be an object');
    const frozen = Object.freeze({ ...config });
    const resolved = resolveConfig(frozen);
    if (frozen.nodeId !== undefined && !isValidNodeId(frozen.nodeId)) {
      throw new SyncError('invalid-config', `nodeId must be 1–64 ASCII letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(frozen.nodeId)}`);
    }
    if (frozen.synchronous !== undefined && frozen.synchronous !== 'normal' && frozen.synchronous !== 'full') {
      throw new SyncError('invalid-config', `synchronous must be 'normal' or 'full', got ${JSON.stringify(frozen.synchronous)}`);
    }
    const resolver = this.#chooseResolver(frozen);
    const cacheSizeKiB = cacheSizeOption(frozen);
    if ((frozen.database === undefined) === (frozen.store === undefined)) {
      throw new SyncError('invalid-config', 'give either database (a file path or a better-sqlite3 Database) or store (an opened SyncStore)');
    }
    if (frozen.store !== undefined && (typeof frozen.store !== 'object' || frozen.store === null || typeof frozen.store.commit !== 'function')) {
      throw new SyncError('invalid-config', 'store must be an opened SyncStore');
    }
    this.#ownsStore = frozen.store === undefined;
    const store = frozen.store ?? new SqliteStore(frozen.database!, { synchronous: frozen.synchronous, cacheSizeKiB });
    try {
      const meta = store.meta;
      const storedNode = meta.get('node_id');
      if (storedNode !== undefined && frozen.nodeId !== undefined && storedNode !== frozen.nodeId) {
        throw new SyncError(
          'node-id-mismatch',
          `database belongs to node ${JSON.stringify(storedNode)}, not ${JSON.stringify(frozen.nodeId)}; a database must keep its node id`,
        );
      }
      const nodeId = storedNode ?? frozen.nodeId ?? randomUUID();
      const epoch = meta.get('epoch') ?? randomUUID();
      const clock = new HybridLogicalClock({
        nodeId,
        wallClockMicros: frozen.wallClockMicros ?? systemWallClockMicros,
        maxDriftMs: resolved.maxClockDriftMs,
        last: meta.get('clock'),
      });
      const log = { epoch, lastSeq: Number(meta.get('last_seq') ?? 0), gcSeq: Number(meta.get('gc_seq') ?? 0) };
      this.#core = new EngineCore(store, resolved, clock, nodeId, resolver, log);
    } catch (error) {
      if (this.#ownsStore) void store.close();
      throw error;
    }
    const core = this.#core;
    if (!store.meta.has('node_id') || !store.meta.has('epoch')) {
      // A new database takes this node's identity with its first commit, before any other.
      const identity = { node_id: core.nodeId, epoch: core.epoch, ...core.counters(core.lastSeq) };
      void core.mutex.run(() => core.commit({ meta: identity })).catch((error: unknown) => core.fail(error));
    }
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#core.nodeId;
  }

  /** The greatest timestamp this node issued or adopted (its HLC's state; it runs ahead of the wall clock after a clock ran ahead). */
  get hlc(): string {
    return this.#core.clock.last;
  }

  /** Random id of this database's change log; a new database (or a wiped one) gets a new epoch. */
  get epoch(): string {
    return this.#core.epoch;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends keyof SyncEngineEvents>(name: K, listener: (event: SyncEngineEvents[K]) => void): () => void {
    return this.#core.events.on(name, listener);
  }

  /** Unsubscribes a listener. */
  off<K extends keyof SyncEngineEvents>(name: K, listener: (event: SyncEngineEvents[K]) => void): void {
    this.#core.events.off(name, listener);
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
   * The check and the write are one batch under the write lock, so two creates of one id cannot
   * both succeed.
   */
  async create(input: PutInput): Promise<SyncItem> {
    const [item] = await writeItems(this.#core, prepareWrites([input], this.#core.config.maxItemBytes), true);
    return item!;
  }

  /** Writes several items in one batch (all or none). */
  async putMany(inputs: readonly PutInput[]): Promise<SyncItem[]> {
    if (!Array.isArray(inputs)) throw new SyncError('invalid-argument', 'putMany expects an array');
    return writeItems(this.#core, prepareWrites(inputs, this.#core.config.maxItemBytes), false);
  }

  /** The item with this id, or `undefined`. Tombstones only with `includeDeleted`. */
  async get(id: string, options: { readonly includeDeleted?: boolean } = {}): Promise<SyncItem | undefined> {
    this.#core.assertOpen();
    const row = (await this.#core.store.getItems([checkId(id)])).get(id);
    if (row === undefined || (row.deleted === 1 && options.includeDeleted !== true)) return undefined;
    return rowToItem(row);
  }

  /**
   * Deletes an item: writes a tombstone that replicates. Returns the tombstone, or
   * `undefined` when there is no live item with this id.
   */
  async delete(id: string): Promise<SyncItem | undefined> {
    return deleteItem(this.#core, checkId(id));
  }

  /** Items ordered by id, paged. */
  async list(options: ListOptions = {}): Promise<ItemPage> {
    this.#core.assertOpen();
    const limit = checkLimit(options.limit);
    const type = options.type === undefined ? undefined : checkType(options.type);
    const afterId = options.cursor === undefined ? undefined : checkId(options.cursor);
    const rows = await this.#core.store.listItems({ type, afterId, includeDeleted: options.includeDeleted === true, limit: limit + 1 });
    const items = rows.slice(0, limit).map(rowToItem);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : undefined };
  }

  /** The end of this node's change feed: {@link SyncEngine.changeFeed} after it returns only later changes. */
  get changeFeedEnd(): ChangeFeedPosition {
    return { epoch: this.#core.epoch, seq: this.#core.lastSeq };
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
    return readChangeFeed(this.#core, options);
  }

  /** Superseded versions of an item, newest first; `before`: only entries older than that history id (paging). */
  async history(id: string, options: { readonly limit?: number; readonly before?: number } = {}): Promise<HistoryEntry[]> {
    this.#core.assertOpen();
    const { before } = options;
    if (before !== undefined && !Number.isSafeInteger(before)) throw new SyncError('invalid-argument', 'before must be an integer');
    const rows = await this.#core.store.listHistory(checkId(id), { beforeId: before, limit: checkLimit(options.limit) });
    return rows.map(historyEntry);
  }

  /** One history entry by its id, or `undefined`. */
  async getHistoryEntry(historyId: number): Promise<HistoryEntry | undefined> {
    this.#core.assertOpen();
    if (!Number.isSafeInteger(historyId)) throw new SyncError('invalid-argument', 'historyId must be an integer');
    const row = await this.#core.store.getHistory(historyId);
    return row === undefined ? undefined : historyEntry(row);
  }

  /**
   * Restores an item from history (by default its latest non-deleted version). Restoring is
   * a new write: it gets a new timestamp and version and replicates like any other change.
   * @throws {SyncError} `not-found` when there is no such version.
   */
  async restore(id: string, options: { readonly historyId?: number } = {}): Promise<SyncItem> {
    this.#core.assertOpen();
    checkId(id);
    const { store } = this.#core;
    const entry = options.historyId === undefined ? await store.latestLiveHistory(id) : await store.getHistory(options.historyId);
    if (entry === undefined || entry.item_id !== id) {
      throw new SyncError('not-found', `no history version ${options.historyId ?? '(latest live)'} for item ${JSON.stringify(id)}`);
    }
    if (entry.deleted === 1 || entry.data === null) throw new SyncError('invalid-argument', `history entry ${entry.id} is a deletion`);
    return this.put({ id, type: entry.type, data: JSON.parse(entry.data) as JsonValue });
  }

  /** Conflict log entries, oldest first. */
  async conflicts(options: ConflictListOptions = {}): Promise<ConflictRecord[]> {
    this.#core.assertOpen();
    const limit = checkLimit(options.limit);
    const itemId = options.itemId === undefined ? undefined : checkId(options.itemId);
    const rows = await this.#core.store.listConflicts({ acknowledged: options.acknowledged, itemId, afterId: options.cursor, limit });
    return rows.map(conflictRecord);
  }

  /** Marks conflicts as reviewed. Returns how many were newly acknowledged. */
  async acknowledgeConflicts(ids: readonly number[]): Promise<number> {
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id))) {
      throw new SyncError('invalid-argument', 'ids must be an array of integers');
    }
    this.#core.assertOpen();
    if (ids.length === 0) return 0;
    const result = await this.#core.commit({ acknowledgeConflicts: { ids, at: this.#core.clock.wallMicros() } });
    return result.acknowledged;
  }

  /** Engine status with every known peer. */
  async status(): Promise<SyncStatus> {
    return engineStatus(this.#core);
  }

  /** Status of one peer, or `undefined` if this node never exchanged with it. */
  async peerStatus(peerId: string): Promise<PeerStatus | undefined> {
    return statusOfPeer(this.#core, peerId);
  }

  /**
   * Removes tombstones older than `tombstoneRetentionMs` and history beyond its retention.
   * Peers whose cursor predates a removed tombstone get a full resync next time (never a
   * delta, which could not tell them about the deletion). Run it periodically.
   */
  async collectGarbage(): Promise<GarbageCollectionReport> {
    return collectGarbage(this.#core);
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

  // ---------------------------------------------------------------- sync

  /**
   * Serves one request from a peer (the responder side of the protocol; a transport's server
   * calls this). `context.peerId` must be the peer the transport authenticated; a message
   * claiming another node id is rejected. Bad requests come back as `{ type: 'error' }`
   * responses with a {@link SyncErrorCode}; nothing is applied from a rejected push.
   */
  async handleSyncRequest(message: unknown, context: SyncRequestContext): Promise<SyncResponse> {
    return handleSyncRequest(this.#core, message, context);
  }

  /**
   * Runs one sync round with a peer through `transport`: pulls every page of the peer's
   * changes after this node's cursor, then pushes every page of this node's changes the peer
   * has not confirmed. Never throws for sync failures: the report says what happened (pages
   * applied before a failure stay applied, with their cursors).
   */
  async syncWith(peerId: string, transport: SyncTransport, options: SyncRoundOptions = {}): Promise<SyncRoundReport> {
    if (!isValidNodeId(peerId)) throw new SyncError('invalid-argument', `invalid peer id ${JSON.stringify(peerId)}`);
    if (peerId === this.#core.nodeId) throw new SyncError('invalid-argument', 'a node cannot sync with itself');
    if (options.pushOnly !== undefined) checkPeerLogPosition(options.pushOnly);
    return runSyncRound(this.#core, peerId, transport, options);
  }

  /** Whether {@link SyncEngine.dispose} was called. */
  get disposed(): boolean {
    return this.#core.disposed;
  }

  /**
   * Waits for in-flight writes, then closes the store if the engine opened it (a database given
   * as a path). Idempotent; any later call throws a `disposed` {@link SyncError}.
   */
  async dispose(): Promise<void> {
    const core = this.#core;
    if (core.disposed) return;
    await core.mutex.run(async () => {
      if (core.disposed) return;
      core.disposed = true;
      core.events.clear();
      if (this.#ownsStore) await core.store.close();
    });
  }

  /** Same as {@link SyncEngine.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
