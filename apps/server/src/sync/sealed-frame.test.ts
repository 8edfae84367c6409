import { describe, expect, it } from 'vitest';
import { createInitiator, createResponder, deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT, type Session } from '@trosyn/crypto';
import { LanSyncError } from './errors.js';
import { decodeSealedFrame, encodeSealedFrame } from './sealed-frame.js';

async function sessions(): Promise<{ a: Session; b: Session }> {
  const networkKey = await deriveNetworkKey('frame test secret', { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });
  const responder = createResponder({ networkKey, nodeId: 'node-b' });
  const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
  const proof = initiator.handleChallenge(responder.handleHello(initiator.hello()));
  const { confirm, session: b } = responder.handleProof(proof);
  return { a: initiator.handleConfirm(confirm), b };
}

describe('sealed frame', () => {
  it('carries an envelope exactly, smaller than its JSON', async () => {
    const { a, b } = await sessions();
    const plaintext = JSON.stringify({ text: 'Grüße 👋', filler: 'x'.repeat(10_000) });
    const envelope = a.seal(plaintext, 'POST /sync/v1/messages');
    const frame = encodeSealedFrame(envelope);
    expect(decodeSealedFrame(frame)).toEqual(envelope);
    expect(frame.length).toBeLessThan(Buffer.byteLength(JSON.stringify(envelope)) * 0.8);
    const opened = b.open(decodeSealedFrame(frame));
    expect(opened.plaintext.toString('utf8')).toBe(plaintext);
    expect(opened.associatedData?.toString('utf8')).toBe('POST /sync/v1/messages');
  });

  it('keeps an envelope without associated data without one', async () => {
    const { a } = await sessions();
    const envelope = a.seal('{}');
    expect(decodeSealedFrame(encodeSealedFrame(envelope))).toEqual(envelope);
  });

  it('rejects bytes that are not a frame with malformed-frame', () => {
    for (const garbage of [Buffer.alloc(0), Buffer.from('{"type":"pull"}'), Buffer.alloc(40, 0x54), Buffer.from('TS\x01short')]) {
      expect(() => decodeSealedFrame(garbage)).toThrow(LanSyncError);
    }
  });

  it('turns a flipped ciphertext bit into an authentication failure, not a crash', async () => {
    const { a, b } = await sessions();
    const frame = encodeSealedFrame(a.seal('{"secret":true}', 'ad'));
    frame[frame.length - 1]! ^= 1;
    expect(() => b.open(decodeSealedFrame(frame))).toThrow(expect.objectContaining({ code: 'tampered' }));
  });
});
