import { CryptoError } from './errors.js';

/** Encodes bytes as unpadded base64url (RFC 4648 §5), the encoding of every binary field on the wire. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes unpadded base64url strictly: only the URL-safe alphabet, no padding, no whitespace, and
 * the unused low bits of the last character zero. Node's own decoder skips stray characters and
 * ignores non-zero trailing bits, which would let two different strings decode to the same bytes;
 * a flipped bit in transit must never go unnoticed.
 *
 * The check is a round trip: the input is accepted only if re-encoding the decoded bytes gives
 * the input back. Node's encoder only emits canonical unpadded base64url, so that single string
 * comparison covers alphabet, padding and trailing bits, and is cheaper than scanning a 64 KB
 * ciphertext with a regular expression first.
 *
 * @param field - named in the error, to say which field of a message was malformed.
 * @param length - the exact decoded length required, if any.
 * @throws {@link CryptoError} `malformed`.
 */
export function decodeBase64Url(value: unknown, field: string, length?: number): Buffer {
  if (typeof value !== 'string') throw malformed(field, 'is not a string');
  if (value.length % 4 === 1) throw malformed(field, 'is not unpadded base64url');
  // Node's 'base64' decoder also accepts the URL-safe alphabet and is faster than its 'base64url' one.
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64url') !== value) throw malformed(field, 'is not canonical unpadded base64url');
  if (length !== undefined && bytes.length !== length) {
    throw malformed(field, `must decode to ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function malformed(field: string, problem: string): CryptoError {
  return new CryptoError('malformed', `Field "${field}" ${problem}.`, { details: { field } });
}
