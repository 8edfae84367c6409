// Protocol-level tests: a second, hand-written implementation of the documented key schedule
// (README "Protocol") talks to the real responder, and an attacker with a recorded transcript and
// the shared secret tries to recover session keys.
import { describe, expect, it } from 'vitest';
import { aes256GcmDecrypt } from '../src/aes-256-gcm.js';
import { createInitiator, createResponder, type ChallengeMessage, type ConfirmMessage, type Envelope, type HelloMessage, type ProofMessage } from '../src/index.js';
import { deriveHandshakeSecrets, initiatorProof, responderProof, transcriptHash, type HandshakeSecrets } from '../src/key-schedule.js';
import { lengthPrefixed } from '../src/length-prefixed.js';
import { networkKeyBytes } from '../src/network-key.js';
import { loadSodium } from '../src/sodium.js';
import { expectCode, testKey, wire } from './helpers.js';

const b64 = (value: string): Buffer => Buffer.from(value, 'base64url');

/** Opens an envelope from the responder with a given responder→initiator key, per the documented format. */
function openWith(secrets: HandshakeSecrets, envelope: Envelope): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(2, 0); // responder → initiator
  nonce.writeUInt32BE(Math.floor(envelope.sequence / 2 ** 32), 4);
  nonce.writeUInt32BE(envelope.sequence >>> 0, 8);
  const ad = envelope.associatedData === undefined ? new Uint8Array(0) : b64(envelope.associatedData);
  const header = lengthPrefixed('trosyn/envelope', 1, b64(envelope.sessionId), envelope.sequence, envelope.timestamp, ad);
  return aes256GcmDecrypt(secrets.responderToInitiatorKey, nonce, b64(envelope.ciphertext), b64(envelope.tag), header);
}

function transcriptOf(hello: HelloMessage, challenge: ChallengeMessage): Buffer {
  return transcriptHash({
    handshakeId: b64(challenge.handshakeId),
    initiatorNodeId: hello.nodeId,
    responderNodeId: challenge.nodeId,
    initiatorEphemeralKey: b64(hello.ephemeralKey),
    responderEphemeralKey: b64(challenge.ephemeralKey),
    initiatorNonce: b64(hello.nonce),
    responderNonce: b64(challenge.nonce),
    initiatorTimestamp: hello.timestamp,
    responderTimestamp: challenge.timestamp,
  });
}

describe('key schedule', () => {
  it('is what the README documents: a hand-written initiator completes a handshake and reads sealed data', async () => {
    const sodium = await loadSodium();
    const networkKey = await testKey();
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const ephemeral = sodium.crypto_kx_keypair();
    const hello: HelloMessage = {
      type: 'trosyn-hello',
      version: 1,
      nodeId: 'hand-written',
      ephemeralKey: Buffer.from(ephemeral.publicKey).toString('base64url'),
      nonce: Buffer.from(sodium.randombytes_buf(32)).toString('base64url'),
      timestamp: Date.now(),
    };
    const challenge = wire(responder.handleHello(hello)) as ChallengeMessage;
    const kx = sodium.crypto_kx_client_session_keys(ephemeral.publicKey, ephemeral.privateKey, b64(challenge.ephemeralKey));
    const transcript = transcriptOf(hello, challenge);
    const secrets = deriveHandshakeSecrets(networkKeyBytes(networkKey), Buffer.concat([kx.sharedTx, kx.sharedRx]), transcript);
    const proof: ProofMessage = { type: 'trosyn-proof', version: 1, handshakeId: challenge.handshakeId, proof: initiatorProof(secrets, transcript).toString('base64url') };
    const { confirm, session } = responder.handleProof(proof);
    expect(confirm.sessionId).toBe(secrets.sessionId.toString('base64url'));
    expect(b64(confirm.proof).equals(responderProof(secrets, transcript, confirm.expiresAt))).toBe(true);
    expect(openWith(secrets, session.seal('readable by the real initiator', 'ad')).toString()).toBe('readable by the real initiator');
  });
});

describe('forward secrecy', () => {
  it('a recorded transcript plus the shared secret does not yield the session keys', async () => {
    const sodium = await loadSodium();
    const secret = 'the office secret';
    const networkKey = await testKey(secret);
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    // Everything on the wire is recorded.
    const hello = wire(initiator.hello()) as HelloMessage;
    const challenge = wire(responder.handleHello(hello)) as ChallengeMessage;
    const proof = wire(initiator.handleChallenge(challenge)) as ProofMessage;
    const result = responder.handleProof(proof);
    const confirm = wire(result.confirm) as ConfirmMessage;
    const session = initiator.handleConfirm(confirm);
    const recorded = wire(result.session.seal('quarterly figures')) as Envelope;
    expect(session.open(recorded).plaintext.toString()).toBe('quarterly figures');

    // Later the shared secret leaks: the attacker derives the network key and the transcript hash.
    const stolenKey = networkKeyBytes(await testKey(secret));
    const transcript = transcriptOf(hello, challenge);
    const own = sodium.crypto_kx_keypair();
    const asClient = sodium.crypto_kx_client_session_keys(own.publicKey, own.privateKey, b64(challenge.ephemeralKey));
    const asServer = sodium.crypto_kx_server_session_keys(own.publicKey, own.privateKey, b64(hello.ephemeralKey));
    const guesses: Record<string, Uint8Array> = {
      'no ephemeral material': new Uint8Array(64),
      'the two public keys': Buffer.concat([b64(hello.ephemeralKey), b64(challenge.ephemeralKey)]),
      'the public keys hashed like kx': sodium.crypto_generichash(64, Buffer.concat([new Uint8Array(32), b64(hello.ephemeralKey), b64(challenge.ephemeralKey)]), null),
      "an exchange with the attacker's own key (as initiator)": Buffer.concat([asClient.sharedTx, asClient.sharedRx]),
      "an exchange with the attacker's own key (as responder)": Buffer.concat([asServer.sharedRx, asServer.sharedTx]),
      'the network key itself': Buffer.concat([stolenKey, stolenKey]),
    };
    for (const [name, material] of Object.entries(guesses)) {
      const secrets = deriveHandshakeSecrets(stolenKey, material, transcript);
      expect(secrets.sessionId.toString('base64url'), name).not.toBe(confirm.sessionId);
      expect(responderProof(secrets, transcript, confirm.expiresAt).toString('base64url'), name).not.toBe(confirm.proof);
      expectCode(() => openWith(secrets, recorded), 'tampered');
    }
  });

  it('wipes ephemeral and handshake secrets: a finished or failed handshake cannot be driven further', async () => {
    const networkKey = await testKey();
    const responder = createResponder({ networkKey, nodeId: 'node-b' });
    const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
    const { confirm } = responder.handleProof(wire(initiator.handleChallenge(wire(responder.handleHello(wire(initiator.hello()))))));
    initiator.handleConfirm(wire(confirm));
    expect(initiator.state).toBe('complete');
    expectCode(() => initiator.handleConfirm(wire(confirm)), 'invalid-state');
    expect(responder.pendingHandshakes).toBe(1); // only a replay guard, without keys
  });
});
