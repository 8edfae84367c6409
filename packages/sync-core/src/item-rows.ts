import type { ValidatedChange } from './message-validator.js';
import type { MergeState } from './resolution.js';
import type { JsonValue, SyncItem } from './sync-item.js';
import type { ItemChangedEvent } from './sync-types.js';
import type { VersionVector } from './version-vector.js';

// The engine's rows and their conversions: stored rows to items and merge states, validated
// remote changes to items and merge states.

import type { ItemRow } from './store/rows.js';

export type { ConflictRow, HistoryRow, HistoryState, ItemRow, NewState, PeerRow } from './store/rows.js';

/** A version vector stored as JSON. */
export function parseVector(json: string): VersionVector {
  return JSON.parse(json) as VersionVector;
}

/** A stored row (or history row) as the item the API returns. */
export function rowToItem(row: Pick<ItemRow, 'id' | 'type' | 'data' | 'version' | 'hlc' | 'node_id' | 'deleted' | 'vector'>): SyncItem {
  return {
    id: row.id,
    type: row.type,
    data: row.data === null ? null : (JSON.parse(row.data) as JsonValue),
    version: row.version,
    hlc: row.hlc,
    nodeId: row.node_id,
    deleted: row.deleted === 1,
    vector: parseVector(row.vector),
  };
}

/** A stored row as the local side of a merge decision. */
export function rowToMergeState(row: ItemRow): MergeState {
  const vector = parseVector(row.vector);
  return {
    hlc: row.hlc,
    nodeId: row.node_id,
    version: row.version,
    deleted: row.deleted === 1,
    dataJson: row.data,
    vector,
    valueVector: row.value_vector === null ? vector : parseVector(row.value_vector),
  };
}

/** A validated remote change as the remote side of a merge decision. */
export function changeToMergeState(change: ValidatedChange): MergeState {
  return {
    hlc: change.hlc,
    nodeId: change.nodeId,
    version: change.version,
    deleted: change.deleted,
    dataJson: change.dataJson,
    vector: change.vector,
    valueVector: change.valueVector ?? change.vector,
  };
}

/** A validated remote change as an item (for conflict records and resolvers). */
export function changeToItem(change: ValidatedChange): SyncItem {
  return {
    id: change.id,
    type: change.type,
    data: change.deleted ? null : change.data,
    version: change.version,
    hlc: change.hlc,
    nodeId: change.nodeId,
    deleted: change.deleted,
    vector: change.vector,
  };
}

/**
 * An `item-changed` event for an applied remote change whose item is decoded from the row on
 * first access: a listener that only needs to know that something changed (a scheduler pushing
 * changes on) costs no JSON parsing for a page of a thousand changes.
 */
export function remoteChangeEvent(row: ItemRow, peerId: string): ItemChangedEvent {
  let item: SyncItem | undefined;
  return {
    get item(): SyncItem {
      item ??= rowToItem(row);
      return item;
    },
    source: 'remote',
    peerId,
    seq: row.seq,
  };
}

/** A stored microsecond timestamp as a `Date`; `null` stays `null`. */
export function microsToDate(micros: number | null): Date | null {
  return micros === null ? null : new Date(micros / 1000);
}
