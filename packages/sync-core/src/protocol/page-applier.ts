import type { EngineCore } from '../engine-core.js';
import { ClockDriftError } from '../errors.js';
import { scanPageTimestamps, type PageTimestamps } from '../future-timestamps.js';
import { decodeHlc } from '../hlc.js';
import { changeToItem, changeToMergeState, remoteChangeEvent, rowToItem, rowToMergeState, type ItemRow } from '../item-rows.js';
import { defaultResolve, resolveConflict, type Resolution } from '../merge/conflict-resolver.js';
import { unloggedLostVersions } from '../merge/lost-versions.js';
import { decideChange, planRemoteChange, type ResolvedDecision } from '../merge/merge-plan.js';
import type { ValidatedChange, ValidatedPage } from '../message-validator.js';
import type { LogCursor } from '../messages.js';
import type { BatchBuilder } from '../store/batch-builder.js';
import type { PeerUpdate } from '../store/write-batch.js';
import type { ClockDriftEvent } from '../sync-types.js';
import { acknowledges, cursorAfterPage, pageStart } from './cursor-rules.js';

/** A remote change of a page being applied, with its merge decision (a conflict's with its resolution). */
interface PlannedChange {
  readonly change: ValidatedChange;
  readonly local: ItemRow | undefined;
  readonly decision: ResolvedDecision;
}

/**
 * Applies a page of a peer's changes (pulled from it or pushed by it): checks that it continues
 * the cursor kept for the peer, plans every change against the stored state (calling the
 * resolver for true conflicts), and commits the items, history, conflicts, the peer's new
 * cursor and acknowledgement as one batch. Under the engine's write lock.
 * @returns the cursor the page leaves.
 * @throws {SyncProtocolError} for a page that does not continue the cursor; {@link ClockDriftError}
 *   for timestamps too far ahead (policy `reject`); {@link ConflictResolutionError} from the resolver.
 */
export function applyPage(core: EngineCore, peerId: string, page: ValidatedPage): Promise<LogCursor> {
  return core.mutex.run(async () => {
    const started = performance.now();
    core.assertOpen();
    const { store } = core;
    const peer = await store.getPeer(peerId);
    // A full resync's sweep needs to know which of our items the sender had received.
    const { startFresh, baseCursor, sweepThrough } = pageStart(page, peer, peerId, core.log);
    // Pages may overlap what is already applied (a pull and a push of the same range racing);
    // applying is idempotent, but skipping saves the work.
    const fresh = startFresh ? page.changes : page.changes.filter((c) => c.seq > baseCursor);
    const stamps = screenTimestamps(core, peerId, fresh);
    const nothingNew = fresh.length === 0 && page.mode === 'delta' && page.through <= baseCursor;
    // (A delta page always has its sender's peer row: pageStart refused it otherwise.)
    if (nothingNew && peer !== undefined && !acknowledges(page.receiverCursor, peer, core.log)) {
      // An empty delta page at our cursor (a round with nothing new): nothing to write.
      return { epoch: page.epoch, seq: baseCursor, resyncing: false };
    }

    const locals = await store.getItems(fresh.map((c) => c.id));
    const decided = fresh.map((change) => {
      const local = locals.get(change.id);
      return { change, local, decision: decideChange(local, change) };
    });
    // Every decision first, then the resolver for each conflict, in page order.
    const plans: PlannedChange[] = [];
    for (const { change, local, decision } of decided) {
      // A conflict is only decided against a local state.
      const resolved: ResolvedDecision =
        decision.kind === 'conflict' ? { kind: 'conflict', resolution: await resolve(core, local!, change) } : decision;
      plans.push({ change, local, decision: resolved });
    }
    core.assertOpen();

    const { seq: newCursor, resyncing, resyncDone } = cursorAfterPage(page, baseCursor);
    // Within the drift only: later local writes sort after the page, and a far clock is not adopted.
    if (stamps.adoptable !== undefined) core.clock.receive(stamps.adoptable);

    const batch = core.newBatch();
    const changedRows: ItemRow[] = [];
    for (const plan of plans) {
      const outcome = planRemoteChange({ nodeId: core.nodeId, peerId, ...plan });
      for (const { state, reason } of outcome.history) batch.addHistory(state, reason);
      if (outcome.state !== undefined) changedRows.push(batch.writeState(outcome.state));
      const conflict = outcome.conflict;
      if (conflict !== undefined) batch.addConflict(plan.change.id, peerId, conflict.rule, conflict.winner, conflict.local, conflict.remote, conflict.result);
      // After the plan: a losing value this node held itself is already in its history then.
      if (plan.change.lost !== undefined && plan.decision.kind !== 'skip' && plan.decision.kind !== 'insert') await logLostVersions(core, batch, peerId, plan.change);
    }
    const seen = page.mode === 'full' && sweepThrough > 0 ? [...page.changes.map((c) => c.id), ...(page.echoIds ?? [])] : [];
    if (resyncDone && sweepThrough > 0) {
      const candidates = await store.sweepCandidates(peerId, sweepThrough, { ignoreStoredSeen: startFresh, alsoSeen: seen });
      sweep(core, batch, peerId, candidates, changedRows);
    }
    const peerUpdate: PeerUpdate = {
      peerId,
      // The seen set lives while a full resync is in progress; its last page ends it.
      clearSeen: startFresh || resyncDone,
      // The peer's log was replaced (wiped or restored database): it may no longer hold what it
      // once sent or produced, so stop treating those states as echoes.
      forgetMarkers: startFresh && peer?.epoch != null && peer.epoch !== page.epoch ? { nodeId: core.nodeId } : undefined,
      seen: resyncDone ? [] : seen,
      // The sender tells how far it has received our log: that acknowledges our changes.
      acked: page.receiverCursor !== null && page.receiverCursor.epoch === core.epoch ? { epoch: core.epoch, seq: Math.min(page.receiverCursor.seq, batch.lastSeq) } : undefined,
      cursor: { epoch: page.epoch, seq: newCursor, resyncing, sweepThrough: resyncDone ? 0 : sweepThrough },
    };
    const result = await core.commit(batch.build({ peer: peerUpdate, meta: core.counters(batch.lastSeq) }));

    const { events } = core;
    if (events.has('item-changed')) {
      for (const row of changedRows) events.emit('item-changed', remoteChangeEvent(row, peerId));
    }
    for (const record of batch.records(result)) events.emit('conflict', record);
    if (stamps.firstBeyond !== undefined) events.emit('future-changes-accepted', { ...driftEvent(core, peerId, stamps.firstBeyond), changes: stamps.changesBeyond });
    if (events.has('page-applied')) {
      events.emit('page-applied', { peerId, changes: fresh.length, itemsChanged: changedRows.length, durationMs: performance.now() - started });
    }
    return { epoch: page.epoch, seq: newCursor, resyncing };
  });
}

/** Sorts a page's timestamps against the drift limit; with the `reject` policy, refuses a page beyond it. */
function screenTimestamps(core: EngineCore, peerId: string, changes: readonly ValidatedChange[]): PageTimestamps {
  const stamps = scanPageTimestamps(changes, core.clock.wallMicros() + core.config.maxClockDriftMs * 1000);
  if (stamps.firstBeyond !== undefined && core.config.futureTimestamps === 'reject') {
    const event = driftEvent(core, peerId, stamps.firstBeyond);
    core.events.emit('clock-drift-rejected', event);
    throw new ClockDriftError(event.remoteHlc, event.driftMs, event.maxDriftMs);
  }
  return stamps;
}

function driftEvent(core: EngineCore, peerId: string, remoteHlc: string): ClockDriftEvent {
  return { peerId, remoteHlc, driftMs: core.clock.excessDriftMs(decodeHlc(remoteHlc)!) ?? 0, maxDriftMs: core.config.maxClockDriftMs };
}

function resolve(core: EngineCore, local: ItemRow, change: ValidatedChange): Promise<Resolution> {
  const localSide = { item: rowToItem(local), state: rowToMergeState(local), dataJson: local.data };
  const remoteSide = { item: changeToItem(change), state: changeToMergeState(change), dataJson: change.dataJson };
  return resolveConflict(core.resolver, localSide, remoteSide, {
    context: { nodeId: core.nodeId, defaultResolve },
    maxItemBytes: core.config.maxItemBytes,
    isTooFarAhead: (hlc) => core.clock.excessDriftMs(decodeHlc(hlc)!) !== undefined,
  });
}

/**
 * Logs the conflicts a remote state absorbed elsewhere that this node has not logged yet (no
 * `conflict-loser` history entry with that timestamp, stored or planned): the losing version
 * goes to history and the conflict log, the remote state being the winner. Only for items
 * this node already held: a node that first sees an item gets no old conflicts.
 */
async function logLostVersions(core: EngineCore, batch: BatchBuilder, peerId: string, change: ValidatedChange): Promise<void> {
  const logged = new Set<string>();
  for (const version of change.lost ?? []) {
    if (batch.hasPlannedLoser(change.id, version.hlc) || (await core.store.hasConflictLoser(change.id, version.hlc))) logged.add(version.hlc);
  }
  const records = unloggedLostVersions(change, (hlc) => logged.has(hlc));
  if (records.length === 0) return;
  const winnerItem = changeToItem(change);
  for (const { row, rule } of records) {
    batch.addHistory(row, 'conflict-loser');
    batch.addConflict(change.id, peerId, rule, 'remote', rowToItem(row), winnerItem, winnerItem);
  }
}

/**
 * The end of a full resync from a peer that had received our items through some position:
 * the live items it no longer holds (not named by its resync) were deleted there and their
 * tombstones collected. Each becomes a local tombstone, logged as `resync-removed`.
 */
function sweep(core: EngineCore, batch: BatchBuilder, peerId: string, candidates: readonly ItemRow[], changedRows: ItemRow[]): void {
  for (const row of candidates) {
    const tombstone = batch.writeLocal(core.nodeId, core.clock.now(), { id: row.id, type: row.type, dataJson: null, deleted: true }, row, 'resync-removed');
    changedRows.push(tombstone);
    const item = rowToItem(row);
    batch.addConflict(row.id, peerId, 'resync-removed', 'remote', item, { ...item, data: null, deleted: true }, rowToItem(tombstone));
  }
}
