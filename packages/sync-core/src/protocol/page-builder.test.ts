import { describe, expect, it } from 'vitest';
import type { ItemRow } from '../item-rows.js';
import { hlcAt, itemRow } from '../test-fixtures.js';
import { buildPage, type PageRequest } from './page-builder.js';

function log(count: number, partial: (i: number) => Partial<ItemRow> = () => ({})): ItemRow[][] {
  return [rows(count, partial)];
}

function rows(count: number, partial: (i: number) => Partial<ItemRow> = () => ({})): ItemRow[] {
  return Array.from({ length: count }, (_, i) => itemRow({ id: `item-${i + 1}`, hlc: hlcAt(i + 1, 'a'), node_id: 'a', seq: i + 1, ...partial(i + 1) }));
}

const request: PageRequest = {
  nodeId: 'a',
  epoch: 'e1',
  lastSeq: 10,
  peerId: 'b',
  after: 0,
  mode: 'delta',
  limits: { maxChanges: 100, maxBytes: 1 << 20 },
  receiverCursor: null,
  suppressEchoes: true,
};
const noLost = (): never[] => [];

describe('buildPage', () => {
  it('sends the whole rest of the log on one page and ends it at the last seq', async () => {
    const { page, bytes } = await buildPage(request, log(10), noLost);
    expect(page.changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(page).toMatchObject({ nodeId: 'a', epoch: 'e1', after: 0, through: 10, hasMore: false, mode: 'delta' });
    expect(page.changes[0]).toMatchObject({ id: 'item-1', data: 'x', deleted: false, vector: { a: hlcAt(1, 'a') }, origin: 'a' });
    expect(bytes).toBeGreaterThan(0);
  });

  it('ends a page at maxChanges and at maxBytes, never before its first change', async () => {
    expect((await buildPage({ ...request, limits: { maxChanges: 3, maxBytes: 1 << 20 } }, log(10), noLost)).page).toMatchObject({ through: 3, hasMore: true });
    const tiny = (await buildPage({ ...request, limits: { maxChanges: 100, maxBytes: 1 } }, log(10), noLost)).page;
    expect(tiny.changes).toHaveLength(1);
    expect(tiny).toMatchObject({ through: 1, hasMore: true });
  });

  it('leaves out echoes of the receiver, and names them in a full resync the receiver sweeps', async () => {
    const rows = log(6, (i) => (i % 2 === 0 ? { origin: 'b' } : i === 3 ? { from_peer: 'b' } : {}));
    expect((await buildPage(request, rows, noLost)).page.changes.map((c) => c.seq)).toEqual([1, 5]);
    expect((await buildPage({ ...request, suppressEchoes: false }, rows, noLost)).page.changes).toHaveLength(6);
    const full = (await buildPage({ ...request, mode: 'full', receiverCursor: { epoch: 'pb', seq: 3 } }, rows, noLost)).page;
    expect(full.echoIds).toEqual(['item-2', 'item-3', 'item-4', 'item-6']);
  });

  it('ends a long run of echoes after examining twenty times maxChanges rows, moving past them', async () => {
    const rows = log(100, () => ({ origin: 'b' }));
    const { page } = await buildPage({ ...request, lastSeq: 100, limits: { maxChanges: 2, maxBytes: 1 << 20 } }, rows, noLost);
    expect(page).toMatchObject({ changes: [], through: 40, hasMore: true });
  });

  it('carries a resolved state with its value vector and lost versions', async () => {
    const valueVector = { a: hlcAt(1, 'a') };
    const resolved = [[itemRow({ id: 'r', hlc: hlcAt(1, 'a'), node_id: 'a', seq: 1, vector: JSON.stringify({ a: hlcAt(1, 'a'), b: hlcAt(2, 'b') }), value_vector: JSON.stringify(valueVector) })]];
    const lost = [{ data: 'old', deleted: false, version: 1, hlc: hlcAt(2, 'b'), nodeId: 'b', vector: { b: hlcAt(2, 'b') }, dataJson: '"old"', vectorJson: '{}' }];
    const { page } = await buildPage({ ...request, lastSeq: 1 }, resolved, () => lost);
    expect(page.changes[0]).toMatchObject({ valueVector, lost: [{ data: 'old', hlc: hlcAt(2, 'b'), nodeId: 'b' }] });
    expect(page.changes[0]!.lost![0]).not.toHaveProperty('dataJson');
  });

  it('reads the chunks only as far as the page needs', async () => {
    let read = 0;
    async function* chunks(): AsyncGenerator<ItemRow[]> {
      const all = rows(1000);
      for (let i = 0; i < all.length; i += 4) {
        read += 1;
        yield all.slice(i, i + 4);
      }
    }
    await buildPage({ ...request, lastSeq: 1000, limits: { maxChanges: 5, maxBytes: 1 << 20 } }, chunks(), noLost);
    expect(read).toBe(2);
  });
});
