import type { SyncEngine } from '@trosyn/sync-core';
import type { LanSyncSettings } from '../config.js';
import type { Logger } from '../logger.js';
import { ClockHealth } from './clock-health.js';

/**
 * The node's {@link ClockHealth}: fed by handshakes (see SyncRuntime) and by the engine's
 * far-future changes; each change of verdict is logged, loudly when the clock is off.
 */
export function watchClockHealth(engine: SyncEngine, settings: LanSyncSettings, logger: Logger): ClockHealth {
  const clock = new ClockHealth({
    maxDriftMs: settings.maxClockDriftSeconds * 1000,
    hlcAheadMs: () => Number(engine.hlc.slice(0, 16)) / 1000 - Date.now(),
    onChange: (report, previous) => {
      const fields = { event: 'clock-status', status: report.status, previous, offset_ms: report.offset_ms, peers_compared: report.peers_compared, hlc_ahead_ms: report.hlc_ahead_ms };
      if (report.message === null) logger.log('info', `clock ${report.status}`, fields);
      else logger.log('error', report.message, fields);
    },
  });
  engine.on('future-changes-accepted', (event) => {
    logger.log('warn', "accepted changes stamped beyond LAN_SYNC_MAX_CLOCK_DRIFT (the writer's clock ran ahead); their timestamps are not adopted", {
      event: 'future-changes-accepted',
      peer_id: event.peerId,
      changes: event.changes,
      beyond_drift_ms: Math.round(event.driftMs),
    });
    clock.recordFutureChanges(event.changes, Date.now());
  });
  // A node restarted after its clock ran ahead says so at once, before any peer is reached.
  clock.report(Date.now());
  return clock;
}
