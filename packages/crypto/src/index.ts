/**
 * `@trosyn/crypto`: node authentication by shared secret, a forward-secret handshake, AES-256-GCM
 * sealing with replay protection, session tokens and rate limiting for Trosyn LAN sync. Pure
 * library: no sockets, no HTTP. libsodium is loaded lazily by {@link deriveNetworkKey}. The
 * building blocks (AES-256-GCM, HMAC, message and frame parsers, the replay window's bounds) are
 * in `@trosyn/crypto/primitives`.
 *
 * @packageDocumentation
 */
export { CryptoError, isCryptoError, type CryptoErrorCode, type CryptoErrorOptions } from './errors.js';
export type { Clock } from './clock.js';
export {
  deriveNetworkKey,
  DEFAULT_NETWORK_LABEL,
  DEFAULT_PWHASH_MEM_LIMIT,
  DEFAULT_PWHASH_OPS_LIMIT,
  DEFAULT_SHARED_SECRET,
  MIN_PWHASH_MEM_LIMIT,
  MIN_PWHASH_OPS_LIMIT,
  SHARED_SECRET_ENV_VAR,
  type NetworkKey,
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
  type ChallengeMessage,
  type ConfirmMessage,
  type HandshakeMessage,
  type HelloMessage,
  type ProofMessage,
} from './handshake-messages.js';
export { createInitiator, type Initiator, type InitiatorConfig, type InitiatorState } from './initiator.js';
export { createResponder, DEFAULT_MAX_PENDING_HANDSHAKES, type HandshakeResult, type Responder, type ResponderConfig } from './responder.js';
export type { Envelope, OpenedMessage, SealedFramePieces, Session, SessionRole } from './session.js';
export { SEALED_FRAME_HEADER_BYTES } from './sealed-frame.js';
export type { FrameStreamOptions, OpenedFramePieces, SealedFrameOpener } from './sealed-frame-opener.js';
export { StreamHold } from './stream-hold.js';
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
