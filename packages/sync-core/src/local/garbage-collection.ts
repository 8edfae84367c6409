import type { EngineCore } from '../engine-core.js';
import { hlcWallPrefix } from '../hlc.js';
import type { GarbageCollectionReport } from '../sync-types.js';

/**
 * Removes tombstones older than the retention and history beyond its retention, in one batch.
 * The highest log position of a removed tombstone becomes the collection point: a cursor
 * before it cannot be continued with a delta (the deletion would be missed), so that peer gets
 * a full resync.
 */
export function collectGarbage(core: EngineCore): Promise<GarbageCollectionReport> {
  return core.mutex.run(async () => {
    core.assertOpen();
    const { config } = core;
    const now = core.clock.wallMicros();
    const horizon = hlcWallPrefix(now - config.tombstoneRetentionMs * 1000);
    const expired = await core.store.expiredTombstones(horizon);
    let gcSeq = core.gcSeq;
    for (const { seq } of expired) gcSeq = Math.max(gcSeq, seq);
    const result = await core.commit({
      deleteItems: expired.map(({ id }) => id),
      pruneHistory: { recordedBefore: now - config.historyMaxAgeMs * 1000, keepPerItem: config.historyMaxVersions },
      meta: { gc_seq: String(gcSeq) },
    });
    return { tombstonesCollected: expired.length, historyEntriesPruned: result.historyPruned };
  });
}
