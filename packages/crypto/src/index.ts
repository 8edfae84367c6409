/**
 * `@trosyn/crypto`: node authentication by shared secret, a forward-secret handshake, AES-256-GCM
 * sealing with replay protection, session tokens and rate limiting for Trosyn LAN sync. Pure
 * library: no sockets, no HTTP. libsodium is loaded lazily by {@link deriveNetworkKey}.
 *
 * @packageDocumentation
 */
export { CryptoError, isCryptoError, type CryptoErrorCode, type CryptoErrorOptions } from './errors.js';
export type { Clock } from './clock.js';
export {
  deriveNetworkKey,
  networkKeySalt,
  DEFAULT_NETWORK_LABEL,
  DEFAULT_PWHASH_MEM_LIMIT,
  DEFAULT_PWHASH_OPS_LIMIT,
  DEFAULT_SHARED_SECRET,
  MIN_PWHASH_MEM_LIMIT,
  MIN_PWHASH_OPS_LIMIT,
  SHARED_SECRET_ENV_VAR,
  type NetworkKey,
  hasNativeArgon2,
  type NetworkKeyBackend,
  type NetworkKeyOptions,
} from './network-key.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_SESSION_TTL_MS,
  type HandshakeConfig,
} from './handshake-config.js';
export {
  PROTOCOL_VERSION,
  parseChallengeMessage,
  parseConfirmMessage,
  parseHelloMessage,
  parseProofMessage,
  type ChallengeMessage,
  type ConfirmMessage,
  type HandshakeMessage,
  type HelloMessage,
  type ParsedChallenge,
  type ParsedConfirm,
  type ParsedHello,
  type ParsedProof,
  type ProofMessage,
} from './handshake-messages.js';
export { createInitiator, type Initiator, type InitiatorConfig, type InitiatorState } from './initiator.js';
export { createResponder, DEFAULT_MAX_PENDING_HANDSHAKES, type HandshakeResult, type Responder, type ResponderConfig } from './responder.js';
export { parseEnvelope, type Envelope, type OpenedMessage, type Session, type SessionRole } from './session.js';
export type { ParsedEnvelope } from './parsed-envelope.js';
export { parseSealedFrame, SEALED_FRAME_HEADER_BYTES, SEALED_FRAME_MAX_AD_BYTES } from './sealed-frame.js';
export { DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW } from './replay-window.js';
export { createSessionStore, DEFAULT_MAX_SESSIONS, type OpenedEnvelope, type SessionStore, type SessionStoreConfig } from './session-store.js';
export {
  createTokenSigner,
  DEFAULT_TOKEN_TTL_MS,
  type IssueTokenOptions,
  type TokenClaims,
  type TokenSigner,
  type TokenSignerConfig,
} from './session-token.js';
export { createRateLimiter, DEFAULT_RATE_LIMITER_MAX_KEYS, type RateLimitDecision, type RateLimiter, type RateLimiterConfig } from './rate-limiter.js';
export { hmacSha256, verifyHmacSha256, HMAC_SHA256_BYTES } from './hmac-sha256.js';
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
