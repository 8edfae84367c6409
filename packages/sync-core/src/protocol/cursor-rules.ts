import { SyncError, SyncProtocolError } from '../errors.js';
import type { PeerRow } from '../item-rows.js';
import type { ChangePage, LogCursor, PageLimits } from '../messages.js';
import type { ChangeFeedPosition, PeerLogPosition } from '../sync-types.js';

// The rules that say whether a position in a change log can be continued, and what a page
// does to the cursors: pure functions of this node's log state, shared by the responder,
// the requester and the change feed.

/** Where this node's change log stands. */
export interface LogState {
  /** Random id of this log; a wiped or restored database gets a new one. */
  readonly epoch: string;
  /** The last sequence number issued. */
  readonly lastSeq: number;
  /** The highest sequence number of a tombstone that garbage collection removed. */
  readonly gcSeq: number;
}

/**
 * Whether a cursor into our log can be continued with a delta: same epoch, not before
 * collected tombstones (a deletion would be missed), not beyond our log (a database restored
 * from a backup reissues sequence numbers).
 */
export function canContinue(cursor: { readonly epoch: string | null; readonly seq: number } | null, log: LogState): boolean {
  return cursor !== null && cursor.epoch === log.epoch && cursor.seq >= log.gcSeq && cursor.seq <= log.lastSeq;
}

/**
 * Whether a peer's cursor proves that our database was restored from a backup: it holds a
 * position beyond the end of our log in our epoch. The log then needs a new epoch, or peers
 * would take reissued sequence numbers for changes they have.
 */
export function provesRestore(cursor: LogCursor | null, log: LogState): boolean {
  return cursor !== null && cursor.epoch === log.epoch && cursor.seq > log.lastSeq;
}

/** Whether a cursor at `seq` into our current epoch changes what `peer` records as acknowledged. */
export function ackMoves(peer: Pick<PeerRow, 'acked_epoch' | 'acked'>, seq: number, log: LogState): boolean {
  return peer.acked_epoch !== log.epoch || peer.acked !== Math.min(seq, log.lastSeq);
}

/** Whether a page's `receiverCursor` acknowledges our log otherwise than `peer` records. */
export function acknowledges(receiverCursor: ChangePage['receiverCursor'], peer: Pick<PeerRow, 'acked_epoch' | 'acked'>, log: LogState): boolean {
  return receiverCursor !== null && receiverCursor.epoch === log.epoch && ackMoves(peer, receiverCursor.seq, log);
}

/** The smaller of two sides' page limits, field by field. */
export function commonLimits(theirs: PageLimits, ours: PageLimits): PageLimits {
  return { maxChanges: Math.min(theirs.maxChanges, ours.maxChanges), maxBytes: Math.min(theirs.maxBytes, ours.maxBytes) };
}

/**
 * Where a change-feed read starts. `reset` when `after` cannot be continued: another epoch, a
 * position past the end, or before collected tombstones. A reader at 0 has seen nothing, so no
 * deletion it missed can matter to it.
 */
export function changeFeedStart(after: ChangeFeedPosition | undefined, log: LogState): { readonly reset: boolean; readonly from: number } {
  const reset = after !== undefined && (after.epoch !== log.epoch || after.seq > log.lastSeq || (after.seq > 0 && after.seq < log.gcSeq));
  return { reset, from: after === undefined || reset ? 0 : after.seq };
}

/** Where a received page stands against the cursor this node keeps for its sender. */
export interface PageStart {
  /** A full resync from the beginning: the page needs no cursor. */
  readonly startFresh: boolean;
  /** How far the sender's log was applied before this page. */
  readonly baseCursor: number;
  /**
   * Through which position of our log the sender had received our items (a full resync's
   * sweep removes those it no longer holds); 0 for no sweep.
   */
  readonly sweepThrough: number;
}

/**
 * Checks that a received page continues what was applied from its sender.
 * @throws {SyncProtocolError} `epoch-mismatch` without a cursor into the page's epoch,
 *   `cursor-gap` for a page of the other mode or one starting past the cursor.
 */
export function pageStart(page: Pick<ChangePage, 'mode' | 'after' | 'epoch' | 'receiverCursor'>, peer: PeerRow | undefined, peerId: string, log: LogState): PageStart {
  const startFresh = page.mode === 'full' && page.after === 0;
  if (startFresh) {
    const sweepThrough = page.receiverCursor !== null && page.receiverCursor.epoch === log.epoch ? Math.min(page.receiverCursor.seq, log.lastSeq) : 0;
    return { startFresh, baseCursor: 0, sweepThrough };
  }
  if (peer === undefined || peer.epoch !== page.epoch) {
    throw new SyncProtocolError('epoch-mismatch', `no cursor for epoch ${page.epoch} of ${peerId}; a full resync is needed`, 'page.epoch');
  }
  if ((page.mode === 'full') !== (peer.resyncing === 1)) {
    throw new SyncProtocolError('cursor-gap', `${page.mode} page does not continue the ${peer.resyncing === 1 ? 'full resync' : 'delta stream'} in progress`, 'page.mode');
  }
  if (page.after > peer.cursor) {
    throw new SyncProtocolError('cursor-gap', `page starts after ${page.after} but only ${peer.cursor} was applied`, 'page.after');
  }
  return { startFresh, baseCursor: peer.cursor, sweepThrough: peer.sweep_through };
}

/** The cursor a page leaves for its sender: past the page, still resyncing until a full resync's last page. */
export function cursorAfterPage(page: Pick<ChangePage, 'mode' | 'through' | 'hasMore' | 'epoch'>, baseCursor: number): LogCursor & { readonly resyncDone: boolean } {
  const resyncDone = page.mode === 'full' && !page.hasMore;
  return { epoch: page.epoch, seq: Math.max(baseCursor, page.through), resyncing: page.mode === 'full' && !resyncDone, resyncDone };
}

/** Validates {@link SyncRoundOptions.pushOnly}: it comes from the caller, not from the peer's validated answers. */
export function checkPeerLogPosition(position: PeerLogPosition): void {
  const cursor = position?.yourCursor;
  const limits = position?.limits;
  const positiveInteger = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0;
  const cursorValid =
    typeof cursor === 'object' &&
    cursor !== null &&
    (cursor.epoch === null || typeof cursor.epoch === 'string') &&
    Number.isSafeInteger(cursor.seq) &&
    cursor.seq >= 0 &&
    typeof cursor.resyncing === 'boolean';
  const limitsValid = typeof limits === 'object' && limits !== null && positiveInteger(limits.maxChanges) && positiveInteger(limits.maxBytes);
  if (!cursorValid || !limitsValid) {
    throw new SyncError(
      'invalid-argument',
      'pushOnly must be { yourCursor: { epoch: string | null, seq: non-negative integer, resyncing: boolean }, limits: { maxChanges, maxBytes: positive integers } }',
    );
  }
}
