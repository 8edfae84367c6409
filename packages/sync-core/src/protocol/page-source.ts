import type { EngineCore } from '../engine-core.js';
import { parseVector, type ItemRow } from '../item-rows.js';
import { absorbedLosers } from '../merge/lost-versions.js';
import type { ChangePage, PageLimits } from '../messages.js';
import type { SyncStore } from '../store/sync-store.js';
import { buildPage, type BuiltPage } from './page-builder.js';

/**
 * The store's log rows with `after < seq <= through`, in chunks no larger than a page needs (by
 * count and by data size), read as the page builder consumes them.
 */
export async function* logRows(store: SyncStore, after: number, through: number, limits: PageLimits): AsyncGenerator<readonly ItemRow[]> {
  let position = after;
  while (position < through) {
    const rows = await store.scanLog(position, through, limits.maxChanges + 1, limits.maxBytes + 1);
    if (rows.length === 0) return;
    yield rows;
    position = rows[rows.length - 1]!.seq;
  }
}

/**
 * Builds a page of this node's log for `peerId` from the store: the rows through the log's end
 * as it stands now (later commits belong to the next page), each resolved state with the
 * conflict losers it absorbed.
 */
export function buildOwnPage(
  core: EngineCore,
  peerId: string,
  after: number,
  mode: 'delta' | 'full',
  limits: PageLimits,
  receiverCursor: ChangePage['receiverCursor'],
  suppressEchoes: boolean,
): Promise<BuiltPage> {
  const { nodeId, epoch, lastSeq } = core;
  const request = { nodeId, epoch, lastSeq, peerId, after, mode, limits, receiverCursor, suppressEchoes };
  const lostVersions = async (row: ItemRow) =>
    absorbedLosers(parseVector(row.vector), parseVector(row.value_vector!), await core.store.conflictLosers(row.id), core.config.maxItemBytes);
  return buildPage(request, logRows(core.store, after, lastSeq, limits), lostVersions);
}
