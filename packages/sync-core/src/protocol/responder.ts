import { randomUUID } from 'node:crypto';
import type { EngineCore } from '../engine-core.js';
import { SyncError, SyncProtocolError } from '../errors.js';
import { parseSyncRequest, type ValidatedPage } from '../message-validator.js';
import { SYNC_PROTOCOL_VERSION, type LogCursor, type PullRequest, type SyncResponse } from '../messages.js';
import { isValidNodeId } from '../node-id.js';
import type { SyncRequestContext } from '../sync-transport.js';
import { ackMoves, canContinue, commonLimits, provesRestore } from './cursor-rules.js';
import { applyPage } from './page-applier.js';
import { buildOwnPage } from './page-source.js';

/**
 * Serves one request from a peer: a pull gets a page of our log, a push is applied. Bad
 * requests come back as `{ type: 'error' }` responses (recorded as the peer's last error);
 * nothing is applied from a rejected push. See {@link SyncEngine.handleSyncRequest}.
 */
export async function handleSyncRequest(core: EngineCore, message: unknown, context: SyncRequestContext): Promise<SyncResponse> {
  const peerId = context?.peerId;
  try {
    core.assertOpen();
    if (!isValidNodeId(peerId)) throw new SyncError('invalid-argument', 'context.peerId must be a valid node id');
    const request = parseSyncRequest(message, core.validationLimits);
    if (request.type === 'pull') {
      if (request.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `request claims node ${request.nodeId} but comes from ${peerId}`);
      return await servePull(core, request, peerId);
    }
    const page = request.page as ValidatedPage;
    if (page.nodeId !== peerId) throw new SyncProtocolError('peer-mismatch', `page claims node ${page.nodeId} but comes from ${peerId}`);
    const cursor = await applyPage(core, peerId, page);
    return { type: 'push-ack', protocol: SYNC_PROTOCOL_VERSION, nodeId: core.nodeId, cursor };
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    if (isValidNodeId(peerId) && !core.disposed) await recordPeerError(core, peerId, error);
    return { type: 'error', protocol: SYNC_PROTOCOL_VERSION, code: error.code, message: error.message };
  }
}

/**
 * A peer holding a cursor beyond the end of our log in our epoch proves that this database
 * was restored from a backup: sequence numbers would be reissued and peers would take our
 * lost states for echoes. A new epoch makes every peer treat our log as new (full resync,
 * echo markers forgotten).
 */
export async function checkRestored(core: EngineCore, cursor: LogCursor | null): Promise<void> {
  if (!provesRestore(cursor, core.log)) return;
  await core.commit({ meta: { epoch: randomUUID() } });
}

async function servePull(core: EngineCore, request: PullRequest, peerId: string): Promise<SyncResponse> {
  const peer = await core.store.getPeer(peerId);
  await checkRestored(core, request.cursor);
  const c = request.cursor;
  if (c.epoch === core.epoch && (peer === undefined || ackMoves(peer, c.seq, core.log))) {
    // The requester's cursor acknowledges our log up to it; written only when it moved.
    await core.commit({ peer: { peerId, acked: { epoch: core.epoch, seq: Math.min(c.seq, core.lastSeq) } } });
  }
  // A cursor into another epoch (we were wiped), from before collected tombstones, or beyond
  // our log (we were restored from a backup) cannot be continued with a delta.
  const continuable = canContinue(c, core.log);
  const mode = continuable && !c.resyncing ? 'delta' : 'full';
  const after = continuable ? c.seq : 0;
  const knowsRequester = peer !== undefined && peer.epoch === request.epoch;
  const limits = commonLimits(request.limits, core.ownLimits);
  const { page } = await buildOwnPage(core, peerId, after, mode, limits, knowsRequester ? { epoch: request.epoch, seq: peer.cursor } : null, knowsRequester);
  return {
    type: 'pull-page',
    protocol: SYNC_PROTOCOL_VERSION,
    page,
    // The requester's epoch is the one we hold its cursor in (knowsRequester).
    yourCursor: knowsRequester ? { epoch: request.epoch, seq: peer.cursor, resyncing: peer.resyncing === 1 } : null,
    limits: core.ownLimits,
  };
}

/** An error serving a peer's request (this node did not attempt a round: the last attempt stays). */
async function recordPeerError(core: EngineCore, peerId: string, error: SyncError): Promise<void> {
  await core.commit({ peer: { peerId, error: { attemptAt: null, code: error.code, message: error.message, at: core.clock.wallMicros() } } });
}
