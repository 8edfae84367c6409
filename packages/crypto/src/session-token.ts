import { randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { systemClock, type Clock } from './clock.js';
import { CryptoError } from './errors.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, positiveInteger } from './handshake-config.js';
import { checkNodeId } from './handshake-messages.js';
import { hmacSha256 } from './hmac-sha256.js';

/** Default token lifetime: 5 minutes. */
export const DEFAULT_TOKEN_TTL_MS = 5 * 60_000;
/** Format tag at the start of every token; bump it if the payload ever changes. */
export const TOKEN_PREFIX = 'tsn1';
/** Longest token accepted, in characters. */
export const MAX_TOKEN_LENGTH = 2048;
const MIN_KEY_BYTES = 32;
const TAG_BYTES = 32;
const TOKEN_ID_BYTES = 12;

/** Configuration of {@link createTokenSigner}. */
export interface TokenSignerConfig {
  /** Who issues the tokens, normally this node's id. Tokens from any other issuer are refused. */
  readonly issuer: string;
  /**
   * HMAC-SHA256 key, at least 32 bytes; copied. Default: 32 random bytes, so tokens die with the
   * process, which suits short-lived tokens. Give a key to share verification between processes.
   */
  readonly key?: Uint8Array;
  /** Default lifetime of issued tokens. Default 5 minutes. */
  readonly ttlMs?: number;
  /** Tolerance for a token issued "in the future" by a clock slightly ahead. Default 30 s. */
  readonly maxClockSkewMs?: number;
  /** Injected clock. Default `Date.now`. */
  readonly clock?: Clock;
}

/** Options of {@link TokenSigner.issue}. */
export interface IssueTokenOptions {
  /** Whom the token is for, normally the peer's node id. */
  readonly subject: string;
  /** The session the token belongs to, if any. */
  readonly sessionId?: string;
  /** Lifetime of this token; default the signer's `ttlMs`. */
  readonly ttlMs?: number;
}

/** The verified contents of a token. */
export interface TokenClaims {
  /** Issuer. */
  readonly iss: string;
  /** Subject. */
  readonly sub: string;
  /** Session id, if the token was bound to one. */
  readonly sid?: string;
  /** Issued at, ms since the epoch. */
  readonly iat: number;
  /** Expires at, ms since the epoch. */
  readonly exp: number;
  /** Random token id (96 bits), for logs or a deny-list. */
  readonly jti: string;
}

/**
 * Short-lived session tokens, verifiable statelessly: `tsn1.<payload>.<tag>`, where payload is the
 * base64url JSON of {@link TokenClaims} and tag is HMAC-SHA256(key, "tsn1." ‖ payload).
 *
 * Uses `node:crypto` (HMAC, random bytes, constant-time comparison) rather than libsodium so it
 * works synchronously without waiting for the WebAssembly module.
 *
 * A token is a bearer credential until it expires: anyone who reads it can use it. Send it only
 * over a protected channel, keep lifetimes short, and bind it to a session id the server still holds.
 *
 * @example
 * ```ts
 * const tokens = createTokenSigner({ issuer: 'node-b' });
 * const token = tokens.issue({ subject: session.peerNodeId, sessionId: session.id });
 * const claims = tokens.verify(token); // throws token-invalid / token-expired
 * ```
 */
export class TokenSigner {
  /** The issuer this signer writes and requires. */
  readonly issuer: string;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #maxClockSkewMs: number;
  readonly #clock: Clock;
  #disposed = false;

  /** @internal Use {@link createTokenSigner}. */
  constructor(config: TokenSignerConfig) {
    this.issuer = checkNodeId(config.issuer, 'issuer', 'invalid-config');
    if (config.key !== undefined && (!(config.key instanceof Uint8Array) || config.key.length < MIN_KEY_BYTES)) {
      throw new CryptoError('invalid-config', `The token key must be at least ${MIN_KEY_BYTES} bytes.`);
    }
    this.#key = config.key === undefined ? randomBytes(MIN_KEY_BYTES) : Buffer.from(config.key);
    this.#ttlMs = positiveInteger('ttlMs', config.ttlMs ?? DEFAULT_TOKEN_TTL_MS);
    this.#maxClockSkewMs = positiveInteger('maxClockSkewMs', config.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
    this.#clock = config.clock ?? systemClock;
  }

  /**
   * Issues a token.
   * @throws {@link CryptoError} `invalid-argument` for a bad subject or lifetime, `disposed`.
   */
  issue(options: IssueTokenOptions): string {
    this.#assertUsable();
    const subject = checkNodeId(options.subject, 'subject', 'invalid-argument');
    const ttlMs = options.ttlMs ?? this.#ttlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new CryptoError('invalid-argument', `ttlMs must be a positive integer, got ${String(ttlMs)}.`);
    if (options.sessionId !== undefined && (typeof options.sessionId !== 'string' || options.sessionId.length > 64)) {
      throw new CryptoError('invalid-argument', 'sessionId must be a string of at most 64 characters.');
    }
    const iat = this.#clock();
    const claims: TokenClaims = {
      iss: this.issuer,
      sub: subject,
      ...(options.sessionId === undefined ? {} : { sid: options.sessionId }),
      iat,
      exp: iat + ttlMs,
      jti: encodeBase64Url(randomBytes(TOKEN_ID_BYTES)),
    };
    const signed = `${TOKEN_PREFIX}.${encodeBase64Url(Buffer.from(JSON.stringify(claims), 'utf8'))}`;
    return `${signed}.${encodeBase64Url(hmacSha256(this.#key, Buffer.from(signed, 'utf8')))}`;
  }

  /**
   * Verifies an untrusted token: format, tag (constant time), issuer, lifetime.
   * @throws {@link CryptoError} `token-invalid` (malformed, altered, or another issuer's),
   *   `token-expired`, `disposed`.
   */
  verify(token: unknown): TokenClaims {
    this.#assertUsable();
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalid('not a token string of acceptable length');
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) throw invalid(`not a ${TOKEN_PREFIX} token`);
    let payload: Buffer;
    let tag: Buffer;
    try {
      payload = decodeBase64Url(parts[1], 'payload');
      tag = decodeBase64Url(parts[2], 'tag', TAG_BYTES);
    } catch (cause) {
      throw invalid('not base64url', cause);
    }
    const expected = hmacSha256(this.#key, Buffer.from(`${parts[0]}.${parts[1]}`, 'utf8'));
    if (!timingSafeEqual(expected, tag)) throw invalid('signature does not verify (altered, or signed with another key)');
    // Signed by our key, so the payload is our own JSON; still checked, keys can be shared.
    const claims = parseClaims(payload);
    if (claims.iss !== this.issuer) throw invalid(`issued by "${claims.iss}", not "${this.issuer}"`);
    const now = this.#clock();
    if (claims.iat > now + this.#maxClockSkewMs) throw invalid('issued in the future');
    if (now >= claims.exp) {
      throw new CryptoError('token-expired', 'The session token has expired; authenticate again.', { details: { exp: claims.exp, now, sub: claims.sub } });
    }
    return claims;
  }

  /** Wipes the key. Idempotent; `issue` and `verify` then throw `disposed`. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#key.fill(0);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #assertUsable(): void {
    if (this.#disposed) throw new CryptoError('disposed', 'The token signer was disposed.');
  }
}

/** Creates a {@link TokenSigner}. */
export function createTokenSigner(config: TokenSignerConfig): TokenSigner {
  return new TokenSigner(config);
}

function parseClaims(payload: Buffer): TokenClaims {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (cause) {
    throw invalid('payload is not JSON', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('payload is not an object');
  const record = value as Record<string, unknown>;
  const { iss, sub, sid, iat, exp, jti } = record;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof jti !== 'string') throw invalid('payload lacks iss, sub or jti');
  if (sid !== undefined && typeof sid !== 'string') throw invalid('sid is not a string');
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw invalid('iat or exp is not an integer');
  return { iss, sub, ...(sid === undefined ? {} : { sid }), iat: iat as number, exp: exp as number, jti };
}

function invalid(reason: string, cause?: unknown): CryptoError {
  return new CryptoError('token-invalid', `The session token is invalid: ${reason}.`, { cause, details: { reason } });
}
