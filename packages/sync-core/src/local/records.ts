import { microsToDate, rowToItem, type ConflictRow, type HistoryRow, type PeerRow } from '../item-rows.js';
import type { ConflictRule } from '../resolution.js';
import type { SyncItem } from '../sync-item.js';
import type { ConflictRecord, HistoryEntry, HistoryReason, PeerStatus } from '../sync-types.js';

// Stored rows of the history, the conflict log and the peer table as the API returns them.

/** A history row as a {@link HistoryEntry}. */
export function historyEntry(row: HistoryRow): HistoryEntry {
  return {
    historyId: row.id,
    item: rowToItem({ ...row, id: row.item_id }),
    reason: row.reason as HistoryReason,
    recordedAt: new Date(row.recorded_at / 1000),
  };
}

/** A conflict log row as a {@link ConflictRecord}. */
export function conflictRecord(row: ConflictRow): ConflictRecord {
  return {
    id: row.id,
    itemId: row.item_id,
    peerId: row.peer_id,
    rule: row.rule as ConflictRule,
    winner: row.winner as ConflictRecord['winner'],
    local: JSON.parse(row.local) as SyncItem,
    remote: JSON.parse(row.remote) as SyncItem,
    result: JSON.parse(row.result) as SyncItem,
    detectedAt: new Date(row.detected_at / 1000),
    acknowledgedAt: microsToDate(row.acknowledged_at),
  };
}

/** A peer row as a {@link PeerStatus}, with the count of our changes it has not acknowledged. */
export function peerStatus(row: PeerRow, pendingChanges: number): PeerStatus {
  return {
    peerId: row.peer_id,
    epoch: row.epoch,
    cursor: row.cursor,
    resyncing: row.resyncing === 1,
    pendingChanges,
    lastAttemptAt: microsToDate(row.last_attempt),
    lastSuccessAt: microsToDate(row.last_success),
    lastError: row.last_error_code === null ? null : { code: row.last_error_code, message: row.last_error ?? '', at: microsToDate(row.last_error_at)! },
  };
}
