/**
 * `@trosyn/sync-core`: a last-write-wins replication engine over SQLite with a hybrid logical
 * clock, version vectors, tombstones, history, a conflict log and transport-agnostic delta sync.
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
export { parseSyncRequest, parseSyncResponse, parseChangePage, type ValidationLimits } from './message-validator.js';
export type { JsonValue, SyncItem } from './sync-item.js';
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
export { HybridLogicalClock, encodeHlc, decodeHlc, compareHlc, isValidHlc, type HlcTimestamp, type HybridLogicalClockConfig } from './hlc.js';
export { futureTimestampPolicy, scanPageTimestamps, type FutureTimestampPolicy, type PageTimestamps } from './future-timestamps.js';
export { createSystemWallClock, systemWallClockMicros, type WallClockSources } from './system-wall-clock.js';
export { compareVectors, joinVectors, type VersionVector, type CausalOrder } from './version-vector.js';
export { isValidNodeId } from './node-id.js';
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
