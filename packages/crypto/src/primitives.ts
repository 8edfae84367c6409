/**
 * `@trosyn/crypto/primitives`: the building blocks under the handshake and sessions, for tools
 * and tests that need them: AES-256-GCM and HMAC-SHA256 over OpenSSL, the parsers of handshake
 * messages, envelopes and sealed frames (each validates a body alone), the network key's salt
 * and backend probe, the replay window's bounds.
 * @packageDocumentation
 */
export {
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  aes256GcmOpen,
  aes256GcmSeal,
  importAes256GcmKey,
  AES_256_GCM_KEY_BYTES,
  AES_256_GCM_NONCE_BYTES,
  AES_256_GCM_TAG_BYTES,
  type Aes256GcmKey,
  type Aes256GcmSealed,
} from './aes-256-gcm.js';
export { hmacSha256, verifyHmacSha256, HMAC_SHA256_BYTES } from './hmac-sha256.js';
export {
  parseChallengeMessage,
  parseConfirmMessage,
  parseHelloMessage,
  parseProofMessage,
  type ParsedChallenge,
  type ParsedConfirm,
  type ParsedHello,
  type ParsedProof,
} from './handshake-messages.js';
export { parseEnvelope } from './session.js';
export type { ParsedEnvelope } from './parsed-envelope.js';
export { parseSealedFrame, SEALED_FRAME_HEADER_BYTES, SEALED_FRAME_MAX_AD_BYTES } from './sealed-frame.js';
export { DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW } from './replay-window.js';
export { networkKeySalt, hasNativeArgon2 } from './network-key.js';
