import { describe, expect, it } from 'vitest';
import { SyncError, SyncProtocolError } from '../errors.js';
import { peerRow } from '../test-fixtures.js';
import { acknowledges, ackMoves, canContinue, changeFeedStart, checkPeerLogPosition, commonLimits, cursorAfterPage, pageStart, provesRestore, type LogState } from './cursor-rules.js';

const log: LogState = { epoch: 'e1', lastSeq: 100, gcSeq: 10 };

describe('cursor rules', () => {
  it('continues a cursor of our epoch between collected tombstones and the end of the log', () => {
    expect(canContinue({ epoch: 'e1', seq: 50 }, log)).toBe(true);
    expect(canContinue({ epoch: 'e1', seq: 10 }, log)).toBe(true);
    expect(canContinue({ epoch: 'e1', seq: 100 }, log)).toBe(true);
    expect(canContinue({ epoch: 'e1', seq: 9 }, log)).toBe(false);
    expect(canContinue({ epoch: 'e1', seq: 101 }, log)).toBe(false);
    expect(canContinue({ epoch: 'e0', seq: 50 }, log)).toBe(false);
    expect(canContinue({ epoch: null, seq: 0 }, log)).toBe(false);
    expect(canContinue(null, log)).toBe(false);
  });

  it('takes a cursor beyond our log in our epoch as proof of a restore', () => {
    expect(provesRestore({ epoch: 'e1', seq: 101, resyncing: false }, log)).toBe(true);
    expect(provesRestore({ epoch: 'e1', seq: 100, resyncing: false }, log)).toBe(false);
    expect(provesRestore({ epoch: 'e0', seq: 500, resyncing: false }, log)).toBe(false);
    expect(provesRestore(null, log)).toBe(false);
  });

  it('moves an acknowledgement only when it changes, capped at the end of the log', () => {
    const peer = peerRow({ acked_epoch: 'e1', acked: 100 });
    expect(ackMoves(peer, 100, log)).toBe(false);
    expect(ackMoves(peer, 150, log)).toBe(false);
    expect(ackMoves(peer, 90, log)).toBe(true);
    expect(ackMoves(peerRow({ acked_epoch: 'e0', acked: 100 }), 100, log)).toBe(true);
    expect(acknowledges(null, peer, log)).toBe(false);
    expect(acknowledges({ epoch: 'e0', seq: 5 }, peer, log)).toBe(false);
    expect(acknowledges({ epoch: 'e1', seq: 5 }, peer, log)).toBe(true);
  });

  it('takes the smaller limits of both sides', () => {
    expect(commonLimits({ maxChanges: 10, maxBytes: 5000 }, { maxChanges: 1000, maxBytes: 100 })).toEqual({ maxChanges: 10, maxBytes: 100 });
  });

  it('restarts a change feed from another epoch, past the end, or before collected tombstones', () => {
    expect(changeFeedStart(undefined, log)).toEqual({ reset: false, from: 0 });
    expect(changeFeedStart({ epoch: 'e1', seq: 40 }, log)).toEqual({ reset: false, from: 40 });
    expect(changeFeedStart({ epoch: 'e1', seq: 0 }, log)).toEqual({ reset: false, from: 0 });
    expect(changeFeedStart({ epoch: 'e1', seq: 5 }, log)).toEqual({ reset: true, from: 0 });
    expect(changeFeedStart({ epoch: 'e1', seq: 101 }, log)).toEqual({ reset: true, from: 0 });
    expect(changeFeedStart({ epoch: 'x', seq: 40 }, log)).toEqual({ reset: true, from: 0 });
  });

  describe('pageStart', () => {
    const page = { mode: 'delta' as const, after: 20, epoch: 'p1', receiverCursor: null };

    it('starts a full resync from the beginning without a cursor, sweeping what the sender received', () => {
      expect(pageStart({ mode: 'full', after: 0, epoch: 'p1', receiverCursor: { epoch: 'e1', seq: 150 } }, undefined, 'b', log)).toEqual({ startFresh: true, baseCursor: 0, sweepThrough: 100 });
      expect(pageStart({ mode: 'full', after: 0, epoch: 'p1', receiverCursor: { epoch: 'e0', seq: 50 } }, undefined, 'b', log).sweepThrough).toBe(0);
    });

    it('continues the cursor kept for the sender', () => {
      expect(pageStart(page, peerRow({ epoch: 'p1', cursor: 30, sweep_through: 7 }), 'b', log)).toEqual({ startFresh: false, baseCursor: 30, sweepThrough: 7 });
    });

    it.each([
      ['no cursor at all', undefined, 'epoch-mismatch'],
      ['a cursor into another epoch', peerRow({ epoch: 'p0', cursor: 30 }), 'epoch-mismatch'],
      ['a resync in progress', peerRow({ epoch: 'p1', cursor: 30, resyncing: 1 }), 'cursor-gap'],
      ['a gap', peerRow({ epoch: 'p1', cursor: 10 }), 'cursor-gap'],
    ])('refuses a delta page against %s', (_name, peer, code) => {
      let error: unknown;
      try {
        pageStart(page, peer, 'b', log);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SyncProtocolError);
      expect((error as SyncProtocolError).code).toBe(code);
    });
  });

  it('leaves a cursor past the page, resyncing until the last page of a full resync', () => {
    expect(cursorAfterPage({ mode: 'full', through: 40, hasMore: true, epoch: 'p1' }, 30)).toEqual({ epoch: 'p1', seq: 40, resyncing: true, resyncDone: false });
    expect(cursorAfterPage({ mode: 'full', through: 50, hasMore: false, epoch: 'p1' }, 40)).toEqual({ epoch: 'p1', seq: 50, resyncing: false, resyncDone: true });
    expect(cursorAfterPage({ mode: 'delta', through: 20, hasMore: false, epoch: 'p1' }, 30)).toEqual({ epoch: 'p1', seq: 30, resyncing: false, resyncDone: false });
  });

  it('checks a caller-given peer log position', () => {
    expect(() => checkPeerLogPosition({ yourCursor: { epoch: null, seq: 0, resyncing: false }, limits: { maxChanges: 1, maxBytes: 1 } })).not.toThrow();
    for (const bad of [undefined, {}, { yourCursor: { epoch: 'e', seq: -1, resyncing: false }, limits: { maxChanges: 1, maxBytes: 1 } }, { yourCursor: { epoch: 'e', seq: 0, resyncing: false }, limits: { maxChanges: 0, maxBytes: 1 } }]) {
      expect(() => checkPeerLogPosition(bad as never)).toThrow(SyncError);
    }
  });
});
