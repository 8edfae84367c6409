import type { EngineCore } from '../engine-core.js';
import { SyncError } from '../errors.js';
import { rowToItem } from '../item-rows.js';
import { changeFeedStart } from '../protocol/cursor-rules.js';
import type { ChangeFeedOptions, ChangeFeedPage } from '../sync-types.js';
import { checkLimit, checkType } from './input-checks.js';

/**
 * How many sequence numbers one change-feed call looks at. A type filter then costs one bounded
 * index range per call, however rare the type: the position moves on past the range read.
 */
const CHANGE_FEED_SCAN = 10_000;

/** One page of the change feed (see {@link SyncEngine.changeFeed}). */
export async function readChangeFeed(core: EngineCore, options: ChangeFeedOptions): Promise<ChangeFeedPage> {
  core.assertOpen();
  const limit = checkLimit(options.limit);
  const type = options.type === undefined ? undefined : checkType(options.type);
  const after = options.after;
  if (after !== undefined && (typeof after !== 'object' || after === null || typeof after.epoch !== 'string' || !Number.isSafeInteger(after.seq) || after.seq < 0)) {
    throw new SyncError('invalid-argument', 'after must be a position { epoch: string, seq: non-negative integer }');
  }
  // The log as it stands now: a commit landing during the read belongs to the next page.
  const log = core.log;
  const { reset, from } = changeFeedStart(after, log);
  const through = Math.min(from + CHANGE_FEED_SCAN, log.lastSeq);
  const rows = await core.store.feedRange(from, through, type, limit + 1);
  const full = rows.length > limit;
  const page = full ? rows.slice(0, limit) : rows;
  const end = full ? page[page.length - 1]!.seq : through;
  return {
    entries: page.map((row) => ({ seq: row.seq, item: rowToItem(row), peerId: row.from_peer })),
    position: { epoch: log.epoch, seq: end },
    hasMore: end < log.lastSeq,
    reset,
  };
}
