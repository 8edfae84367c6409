import { changeToItem, changeToMergeState, parseVector, rowToItem, rowToMergeState, type HistoryState, type ItemRow, type NewState } from '../item-rows.js';
import type { ValidatedChange } from '../message-validator.js';
import { decideMerge, type ConflictRule, type MergeDecision } from '../resolution.js';
import type { SyncItem } from '../sync-item.js';
import type { HistoryReason } from '../sync-types.js';
import { joinVectors, vectorsEqual } from '../version-vector.js';
import type { Resolution } from './conflict-resolver.js';

/** A superseded version to record, and why it was superseded. */
export interface PlannedHistory {
  readonly state: HistoryState;
  readonly reason: HistoryReason;
}

/** A conflict to log (the result is the state written, unless a resolver produced it). */
export interface PlannedConflict {
  readonly rule: ConflictRule;
  readonly winner: 'local' | 'remote' | 'merged';
  readonly local: SyncItem;
  readonly remote: SyncItem;
  readonly result: SyncItem;
}

/**
 * What applying one remote change writes, in this order: history entries, then the new state
 * of the item (none when it does not change), then the conflict to log.
 */
export interface ChangeOutcome {
  readonly history: readonly PlannedHistory[];
  readonly state: NewState | undefined;
  readonly conflict: PlannedConflict | undefined;
}

/** How a remote change meets the local state: `insert` when there is none. */
export type ChangeDecision = MergeDecision | { readonly kind: 'insert' };

/** A decision ready to plan: a `conflict` carries how it was resolved (the resolver's answer). */
export type ResolvedDecision =
  | Exclude<ChangeDecision, { readonly kind: 'conflict' }>
  | { readonly kind: 'conflict'; readonly resolution: Resolution };

/** Decides how a remote change merges into the local row (if any). */
export function decideChange(local: ItemRow | undefined, change: ValidatedChange): ChangeDecision {
  return local === undefined ? { kind: 'insert' } : decideMerge(rowToMergeState(local), changeToMergeState(change));
}

/** Everything planning one remote change needs. */
export interface ChangePlanInput {
  /** This node (a state it changes becomes its own: `origin` this node, `from_peer` none). */
  readonly nodeId: string;
  /** The peer the change came from. */
  readonly peerId: string;
  readonly change: ValidatedChange;
  readonly local: ItemRow | undefined;
  readonly decision: ResolvedDecision;
}

const NOTHING: ChangeOutcome = Object.freeze({ history: [], state: undefined, conflict: undefined });

/**
 * Plans the writes of one remote change from its merge decision. Pure.
 *
 * A state taken verbatim keeps the sender's markers (`origin`, `from_peer`), so it is not sent
 * back; a state whose context was joined here is a new state of this node. A resolution made
 * elsewhere that reaches us before the losing value did is logged here too, so every replica
 * whose value lost a conflict has it in its log.
 */
export function planRemoteChange(input: ChangePlanInput): ChangeOutcome {
  const { nodeId, peerId, change, local, decision } = input;
  const verbatim = (): NewState => ({
    id: change.id,
    type: change.type,
    data: change.dataJson,
    version: change.version,
    hlc: change.hlc,
    node_id: change.nodeId,
    deleted: change.deleted ? 1 : 0,
    vector: change.vectorJson,
    value_vector: change.valueVectorJson,
    origin: change.origin,
    from_peer: peerId,
  });
  if (decision.kind === 'skip') return NOTHING;
  if (decision.kind === 'insert') return { history: [], state: verbatim(), conflict: undefined };
  const l = local!;
  if (decision.kind === 'adopt') {
    const lost = decision.resolvedElsewhere;
    const state = verbatim();
    return {
      history: [{ state: l, reason: lost === undefined ? 'superseded' : 'conflict-loser' }],
      state,
      conflict: lost === undefined ? undefined : { rule: lost, winner: 'remote', local: rowToItem(l), remote: changeToItem(change), result: rowToItem(state) },
    };
  }
  const joined = joinVectors(parseVector(l.vector), change.vector);
  const joinedJson = JSON.stringify(joined);
  const resolution = decision.kind === 'conflict' ? decision.resolution : undefined;
  const merged = resolution?.winner === 'merged' ? resolution : undefined;
  const localKeeps =
    decision.kind === 'keep-local' || (decision.kind === 'tiebreak' && decision.winner === 'local') || resolution?.winner === 'local';
  const history: PlannedHistory[] = [];
  let state: NewState;
  let winner: 'local' | 'remote' | 'merged';
  let rule: ConflictRule | undefined = decision.kind === 'tiebreak' ? 'tiebreak' : resolution?.rule;
  let resultItem: SyncItem | undefined;
  if (merged !== undefined) {
    // A custom resolver produced a new value: it has seen both values.
    winner = 'merged';
    rule = 'custom';
    resultItem = merged.item;
    const valueVector = joinVectors(rowToMergeState(l).valueVector, change.valueVector ?? change.vector);
    state = {
      id: l.id,
      type: resultItem.type,
      data: merged.dataJson,
      version: resultItem.version,
      hlc: resultItem.hlc,
      node_id: resultItem.nodeId,
      deleted: resultItem.deleted ? 1 : 0,
      vector: joinedJson,
      value_vector: vectorsEqual(valueVector, joined) ? null : JSON.stringify(valueVector),
      origin: nodeId,
      from_peer: null,
    };
    history.push({ state: l, reason: 'conflict-loser' }, { state: verbatim(), reason: 'conflict-loser' });
  } else if (localKeeps) {
    winner = 'local';
    state = { ...l, vector: joinedJson, value_vector: l.value_vector ?? (vectorsEqual(joined, parseVector(l.vector)) ? null : l.vector), origin: nodeId, from_peer: null };
    if (rule !== undefined) history.push({ state: verbatim(), reason: 'conflict-loser' });
  } else {
    // take-remote, a tie-break or a conflict the remote value won.
    winner = 'remote';
    const sameAsRemote = vectorsEqual(joined, change.vector);
    state = sameAsRemote
      ? verbatim()
      : { ...verbatim(), vector: joinedJson, value_vector: change.valueVectorJson ?? change.vectorJson, origin: nodeId, from_peer: null };
    history.push({ state: l, reason: rule === undefined ? 'superseded' : 'conflict-loser' });
  }
  // An equal-context tie-break the local side wins changes nothing here.
  const unchanged = winner === 'local' && state.vector === l.vector && state.value_vector === l.value_vector;
  const stored = unchanged ? l : state;
  const conflict: PlannedConflict | undefined =
    rule === undefined
      ? undefined
      : { rule, winner, local: rowToItem(l), remote: changeToItem(change), result: { ...(resultItem ?? rowToItem(stored)), vector: parseVector(stored.vector) } };
  return { history, state: unchanged ? undefined : state, conflict };
}
