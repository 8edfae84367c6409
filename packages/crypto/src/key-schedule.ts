import { createHash, hkdfSync } from 'node:crypto';
import { PROTOCOL_VERSION, SESSION_ID_BYTES } from './handshake-messages.js';
import { hmacSha256 } from './hmac-sha256.js';
import { lengthPrefixed } from './length-prefixed.js';

/** Every field both sides exchanged in messages 1 and 2. */
export interface Transcript {
  readonly handshakeId: Uint8Array;
  readonly initiatorNodeId: string;
  readonly responderNodeId: string;
  readonly initiatorEphemeralKey: Uint8Array;
  readonly responderEphemeralKey: Uint8Array;
  readonly initiatorNonce: Uint8Array;
  readonly responderNonce: Uint8Array;
  readonly initiatorTimestamp: number;
  readonly responderTimestamp: number;
}

/** Keys and ids derived from one handshake. Wipe with {@link wipeHandshakeSecrets}. */
export interface HandshakeSecrets {
  readonly initiatorProofKey: Buffer;
  readonly responderProofKey: Buffer;
  readonly initiatorToResponderKey: Buffer;
  readonly responderToInitiatorKey: Buffer;
  readonly sessionId: Buffer;
}

const KEY_BYTES = 32;

/**
 * SHA-256 of the length-prefixed transcript: protocol label and version, handshake id, both node
 * ids, both ephemeral keys, both nonces, both timestamps. Both proofs and every session key are
 * bound to it, so changing any field (a swapped ephemeral key, above all) breaks the handshake.
 */
export function transcriptHash(t: Transcript): Buffer {
  return createHash('sha256')
    .update(
      lengthPrefixed(
        'trosyn/handshake',
        PROTOCOL_VERSION,
        t.handshakeId,
        t.initiatorNodeId,
        t.responderNodeId,
        t.initiatorEphemeralKey,
        t.responderEphemeralKey,
        t.initiatorNonce,
        t.responderNonce,
        t.initiatorTimestamp,
        t.responderTimestamp,
      ),
    )
    .digest();
}

/**
 * The key schedule. HKDF-SHA256 (RFC 5869) with
 * - IKM = the two `crypto_kx` session keys, initiator's tx ‖ initiator's rx (64 bytes, from the
 *   ephemeral X25519 exchange: what gives forward secrecy),
 * - salt = the network key (what authenticates: without it, no proof verifies),
 * - info = "trosyn/session-keys/v1" ‖ transcript hash,
 * split into: initiator proof key, responder proof key, initiator→responder AES key,
 * responder→initiator AES key (32 bytes each) and the 16-byte session id.
 *
 * Because the proof keys depend on the ephemeral exchange too, a passive eavesdropper cannot test
 * passphrase guesses against a recorded handshake; only an active attacker who completes the
 * exchange with a node can, and that costs one Argon2id per guess.
 */
export function deriveHandshakeSecrets(networkKey: Uint8Array, kxMaterial: Uint8Array, transcript: Buffer): HandshakeSecrets {
  const info = Buffer.concat([Buffer.from('trosyn/session-keys/v1', 'utf8'), transcript]);
  const okm = Buffer.from(hkdfSync('sha256', kxMaterial, networkKey, info, 4 * KEY_BYTES + SESSION_ID_BYTES));
  const take = (index: number, length: number): Buffer => Buffer.from(okm.subarray(index, index + length));
  const secrets: HandshakeSecrets = {
    initiatorProofKey: take(0, KEY_BYTES),
    responderProofKey: take(KEY_BYTES, KEY_BYTES),
    initiatorToResponderKey: take(2 * KEY_BYTES, KEY_BYTES),
    responderToInitiatorKey: take(3 * KEY_BYTES, KEY_BYTES),
    sessionId: take(4 * KEY_BYTES, SESSION_ID_BYTES),
  };
  okm.fill(0);
  return secrets;
}

/** Message 3's proof: HMAC-SHA256(initiator proof key, "trosyn/initiator-proof" ‖ transcript hash). */
export function initiatorProof(secrets: HandshakeSecrets, transcript: Buffer): Buffer {
  return hmacSha256(secrets.initiatorProofKey, lengthPrefixed('trosyn/initiator-proof', transcript));
}

/**
 * Message 4's proof: HMAC-SHA256(responder proof key, "trosyn/responder-proof" ‖ transcript hash ‖
 * session id ‖ expiry). Separate keys and labels per role: a proof cannot be reflected back.
 */
export function responderProof(secrets: HandshakeSecrets, transcript: Buffer, expiresAt: number): Buffer {
  return hmacSha256(secrets.responderProofKey, lengthPrefixed('trosyn/responder-proof', transcript, secrets.sessionId, expiresAt));
}

/** Overwrites every derived key with zeros. */
export function wipeHandshakeSecrets(secrets: HandshakeSecrets): void {
  secrets.initiatorProofKey.fill(0);
  secrets.responderProofKey.fill(0);
  secrets.initiatorToResponderKey.fill(0);
  secrets.responderToInitiatorKey.fill(0);
}
