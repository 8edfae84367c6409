import type { SyncEngine } from '@trosyn/sync-core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SyncStatusReport } from '../sync/lan-sync-service.js';
import type { SyncRuntimeEvent, SyncRuntimeEvents } from '../sync/sync-runtime-events.js';

/** What the sync metrics read: the node's `LanSyncService`. */
export interface SyncMetricsSource {
  /** Rounds, pages applied, conflicts and clock-drift rejections. */
  readonly engine: Pick<SyncEngine, 'on'>;
  /** Handshakes, failed authentications, rate-limit refusals. */
  readonly events: Pick<SyncRuntimeEvents, 'on'>;
  /** Per-peer pending changes and last success, read when scraped. */
  status(): Promise<SyncStatusReport>;
}

const ROUND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const APPLY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * LAN sync metrics: rounds by peer and outcome with the changes and bytes they moved, the time
 * to apply a page, conflicts by rule, clock-drift rejections (the engine's events); handshakes,
 * failed authentications and rate-limit refusals (the runtime's events); peers by state,
 * pending changes and seconds since the last successful sync per peer (the sync status, read
 * when scraped). Returns the function that unsubscribes.
 */
export function createSyncMetrics(registry: Registry, sync: SyncMetricsSource): () => void {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: readonly string[]) => new Counter({ name, help, labelNames, registers });
  const rounds = counter('trosyn_sync_rounds_total', 'Sync rounds this node ran, by peer and outcome (ok, or the error code).', ['peer', 'outcome']);
  const pulledChanges = counter('trosyn_sync_pulled_changes_total', 'Changes pulled from a peer in rounds this node ran.', ['peer']);
  const pushedChanges = counter('trosyn_sync_pushed_changes_total', 'Changes pushed to a peer in rounds this node ran.', ['peer']);
  const pulledBytes = counter('trosyn_sync_pulled_bytes_total', 'Bytes of change pages pulled from a peer.', ['peer']);
  const pushedBytes = counter('trosyn_sync_pushed_bytes_total', 'Bytes of change pages pushed to a peer.', ['peer']);
  const appliedChanges = counter('trosyn_sync_applied_changes_total', "Changes of a peer applied here, pulled or pushed by the peer (new ones only).", ['peer']);
  const conflicts = counter('trosyn_sync_conflicts_total', 'Conflicts logged, by the rule that resolved them.', ['rule']);
  const driftRejections = counter('trosyn_sync_clock_drift_rejections_total', "Pages refused because a peer's timestamps ran too far ahead of this node's clock.", ['peer']);
  const handshakes = counter('trosyn_sync_handshakes_total', 'Handshakes by direction (inbound: the peer started it) and outcome (ok, or the error code).', ['direction', 'outcome']);
  const authFailures = counter('trosyn_sync_authentication_failures_total', 'Requests that failed authentication (another secret, a forgery, a replay), by code.', ['code']);
  const rateLimited = counter('trosyn_sync_rate_limited_total', 'Requests refused by a limit: handshakes, failed-authentications (per address) or streams.', ['limit']);
  const roundDuration = new Histogram({ name: 'trosyn_sync_round_duration_seconds', help: 'Duration of the sync rounds this node ran.', buckets: ROUND_BUCKETS, registers });
  const applyDuration = new Histogram({
    name: 'trosyn_sync_apply_duration_seconds',
    help: "Time to apply one page of a peer's changes: merge and commit.",
    buckets: APPLY_BUCKETS,
    registers,
  });

  // The status is read once per scrape however many gauges need it (prom-client collects them together).
  let reading: Promise<SyncStatusReport> | undefined;
  const status = (): Promise<SyncStatusReport> =>
    (reading ??= sync.status().finally(() => {
      reading = undefined;
    }));
  new Gauge({
    name: 'trosyn_sync_peers',
    help: 'Known peers by state (candidate, connecting, syncing, idle, backoff, refused, offline, self, inbound-only).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const peer of (await status()).peers) counts.set(peer.state, (counts.get(peer.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'trosyn_sync_pending_changes',
    help: "Changes of this node's log a peer has not acknowledged yet.",
    labelNames: ['peer'] as const,
    registers,
    async collect() {
      this.reset();
      for (const peer of (await status()).peers) if (peer.peer_id !== null) this.set({ peer: peer.peer_id }, peer.pending_changes);
    },
  });
  new Gauge({
    name: 'trosyn_sync_last_success_age_seconds',
    help: 'Seconds since the last successful sync with a peer (no series for a peer never synced).',
    labelNames: ['peer'] as const,
    registers,
    async collect() {
      this.reset();
      const now = Date.now();
      for (const peer of (await status()).peers) {
        if (peer.peer_id !== null && peer.last_sync_at !== null) this.set({ peer: peer.peer_id }, Math.max(0, (now - Date.parse(peer.last_sync_at)) / 1000));
      }
    },
  });

  const onRuntimeEvent = (event: SyncRuntimeEvent): void => {
    switch (event.type) {
      case 'handshake':
        handshakes.inc({ direction: event.direction, outcome: event.outcome });
        return;
      case 'authentication-failed':
        authFailures.inc({ code: event.code });
        return;
      case 'rate-limited':
        rateLimited.inc({ limit: event.limit });
        return;
    }
  };
  const unsubscribers = [
    sync.engine.on('sync-round-finished', (report) => {
      const peer = report.peerId;
      rounds.inc({ peer, outcome: report.ok ? 'ok' : (report.error?.code ?? 'error') });
      roundDuration.observe(report.durationMs / 1000);
      // Also by 0, so that every peer synced with has its series from its first round on.
      pulledChanges.inc({ peer }, report.pulled.changes);
      pushedChanges.inc({ peer }, report.pushed.changes);
      pulledBytes.inc({ peer }, report.pulled.bytes);
      pushedBytes.inc({ peer }, report.pushed.bytes);
    }),
    sync.engine.on('page-applied', (event) => {
      applyDuration.observe(event.durationMs / 1000);
      appliedChanges.inc({ peer: event.peerId }, event.changes);
    }),
    sync.engine.on('conflict', (record) => conflicts.inc({ rule: record.rule })),
    sync.engine.on('clock-drift-rejected', (event) => driftRejections.inc({ peer: event.peerId })),
    sync.events.on(onRuntimeEvent),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
