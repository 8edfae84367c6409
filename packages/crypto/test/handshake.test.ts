import { describe, expect, it } from 'vitest';
import {
  createInitiator,
  createResponder,
  CryptoError,
  type ChallengeMessage,
  type ConfirmMessage,
  type HelloMessage,
  type ProofMessage,
} from '../src/index.js';
import { expectCode, handshake, manualClock, testKey, wire } from './helpers.js';

describe('handshake', () => {
  it('gives both sides one session with matching ids, peers, roles and expiry', async () => {
    const networkKey = await testKey();
    const clock = manualClock();
    const responder = createResponder({ networkKey, nodeId: 'node-b', clock: clock.now, sessionTtlMs: 60_000 });
    const { initiator, responder: answering } = handshake({ networkKey, nodeId: 'node-a', clock: clock.now }, responder);
    expect(initiator.id).toBe(answering.id);
    expect(initiator.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect([initiator.role, answering.role]).toEqual(['initiator', 'responder']);
    expect([initiator.localNodeId, initiator.peerNodeId]).toEqual(['node-a', 'node-b']);
    expect([answering.localNodeId, answering.peerNodeId]).toEqual(['node-b', 'node-a']);
    // The initiator's own TTL is 10 min, the responder's 1 min: the earlier expiry wins.
    expect(initiator.expiresAt).toBe(clock.now() + 60_000);
    expect(answering.expiresAt).toBe(clock.now() + 60_000);
    const envelope = initiator.seal('hello');
    expect(answering.open(wire(envelope)).plaintext.toString()).toBe('hello');
  });

  it('makes every message a plain JSON object with documented fields only', async () => {
    const networkKey = await testKey();
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const hello = initiator.hello();
    const challenge = responder.handleHello(wire(hello));
    const proof = initiator.handleChallenge(wire(challenge));
    const { confirm } = responder.handleProof(wire(proof));
    expect(Object.keys(hello).sort()).toEqual(['ephemeralKey', 'nodeId', 'nonce', 'timestamp', 'type', 'version']);
    expect(Object.keys(challenge).sort()).toEqual(['echo', 'ephemeralKey', 'handshakeId', 'nodeId', 'nonce', 'timestamp', 'type', 'version']);
    expect(Object.keys(proof).sort()).toEqual(['handshakeId', 'proof', 'type', 'version']);
    expect(Object.keys(confirm).sort()).toEqual(['expiresAt', 'handshakeId', 'proof', 'sessionId', 'type', 'version']);
    for (const message of [hello, challenge, proof, confirm]) expect(wire(message)).toEqual(message);
    expect(hello.ephemeralKey).not.toBe(challenge.ephemeralKey);
    expect(hello.nonce).not.toBe(challenge.nonce);
  });

  it('fails with authentication-failed when the initiator has another secret', async () => {
    const responder = createResponder({ networkKey: await testKey('secret one'), nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey: await testKey('secret two'), nodeId: 'node-a' });
    const proof = initiator.handleChallenge(wire(responder.handleHello(wire(initiator.hello()))));
    const error = expectCode(() => responder.handleProof(wire(proof)), 'authentication-failed');
    expect(error.details['peerNodeId']).toBe('node-a');
    expect(responder.pendingHandshakes).toBe(0); // no second guess on the same handshake
    expectCode(() => responder.handleProof(wire(proof)), 'unknown-handshake');
  });

  it('fails with authentication-failed at the initiator when the responder cannot prove the secret', async () => {
    // A responder with the wrong secret never gets a valid proof from us, so it forges a confirm.
    const networkKey = await testKey('secret one');
    const impostor = createResponder({ networkKey: await testKey('secret two'), nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    const challenge = impostor.handleHello(wire(initiator.hello()));
    const proof = initiator.handleChallenge(wire(challenge)) as ProofMessage;
    // Its best forgery: a confirm with the right shape and a proof from its own key schedule
    // (obtained by playing initiator against a node of its own network).
    const own = createInitiator({ networkKey: await testKey('secret two'), nodeId: 'node-x' });
    const ownProof = own.handleChallenge(wire(impostor.handleHello(wire(own.hello()))));
    const ownConfirm = impostor.handleProof(wire(ownProof)).confirm;
    expectCode(() => initiator.handleConfirm(wire({ ...ownConfirm, handshakeId: proof.handshakeId })), 'authentication-failed');
    expect(initiator.state).toBe('failed');
  });

  it('detects a man in the middle who swaps the ephemeral key in the hello', async () => {
    const networkKey = await testKey();
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    const attacker = createInitiator({ networkKey: await testKey('attacker guess'), nodeId: 'node-a' });
    const hello = initiator.hello();
    const attackerKey = attacker.hello().ephemeralKey;
    const challenge = responder.handleHello(wire({ ...hello, ephemeralKey: attackerKey }));
    // The initiator is unaware and answers; its proof covers its own key, not the attacker's.
    const proof = initiator.handleChallenge(wire(challenge));
    expectCode(() => responder.handleProof(wire(proof)), 'authentication-failed');
  });

  it('detects a man in the middle who swaps the ephemeral key in the challenge', async () => {
    const networkKey = await testKey();
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    const challenge = responder.handleHello(wire(initiator.hello()));
    const mitmResponder = createResponder({ networkKey: await testKey('attacker guess'), nodeId: 'node-b' });
    const probe = createInitiator({ networkKey, nodeId: 'node-z' });
    const attackerKey = mitmResponder.handleHello(wire(probe.hello())).ephemeralKey;
    const proof = initiator.handleChallenge(wire({ ...challenge, ephemeralKey: attackerKey }));
    expectCode(() => responder.handleProof(wire(proof)), 'authentication-failed');
  });

  it('detects tampering with any other transcript field of messages 1 and 2', async () => {
    const networkKey = await testKey();
    const otherNonce = Buffer.alloc(32, 7).toString('base64url');
    const helloEdits: ((h: HelloMessage) => HelloMessage)[] = [
      (h) => ({ ...h, nodeId: 'node-evil' }),
      (h) => ({ ...h, nonce: otherNonce }),
      (h) => ({ ...h, timestamp: h.timestamp - 1 }),
    ];
    for (const edit of helloEdits) {
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
      const hello = initiator.hello();
      const challenge = responder.handleHello(wire(edit(hello)));
      // Keep the echo the initiator expects, so the change is only caught by the transcript.
      const proof = initiator.handleChallenge(wire({ ...challenge, echo: hello.nonce }));
      expectCode(() => responder.handleProof(wire(proof)), 'authentication-failed');
    }
    const challengeEdits: ((c: ChallengeMessage) => ChallengeMessage)[] = [
      (c) => ({ ...c, nodeId: 'node-evil' }),
      (c) => ({ ...c, nonce: otherNonce }),
      (c) => ({ ...c, timestamp: c.timestamp + 1 }),
    ];
    for (const edit of challengeEdits) {
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
      const proof = initiator.handleChallenge(wire(edit(responder.handleHello(wire(initiator.hello())))));
      expectCode(() => responder.handleProof(wire(proof)), 'authentication-failed');
    }
  });

  it('detects a forged session id or expiry in the confirm', async () => {
    const networkKey = await testKey();
    const edits: ((c: ConfirmMessage) => ConfirmMessage)[] = [
      (c) => ({ ...c, expiresAt: c.expiresAt + 3_600_000 }),
      (c) => ({ ...c, sessionId: Buffer.alloc(16, 1).toString('base64url') }),
      (c) => ({ ...c, proof: Buffer.alloc(32).toString('base64url') }),
    ];
    for (const edit of edits) {
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
      const proof = initiator.handleChallenge(wire(responder.handleHello(wire(initiator.hello()))));
      const { confirm } = responder.handleProof(wire(proof));
      expectCode(() => initiator.handleConfirm(wire(edit(confirm))), 'authentication-failed');
    }
  });

  describe('replay', () => {
    it('refuses a replayed hello', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const hello = createInitiator({ networkKey, nodeId: 'node-a' }).hello();
      responder.handleHello(wire(hello));
      expectCode(() => responder.handleHello(wire(hello)), 'replayed');
    });

    it('refuses a replayed hello even after its handshake finished and was forgotten, until its timestamp is stale', async () => {
      const networkKey = await testKey();
      const clock = manualClock();
      const responder = createResponder({ networkKey, nodeId: 'node-b', clock: clock.now, handshakeTimeoutMs: 1_000, maxClockSkewMs: 30_000 });
      const initiator = createInitiator({ networkKey, nodeId: 'node-a', clock: clock.now });
      const hello = initiator.hello();
      responder.handleHello(wire(hello));
      clock.advance(5_000); // pending handshake expired and is purged
      expectCode(() => responder.handleHello(wire(hello)), 'replayed');
      clock.advance(30_000);
      expectCode(() => responder.handleHello(wire(hello)), 'timestamp-skew');
    });

    it('refuses a challenge replayed to another initiator, and a second challenge to the same one', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const first = createInitiator({ networkKey, nodeId: 'node-a' });
      const challenge = responder.handleHello(wire(first.hello()));
      first.handleChallenge(wire(challenge));
      expectCode(() => first.handleChallenge(wire(challenge)), 'invalid-state');
      const second = createInitiator({ networkKey, nodeId: 'node-a' });
      second.hello();
      expectCode(() => second.handleChallenge(wire(challenge)), 'replayed');
      expect(second.state).toBe('failed');
    });

    it('refuses a replayed proof', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
      const proof = initiator.handleChallenge(wire(responder.handleHello(wire(initiator.hello()))));
      responder.handleProof(wire(proof));
      expectCode(() => responder.handleProof(wire(proof)), 'replayed');
    });

    it('refuses a confirm replayed to another initiator, and a second confirm to the same one', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const first = createInitiator({ networkKey, nodeId: 'node-a' });
      const { confirm } = responder.handleProof(wire(first.handleChallenge(wire(responder.handleHello(wire(first.hello()))))));
      first.handleConfirm(wire(confirm));
      expectCode(() => first.handleConfirm(wire(confirm)), 'invalid-state');
      const second = createInitiator({ networkKey, nodeId: 'node-a' });
      second.handleChallenge(wire(responder.handleHello(wire(second.hello()))));
      expectCode(() => second.handleConfirm(wire(confirm)), 'replayed');
    });
  });

  describe('time', () => {
    it('refuses hellos and challenges outside the allowed clock skew', async () => {
      const networkKey = await testKey();
      const fast = manualClock(Date.UTC(2026, 0, 1) + 31_000);
      const slow = manualClock(Date.UTC(2026, 0, 1));
      const responder = createResponder({ networkKey, nodeId: 'node-b', clock: slow.now });
      expectCode(() => responder.handleHello(wire(createInitiator({ networkKey, nodeId: 'node-a', clock: fast.now }).hello())), 'timestamp-skew');
      const initiator = createInitiator({ networkKey, nodeId: 'node-a', clock: slow.now });
      const fastResponder = createResponder({ networkKey, nodeId: 'node-b', clock: fast.now, maxClockSkewMs: 60_000 });
      const challenge = fastResponder.handleHello(wire(initiator.hello()));
      expectCode(() => initiator.handleChallenge(wire(challenge)), 'timestamp-skew');
      // Within skew both ways it works.
      fast.set(slow.now() + 29_000);
      const ok = handshake({ networkKey, nodeId: 'node-a', clock: slow.now }, createResponder({ networkKey, nodeId: 'node-b', clock: fast.now }));
      expect(ok.initiator.id).toBe(ok.responder.id);
    });

    it('expires a pending handshake at the responder and at the initiator', async () => {
      const networkKey = await testKey();
      const clock = manualClock();
      const responder = createResponder({ networkKey, nodeId: 'node-b', clock: clock.now, handshakeTimeoutMs: 2_000 });
      const initiator = createInitiator({ networkKey, nodeId: 'node-a', clock: clock.now, handshakeTimeoutMs: 60_000 });
      const proof = initiator.handleChallenge(wire(responder.handleHello(wire(initiator.hello()))));
      clock.advance(2_001);
      expectCode(() => responder.handleProof(wire(proof)), 'handshake-expired');
      expect(responder.pendingHandshakes).toBe(0);

      const slowInitiator = createInitiator({ networkKey, nodeId: 'node-a', clock: clock.now, handshakeTimeoutMs: 1_000 });
      const patient = createResponder({ networkKey, nodeId: 'node-b', clock: clock.now, handshakeTimeoutMs: 60_000 });
      const { confirm } = patient.handleProof(wire(slowInitiator.handleChallenge(wire(patient.handleHello(wire(slowInitiator.hello()))))));
      clock.advance(1_001);
      expectCode(() => slowInitiator.handleConfirm(wire(confirm)), 'handshake-expired');
    });
  });

  describe('untrusted input', () => {
    it('turns any malformed message into a typed error, never a crash', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const good = createInitiator({ networkKey, nodeId: 'node-a' }).hello();
      const inputs: unknown[] = [
        undefined, null, 0, 'hello', [], [good], {},
        { ...good, type: 'trosyn-proof' },
        { ...good, version: '1' },
        { ...good, nodeId: '' },
        { ...good, nodeId: 'a'.repeat(129) },
        { ...good, nodeId: 'node\u0000a' },
        { ...good, nodeId: 42 },
        { ...good, ephemeralKey: good.ephemeralKey.slice(1) },
        { ...good, ephemeralKey: `${good.ephemeralKey}=` },
        { ...good, nonce: undefined },
        { ...good, timestamp: -1 },
        { ...good, timestamp: 1.5 },
        { ...good, timestamp: '1767225600000' },
        { ...good, timestamp: Number.MAX_SAFE_INTEGER + 2 },
        { ...good, ephemeralKey: Buffer.alloc(32).toString('base64url') }, // low-order point
        JSON.parse('{"__proto__": {"version": 1}}') as unknown,
      ];
      for (const input of inputs) expectCode(() => responder.handleHello(input), 'malformed');
      for (const input of inputs) expectCode(() => responder.handleProof(input), 'malformed');
      expect(responder.pendingHandshakes).toBe(0);
    });

    it('reports another protocol version as unsupported-version', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      const hello = createInitiator({ networkKey, nodeId: 'node-a' }).hello();
      const error = expectCode(() => responder.handleHello({ ...hello, version: 2 }), 'unsupported-version');
      expect(error.details).toMatchObject({ version: 2, supported: 1 });
    });

    it('refuses a proof for a handshake it never started', async () => {
      const responder = createResponder({ networkKey: await testKey(), nodeId: 'node-b' });
      const proof = { type: 'trosyn-proof', version: 1, handshakeId: Buffer.alloc(16).toString('base64url'), proof: Buffer.alloc(32).toString('base64url') };
      expectCode(() => responder.handleProof(proof), 'unknown-handshake');
    });

    it('refuses to talk to itself or to an unexpected node', async () => {
      const networkKey = await testKey();
      const responder = createResponder({ networkKey, nodeId: 'node-b' });
      expectCode(() => responder.handleHello(wire(createInitiator({ networkKey, nodeId: 'node-b' }).hello())), 'unexpected-peer');
      const initiator = createInitiator({ networkKey, nodeId: 'node-a', expectedPeerNodeId: 'node-c' });
      expectCode(() => initiator.handleChallenge(wire(responder.handleHello(wire(initiator.hello())))), 'unexpected-peer');
    });
  });

  it('bounds pending handshakes and frees room as they expire', async () => {
    const networkKey = await testKey();
    const clock = manualClock();
    const responder = createResponder({ networkKey, nodeId: 'node-b', clock: clock.now, maxPendingHandshakes: 3, handshakeTimeoutMs: 1_000, maxClockSkewMs: 1_000 });
    for (let i = 0; i < 3; i += 1) responder.handleHello(wire(createInitiator({ networkKey, nodeId: `node-${i}`, clock: clock.now }).hello()));
    const error = expectCode(() => responder.handleHello(wire(createInitiator({ networkKey, nodeId: 'node-x', clock: clock.now }).hello())), 'handshake-capacity');
    expect(error.details['retryAfterMs']).toBe(1_000);
    clock.advance(1_001);
    responder.handleHello(wire(createInitiator({ networkKey, nodeId: 'node-x', clock: clock.now }).hello()));
    expect(responder.pendingHandshakes).toBe(1);
  });

  it('enforces the order of calls and refuses use after dispose', async () => {
    const networkKey = await testKey();
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    expectCode(() => initiator.handleChallenge({}), 'invalid-state');
    expectCode(() => initiator.handleConfirm({}), 'invalid-state');
    initiator.hello();
    expectCode(() => initiator.hello(), 'invalid-state');
    initiator.dispose();
    initiator.dispose();
    expectCode(() => initiator.handleChallenge({}), 'disposed');
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    responder.dispose();
    expectCode(() => responder.handleHello({}), 'disposed');
    networkKey.dispose();
    expectCode(() => createInitiator({ networkKey, nodeId: 'node-a' }), 'disposed');
  });

  it('refuses invalid configuration', async () => {
    const networkKey = await testKey();
    for (const config of [{ nodeId: '' }, { nodeId: 'a', sessionTtlMs: 0 }, { nodeId: 'a', maxClockSkewMs: -1 }, { nodeId: 'a', replayWindow: 100 }, { nodeId: 'a', handshakeTimeoutMs: 1.5 }]) {
      expectCode(() => createResponder({ networkKey, ...config }), 'invalid-config');
    }
    expectCode(() => createResponder({ networkKey, nodeId: 'b', maxPendingHandshakes: 0 }), 'invalid-config');
  });

  it('throws only CryptoError from the handlers, whatever a fuzzer sends', async () => {
    const networkKey = await testKey();
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    const hello = initiator.hello();
    const challenge = responder.handleHello(wire(hello));
    const values: unknown[] = [null, true, -1, 2 ** 60, '', 'x', [], {}, 'A'.repeat(43), Buffer.alloc(32).toString('base64url')];
    let calls = 0;
    for (const field of Object.keys(challenge)) {
      for (const value of values) {
        const probe = createInitiator({ networkKey, nodeId: 'node-a' });
        probe.hello();
        try {
          probe.handleChallenge({ ...challenge, [field]: value });
        } catch (error) {
          expect(error).toBeInstanceOf(CryptoError);
        }
        calls += 1;
      }
    }
    expect(calls).toBe(Object.keys(challenge).length * values.length);
  });
});
