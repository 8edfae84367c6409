import { compareVectors, vectorLeq, type VersionVector } from './version-vector.js';

/**
 * The causal state of one item on one replica, as the pure merge rules need it.
 * `valueVector` is the context of the write that produced the value; `vector` can be larger
 * when the state has since absorbed concurrent versions that lost.
 */
export interface MergeState {
  readonly hlc: string;
  readonly nodeId: string;
  readonly version: number;
  readonly deleted: boolean;
  /** The value's JSON text (`null` for tombstones). */
  readonly dataJson: string | null;
  readonly vector: VersionVector;
  readonly valueVector: VersionVector;
}

/** The rule that decided a conflict; recorded in the conflict log. */
export type ConflictRule =
  /** One side was a deletion concurrent with a modification: the deletion won. */
  | 'delete-wins'
  /** Concurrent versions: the greater (HLC, node id) won. */
  | 'lww'
  /** A custom resolver decided. */
  | 'custom'
  /**
   * Both states had already seen each other's value but had settled on different ones (two
   * nodes resolved the same conflict independently): the default rule picks one so every
   * replica converges.
   */
  | 'tiebreak'
  /**
   * A full resync from a peer showed that the peer had received this version and no longer
   * holds the item: the item was deleted there and its tombstone collected.
   */
  | 'resync-removed';

/** What to do with a remote state for an item that exists locally. */
export type MergeDecision =
  /** The remote state is older than or identical to the local one. */
  | { readonly kind: 'skip' }
  /**
   * The remote state causally follows the local one: take it as is. `resolvedElsewhere` is set
   * when its value never saw the local value: the local value lost a conflict that another
   * replica resolved (the rule that decided it, as far as this replica can tell).
   */
  | { readonly kind: 'adopt'; readonly resolvedElsewhere?: ConflictRule }
  /** Keep the local value (the remote one was already superseded here) and join the contexts. */
  | { readonly kind: 'keep-local' }
  /** Take the remote value (it supersedes the local value) and join the contexts. */
  | { readonly kind: 'take-remote' }
  /** True conflict: neither value has seen the other. Call the resolver. */
  | { readonly kind: 'conflict' }
  /** Both states saw both values but chose differently: deterministic tie-break. */
  | { readonly kind: 'tiebreak'; readonly winner: 'local' | 'remote' };

function sameValue(a: MergeState, b: MergeState): boolean {
  return a.hlc === b.hlc && a.nodeId === b.nodeId && a.deleted === b.deleted && a.version === b.version && a.dataJson === b.dataJson;
}

/**
 * Total order used by last-write-wins and tie-breaks: a deletion beats a modification, then
 * the greater HLC (which embeds the node id), then node id, version and content so that even
 * two resolutions with equal timestamps order the same way on every replica.
 * @returns positive when `a` wins.
 */
export function compareForWin(a: MergeState, b: MergeState): number {
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  if (a.hlc !== b.hlc) return a.hlc > b.hlc ? 1 : -1;
  if (a.nodeId !== b.nodeId) return a.nodeId > b.nodeId ? 1 : -1;
  if (a.version !== b.version) return a.version - b.version;
  const x = a.dataJson ?? '';
  const y = b.dataJson ?? '';
  return x === y ? 0 : x > y ? 1 : -1;
}

/** The default conflict rule: deletion wins over modification, else last writer by (HLC, node id). */
export function defaultConflictWinner(local: MergeState, remote: MergeState): { winner: 'local' | 'remote'; rule: 'delete-wins' | 'lww' } {
  const rule = local.deleted !== remote.deleted ? 'delete-wins' : 'lww';
  return { winner: compareForWin(remote, local) > 0 ? 'remote' : 'local', rule };
}

/**
 * Decides how a remote state merges into the local one. Pure; symmetric, so every replica
 * reaches the same decision for the same pair.
 *
 * States compare by their causal contexts first (newer/older/equal). When the contexts are
 * concurrent, the *values* are compared: a value written after seeing the other value wins;
 * a value the other state has already seen (and superseded or beaten) loses; when neither
 * side has seen the other's value it is a true conflict.
 */
export function decideMerge(local: MergeState, remote: MergeState): MergeDecision {
  const order = compareVectors(remote.vector, local.vector);
  if (order === 'before') return { kind: 'skip' };
  if (order === 'after') {
    if (vectorLeq(local.valueVector, remote.valueVector)) return { kind: 'adopt' };
    // The default rule picks the remote value unless a custom resolver decided elsewhere.
    const byDefault = defaultConflictWinner(local, remote);
    return { kind: 'adopt', resolvedElsewhere: byDefault.winner === 'remote' ? byDefault.rule : 'custom' };
  }
  if (order === 'equal' && sameValue(local, remote)) return { kind: 'skip' };
  const valueOrder = compareVectors(remote.valueVector, local.valueVector);
  if (valueOrder === 'after') return { kind: 'take-remote' };
  if (valueOrder === 'before') return { kind: 'keep-local' };
  const remoteSeen = vectorLeq(remote.valueVector, local.vector);
  const localSeen = vectorLeq(local.valueVector, remote.vector);
  if (remoteSeen && !localSeen) return { kind: 'keep-local' };
  if (localSeen && !remoteSeen) return { kind: 'take-remote' };
  if (!localSeen && !remoteSeen) return { kind: 'conflict' };
  return { kind: 'tiebreak', winner: compareForWin(remote, local) > 0 ? 'remote' : 'local' };
}
