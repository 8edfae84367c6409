import { describe, expect, it } from 'vitest';
import type { PullRequest } from '@trosyn/sync-core';
import { nextPull, observeAnswer, peerLogPosition } from './peer-log-view.js';

const limits = { maxChanges: 500, maxBytes: 1 << 21 };
const pull: PullRequest = { type: 'pull', protocol: 1, nodeId: 'a', epoch: 'ea', cursor: { epoch: 'eb', seq: 10, resyncing: false }, limits };
const page = (fields: object) => ({ type: 'pull-page', protocol: 1, yourCursor: { epoch: 'ea', seq: 7, resyncing: false }, limits, page: { epoch: 'eb', mode: 'delta', through: 40, hasMore: true, ...fields } });

describe('peer log view', () => {
  it('learns where the peer stands in our log from pull pages, and moves it with push acknowledgements', () => {
    const seen = observeAnswer(undefined, page({}));
    expect(peerLogPosition(seen)).toEqual({ yourCursor: { epoch: 'ea', seq: 7, resyncing: false }, limits });
    const acked = observeAnswer(seen, { type: 'push-ack', protocol: 1, nodeId: 'b', cursor: { epoch: 'ea', seq: 12, resyncing: false } });
    expect(peerLogPosition(acked)?.yourCursor.seq).toBe(12);
    expect(observeAnswer(acked, { type: 'error', code: 'x' })).toBe(acked);
    expect(observeAnswer(acked, null)).toBe(acked);
    // An acknowledgement before any page: still unknown.
    expect(observeAnswer(undefined, { type: 'push-ack', cursor: { epoch: 'ea', seq: 1, resyncing: false } })).toBeUndefined();
    // Unknown, or resyncing from us: no push-only round.
    expect(peerLogPosition(undefined)).toBeUndefined();
    expect(peerLogPosition({ yourCursor: null, limits })).toBeUndefined();
    expect(peerLogPosition({ yourCursor: { epoch: 'ea', seq: 3, resyncing: true }, limits })).toBeUndefined();
  });

  it('predicts the next pull exactly as the engine will send it', () => {
    expect(nextPull(pull, page({}))).toEqual({ ...pull, cursor: { epoch: 'eb', seq: 40, resyncing: false } });
    // A page behind our cursor in the same epoch keeps the cursor; another epoch starts over.
    expect(nextPull(pull, page({ through: 5 }))?.cursor.seq).toBe(10);
    expect(nextPull(pull, page({ epoch: 'eb2', through: 5, mode: 'full' }))?.cursor).toEqual({ epoch: 'eb2', seq: 5, resyncing: true });
    expect(nextPull(pull, page({ hasMore: false }))).toBeUndefined();
    expect(nextPull(pull, { type: 'error' })).toBeUndefined();
    expect(nextPull(pull, null)).toBeUndefined();
  });
});
