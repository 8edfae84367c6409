import { describe, expect, it } from 'vitest';
import { changeToItem, rowToItem } from '../item-rows.js';
import { hlcAt, itemRow, remoteChange } from '../test-fixtures.js';
import { decideChange, planRemoteChange, type ChangeDecision, type ResolvedDecision } from './merge-plan.js';

/** A decision other than `conflict` (which must come with its resolution) is planned as it is. */
function notConflict(decision: ChangeDecision): ResolvedDecision {
  if (decision.kind === 'conflict') throw new Error('this test expected no conflict');
  return decision;
}

const base = itemRow({ id: 'n', hlc: hlcAt(1, 'a'), node_id: 'a', data: '"base"' });
const editA = itemRow({ id: 'n', hlc: hlcAt(2, 'a'), node_id: 'a', data: '"edit a"', version: 2 });
const editB = remoteChange({ id: 'n', hlc: hlcAt(3, 'b'), nodeId: 'b', data: 'edit b', version: 2, vector: { a: hlcAt(1, 'a'), b: hlcAt(3, 'b') } });

describe('planRemoteChange', () => {
  it('inserts an unknown item verbatim, marked as received from the peer', () => {
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: editB, local: undefined, decision: notConflict(decideChange(undefined, editB)) });
    expect(outcome.history).toEqual([]);
    expect(outcome.conflict).toBeUndefined();
    expect(outcome.state).toMatchObject({ id: 'n', data: '"edit b"', origin: 'b', from_peer: 'b', vector: editB.vectorJson });
  });

  it('skips an older state and adopts a newer one, keeping the superseded version in history', () => {
    expect(planRemoteChange({ nodeId: 'b', peerId: 'a', change: remoteChange({ id: 'n', hlc: hlcAt(1, 'a'), nodeId: 'a' }), local: editA, decision: { kind: 'skip' } })).toMatchObject({
      history: [],
      state: undefined,
    });
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: editB, local: base, decision: notConflict(decideChange(base, editB)) });
    expect(outcome.history).toEqual([{ state: base, reason: 'superseded' }]);
    expect(outcome.state).toMatchObject({ data: '"edit b"', from_peer: 'b' });
    expect(outcome.conflict).toBeUndefined();
  });

  it('logs a conflict resolved elsewhere when the newer state never saw our value', () => {
    const resolvedOnB = remoteChange({ ...editB, vector: { a: hlcAt(2, 'a'), b: hlcAt(3, 'b') }, valueVector: editB.vector });
    const decision = decideChange(editA, resolvedOnB);
    expect(decision).toEqual({ kind: 'adopt', resolvedElsewhere: 'lww' });
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: resolvedOnB, local: editA, decision: notConflict(decision) });
    expect(outcome.history).toEqual([{ state: editA, reason: 'conflict-loser' }]);
    expect(outcome.conflict).toMatchObject({ rule: 'lww', winner: 'remote', local: rowToItem(editA), remote: changeToItem(resolvedOnB) });
  });

  it('for a true conflict won by the remote side, joins the contexts and becomes a state of this node', () => {
    const decision = decideChange(editA, editB);
    expect(decision).toEqual({ kind: 'conflict' });
    const resolution = { item: changeToItem(editB), dataJson: editB.dataJson, winner: 'remote' as const, rule: 'lww' as const };
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: editB, local: editA, decision: { kind: 'conflict', resolution } });
    expect(outcome.history).toEqual([{ state: editA, reason: 'conflict-loser' }]);
    expect(outcome.state).toMatchObject({ data: '"edit b"', origin: 'a', from_peer: null, value_vector: editB.vectorJson });
    expect(JSON.parse(outcome.state!.vector)).toEqual({ a: hlcAt(2, 'a'), b: hlcAt(3, 'b') });
    expect(outcome.conflict).toMatchObject({ rule: 'lww', winner: 'remote', result: { data: 'edit b', vector: { a: hlcAt(2, 'a'), b: hlcAt(3, 'b') } } });
  });

  it('for a conflict won locally, keeps our value with a value vector and logs the remote one as the loser', () => {
    const resolution = { item: rowToItem(editA), dataJson: editA.data, winner: 'local' as const, rule: 'custom' as const };
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: editB, local: editA, decision: { kind: 'conflict', resolution } });
    expect(outcome.history).toEqual([{ state: expect.objectContaining({ data: '"edit b"', from_peer: 'b' }), reason: 'conflict-loser' }]);
    expect(outcome.state).toMatchObject({ data: '"edit a"', value_vector: editA.vector, origin: 'a' });
    expect(outcome.conflict).toMatchObject({ rule: 'custom', winner: 'local', result: { data: 'edit a' } });
  });

  it('for a merge, records both sides as losers and writes the resolver item', () => {
    const merged = { ...rowToItem(editA), data: 'both', version: 3, hlc: hlcAt(3, 'b') };
    const resolution = { item: merged, dataJson: '"both"', winner: 'merged' as const, rule: 'custom' as const };
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: editB, local: editA, decision: { kind: 'conflict', resolution } });
    expect(outcome.history.map((h) => [h.state.data, h.reason])).toEqual([
      ['"edit a"', 'conflict-loser'],
      ['"edit b"', 'conflict-loser'],
    ]);
    expect(outcome.state).toMatchObject({ data: '"both"', version: 3, value_vector: null, origin: 'a' });
    expect(outcome.conflict).toMatchObject({ winner: 'merged', result: { data: 'both', vector: { a: hlcAt(2, 'a'), b: hlcAt(3, 'b') } } });
  });

  it('changes nothing on an equal-context tie-break the local side wins, but logs it', () => {
    // Both replicas resolved the conflict of a@4 and b@3, settling on different values.
    const vector = { a: hlcAt(4, 'a'), b: hlcAt(3, 'b') };
    const local = itemRow({ ...editA, hlc: hlcAt(4, 'a'), vector: JSON.stringify(vector), value_vector: JSON.stringify({ a: hlcAt(4, 'a') }) });
    const remote = remoteChange({ ...editB, vector, valueVector: editB.vector });
    const decision = decideChange(local, remote);
    expect(decision).toEqual({ kind: 'tiebreak', winner: 'local' });
    const outcome = planRemoteChange({ nodeId: 'a', peerId: 'b', change: remote, local, decision: notConflict(decision) });
    expect(outcome.state).toBeUndefined();
    expect(outcome.conflict).toMatchObject({ rule: 'tiebreak', winner: 'local' });
  });
});
