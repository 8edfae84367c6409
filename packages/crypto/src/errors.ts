/**
 * Every reason this package refuses something. Stable strings: the app maps them to HTTP
 * statuses in one place, and logs/metrics can count them.
 *
 * - `weak-secret`: the shared secret is empty or the documented default.
 * - `invalid-config`: a construction option is out of range.
 * - `invalid-argument`: a call argument is out of range (a programming error, not peer input).
 * - `invalid-state`: a handshake object, or a sealed-frame opener, was driven out of order or reused.
 * - `malformed`: untrusted input (a handshake message, an envelope, a token) does not match its
 *   schema. Never a crash: every parser throws this for any shape it does not expect.
 * - `unsupported-version`: the peer speaks another protocol version.
 * - `timestamp-skew`: a timestamp lies outside the allowed clock skew.
 * - `replayed`: a handshake message or a sealed message was already seen.
 * - `outside-window`: a sealed message's sequence is older than the replay window.
 * - `unknown-handshake`: a proof names a handshake the responder never started or has forgotten.
 * - `handshake-expired`: the peer took longer than the handshake timeout.
 * - `handshake-capacity`: the responder already tracks its maximum of pending handshakes.
 * - `unexpected-peer`: the responder is not the node the initiator meant to reach.
 * - `authentication-failed`: a proof did not verify (wrong shared secret, or a man in the middle).
 * - `wrong-session`: an envelope belongs to another session.
 * - `unknown-session`: no session with that id is held (expired, evicted or never created).
 * - `session-expired`: the session's lifetime is over; run a new handshake.
 * - `tampered`: AES-GCM authentication failed: the bytes, header or key are not the sender's.
 * - `sequence-exhausted`: the session has sealed as many messages as a sequence number can count.
 * - `token-invalid`: a session token is malformed, altered, or issued by someone else.
 * - `token-expired`: a session token's lifetime is over.
 * - `disposed`: the object was disposed; create a new one.
 */
export type CryptoErrorCode =
  | 'weak-secret'
  | 'invalid-config'
  | 'invalid-argument'
  | 'invalid-state'
  | 'malformed'
  | 'unsupported-version'
  | 'timestamp-skew'
  | 'replayed'
  | 'outside-window'
  | 'unknown-handshake'
  | 'handshake-expired'
  | 'handshake-capacity'
  | 'unexpected-peer'
  | 'authentication-failed'
  | 'wrong-session'
  | 'unknown-session'
  | 'session-expired'
  | 'tampered'
  | 'sequence-exhausted'
  | 'token-invalid'
  | 'token-expired'
  | 'disposed';

/** Options for {@link CryptoError}. */
export interface CryptoErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** Data that helps diagnose the error. Never secrets or key material. */
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/**
 * The one error class of `@trosyn/crypto`. Switch on {@link CryptoError.code}, never on the
 * message. Messages say what to do; they never contain secrets or key material.
 *
 * @example
 * ```ts
 * try {
 *   session.open(envelope);
 * } catch (error) {
 *   if (error instanceof CryptoError && error.code === 'replayed') return; // drop silently
 *   throw error;
 * }
 * ```
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  /** Why the operation was refused. */
  readonly code: CryptoErrorCode;
  /** Diagnostic data (ids, counts, timestamps), never secrets. */
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: CryptoErrorCode, message: string, options: CryptoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}

/** True when `error` is a {@link CryptoError}, optionally with the given code. */
export function isCryptoError(error: unknown, code?: CryptoErrorCode): error is CryptoError {
  return error instanceof CryptoError && (code === undefined || error.code === code);
}
