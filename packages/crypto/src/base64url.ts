import { CryptoError } from './errors.js';

const OUTSIDE_ALPHABET = /[^A-Za-z0-9_-]/;
const INDEX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Encodes bytes as unpadded base64url (RFC 4648 §5), the encoding of every binary field on the wire. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes unpadded base64url strictly: only the URL-safe alphabet, no padding, no whitespace, and
 * the unused low bits of the last character must be zero. Node's own decoder ignores stray
 * characters and non-zero trailing bits, which would let two different strings decode to the
 * same bytes; a flipped bit in transit must never go unnoticed.
 *
 * @param field - named in the error, to say which field of a message was malformed.
 * @param length - the exact decoded length required, if any.
 * @throws {@link CryptoError} `malformed`.
 */
export function decodeBase64Url(value: unknown, field: string, length?: number): Buffer {
  if (typeof value !== 'string') throw malformed(field, 'is not a string');
  if (value.length % 4 === 1 || OUTSIDE_ALPHABET.test(value)) throw malformed(field, 'is not unpadded base64url');
  const tail = value.length % 4;
  if (tail !== 0) {
    // 2 chars carry 1 byte (4 spare bits), 3 chars carry 2 bytes (2 spare bits).
    const last = INDEX.indexOf(value[value.length - 1]!);
    const spareMask = tail === 2 ? 0b1111 : 0b11;
    if ((last & spareMask) !== 0) throw malformed(field, 'is not canonical base64url');
  }
  // The alphabet is checked above; Node's 'base64' decoder accepts the URL-safe alphabet too and
  // is markedly faster than its 'base64url' one (it matters for 64 KB envelopes).
  const bytes = Buffer.from(value, 'base64');
  if (length !== undefined && bytes.length !== length) {
    throw malformed(field, `must decode to ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function malformed(field: string, problem: string): CryptoError {
  return new CryptoError('malformed', `Field "${field}" ${problem}.`, { details: { field } });
}
