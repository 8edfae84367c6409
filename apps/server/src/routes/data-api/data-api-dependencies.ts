import type { SyncEngine } from '@trosyn/sync-core';
import type { SyncHealth, SyncStatusReport } from '../../sync/lan-sync-service.js';
import type { RoundOutcome } from '../../sync/sync-scheduler.js';

/** What the data API routes need: the data store and the sync runtime (`LanSyncService`). */
export interface DataApiDependencies {
  readonly engine: SyncEngine;
  /** Sync status per peer. */
  status(): Promise<SyncStatusReport>;
  /** A round with every known peer, now; or with one (`peer`: its node id or address). */
  syncNow(peer?: string): Promise<RoundOutcome[]>;
  /** `/health`'s `sync` section. */
  health(): SyncHealth;
  /** Whether sync runs. */
  readonly enabled: boolean;
}
