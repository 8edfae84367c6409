import type { SyncEngine } from '@trosyn/sync-core';
import type { Logger } from '../logger.js';

/** How often the store's tombstones and history are collected. */
export const GARBAGE_COLLECTION_INTERVAL_MS = 60 * 60_000;

/**
 * Collects the store's expired tombstones and history (`LAN_SYNC_TOMBSTONE_RETENTION_DAYS`,
 * `LAN_SYNC_HISTORY_MAX_VERSIONS`, `LAN_SYNC_HISTORY_MAX_AGE_DAYS`) soon after the start and then
 * every `intervalMs`, whether LAN sync runs or not: the data API writes tombstones and history
 * either way (issue #20: it used to run only while LAN sync ran). Returns a function that stops it.
 */
export function startGarbageCollection(engine: SyncEngine, logger: Logger, intervalMs = GARBAGE_COLLECTION_INTERVAL_MS): () => void {
  const collect = (): void => {
    if (engine.disposed) return;
    engine.collectGarbage().then(
      (report) => logger.log('info', 'sync garbage collection', { event: 'sync-gc', tombstones: report.tombstonesCollected, history: report.historyEntriesPruned }),
      (error: unknown) => {
        if (!engine.disposed) logger.log('warn', 'sync garbage collection failed', { event: 'sync-gc', error: (error as Error).message });
      },
    );
  };
  // Not during the start itself: a large store's first collection must not delay listening.
  const first = setTimeout(collect, Math.min(intervalMs, 1000));
  const timer = setInterval(collect, intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
