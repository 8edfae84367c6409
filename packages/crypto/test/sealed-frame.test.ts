import { describe, expect, it } from 'vitest';
import { createSessionStore, SEALED_FRAME_HEADER_BYTES } from '../src/index.js';
import { parseSealedFrame } from '../src/primitives.js';
import { expectCode, manualClock, sessionPair, wire } from './helpers.js';

describe('sealed frames (Session.sealFrame / openFrame)', () => {
  it('carries what the JSON envelope carries, a third smaller for a large message', async () => {
    const { initiator, responder } = await sessionPair();
    const plaintext = JSON.stringify({ text: 'Grüße 👋', filler: 'x'.repeat(30_000) });
    const frame = initiator.sealFrame(plaintext, 'POST /sync/v1/messages');
    const opened = responder.openFrame(frame);
    expect(opened.plaintext.toString('utf8')).toBe(plaintext);
    expect(opened.associatedData?.toString('utf8')).toBe('POST /sync/v1/messages');
    expect(opened.sequence).toBe(0);
    const envelopeBytes = Buffer.byteLength(JSON.stringify(initiator.seal(plaintext)));
    expect(frame.length).toBeLessThan(envelopeBytes * 0.8);
    expect(frame.length).toBe(SEALED_FRAME_HEADER_BYTES + 'POST /sync/v1/messages'.length + 16 + Buffer.byteLength(plaintext));
  });

  it('seals the same frame in two pieces (head, ciphertext) without joining them', async () => {
    const { initiator, responder } = await sessionPair();
    const plaintext = Buffer.alloc(1 << 20, 7);
    const { head, ciphertext } = initiator.sealFramePieces(plaintext, 'chunk');
    expect(head.length).toBe(SEALED_FRAME_HEADER_BYTES + 'chunk'.length + 16);
    expect(ciphertext.length).toBe(plaintext.length);
    const opened = responder.openFrame(Buffer.concat([head, ciphertext]));
    expect(opened.plaintext.equals(plaintext)).toBe(true);
    expect(opened.associatedData?.toString('utf8')).toBe('chunk');
    // One sequence with sealFrame: the next frame is 1, and the pieces' frame is not accepted twice.
    expect(responder.openFrame(initiator.sealFrame('next')).sequence).toBe(1);
    expectCode(() => responder.openFrame(Buffer.concat([head, ciphertext])), 'replayed');
    expectCode(() => initiator.sealFramePieces('x', 'a'.repeat(70_000)), 'invalid-argument');
  });

  it('shares one sequence with JSON envelopes: either form, never a reused nonce', async () => {
    const { initiator, responder } = await sessionPair();
    expect(responder.open(wire(initiator.seal('a'))).sequence).toBe(0);
    expect(responder.openFrame(initiator.sealFrame('b')).sequence).toBe(1);
    expect(responder.open(wire(initiator.seal('c'))).sequence).toBe(2);
    expect(initiator.sealedCount).toBe(3);
  });

  it('authenticates the same header: a frame opened as an envelope of the same parts verifies', async () => {
    const { initiator, responder } = await sessionPair();
    const frame = initiator.sealFrame('same bytes', 'ad');
    const parsed = parseSealedFrame(frame);
    const envelope = {
      type: 'trosyn-envelope',
      version: 1,
      sessionId: parsed.sessionIdText,
      sequence: parsed.sequence,
      timestamp: parsed.timestamp,
      associatedData: Buffer.from(parsed.associatedData!).toString('base64url'),
      ciphertext: Buffer.from(parsed.ciphertext).toString('base64url'),
      tag: Buffer.from(parsed.tag).toString('base64url'),
    };
    expect(responder.open(envelope).plaintext.toString()).toBe('same bytes');
  });

  it('refuses a replayed frame, and one of another session', async () => {
    const { initiator, responder } = await sessionPair();
    const frame = initiator.sealFrame('once');
    responder.openFrame(frame);
    expectCode(() => responder.openFrame(frame), 'replayed');
    const other = await sessionPair();
    expectCode(() => other.responder.openFrame(initiator.sealFrame('elsewhere')), 'wrong-session');
  });

  it('detects a flipped bit anywhere in the frame, and leaves the frame unchanged', async () => {
    const { initiator, responder } = await sessionPair();
    const frame = initiator.sealFrame('{"secret":true}', 'ad');
    const copy = Buffer.from(frame);
    for (let byte = 0; byte < frame.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(frame);
        bad[byte]! ^= 1 << bit;
        // Every position fails: header fields by validation or authentication, body by the tag.
        expect(() => responder.openFrame(bad)).toThrow();
      }
    }
    expect(responder.openFrame(frame).plaintext.toString()).toBe('{"secret":true}');
    expect(frame.equals(copy)).toBe(true);
  });

  it('rejects bytes that are not a frame with malformed, a future version with unsupported-version', async () => {
    const { initiator, responder } = await sessionPair();
    for (const garbage of [Buffer.alloc(0), Buffer.from('{"type":"pull"}'), Buffer.alloc(60, 0x54), Buffer.from('TS\x01short')]) {
      expectCode(() => responder.openFrame(garbage), 'malformed');
    }
    expectCode(() => responder.openFrame('not bytes' as never), 'malformed');
    const future = Buffer.from(initiator.sealFrame('x'));
    future[2] = 2;
    expectCode(() => responder.openFrame(future), 'unsupported-version');
    const badTag = Buffer.from(initiator.sealFrame('x'));
    badTag[SEALED_FRAME_HEADER_BYTES - 1] = 8;
    expectCode(() => responder.openFrame(badTag), 'malformed');
    const truncated = initiator.sealFrame('x', 'some associated data').subarray(0, SEALED_FRAME_HEADER_BYTES + 4);
    expectCode(() => responder.openFrame(truncated), 'malformed');
  });

  it('refuses associated data a frame cannot carry before using a sequence number', async () => {
    const { initiator } = await sessionPair();
    expectCode(() => initiator.sealFrame('x', Buffer.alloc(70_000)), 'invalid-argument');
    expect(initiator.sealedCount).toBe(0);
  });

  it('keeps the expiry and clock-skew checks', async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock, responder: { maxClockSkewMs: 1000 } });
    const frame = initiator.sealFrame('late');
    clock.advance(5000);
    expectCode(() => responder.openFrame(frame), 'timestamp-skew');
    clock.advance(365 * 86_400_000);
    expectCode(() => initiator.sealFrame('expired'), 'session-expired');
  });

  it('SessionStore.openFrame finds the session by the frame, and says unknown-session otherwise', async () => {
    const { initiator, responder } = await sessionPair();
    const store = createSessionStore();
    expectCode(() => store.openFrame(initiator.sealFrame('before')), 'unknown-session');
    store.add(responder);
    const { session, message } = store.openFrame(initiator.sealFrame('hello', 'ad'));
    expect(session).toBe(responder);
    expect(message.plaintext.toString()).toBe('hello');
    expectCode(() => store.openFrame(Buffer.alloc(3)), 'malformed');
    // Garbage as long as a frame is malformed, not a lookup of whatever its bytes 3–18 hold.
    expectCode(() => store.openFrame(Buffer.alloc(64, 7)), 'malformed');
  });
});
