import type { ConflictRecord, HistoryEntry, SyncItem } from '@trosyn/sync-core';
import { decodeHlc } from '@trosyn/sync-core/primitives';

/** Wall time of an HLC timestamp as an ISO string. */
function hlcToIso(hlc: string): string {
  const decoded = decodeHlc(hlc);
  return decoded === undefined ? new Date(0).toISOString() : new Date(Math.floor(decoded.wallMicros / 1000)).toISOString();
}

/** An item in the data API's JSON (snake_case, `updated_at` from its HLC). */
export function itemJson(item: SyncItem): object {
  return {
    object: 'item',
    id: item.id,
    type: item.type,
    data: item.data,
    version: item.version,
    hlc: item.hlc,
    node_id: item.nodeId,
    deleted: item.deleted,
    updated_at: hlcToIso(item.hlc),
  };
}

/** A history entry in the data API's JSON. */
export function historyEntryJson(entry: HistoryEntry): object {
  return { object: 'item.history_entry', id: entry.historyId, reason: entry.reason, recorded_at: entry.recordedAt.toISOString(), item: itemJson(entry.item) };
}

/** A conflict log entry in the data API's JSON. */
export function conflictJson(record: ConflictRecord): object {
  return {
    object: 'conflict',
    id: record.id,
    item_id: record.itemId,
    peer_id: record.peerId,
    rule: record.rule,
    winner: record.winner,
    local: itemJson(record.local),
    remote: itemJson(record.remote),
    result: itemJson(record.result),
    detected_at: record.detectedAt.toISOString(),
    acknowledged_at: record.acknowledgedAt === null ? null : record.acknowledgedAt.toISOString(),
  };
}
