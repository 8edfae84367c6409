import type { JsonValue } from './sync-item.js';
import type { VersionVector } from './version-vector.js';

/** The protocol version this library speaks. Messages with another version are rejected. */
export const SYNC_PROTOCOL_VERSION = 1;

/**
 * One item state in a change page: the latest change of one item in the sender's change
 * log (the log is compacted: only the latest change per item is kept).
 */
export interface Change {
  /** Position in the sender's change log; strictly increasing within a page. */
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  /** Item content, `null` for a tombstone. */
  readonly data: JsonValue;
  readonly deleted: boolean;
  readonly version: number;
  readonly hlc: string;
  readonly nodeId: string;
  /** Causal context of the item state. */
  readonly vector: VersionVector;
  /** Causal context of the value, when it differs from `vector` (the state absorbed a lost conflict). */
  readonly valueVector?: VersionVector;
  /**
   * With `valueVector` only: versions this state absorbed as conflict losers (at most
   * {@link MAX_LOST_VERSIONS}, newest first). A replica that receives the resolution of a
   * conflict without ever holding the losing version learns it here, so the conflict reaches
   * its log with both versions.
   */
  readonly lost?: readonly LostVersion[];
  /** The node that produced this exact state (write or resolution). */
  readonly origin: string;
}

/** Most lost versions one {@link Change} carries. */
export const MAX_LOST_VERSIONS = 4;

/** A version of an item that lost a conflict, as carried by {@link Change.lost}: its value, version, write and causal context. */
export type LostVersion = Pick<Change, 'data' | 'deleted' | 'version' | 'hlc' | 'nodeId' | 'vector'>;

/** A position in one node's change log. Meaningful only together with that log's epoch. */
export interface LogCursor {
  /** Epoch of the log the cursor points into; `null` when nothing was ever received from it. */
  readonly epoch: string | null;
  /** Last sequence number received and applied. */
  readonly seq: number;
  /** Whether a full resync from that log is in progress. */
  readonly resyncing: boolean;
}

/** Size limits for a page, by count and by bytes (approximate JSON size of the changes). */
export interface PageLimits {
  readonly maxChanges: number;
  readonly maxBytes: number;
}

/**
 * A page of changes from one node's log, in ascending sequence order, covering the log range
 * `(after, through]`. Pages with `mode: 'full'` are a full resync: starting at `after = 0`,
 * and when the last one (`hasMore: false`) is applied, the receiver removes items the sender
 * had received from it but no longer holds (deleted there, tombstone collected).
 */
export interface ChangePage {
  /** Sender node id. */
  readonly nodeId: string;
  /** Sender's log epoch. */
  readonly epoch: string;
  readonly mode: 'delta' | 'full';
  readonly after: number;
  readonly through: number;
  readonly hasMore: boolean;
  readonly changes: readonly Change[];
  /**
   * The sender's cursor into the receiver's log (what the sender has received from the
   * receiver), used by the full-resync sweep; `null` when the sender has none.
   */
  readonly receiverCursor: { readonly epoch: string; readonly seq: number } | null;
  /**
   * Full resync only: ids of items in this page's range that were not sent because the
   * receiver already has them (it produced them or sent them); they still count as present
   * for the sweep.
   */
  readonly echoIds?: readonly string[];
}

/** Requester → responder: "send me your changes after my cursor". */
export interface PullRequest {
  readonly type: 'pull';
  readonly protocol: number;
  /** Requester node id (must match the peer the transport authenticated). */
  readonly nodeId: string;
  /** Requester's log epoch. */
  readonly epoch: string;
  /** Requester's cursor into the responder's log. */
  readonly cursor: LogCursor;
  /** Requester's page limits. */
  readonly limits: PageLimits;
}

/** Responder → requester: one page, plus the responder's cursor into the requester's log. */
export interface PullResponse {
  readonly type: 'pull-page';
  readonly protocol: number;
  readonly page: ChangePage;
  /** Responder's cursor into the requester's log (where a push should start); `null` if none. */
  readonly yourCursor: LogCursor | null;
  /** The largest pages the responder accepts in a push. */
  readonly limits: PageLimits;
}

/** Requester → responder: one page of the requester's changes. */
export interface PushRequest {
  readonly type: 'push';
  readonly protocol: number;
  readonly page: ChangePage;
}

/** Responder → requester: the page was applied; the responder's cursor into the requester's log. */
export interface PushResponse {
  readonly type: 'push-ack';
  readonly protocol: number;
  readonly nodeId: string;
  readonly cursor: LogCursor;
}

/** Responder → requester: the request was rejected; nothing was applied. */
export interface ErrorResponse {
  readonly type: 'error';
  readonly protocol: number;
  /** A {@link SyncErrorCode}. */
  readonly code: string;
  readonly message: string;
}

/** Every request a {@link SyncTransport} carries. */
export type SyncRequest = PullRequest | PushRequest;
/** Every response a {@link SyncTransport} carries back. */
export type SyncResponse = PullResponse | PushResponse | ErrorResponse;
