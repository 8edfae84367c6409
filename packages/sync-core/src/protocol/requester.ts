import type { EngineCore } from '../engine-core.js';
import { SyncError, SyncProtocolError, SyncRemoteError } from '../errors.js';
import { parseSyncResponse } from '../message-validator.js';
import { SYNC_PROTOCOL_VERSION, type LogCursor, type PageLimits, type PullRequest, type PushRequest } from '../messages.js';
import type { SyncTransport } from '../sync-transport.js';
import type { SyncRoundOptions, SyncRoundReport } from '../sync-types.js';
import { canContinue, commonLimits } from './cursor-rules.js';
import { applyPage } from './page-applier.js';
import { buildOwnPage } from './page-source.js';
import { checkRestored } from './responder.js';

type Direction = { pages: number; changes: number; bytes: number; mode: 'delta' | 'full' | null };

function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof SyncError) return { code: error.code, message: error.message };
  if (error instanceof Error && error.name === 'AbortError') return { code: 'aborted', message: error.message };
  return { code: 'transport-error', message: error instanceof Error ? error.message : String(error) };
}

/**
 * One sync round with a peer (see {@link SyncEngine.syncWith}): pulls every page of the peer's
 * changes after our cursor, then pushes every page of ours it has not confirmed. Never throws
 * for sync failures: the report says what happened (pages applied before a failure stay
 * applied, with their cursors). Arguments are checked by the caller.
 */
export async function runSyncRound(core: EngineCore, peerId: string, transport: SyncTransport, options: SyncRoundOptions): Promise<SyncRoundReport> {
  core.assertOpen();
  const started = performance.now();
  const pulled: Direction = { pages: 0, changes: 0, bytes: 0, mode: null };
  const pushed: Direction = { pages: 0, changes: 0, bytes: 0, mode: null };
  let conflicts = 0;
  const unsubscribe = core.events.on('conflict', (record) => {
    if (record.peerId === peerId) conflicts += 1;
  });
  let error: { code: string; message: string } | null = null;
  // The round's bookkeeping is written once, when it ends (one batch with the last
  // acknowledgement): a live push then costs the receiver's commit and one of ours.
  const attemptAt = core.clock.wallMicros();
  try {
    // Pull, unless the caller knows where the peer stands in our log.
    let position = { yourCursor: options.pushOnly?.yourCursor ?? null, limits: options.pushOnly?.limits ?? core.ownLimits };
    if (options.pushOnly === undefined) position = await pull(core, peerId, transport, options, pulled);
    const lastAck = await push(core, peerId, transport, options, position, pushed);
    await core.commit({
      peer: { peerId, acked: lastAck === undefined ? undefined : { epoch: core.epoch, seq: lastAck }, success: { attemptAt, at: core.clock.wallMicros() } },
    });
  } catch (caught) {
    if (caught instanceof SyncError && caught.code === 'disposed') throw caught;
    error = errorInfo(caught);
    if (!core.disposed) {
      await core.commit({ peer: { peerId, error: { attemptAt, code: error.code, message: error.message, at: core.clock.wallMicros() } } });
    }
  } finally {
    unsubscribe();
  }
  const report: SyncRoundReport = { peerId, ok: error === null, error, pulled, pushed, conflicts, durationMs: performance.now() - started };
  core.events.emit('sync-round-finished', report);
  return report;
}

/** Pulls pages until the peer has no more; returns where the peer last said it stands in our log. */
async function pull(
  core: EngineCore,
  peerId: string,
  transport: SyncTransport,
  options: SyncRoundOptions,
  pulled: Direction,
): Promise<{ yourCursor: LogCursor | null; limits: PageLimits }> {
  const maxPages = options.maxPages ?? 100_000;
  for (let pages = 0; ; pages++) {
    if (pages >= maxPages) throw new SyncError('invalid-message', `peer sent more than ${maxPages} pages in one round`);
    options.signal?.throwIfAborted();
    const peer = await core.store.getPeer(peerId);
    const request: PullRequest = {
      type: 'pull',
      protocol: SYNC_PROTOCOL_VERSION,
      nodeId: core.nodeId,
      epoch: core.epoch,
      cursor: peer?.epoch ? { epoch: peer.epoch, seq: peer.cursor, resyncing: peer.resyncing === 1 } : { epoch: null, seq: 0, resyncing: false },
      limits: core.ownLimits,
    };
    const response = parseSyncResponse(await transport.request(request, { signal: options.signal }), core.validationLimits);
    if (response.type === 'error') throw new SyncRemoteError(response.code, response.message);
    if (response.type !== 'pull-page') throw new SyncProtocolError('invalid-message', `expected a pull-page response, got ${response.type}`);
    const page = response.page;
    if (page.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `page comes from ${page.nodeId}, expected ${peerId}`);
    await applyPage(core, peerId, page);
    pulled.pages += 1;
    pulled.changes += page.changes.length;
    pulled.bytes += page.bytes;
    pulled.mode ??= page.mode;
    if (!page.hasMore) return { yourCursor: response.yourCursor, limits: response.limits };
    if (page.through <= page.after) throw new SyncProtocolError('invalid-message', 'peer announced more pages without making progress');
  }
}

/**
 * Pushes our log from where the peer stands in it (a delta) or from the start (a full resync);
 * returns the last position of our log the peer acknowledged in this round, if any.
 */
async function push(
  core: EngineCore,
  peerId: string,
  transport: SyncTransport,
  options: SyncRoundOptions,
  position: { yourCursor: LogCursor | null; limits: PageLimits },
  pushed: Direction,
): Promise<number | undefined> {
  const maxPages = options.maxPages ?? 100_000;
  const { yourCursor } = position;
  await checkRestored(core, yourCursor);
  const limits = commonLimits(position.limits, core.ownLimits);
  const continuing = yourCursor !== null && canContinue(yourCursor, core.log) ? yourCursor : undefined;
  let after = continuing?.seq ?? 0;
  const mode: 'delta' | 'full' = continuing !== undefined && !continuing.resyncing ? 'delta' : 'full';
  let lastAck: number | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= maxPages) throw new SyncError('invalid-message', `more than ${maxPages} pages to push in one round`);
    options.signal?.throwIfAborted();
    if (mode === 'delta' && after >= core.lastSeq) break;
    const peer = await core.store.getPeer(peerId);
    const receiverCursor = peer?.epoch ? { epoch: peer.epoch, seq: peer.cursor } : null;
    // The pull just now applied the peer's current epoch, so our echo markers are valid.
    const { page, bytes } = await buildOwnPage(core, peerId, after, mode, limits, receiverCursor, receiverCursor !== null);
    const request: PushRequest = { type: 'push', protocol: SYNC_PROTOCOL_VERSION, page };
    const response = parseSyncResponse(await transport.request(request, { signal: options.signal }), core.validationLimits);
    if (response.type === 'error') throw new SyncRemoteError(response.code, response.message);
    if (response.type !== 'push-ack') throw new SyncProtocolError('invalid-message', `expected a push-ack response, got ${response.type}`);
    if (response.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `ack comes from ${response.nodeId}, expected ${peerId}`);
    pushed.pages += 1;
    pushed.changes += page.changes.length;
    pushed.bytes += bytes;
    pushed.mode ??= mode;
    if (response.cursor.epoch === core.epoch) {
      lastAck = Math.min(response.cursor.seq, core.lastSeq);
      // Progress of a long push is kept page by page; the last ack goes with the round's end.
      if (page.hasMore) await core.commit({ peer: { peerId, acked: { epoch: core.epoch, seq: lastAck } } });
    }
    if (!page.hasMore) break;
    after = page.through;
  }
  return lastAck;
}
