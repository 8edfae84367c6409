import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../item-rows.js';
import { MAX_LOST_VERSIONS } from '../messages.js';
import { hlcAt, remoteChange } from '../test-fixtures.js';
import { absorbedLosers, unloggedLostVersions } from './lost-versions.js';

function loser(n: number, node: string, data: string | null = '"lost"'): HistoryRow {
  const hlc = hlcAt(n, node);
  return { id: n, item_id: 'n', type: 'note', data, version: 1, hlc, node_id: node, deleted: data === null ? 1 : 0, vector: JSON.stringify({ [node]: hlc }), reason: 'conflict-loser', recorded_at: 0 };
}

describe('absorbedLosers', () => {
  const vector = { a: hlcAt(5, 'a'), b: hlcAt(5, 'b') };
  const valueVector = { a: hlcAt(5, 'a'), b: hlcAt(1, 'b') };

  it('keeps the losers the state covers and its value does not, each timestamp once', () => {
    const lost = absorbedLosers(vector, valueVector, [loser(4, 'b'), loser(4, 'b'), loser(6, 'b'), loser(3, 'a'), loser(1, 'b')], 1024);
    expect(lost.map((l) => l.hlc)).toEqual([hlcAt(4, 'b')]);
    expect(lost[0]).toMatchObject({ data: 'lost', dataJson: '"lost"', deleted: false, nodeId: 'b', vector: { b: hlcAt(4, 'b') } });
  });

  it('stops at MAX_LOST_VERSIONS and at one item worth of data', () => {
    const many = Array.from({ length: MAX_LOST_VERSIONS + 5 }, (_, i) => loser(4, 'b', `"${i}"`)).map((row, i) => ({ ...row, hlc: hlcAt(2 + i, 'b') }));
    const wide = { ...vector, b: hlcAt(1000, 'b') };
    expect(absorbedLosers(wide, valueVector, many, 1 << 20)).toHaveLength(MAX_LOST_VERSIONS);
    expect(absorbedLosers(wide, valueVector, many, 7)).toHaveLength(2);
  });
});

describe('unloggedLostVersions', () => {
  const lostVersion = (n: number, node: string, deleted = false) => {
    const hlc = hlcAt(n, node);
    return { data: deleted ? null : 'old', deleted, version: 1, hlc, nodeId: node, vector: { [node]: hlc }, dataJson: deleted ? null : '"old"', vectorJson: JSON.stringify({ [node]: hlc }) };
  };

  it('records what this node has not logged, with the rule the default would have used', () => {
    const change = {
      ...remoteChange({ id: 'n', hlc: hlcAt(5, 'a'), nodeId: 'a', vector: { a: hlcAt(5, 'a'), b: hlcAt(4, 'b'), c: hlcAt(9, 'c') } }),
      lost: [lostVersion(4, 'b'), lostVersion(3, 'c'), lostVersion(9, 'c')],
    };
    const records = unloggedLostVersions(change, (hlc) => hlc === hlcAt(3, 'c'));
    expect(records.map((r) => [r.row.hlc, r.rule])).toEqual([
      [hlcAt(4, 'b'), 'lww'],
      // The default rule would have kept the newer loser: a custom resolver decided.
      [hlcAt(9, 'c'), 'custom'],
    ]);
    expect(records[0]!.row).toMatchObject({ id: 'n', data: '"old"', node_id: 'b', deleted: 0 });
  });

  it('names a lost deletion as decided by a custom rule (the default keeps deletions)', () => {
    const change = { ...remoteChange({ id: 'n', hlc: hlcAt(5, 'a'), nodeId: 'a' }), lost: [lostVersion(4, 'b', true)] };
    expect(unloggedLostVersions(change, () => false).map((r) => r.rule)).toEqual(['custom']);
    expect(unloggedLostVersions(remoteChange({ id: 'n', hlc: hlcAt(5, 'a'), nodeId: 'a' }), () => false)).toEqual([]);
  });
});
