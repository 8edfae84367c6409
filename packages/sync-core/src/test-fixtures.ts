import type { ItemRow, PeerRow } from './item-rows.js';
import type { ValidatedChange } from './message-validator.js';
import type { VersionVector } from './version-vector.js';

// Builders of rows and changes for the pure modules' unit tests (no database).

/** An HLC timestamp at wall time `n` µs written by `node`. */
export const hlcAt = (n: number, node: string): string => `${String(n).padStart(16, '0')}-000000-${node}`;

/** A stored item row: a live value written by `nodeId`, context `{ [nodeId]: hlc }` unless given. */
export function itemRow(partial: Partial<ItemRow> & Pick<ItemRow, 'id' | 'hlc' | 'node_id'>): ItemRow {
  return {
    type: 'note',
    data: '"x"',
    version: 1,
    deleted: 0,
    vector: JSON.stringify({ [partial.node_id]: partial.hlc }),
    value_vector: null,
    seq: 1,
    origin: partial.node_id,
    from_peer: null,
    ...partial,
  };
}

/** A validated remote change with its JSON encodings. */
export function remoteChange(partial: Omit<Partial<ValidatedChange>, 'vector'> & Pick<ValidatedChange, 'id' | 'hlc' | 'nodeId'> & { vector?: VersionVector }): ValidatedChange {
  const vector = partial.vector ?? { [partial.nodeId]: partial.hlc };
  const data = partial.data === undefined ? 'y' : partial.data;
  return {
    seq: 1,
    type: 'note',
    deleted: false,
    version: 1,
    origin: partial.nodeId,
    valueVectorJson: partial.valueVector === undefined ? null : JSON.stringify(partial.valueVector),
    ...partial,
    data,
    dataJson: partial.deleted === true ? null : JSON.stringify(data),
    vector,
    vectorJson: JSON.stringify(vector),
  };
}

/** A peer row with nothing exchanged yet. */
export function peerRow(partial: Partial<PeerRow> = {}): PeerRow {
  return {
    peer_id: 'b',
    epoch: null,
    cursor: 0,
    resyncing: 0,
    sweep_through: 0,
    acked_epoch: null,
    acked: 0,
    last_attempt: null,
    last_success: null,
    last_error_code: null,
    last_error: null,
    last_error_at: null,
    ...partial,
  };
}
