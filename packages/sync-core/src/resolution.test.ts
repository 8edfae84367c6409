import { describe, expect, it } from 'vitest';
import { decideMerge, defaultConflictWinner, type MergeState } from './resolution.js';

const t = (n: number, node: string): string => `${String(n).padStart(16, '0')}-000000-${node}`;

function state(partial: Partial<MergeState> & Pick<MergeState, 'hlc' | 'nodeId' | 'vector'>): MergeState {
  return { version: 1, deleted: false, dataJson: '"x"', valueVector: partial.vector, ...partial };
}

describe('decideMerge', () => {
  const base = state({ hlc: t(1, 'a'), nodeId: 'a', vector: { a: t(1, 'a') } });
  const editA = state({ hlc: t(2, 'a'), nodeId: 'a', vector: { a: t(2, 'a') }, dataJson: '"edit a"', version: 2 });
  const editB = state({ hlc: t(3, 'b'), nodeId: 'b', vector: { a: t(1, 'a'), b: t(3, 'b') }, dataJson: '"edit b"', version: 2 });

  it('skips older and identical states, adopts newer ones', () => {
    expect(decideMerge(editA, base).kind).toBe('skip');
    expect(decideMerge(base, base).kind).toBe('skip');
    expect(decideMerge(base, editA).kind).toBe('adopt');
  });

  it('tells a newer state whose value never saw ours (a conflict resolved elsewhere) from a plain successor', () => {
    // b resolved editA against editB: its context covers both, its value is editB's.
    const resolvedOnB = state({ ...editB, vector: { a: t(2, 'a'), b: t(3, 'b') }, valueVector: editB.vector });
    expect(decideMerge(editA, resolvedOnB)).toEqual({ kind: 'adopt', resolvedElsewhere: 'lww' });
    // The replica that held the winning value only widens its context: nothing lost there.
    expect(decideMerge(editB, resolvedOnB)).toEqual({ kind: 'adopt' });
    expect(decideMerge(base, resolvedOnB)).toEqual({ kind: 'adopt' });
    // A value the default rule would not pick can only have won by a custom resolver.
    const keptOnB = state({ ...base, hlc: t(1, 'b'), nodeId: 'b', vector: { a: t(2, 'a'), b: t(3, 'b') }, valueVector: { a: t(1, 'a'), b: t(1, 'b') } });
    expect(decideMerge(editA, keptOnB)).toEqual({ kind: 'adopt', resolvedElsewhere: 'custom' });
  });

  it('detects concurrent modifications as conflicts', () => {
    expect(decideMerge(editA, editB).kind).toBe('conflict');
    expect(decideMerge(editB, editA).kind).toBe('conflict');
  });

  it('keeps a value that was written after seeing the other one (restore after a concurrent delete)', () => {
    // a deleted; b modified concurrently; the tombstone won on a; then c restored after seeing
    // only the deletion. The restore causally supersedes the tombstone.
    const tombstoneState = state({ hlc: t(2, 'a'), nodeId: 'a', deleted: true, dataJson: null, vector: { a: t(2, 'a'), b: t(3, 'b') }, valueVector: { a: t(2, 'a') } });
    const restore = state({ hlc: t(4, 'c'), nodeId: 'c', vector: { a: t(2, 'a'), c: t(4, 'c') } });
    expect(decideMerge(tombstoneState, restore).kind).toBe('take-remote');
    expect(decideMerge(restore, tombstoneState).kind).toBe('keep-local');
  });

  it('breaks ties between equal contexts holding different values the same way on both sides', () => {
    const vector = { a: t(2, 'a'), b: t(3, 'b') };
    const x = state({ hlc: t(3, 'b'), nodeId: 'a', vector, valueVector: vector, dataJson: '"merged on a"' });
    const y = state({ hlc: t(3, 'b'), nodeId: 'b', vector, valueVector: vector, dataJson: '"merged on b"' });
    const onA = decideMerge(x, y);
    const onB = decideMerge(y, x);
    expect(onA).toEqual({ kind: 'tiebreak', winner: 'remote' });
    expect(onB).toEqual({ kind: 'tiebreak', winner: 'local' });
  });
});

describe('defaultConflictWinner', () => {
  it('lets a deletion win over a later modification', () => {
    const del = state({ hlc: t(1, 'a'), nodeId: 'a', deleted: true, dataJson: null, vector: { a: t(1, 'a') } });
    const mod = state({ hlc: t(9, 'b'), nodeId: 'b', vector: { b: t(9, 'b') } });
    expect(defaultConflictWinner(del, mod)).toEqual({ winner: 'local', rule: 'delete-wins' });
    expect(defaultConflictWinner(mod, del)).toEqual({ winner: 'remote', rule: 'delete-wins' });
  });

  it('otherwise keeps the greater (HLC, node id)', () => {
    const x = state({ hlc: t(5, 'a'), nodeId: 'a', vector: { a: t(5, 'a') } });
    const y = state({ hlc: t(5, 'b'), nodeId: 'b', vector: { b: t(5, 'b') } });
    expect(defaultConflictWinner(x, y)).toEqual({ winner: 'remote', rule: 'lww' });
    expect(defaultConflictWinner(y, x)).toEqual({ winner: 'local', rule: 'lww' });
  });
});
