import type { ConflictRow, HistoryState, ItemRow } from './rows.js';

/** A superseded version to keep, with why and when. */
export interface HistoryInsert {
  readonly state: HistoryState;
  readonly reason: string;
  readonly recordedAt: number;
}

/** A conflict log entry to add (its id is assigned by the store). */
export type ConflictInsert = Omit<ConflictRow, 'id' | 'acknowledged_at'>;

/** Changes to what this node keeps about one peer; the peer's row is created when missing. */
export interface PeerUpdate {
  readonly peerId: string;
  /** Before anything else: forget which items the peer's full resync has sent. */
  readonly clearSeen?: boolean;
  /**
   * Before the item writes: the peer's log was replaced, so states received from it or produced
   * by it stop counting as echoes (`from_peer` cleared; its `origin` becomes `nodeId`).
   */
  readonly forgetMarkers?: { readonly nodeId: string };
  /** Items the peer's full resync has sent (kept until the resync ends). */
  readonly seen?: readonly string[];
  /** The cursor into the peer's log. */
  readonly cursor?: { readonly epoch: string; readonly seq: number; readonly resyncing: boolean; readonly sweepThrough: number };
  /** How far the peer has our log. */
  readonly acked?: { readonly epoch: string; readonly seq: number };
  readonly success?: { readonly attemptAt: number; readonly at: number };
  /** `attemptAt` null keeps the previous attempt time (an error serving the peer's request). */
  readonly error?: { readonly attemptAt: number | null; readonly code: string; readonly message: string; readonly at: number };
}

/**
 * Everything one planned step writes, committed atomically by {@link SyncStore.commit}: in this
 * order, the peer's clearing steps, history rows, item states, conflict entries, the peer's
 * other fields, garbage collection, meta. Sequence numbers of `items` are assigned by the
 * planner; `meta` carries the new log end (`last_seq`) and clock with them.
 */
export interface WriteBatch {
  readonly history?: readonly HistoryInsert[];
  readonly items?: readonly ItemRow[];
  readonly conflicts?: readonly ConflictInsert[];
  readonly peer?: PeerUpdate;
  /** Items to remove (expired tombstones). */
  readonly deleteItems?: readonly string[];
  /** History to prune: entries recorded before `recordedBefore`, and all but the newest `keepPerItem` of each item. */
  readonly pruneHistory?: { readonly recordedBefore: number; readonly keepPerItem: number };
  /** Conflict log entries to mark as acknowledged (those not acknowledged yet). */
  readonly acknowledgeConflicts?: { readonly ids: readonly number[]; readonly at: number };
  /** Keys of the store's meta table to set. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** What a commit reports back. */
export interface CommitResult {
  /** The ids given to the batch's conflict entries, in order. */
  readonly conflictIds: readonly number[];
  /** History entries removed by `pruneHistory`. */
  readonly historyPruned: number;
  /** Conflict log entries newly acknowledged by `acknowledgeConflicts`. */
  readonly acknowledged: number;
}
