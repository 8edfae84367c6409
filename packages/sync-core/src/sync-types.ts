import type { FutureTimestampPolicy } from './future-timestamps.js';
import type { LogCursor, PageLimits } from './messages.js';
import type { ConflictRule } from './resolution.js';
import type { SqliteDatabase } from './store/sqlite/sqlite-database.js';
import type { SyncStore } from './store/sync-store.js';
import type { JsonValue, SyncItem } from './sync-item.js';
import type { ConflictResolver, ConflictResolverFunction } from './merge/conflict-resolver.js';

/** Construction config of {@link SyncEngine}. */
export interface SyncEngineConfig {
  /**
   * A database file path (opened with better-sqlite3, which must be installed; `':memory:'`
   * works for tests) or an open better-sqlite3 `Database` the application owns (the engine
   * does not close it). The engine creates its own `sync_*` tables and sets WAL mode. Give
   * this or `store`.
   */
  readonly database?: string | SqliteDatabase | undefined;
  /**
   * An opened {@link SyncStore} to keep the replica in instead of a SQLite database (e.g. the
   * PostgreSQL store). The application closes it after {@link SyncEngine.dispose}.
   */
  readonly store?: SyncStore | undefined;
  /** This node's id (ASCII, 1–64 chars). Default: the id stored in the database, else a random UUID. */
  readonly nodeId?: string | undefined;
  /** Remote timestamps further ahead of the local wall clock are not adopted by the local clock. Default 60 000 ms. */
  readonly maxClockDriftMs?: number | undefined;
  /**
   * What to do with a received change stamped beyond `maxClockDriftMs`: refuse its page
   * (`'reject'`, the default) or apply it without adopting its timestamp (`'accept'`); see
   * {@link FutureTimestampPolicy}.
   */
  readonly futureTimestamps?: FutureTimestampPolicy | undefined;
  /** How long tombstones are kept before {@link SyncEngine.collectGarbage} removes them. Default 30 days. */
  readonly tombstoneRetentionMs?: number | undefined;
  /** Versions kept per item in history. Default 50. */
  readonly historyMaxVersions?: number | undefined;
  /** Age after which history entries are pruned. Default 90 days. */
  readonly historyMaxAgeMs?: number | undefined;
  /** Largest item data (JSON text, bytes). Default 1 MiB. */
  readonly maxItemBytes?: number | undefined;
  /** Most changes in one page. Default 1000. */
  readonly pageMaxChanges?: number | undefined;
  /** Largest page (estimated bytes); at least `maxItemBytes`. Default 4 MiB. */
  readonly pageMaxBytes?: number | undefined;
  /**
   * SQLite `synchronous` setting. Default `'normal'`: in WAL mode a crash of the process
   * never loses or corrupts committed data, and only a power loss can roll back the last
   * transactions (peers then re-send what the rolled-back cursor covered). `'full'` also
   * survives power loss, at the cost of an fsync per commit.
   */
  readonly synchronous?: 'normal' | 'full' | undefined;
  /**
   * SQLite page cache of the engine's connection, in KiB. Default 32768 (32 MiB; SQLite's own
   * default is 2 MiB): index updates of a large store stay in memory while pages are applied.
   * It is the largest fixed part of the engine's memory: lower it on small devices (the cost is
   * more reads from the OS file cache during a large sync).
   */
  readonly cacheSizeKiB?: number | undefined;
  /** Wall clock in microseconds since the epoch. Injected for tests; default: the system clock. */
  readonly wallClockMicros?: (() => number) | undefined;
  /**
   * Decides true conflicts (default: {@link lastWriteWins}). A subclass overriding
   * {@link SyncEngine.resolveConflict} is adapted onto this when the option is not given.
   */
  readonly resolver?: ConflictResolver | undefined;
  /** The function form of `resolver` (give one or the other): `{ resolver: { resolve: fn } }`. */
  readonly resolveConflict?: ConflictResolverFunction | undefined;
}

/** Input of {@link SyncEngine.put}. */
export interface PutInput {
  /** Item id; a random UUID when omitted. */
  readonly id?: string | undefined;
  readonly type: string;
  /** Any JSON value except `null` (which marks tombstones). */
  readonly data: JsonValue;
}

/** Options of {@link SyncEngine.list}. */
export interface ListOptions {
  /** Only items of this type. */
  readonly type?: string | undefined;
  /** Continue after this item id (the previous page's `nextCursor`). */
  readonly cursor?: string | undefined;
  /** Page size, 1–1000. Default 100. */
  readonly limit?: number | undefined;
  /** Include tombstones. Default false. */
  readonly includeDeleted?: boolean | undefined;
}

/** One page of {@link SyncEngine.list}, ordered by id. */
export interface ItemPage {
  readonly items: readonly SyncItem[];
  /** Pass as `cursor` to get the next page; `undefined` on the last page. */
  readonly nextCursor: string | undefined;
}

/**
 * A position in a node's change feed: the epoch of its change log and a sequence number in it.
 * Positions of another database (another epoch) are not comparable.
 */
export interface ChangeFeedPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** Options of {@link SyncEngine.changeFeed}. */
export interface ChangeFeedOptions {
  /**
   * Continue after this position (a previous page's `position`). Omitted: from the start of
   * the log, that is every item this node holds, tombstones included.
   */
  readonly after?: ChangeFeedPosition | undefined;
  /** Only items of this type. */
  readonly type?: string | undefined;
  /** Most entries, 1–1000. Default 100. */
  readonly limit?: number | undefined;
}

/** One entry of the change feed: the current version of an item that changed. */
export interface ChangeFeedEntry {
  /** Where this change sits in the log; pass `{ epoch, seq }` as `after` to continue after it. */
  readonly seq: number;
  readonly item: SyncItem;
  /**
   * The peer this version was received from; `null` when it was written or merged on this
   * node (or came from a peer that has since been forgotten).
   */
  readonly peerId: string | null;
}

/** One page of {@link SyncEngine.changeFeed}, oldest change first. */
export interface ChangeFeedPage {
  readonly entries: readonly ChangeFeedEntry[];
  /** Where the next call continues. */
  readonly position: ChangeFeedPosition;
  /** More of the log lies after `position` now (call again at once); `false` at its end. */
  readonly hasMore: boolean;
  /**
   * `after` could not be continued: it belongs to another epoch (the database was replaced or
   * restored from a backup) or lies before tombstones that garbage collection removed since
   * (sequence number 0 never does: a reader there has seen nothing).
   * The page then starts from the beginning of the log: a reader should rebuild what it keeps
   * from the entries that follow rather than apply them on top of its old state.
   */
  readonly reset: boolean;
}

/** Why a version went to history. */
export type HistoryReason = 'superseded' | 'conflict-loser' | 'resync-removed';

/** A superseded version of an item. */
export interface HistoryEntry {
  /** Id of this history entry (for {@link SyncEngine.getHistoryEntry} and {@link SyncEngine.restore}). */
  readonly historyId: number;
  readonly item: SyncItem;
  readonly reason: HistoryReason;
  readonly recordedAt: Date;
}

/** One logged conflict, for administrative review. */
export interface ConflictRecord {
  readonly id: number;
  readonly itemId: string;
  /** The peer the remote version came from. */
  readonly peerId: string | null;
  readonly rule: ConflictRule;
  /** Which version was kept; `'merged'` when a resolver produced a new one. */
  readonly winner: 'local' | 'remote' | 'merged';
  readonly local: SyncItem;
  readonly remote: SyncItem;
  readonly result: SyncItem;
  readonly detectedAt: Date;
  readonly acknowledgedAt: Date | null;
}

/** Options of {@link SyncEngine.conflicts}. */
export interface ConflictListOptions {
  /** Only acknowledged (`true`) or unacknowledged (`false`) conflicts. Default: all. */
  readonly acknowledged?: boolean | undefined;
  readonly itemId?: string | undefined;
  /** Continue after this conflict id. */
  readonly cursor?: number | undefined;
  /** 1–1000. Default 100. */
  readonly limit?: number | undefined;
}

/** Sync status of one peer. */
export interface PeerStatus {
  readonly peerId: string;
  /** The peer's log epoch we hold a cursor for. */
  readonly epoch: string | null;
  /** Last sequence of the peer's log applied here. */
  readonly cursor: number;
  /** Whether a full resync from the peer is in progress. */
  readonly resyncing: boolean;
  /** Local changes the peer has not confirmed receiving (excluding ones it sent us). */
  readonly pendingChanges: number;
  readonly lastAttemptAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: Date } | null;
}

/** Status of the engine and all peers it has exchanged with. */
export interface SyncStatus {
  readonly nodeId: string;
  readonly epoch: string;
  /** Latest sequence number of the local change log. */
  readonly lastSeq: number;
  readonly peers: readonly PeerStatus[];
}

/** Result of one {@link SyncEngine.syncWith} round. */
export interface SyncRoundReport {
  readonly peerId: string;
  readonly ok: boolean;
  /** Set when the round failed; what was applied before the failure stays applied. */
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly pulled: { readonly pages: number; readonly changes: number; readonly bytes: number; readonly mode: 'delta' | 'full' | null };
  readonly pushed: { readonly pages: number; readonly changes: number; readonly bytes: number; readonly mode: 'delta' | 'full' | null };
  /** Conflicts logged while applying pulled pages. */
  readonly conflicts: number;
  readonly durationMs: number;
}

/**
 * Where a peer stands in this node's log, as the peer's last answer said: the `yourCursor` and
 * `limits` of a pull page, with the cursor moved by later push acknowledgements. See
 * {@link SyncRoundOptions.pushOnly}.
 */
export interface PeerLogPosition {
  readonly yourCursor: LogCursor;
  readonly limits: PageLimits;
}

/** Options of {@link SyncEngine.syncWith}. */
export interface SyncRoundOptions {
  readonly signal?: AbortSignal | undefined;
  /** Upper bound of pages per direction in one round. Default 100 000. */
  readonly maxPages?: number | undefined;
  /**
   * A round that only pushes, from this position of the peer in our log, without pulling first:
   * a live change then costs one request. Take it from the peer's own answers. A position
   * behind the peer's is harmless (what it already has is skipped); one ahead of it (the peer
   * lost data) makes the peer refuse the page (`cursor-gap`, `epoch-mismatch`): nothing is
   * applied and the round fails with `remote-error`, so run a full round then. What the peer has for us comes with its
   * own push or the next full round.
   */
  readonly pushOnly?: PeerLogPosition | undefined;
}

/** Payload of the `item-changed` event. */
export interface ItemChangedEvent {
  readonly item: SyncItem;
  /** `'local'` for this node's API calls, `'remote'` for applied pages. */
  readonly source: 'local' | 'remote';
  readonly peerId: string | null;
  /**
   * The change's sequence number in this node's change log, in the current
   * {@link SyncEngine.epoch}: the `seq` of its {@link SyncEngine.changeFeed} entry. Events come
   * in log order, and every change to the log has one.
   */
  readonly seq: number;
}

/** Payload of the `clock-drift-rejected` event. */
export interface ClockDriftEvent {
  readonly peerId: string;
  readonly remoteHlc: string;
  readonly driftMs: number;
  readonly maxDriftMs: number;
}

/**
 * Payload of the `page-applied` event: a page of a peer's changes was committed, whether this
 * node pulled it or the peer pushed it.
 */
export interface PageAppliedEvent {
  readonly peerId: string;
  /** Changes of the page this node had not applied yet (a page may overlap what is applied). */
  readonly changes: number;
  /** Items whose stored state changed (changes that lost to ours do not count). */
  readonly itemsChanged: number;
  /** From taking the page up (after waiting for the engine's write lock) to its commit. */
  readonly durationMs: number;
}

/** Payload of the `future-changes-accepted` event (policy `'accept'`). */
export interface FutureChangesAcceptedEvent extends ClockDriftEvent {
  /** Changes of the page stamped beyond the drift (their own timestamp or their version vector's). */
  readonly changes: number;
}

/** Events of {@link SyncEngine}, by name. */
export interface SyncEngineEvents {
  'item-changed': ItemChangedEvent;
  conflict: ConflictRecord;
  'sync-round-finished': SyncRoundReport;
  'clock-drift-rejected': ClockDriftEvent;
  'page-applied': PageAppliedEvent;
  /** A page with changes stamped beyond the drift was applied (their timestamps not adopted). */
  'future-changes-accepted': FutureChangesAcceptedEvent;
}

/** Result of {@link SyncEngine.collectGarbage}. */
export interface GarbageCollectionReport {
  readonly tombstonesCollected: number;
  readonly historyEntriesPruned: number;
}
