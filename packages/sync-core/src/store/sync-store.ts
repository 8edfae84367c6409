import type { ConflictRow, HistoryRow, ItemRow, PeerRow } from './rows.js';
import type { CommitResult, WriteBatch } from './write-batch.js';

/** A page of items ordered by id. */
export interface ItemQuery {
  readonly type?: string | undefined;
  /** Only ids after this one. */
  readonly afterId?: string | undefined;
  readonly includeDeleted: boolean;
  readonly limit: number;
}

/** A page of the conflict log, oldest first. */
export interface ConflictQuery {
  readonly acknowledged?: boolean | undefined;
  readonly itemId?: string | undefined;
  /** Only entries with a greater id. */
  readonly afterId?: number | undefined;
  readonly limit: number;
}

/**
 * Where the engine keeps its replica: items with their change log, history, the conflict log,
 * what it knows about each peer, and a few meta values (node id, epoch, log end, clock).
 *
 * The engine plans; a store reads and commits. Every write goes through {@link SyncStore.commit}
 * with one {@link WriteBatch}, applied atomically (all or nothing). The engine serialises its
 * commits and is the only writer of the store's tables; reads may run beside a commit and must
 * each see a committed state. Methods resolve, or reject with the store's error.
 *
 * Adapters: `store/sqlite` (better-sqlite3, the default) and `store/postgres`. Every adapter
 * passes `runSyncStoreTests` from `@trosyn/sync-core/testing`.
 */
export interface SyncStore {
  /**
   * The stored meta values (`node_id`, `epoch`, `last_seq`, `gc_seq`, `clock`): read when the
   * store is opened, then kept current by its commits. An engine reads them when it starts.
   */
  readonly meta: ReadonlyMap<string, string>;

  /** Commits one batch atomically. */
  commit(batch: WriteBatch): Promise<CommitResult>;

  /** The items with these ids (those that exist), by id. */
  getItems(ids: readonly string[]): Promise<Map<string, ItemRow>>;
  /** Items ordered by id. */
  listItems(query: ItemQuery): Promise<ItemRow[]>;
  /**
   * Items with `after < seq <= through`, in log order: at most `limit`, and no more once their
   * data's JSON text reaches `maxBytes` in total (the row that reaches it included), so a caller
   * building a bounded page never holds much more than a page.
   */
  scanLog(after: number, through: number, limit: number, maxBytes: number): Promise<ItemRow[]>;
  /** Up to `limit` items (of `type`, when given) with `after < seq <= through`, in log order: the change feed's read. */
  feedRange(after: number, through: number, type: string | undefined, limit: number): Promise<ItemRow[]>;
  /** Live items with `seq <= through` that the peer's full resync has not named (nor `alsoSeen`, when its seen set is kept). */
  sweepCandidates(peerId: string, through: number, options: { readonly ignoreStoredSeen: boolean; readonly alsoSeen: readonly string[] }): Promise<ItemRow[]>;
  /** Tombstones written before the HLC prefix `hlcBefore`, with their log positions. */
  expiredTombstones(hlcBefore: string): Promise<{ id: string; seq: number }[]>;
  /** How many items after `acked` in our log the peer neither produced nor sent us. */
  countPending(peerId: string, acked: number): Promise<number>;

  /** One history entry. */
  getHistory(historyId: number): Promise<HistoryRow | undefined>;
  /** An item's history, newest first; only entries older than `beforeId` when given. */
  listHistory(itemId: string, options: { readonly beforeId?: number | undefined; readonly limit: number }): Promise<HistoryRow[]>;
  /** An item's latest history entry that is not a deletion. */
  latestLiveHistory(itemId: string): Promise<HistoryRow | undefined>;
  /** An item's `conflict-loser` history entries, newest first (at most 64). */
  conflictLosers(itemId: string): Promise<HistoryRow[]>;
  /** Whether the item's history has a `conflict-loser` entry with this timestamp. */
  hasConflictLoser(itemId: string, hlc: string): Promise<boolean>;

  /** Conflict log entries, oldest first. */
  listConflicts(query: ConflictQuery): Promise<ConflictRow[]>;

  /** What this node keeps about one peer. */
  getPeer(peerId: string): Promise<PeerRow | undefined>;
  /** Every known peer, ordered by id. */
  listPeers(): Promise<PeerRow[]>;

  /** Releases the store's resources (a connection the store opened itself). Idempotent. */
  close(): Promise<void>;
}
