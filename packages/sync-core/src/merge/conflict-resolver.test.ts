import { describe, expect, it } from 'vitest';
import { ConflictResolutionError } from '../errors.js';
import { changeToItem, changeToMergeState, rowToItem, rowToMergeState } from '../item-rows.js';
import type { SyncItem } from '../sync-item.js';
import { hlcAt, itemRow, remoteChange } from '../test-fixtures.js';
import { defaultResolve, lastWriteWins, resolveConflict, type ConflictResolver, type ConflictSide, type ResolveOptions } from './conflict-resolver.js';

const localRow = itemRow({ id: 'n', hlc: hlcAt(2, 'a'), node_id: 'a', data: '"from a"' });
const change = remoteChange({ id: 'n', hlc: hlcAt(3, 'b'), nodeId: 'b', data: 'from b' });
const local = (): ConflictSide => ({ item: rowToItem(localRow), state: rowToMergeState(localRow), dataJson: localRow.data });
const remote = (): ConflictSide => ({ item: changeToItem(change), state: changeToMergeState(change), dataJson: change.dataJson });
const options: ResolveOptions = { context: { nodeId: 'a', defaultResolve }, maxItemBytes: 1024, isTooFarAhead: (hlc) => hlc > hlcAt(1000, 'z') };

describe('resolveConflict', () => {
  it('without a resolver, applies the default rule: the greater (HLC, node id) wins, a deletion beats an edit', async () => {
    expect(await resolveConflict(undefined, local(), remote(), options)).toMatchObject({ winner: 'remote', rule: 'lww', dataJson: '"from b"' });
    const deletion = itemRow({ id: 'n', hlc: hlcAt(1, 'a'), node_id: 'a', data: null, deleted: 1 });
    const deletedSide = { item: rowToItem(deletion), state: rowToMergeState(deletion), dataJson: null };
    expect(await resolveConflict(undefined, deletedSide, remote(), options)).toMatchObject({ winner: 'local', rule: 'delete-wins' });
  });

  it('keeps the default rule name when a resolver returns the side the default would pick, else custom', async () => {
    const pickRemote: ConflictResolver = { resolve: (_l, r) => r };
    const pickLocal: ConflictResolver = { resolve: (l) => l };
    expect(await resolveConflict(pickRemote, local(), remote(), options)).toMatchObject({ winner: 'remote', rule: 'lww' });
    expect(await resolveConflict(pickLocal, local(), remote(), options)).toMatchObject({ winner: 'local', rule: 'custom' });
    expect(await resolveConflict(lastWriteWins, local(), remote(), options)).toMatchObject({ winner: 'remote', rule: 'lww' });
  });

  it('passes the context, and counts an item equal to a side as that side', async () => {
    const seen: unknown[] = [];
    const copyRemote: ConflictResolver = {
      resolve: (_l, r, context) => {
        seen.push(context.nodeId);
        return { ...r };
      },
    };
    expect(await resolveConflict(copyRemote, local(), remote(), options)).toMatchObject({ winner: 'remote', rule: 'custom', dataJson: '"from b"' });
    expect(seen).toEqual(['a']);
  });

  it('takes a new item as a merge, validated, with both contexts joined', async () => {
    const merge: ConflictResolver = {
      resolve: async (l, r) => ({ ...l, data: `${String(l.data)} + ${String(r.data)}`, version: 2, hlc: r.hlc, nodeId: 'a' }),
    };
    const result = await resolveConflict(merge, local(), remote(), options);
    expect(result).toMatchObject({ winner: 'merged', rule: 'custom', dataJson: '"from a + from b"' });
    expect(result.item.vector).toEqual({ a: hlcAt(2, 'a'), b: hlcAt(3, 'b') });
  });

  it.each<[string, (l: SyncItem, r: SyncItem) => unknown, RegExp]>([
    ['a non-object', () => 42, /expected an item object/],
    ['another id', (l) => ({ ...l, id: 'other' }), /id must stay/],
    ['data on a deletion', (l) => ({ ...l, deleted: true }), /deleted item has data null/],
    ['an older version', (l, r) => ({ ...l, hlc: r.hlc, version: 0 }), /version must be an integer >= 1/],
    ['an older hlc', (l) => ({ ...l, data: 'new' }), /hlc must be at least/],
    ['a far-future hlc', (l) => ({ ...l, data: 'new', hlc: hlcAt(2000, 'a') }), /too far in the future/],
    ['a bad node id', (l, r) => ({ ...l, data: 'new', hlc: r.hlc, nodeId: '' }), /nodeId must be a node id/],
    ['data too large', (l, r) => ({ ...l, data: 'x'.repeat(2000), hlc: r.hlc }), /bytes|large|exceeds/i],
  ])('refuses %s with a ConflictResolutionError naming the item', async (_name, resolve, message) => {
    const error = await resolveConflict({ resolve: resolve as ConflictResolver['resolve'] }, local(), remote(), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictResolutionError);
    expect((error as Error).message).toMatch(message);
  });

  it('wraps an exception of the resolver, keeping it as the cause', async () => {
    const boom = new Error('boom');
    const error = await resolveConflict({ resolve: () => Promise.reject(boom) }, local(), remote(), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictResolutionError);
    expect((error as Error).message).toContain('the resolver threw: boom');
    expect((error as Error).cause).toBe(boom);
  });
});
