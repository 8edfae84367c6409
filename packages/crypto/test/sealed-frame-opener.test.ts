import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoError, SEALED_FRAME_HEADER_BYTES, type OpenedFramePieces, type SealedFrameOpener } from '../src/index.js';
import { expectCode, manualClock, sessionPair } from './helpers.js';

/** `frame` cut at `cuts` (sorted offsets), as a socket might deliver it. */
function split(frame: Buffer, cuts: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, frame.length]) {
    pieces.push(frame.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

function openPieces(opener: SealedFrameOpener, pieces: readonly Buffer[]): OpenedFramePieces {
  for (const piece of pieces) opener.push(piece);
  return opener.finish();
}

describe('streaming open (Session.openFrameStream)', () => {
  it('opens a frame pushed in pieces, cut anywhere (inside the head too), to what openFrame gives', async () => {
    const { initiator, responder } = await sessionPair();
    const plaintext = randomBytes(200_000);
    const cutsList = [[], [1], [10, 37], [SEALED_FRAME_HEADER_BYTES + 3], [65_536, 131_072], Array.from({ length: 50 }, (_, i) => 7 + i * 4000)];
    for (const cuts of cutsList) {
      const frame = initiator.sealFrame(plaintext, 'chunk 7');
      const opened = openPieces(responder.openFrameStream(), split(frame, cuts));
      expect(Buffer.concat(opened.plaintext).equals(plaintext)).toBe(true);
      expect(opened.byteLength).toBe(plaintext.length);
      expect(opened.associatedData?.toString()).toBe('chunk 7');
      expect(opened.sequence).toBe(initiator.sealedCount - 1);
    }
    // The pieces of sealFramePieces, as they are sent.
    const { head, ciphertext } = initiator.sealFramePieces(plaintext);
    const opened = openPieces(responder.openFrameStream(), [head, ciphertext]);
    expect(Buffer.concat(opened.plaintext).equals(plaintext)).toBe(true);
    expect(opened.associatedData).toBeUndefined();
    // An empty plaintext opens to no pieces.
    expect(openPieces(responder.openFrameStream(), [initiator.sealFrame('')]).byteLength).toBe(0);
  });

  it('hashes the plaintext from a given byte as it decrypts it, given out only once authenticated', async () => {
    const { initiator, responder } = await sessionPair();
    const plaintext = randomBytes(150_000);
    const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
    for (const from of [0, 5, 65_000, 70_000, 150_000, 200_000]) {
      const opened = openPieces(responder.openFrameStream({ sha256From: from }), split(initiator.sealFrame(plaintext), [3, 20_000, 65_536, 131_072]));
      expect(opened.sha256, `from ${from}`).toBe(sha256(plaintext.subarray(from)));
    }
    expect(openPieces(responder.openFrameStream(), [initiator.sealFrame(plaintext)]).sha256).toBeUndefined();
    for (const bad of [-1, 1.5, Number.NaN]) expectCode(() => responder.openFrameStream({ sha256From: bad }), 'invalid-argument');
    const forged = Buffer.from(initiator.sealFrame(plaintext));
    forged[forged.length - 10]! ^= 1;
    expectCode(() => openPieces(responder.openFrameStream({ sha256From: 0 }), [forged]), 'tampered');
  });

  it('decrypts each piece as it arrives: the caller may reuse a piece once pushed', async () => {
    const { initiator, responder } = await sessionPair();
    const plaintext = randomBytes(100_000);
    const frame = initiator.sealFrame(plaintext, 'ad');
    const opener = responder.openFrameStream();
    const scratch = Buffer.alloc(30_000);
    for (let offset = 0; offset < frame.length; offset += scratch.length) {
      const length = frame.copy(scratch, 0, offset, offset + scratch.length);
      opener.push(scratch.subarray(0, length));
      scratch.fill(0xee); // the next socket read lands here
    }
    // A head cut short is kept as a copy too.
    const small = initiator.sealFrame('tiny', 'ad');
    const second = responder.openFrameStream();
    const first = Buffer.from(small.subarray(0, 5));
    second.push(first);
    first.fill(0);
    second.push(small.subarray(5));
    expect(Buffer.concat(opener.finish().plaintext).equals(plaintext)).toBe(true);
    expect(Buffer.concat(second.finish().plaintext).toString()).toBe('tiny');
  });

  it('refuses a flipped byte anywhere, releasing nothing, and the genuine frame still opens', async () => {
    const { initiator, responder } = await sessionPair();
    const frame = initiator.sealFrame(randomBytes(3000), 'ad');
    for (let byte = 0; byte < frame.length; byte++) {
      const bad = Buffer.from(frame);
      bad[byte]! ^= 0x40;
      const opener = responder.openFrameStream();
      let opened: OpenedFramePieces | undefined;
      // The head is refused when complete; anything later (AD, tag, ciphertext) by the tag in finish.
      const error = (() => {
        try {
          opened = openPieces(opener, split(bad, [Math.min(byte + 1, bad.length - 1)]));
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(opened, `byte ${byte}`).toBeUndefined();
      expect(error, `byte ${byte}`).toBeInstanceOf(CryptoError);
      if (byte >= SEALED_FRAME_HEADER_BYTES + 2) expect((error as CryptoError).code, `byte ${byte}`).toBe('tampered');
      // The opener stays refused: nothing comes out of it afterwards.
      expect(() => opener.finish()).toThrow(CryptoError);
    }
    // A failed frame did not move the replay window.
    const opened = openPieces(responder.openFrameStream(), split(frame, [100, 2000]));
    expect(opened.byteLength).toBe(3000);
  });

  it('refuses a truncated frame, a replay, another session, and a late frame, as openFrame does', async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock, responder: { maxClockSkewMs: 1000 } });
    const frame = initiator.sealFrame(randomBytes(5000), 'ad');
    expectCode(() => openPieces(responder.openFrameStream(), [frame.subarray(0, frame.length - 1)]), 'tampered');
    expectCode(() => openPieces(responder.openFrameStream(), [frame.subarray(0, SEALED_FRAME_HEADER_BYTES + 1)]), 'malformed');
    expectCode(() => openPieces(responder.openFrameStream(), [Buffer.from('{"type":"pull"} and more bytes than a header')]), 'malformed');
    openPieces(responder.openFrameStream(), [frame]);
    // A replay is refused by its head, before anything is decrypted.
    expectCode(() => responder.openFrameStream().push(frame), 'replayed');
    expectCode(() => responder.openFrame(frame), 'replayed');
    const other = await sessionPair({ clock });
    expectCode(() => other.responder.openFrameStream().push(initiator.sealFrame('elsewhere')), 'wrong-session');
    const late = initiator.sealFrame('late');
    clock.advance(5000);
    expectCode(() => responder.openFrameStream().push(late), 'timestamp-skew');
  });

  it('accepts a frame once when two openers race for it', async () => {
    const { initiator, responder } = await sessionPair();
    const frame = initiator.sealFrame('twice?');
    const first = responder.openFrameStream();
    const second = responder.openFrameStream();
    first.push(frame);
    second.push(frame);
    expect(Buffer.concat(first.finish().plaintext).toString()).toBe('twice?');
    expectCode(() => second.finish(), 'replayed');
    // One opener, one frame.
    expectCode(() => first.finish(), 'invalid-state');
    expectCode(() => first.push(frame), 'invalid-state');
  });

  it('gives up on abort, and refuses to finish once the session is disposed', async () => {
    const { initiator, responder } = await sessionPair();
    const aborted = responder.openFrameStream();
    const frame = initiator.sealFrame('never read', 'ad');
    aborted.push(frame);
    aborted.abort();
    aborted.abort();
    expectCode(() => aborted.finish(), 'invalid-state');
    // The aborted frame was not accepted: it opens elsewhere.
    expect(responder.openFrame(frame).plaintext.toString()).toBe('never read');
    const opener = responder.openFrameStream();
    opener.push(initiator.sealFrame('disposed meanwhile'));
    responder.dispose();
    expectCode(() => opener.finish(), 'disposed');
    expectCode(() => responder.openFrameStream(), 'disposed');
  });
});
