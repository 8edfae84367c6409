// The stored shapes of the engine's state, as every store adapter reads and writes them. Flags
// are 0/1 integers and vectors JSON text, so rows move between the store and the planners
// without conversion.

/** The current state of one item, at its position (`seq`) in the change log. */
export interface ItemRow {
  id: string;
  type: string;
  /** The value's JSON text; `null` for a tombstone. */
  data: string | null;
  version: number;
  hlc: string;
  /** The node that wrote the value. */
  node_id: string;
  deleted: number;
  /** The state's causal context (JSON). */
  vector: string;
  /** The value's causal context (JSON) when it is smaller than `vector`, else `null`. */
  value_vector: string | null;
  seq: number;
  /** The node that produced this exact state (a write or a resolution). */
  origin: string;
  /** The peer this state was received from verbatim, else `null`. */
  from_peer: string | null;
}

/** A superseded version of an item. */
export interface HistoryRow {
  id: number;
  item_id: string;
  type: string;
  data: string | null;
  version: number;
  hlc: string;
  node_id: string;
  deleted: number;
  vector: string;
  reason: string;
  recorded_at: number;
}

/** One entry of the conflict log; the three versions as JSON. */
export interface ConflictRow {
  id: number;
  item_id: string;
  peer_id: string | null;
  rule: string;
  winner: string;
  local: string;
  remote: string;
  result: string;
  detected_at: number;
  acknowledged_at: number | null;
}

/** What this node keeps about one peer: its cursor into the peer's log, the peer's acknowledgement of ours, round outcomes. */
export interface PeerRow {
  peer_id: string;
  /** The peer's log epoch the cursor points into. */
  epoch: string | null;
  cursor: number;
  /** 1 while a full resync from the peer is in progress. */
  resyncing: number;
  /** Through which position of our log the peer had received our items when its full resync began. */
  sweep_through: number;
  /** The epoch of our log that `acked` counts in. */
  acked_epoch: string | null;
  acked: number;
  last_attempt: number | null;
  last_success: number | null;
  last_error_code: string | null;
  last_error: string | null;
  last_error_at: number | null;
}

/** An item state about to be written (its `seq` is assigned when it is planned). */
export type NewState = Omit<ItemRow, 'seq'>;

/** The fields of an item state that a history entry keeps. */
export type HistoryState = Pick<ItemRow, 'id' | 'type' | 'data' | 'version' | 'hlc' | 'node_id' | 'deleted' | 'vector'>;
