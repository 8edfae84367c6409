import { describe, expect, it } from 'vitest';
import { expectCode, manualClock, sessionPair } from './helpers.js';

// Frames of concurrent streamed answers on one session: each bound to its stream and position.
const at = (stream: number, index: number): string => `stream ${stream} ${index}`;

describe('frames opened at their position (Session.openFrameBoundTo)', () => {
  it('opens frames of concurrent streams in any order, however far one stream falls behind the others', async () => {
    const { initiator, responder } = await sessionPair();
    // Stream 1's first frame is sealed, then 5000 frames of stream 2 go by before it is read:
    // far more than the replay window (1024), which would refuse it.
    const late = responder.sealFrame('first of 1', at(1, 0));
    for (let index = 0; index < 5000; index += 1) {
      expect(initiator.openFrameBoundTo(responder.sealFrame(`token ${index}`, at(2, index)), at(2, index)).plaintext.toString()).toBe(`token ${index}`);
    }
    const opened = initiator.openFrameBoundTo(late, at(1, 0));
    expect(opened.plaintext.toString()).toBe('first of 1');
    expect(opened.associatedData?.toString()).toBe(at(1, 0));
    expect(opened.sequence).toBe(0);
  });

  it('refuses a frame read at another position: replayed, moved to another stream, or unbound', async () => {
    const { initiator, responder } = await sessionPair();
    const frame = responder.sealFrame('token', at(7, 0));
    initiator.openFrameBoundTo(frame, at(7, 0));
    // The reader has moved on to position 1: the same frame again is refused.
    expectCode(() => initiator.openFrameBoundTo(frame, at(7, 1)), 'tampered');
    expectCode(() => initiator.openFrameBoundTo(frame, at(8, 0)), 'tampered');
    expectCode(() => initiator.openFrameBoundTo(responder.sealFrame('no binding'), at(7, 1)), 'tampered');
    // An empty expected binding is never accepted (it would bind nothing).
    expectCode(() => initiator.openFrameBoundTo(responder.sealFrame('x', at(7, 1)), ''), 'tampered');
  });

  it('keeps every other check: forged bytes, another session, expiry; and leaves the replay window alone', async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock });
    const forged = Buffer.from(responder.sealFrame('token', at(1, 0)));
    forged[forged.length - 1]! ^= 1;
    expectCode(() => initiator.openFrameBoundTo(forged, at(1, 0)), 'tampered');
    const other = await sessionPair();
    expectCode(() => initiator.openFrameBoundTo(other.responder.sealFrame('x', at(1, 0)), at(1, 0)), 'wrong-session');
    // Frames opened by position do not move the window: an ordinary frame sealed before them still opens.
    const ordinary = responder.sealFrame('status answer', 'POST /sync/v1/messages');
    for (let index = 0; index < 2000; index += 1) initiator.openFrameBoundTo(responder.sealFrame('t', at(2, index)), at(2, index));
    expect(initiator.openFrame(ordinary).plaintext.toString()).toBe('status answer');
    expectCode(() => initiator.openFrame(ordinary), 'replayed');
    const late = responder.sealFrame('late', at(3, 0));
    clock.advance(24 * 60 * 60 * 1000);
    expectCode(() => initiator.openFrameBoundTo(late, at(3, 0)), 'session-expired');
  });
});
