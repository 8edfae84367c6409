/**
 * `@trosyn/sync-core`: a last-write-wins replication engine over a store port (SQLite by default)
 * with a hybrid logical clock, version vectors, tombstones, history, a conflict log and
 * transport-agnostic delta sync. The engine, the resolver, the transport and store interfaces
 * and the errors; the building blocks are in `@trosyn/sync-core/primitives`, test helpers in
 * `@trosyn/sync-core/testing`, the PostgreSQL store in `@trosyn/sync-core/postgres`.
 * @packageDocumentation
 */
export { SyncEngine } from './sync-engine.js';
export { PeerSyncer, type PeerSyncerConfig } from './peer-syncer.js';
export type { SyncTransport, SyncTransportRequestOptions, SyncResponder, SyncRequestContext } from './sync-transport.js';
export {
  MAX_LOST_VERSIONS,
  SYNC_PROTOCOL_VERSION,
  type Change,
  type LostVersion,
  type ChangePage,
  type LogCursor,
  type PageLimits,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  type ErrorResponse,
  type SyncRequest,
  type SyncResponse,
} from './messages.js';
export type { JsonValue, SyncItem } from './sync-item.js';
export type { VersionVector } from './version-vector.js';
export type { FutureTimestampPolicy } from './future-timestamps.js';
export type {
  SyncEngineConfig,
  PutInput,
  ListOptions,
  ItemPage,
  ChangeFeedPosition,
  ChangeFeedOptions,
  ChangeFeedEntry,
  ChangeFeedPage,
  HistoryReason,
  HistoryEntry,
  ConflictRecord,
  ConflictListOptions,
  PeerStatus,
  SyncStatus,
  SyncRoundReport,
  SyncRoundOptions,
  PeerLogPosition,
  ItemChangedEvent,
  ClockDriftEvent,
  PageAppliedEvent,
  FutureChangesAcceptedEvent,
  SyncEngineEvents,
  GarbageCollectionReport,
} from './sync-types.js';
export type { ConflictRule } from './resolution.js';
export {
  defaultResolve,
  lastWriteWins,
  type ConflictResolver,
  type ConflictResolverContext,
  type ConflictResolverFunction,
} from './merge/conflict-resolver.js';
export type { SqliteDatabase, SqliteStatement } from './store/sqlite/sqlite-database.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
export type { SyncStore, ItemQuery, ConflictQuery } from './store/sync-store.js';
export type { WriteBatch, CommitResult, HistoryInsert, ConflictInsert, PeerUpdate } from './store/write-batch.js';
export type { ItemRow, HistoryRow, ConflictRow, PeerRow, NewState, HistoryState } from './store/rows.js';
export {
  SyncError,
  SyncProtocolError,
  ClockDriftError,
  ConflictResolutionError,
  SyncRemoteError,
  type SyncErrorCode,
} from './errors.js';
