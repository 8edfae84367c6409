import { describe, expect, it } from 'vitest';
import { createSessionStore } from '../src/index.js';
import { expectCode, manualClock, sessionPair } from './helpers.js';

// A stream started late in its session's life runs past the session's expiry (Session.holdForStream).
const TTL = 60_000;
const at = (stream: number, index: number): string => `stream ${stream} ${index}`;

describe('a stream holding its session (Session.holdForStream)', () => {
  it("seals and opens the stream's frames past the session's expiry, while the session itself refuses everything else", async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock, initiator: { sessionTtlMs: TTL }, responder: { sessionTtlMs: TTL } });
    clock.advance(50_000); // 10 s left when the stream starts
    const sending = responder.holdForStream(Number.POSITIVE_INFINITY);
    const reading = initiator.holdForStream(Number.POSITIVE_INFINITY);
    expect(sending.until).toBe(clock.now() + TTL);
    clock.advance(30_000); // the session expired 20 s ago
    expect(responder.isExpired()).toBe(true);
    const frame = sending.sealFrame('token 1', at(1, 0));
    expect(reading.openFrameBoundTo(frame, at(1, 0)).plaintext.toString()).toBe('token 1');
    // Nothing else: no new request, no envelope, no frame outside a hold, no new stream.
    expectCode(() => initiator.sealFrame('a new request', 'POST /sync/v1/pool/generate'), 'session-expired');
    expectCode(() => initiator.seal('a new request'), 'session-expired');
    expectCode(() => responder.sealFrame('x', at(2, 0)), 'session-expired');
    expectCode(() => initiator.openFrameBoundTo(sending.sealFrame('token 2', at(1, 1)), at(1, 1)), 'session-expired');
    expectCode(() => initiator.holdForStream(Number.POSITIVE_INFINITY), 'session-expired');
    // The hold's frames are bound to their positions: a replayed or moved frame is refused.
    expectCode(() => reading.openFrameBoundTo(frame, at(1, 1)), 'tampered');
    expectCode(() => reading.openFrameBoundTo(sending.sealFrame('token 3', at(1, 2)), at(9, 2)), 'tampered');
    expectCode(() => sending.sealFrame('unbound', ''), 'invalid-argument');
  });

  it('ends at its bound, at most one session lifetime after the stream started', async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock, initiator: { sessionTtlMs: TTL }, responder: { sessionTtlMs: TTL } });
    const short = responder.holdForStream(clock.now() + 30_000);
    const long = responder.holdForStream(Number.POSITIVE_INFINITY);
    const reading = initiator.holdForStream(Number.POSITIVE_INFINITY);
    expect(short.until).toBe(clock.now() + 30_000);
    expect(long.until).toBe(clock.now() + TTL);
    clock.advance(30_000);
    expectCode(() => short.sealFrame('past its own bound', at(2, 0)), 'session-expired');
    clock.advance(TTL - 30_001);
    expect(reading.openFrameBoundTo(long.sealFrame('last', at(1, 0)), at(1, 0)).plaintext.toString()).toBe('last');
    const late = long.sealFrame('sealed in time, read too late', at(1, 1));
    clock.advance(1);
    expectCode(() => long.sealFrame('one too many', at(1, 2)), 'session-expired');
    expectCode(() => reading.openFrameBoundTo(late, at(1, 1)), 'session-expired');
  });

  it('keeps a retired session\'s keys until its last stream ends; a store never hands it out once expired', async () => {
    const clock = manualClock();
    const { responder } = await sessionPair({ clock, responder: { sessionTtlMs: TTL }, initiator: { sessionTtlMs: TTL } });
    const store = createSessionStore();
    store.add(responder);
    clock.advance(TTL / 2);
    const first = responder.holdForStream(Number.POSITIVE_INFINITY);
    const second = responder.holdForStream(Number.POSITIVE_INFINITY);
    expect(responder.streamHolds).toBe(2);
    clock.advance(TTL / 2);
    expect(store.get(responder.id)).toBeUndefined(); // new requests: unknown session
    expect(store.size).toBe(0);
    expect(responder.disposed).toBe(false);
    first.sealFrame('x', at(1, 0));
    first.release();
    first.release(); // twice is harmless
    expect(responder.disposed).toBe(false);
    second.release();
    expect(responder.disposed).toBe(true);
    expectCode(() => second.sealFrame('x', at(2, 0)), 'disposed');
  });

  it('lets dispose() wipe a held session at once (the node stops), and retire() dispose an unheld one', async () => {
    const { initiator, responder } = await sessionPair();
    const hold = responder.holdForStream(Number.POSITIVE_INFINITY);
    responder.dispose();
    expectCode(() => hold.sealFrame('x', at(1, 0)), 'disposed');
    initiator.retire();
    expect(initiator.disposed).toBe(true);
  });
});
