import { createHmac, timingSafeEqual } from 'node:crypto';

/** Length in bytes of an HMAC-SHA256 tag. */
export const HMAC_SHA256_BYTES = 32;

/**
 * HMAC-SHA256 (RFC 2104 with SHA-256) over the concatenation of `parts`, through `node:crypto`:
 * libsodium's WebAssembly build has no HMAC-SHA256 with arbitrary key lengths in its wrappers,
 * and OpenSSL's is faster.
 *
 * @example
 * ```ts
 * const tag = hmacSha256(key, new TextEncoder().encode('message'));
 * ```
 */
export function hmacSha256(key: Uint8Array, ...parts: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/**
 * Checks an HMAC-SHA256 tag in constant time (for equal lengths; a wrong length is rejected
 * at once, which reveals nothing since the length is public). Returns `false` on mismatch.
 */
export function verifyHmacSha256(key: Uint8Array, tag: Uint8Array, ...parts: readonly Uint8Array[]): boolean {
  const expected = hmacSha256(key, ...parts);
  return tag.length === expected.length && timingSafeEqual(expected, tag);
}
