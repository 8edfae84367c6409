import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoError, type Envelope } from '../src/index.js';
import { Session } from '../src/session.js';
import { expectCode, manualClock, sessionPair, wire } from './helpers.js';

describe('Session', () => {
  it('seals and opens in both directions, with and without associated data', async () => {
    const { initiator, responder } = await sessionPair();
    const a = responder.open(wire(initiator.seal('ping')));
    expect(a.plaintext.toString()).toBe('ping');
    expect(a.associatedData).toBeUndefined();
    const b = initiator.open(wire(responder.seal(Buffer.from([0, 1, 2]), 'POST /sync/pull')));
    expect([...b.plaintext]).toEqual([0, 1, 2]);
    expect(b.associatedData?.toString()).toBe('POST /sync/pull');
    const empty = responder.open(wire(initiator.seal('', new Uint8Array(0))));
    expect(empty.plaintext).toHaveLength(0);
    expect(empty.associatedData).toBeUndefined();
  });

  it('numbers messages per direction from 0 and never reuses a sequence (so never a nonce)', async () => {
    const { initiator, responder } = await sessionPair();
    const sequences = Array.from({ length: 50 }, () => initiator.seal('x').sequence);
    expect(sequences).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(responder.seal('y').sequence).toBe(0);
    expect(initiator.sealedCount).toBe(50);
    // Same plaintext, different sequence: different ciphertext.
    const c1 = initiator.seal('same').ciphertext;
    const c2 = initiator.seal('same').ciphertext;
    expect(c1).not.toBe(c2);
  });

  it('cannot open its own messages: each direction has its own key', async () => {
    const { initiator } = await sessionPair();
    expectCode(() => initiator.open(wire(initiator.seal('to myself'))), 'tampered');
  });

  it('refuses a replayed envelope', async () => {
    const { initiator, responder } = await sessionPair();
    const envelope = wire(initiator.seal('once'));
    responder.open(envelope);
    expectCode(() => responder.open(envelope), 'replayed');
  });

  it('accepts reordering inside the window, refuses what fell out of it', async () => {
    const { initiator, responder } = await sessionPair({ initiator: { replayWindow: 64 }, responder: { replayWindow: 64 } });
    const envelopes = Array.from({ length: 100 }, (_, i) => wire(initiator.seal(`m${i}`)));
    responder.open(envelopes[99]);
    for (let i = 98; i >= 36; i -= 1) expect(responder.open(envelopes[i]).plaintext.toString()).toBe(`m${i}`);
    expectCode(() => responder.open(envelopes[35]), 'outside-window');
    expectCode(() => responder.open(envelopes[50]), 'replayed');
  });

  it('refuses an envelope of another session', async () => {
    const first = await sessionPair();
    const second = await sessionPair();
    const error = expectCode(() => second.responder.open(wire(first.initiator.seal('elsewhere'))), 'wrong-session');
    expect(error.details['sessionId']).toBe(second.responder.id);
  });

  it('refuses timestamps outside the allowed skew, and does not let them move the window', async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock, responder: { maxClockSkewMs: 5_000 } });
    const envelope = wire(initiator.seal('late'));
    clock.advance(5_001);
    expectCode(() => responder.open(envelope), 'timestamp-skew');
    clock.advance(-5_001);
    expect(responder.open(envelope).plaintext.toString()).toBe('late');
  });

  it('expires with the injected clock, on both sides', async () => {
    const clock = manualClock();
    const { initiator, responder } = await sessionPair({ clock, responder: { sessionTtlMs: 60_000 } });
    clock.advance(59_999);
    expect(initiator.isExpired()).toBe(false);
    responder.open(wire(initiator.seal('just in time')));
    clock.advance(1);
    expect(initiator.isExpired()).toBe(true);
    expectCode(() => initiator.seal('too late'), 'session-expired');
    expectCode(() => responder.seal('too late'), 'session-expired');
    clock.advance(-1);
    const sealedBefore = wire(initiator.seal('sealed in time'));
    clock.advance(1);
    expectCode(() => responder.open(sealedBefore), 'session-expired');
  });

  it('rejects a single flipped bit anywhere in a serialised envelope', async () => {
    const { initiator, responder } = await sessionPair();
    const json = Buffer.from(JSON.stringify(initiator.seal('tiny', 'ad')), 'utf8');
    const codes = new Map<string, number>();
    for (let bit = 0; bit < json.length * 8; bit += 1) {
      const flipped = Buffer.from(json);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      let code: string;
      try {
        const parsed = JSON.parse(flipped.toString('utf8')) as unknown;
        responder.open(parsed);
        code = 'ACCEPTED';
      } catch (error) {
        code = error instanceof CryptoError ? error.code : error instanceof SyntaxError ? 'json-syntax' : `unexpected ${String(error)}`;
      }
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get('ACCEPTED')).toBeUndefined();
    expect([...codes.keys()].every((code) => !code.startsWith('unexpected'))).toBe(true);
    expect(codes.get('tampered')).toBeGreaterThan(100); // most flips land in base64url data
    // The untouched envelope still opens: nothing above consumed its sequence.
    expect(responder.open(JSON.parse(json.toString('utf8'))).plaintext.toString()).toBe('tiny');
  });

  it('rejects a changed header field even when the ciphertext is untouched', async () => {
    const { initiator, responder } = await sessionPair();
    const envelope = initiator.seal('payload', 'route-a') as Envelope;
    const edits: Partial<Record<keyof Envelope, unknown>>[] = [
      { sequence: envelope.sequence + 1 },
      { timestamp: envelope.timestamp + 1 },
      { associatedData: Buffer.from('route-b').toString('base64url') },
      { associatedData: undefined },
    ];
    for (const edit of edits) expectCode(() => responder.open(wire({ ...envelope, ...edit })), 'tampered');
    expectCode(() => responder.open(wire({ ...envelope, associatedData: '' })), 'malformed');
    expectCode(() => responder.open(wire({ ...envelope, version: 9 })), 'unsupported-version');
    expectCode(() => responder.open(wire({ ...envelope, ciphertext: 'AAAA' })), 'tampered');
    expectCode(() => responder.open(wire({ ...envelope, tag: Buffer.alloc(16).toString('base64url') })), 'tampered');
    expectCode(() => responder.open(wire({ ...envelope, tag: envelope.tag.slice(2) })), 'malformed');
    expectCode(() => responder.open(wire({ ...envelope, sequence: -1 })), 'malformed');
    expect(responder.open(wire(envelope)).associatedData?.toString()).toBe('route-a');
  });

  it('turns malformed envelopes into typed errors', async () => {
    const { responder } = await sessionPair();
    for (const input of [null, 'x', [], {}, { type: 'trosyn-envelope', version: 1 }]) expectCode(() => responder.open(input), 'malformed');
  });

  it('drops its keys on dispose and refuses use afterwards', async () => {
    const { initiator } = await sessionPair();
    initiator.dispose();
    initiator.dispose();
    expectCode(() => initiator.seal('x'), 'disposed');
    // The field names, not the whole text: a random base64url session id can spell "kEy".
    const serialised = JSON.parse(JSON.stringify(initiator)) as Record<string, unknown>;
    expect(Object.keys(serialised).filter((name) => /key/i.test(name))).toEqual([]);
    expect(Object.values(serialised).every((value) => typeof value === 'string' || typeof value === 'number')).toBe(true);
  });

  it('keeps its keys only in OpenSSL: the key buffers it is given are zeroed as it is made', () => {
    const aToB = randomBytes(32);
    const bToA = randomBytes(32);
    const [aToBCopy, bToACopy] = [Buffer.from(aToB), Buffer.from(bToA)];
    const common = { id: randomBytes(16), createdAt: 0, expiresAt: 60_000, clock: () => 1_000, maxClockSkewMs: 30_000, replayWindow: 64 };
    const a = new Session({ ...common, role: 'initiator', localNodeId: 'node-a', peerNodeId: 'node-b', sendKey: aToB, receiveKey: bToA });
    expect([aToB.every((byte) => byte === 0), bToA.every((byte) => byte === 0)]).toEqual([true, true]);
    const b = new Session({ ...common, role: 'responder', localNodeId: 'node-b', peerNodeId: 'node-a', sendKey: bToACopy, receiveKey: aToBCopy });
    expect(b.open(wire(a.seal('sealed after the wipe'))).plaintext.toString()).toBe('sealed after the wipe');
    expect(a.open(wire(b.seal('and back'))).plaintext.toString()).toBe('and back');
  });
});
