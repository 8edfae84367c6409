/** One field of a length-prefixed encoding: bytes, a UTF-8 string, or a non-negative safe integer. */
export type LengthPrefixedField = Uint8Array | string | number;

/**
 * Concatenates fields, each preceded by its byte length as a 32-bit big-endian integer; numbers
 * are encoded as 64-bit big-endian unsigned integers. Length prefixes make the encoding injective:
 * no two different field lists give the same bytes, so a MAC over it binds every field exactly
 * (plain concatenation would let "ab"+"c" and "a"+"bc" collide).
 */
export function lengthPrefixed(...fields: readonly LengthPrefixedField[]): Buffer {
  const encoded = fields.map(encodeField);
  let total = 0;
  for (const part of encoded) total += 4 + part.length;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const part of encoded) {
    offset = out.writeUInt32BE(part.length, offset);
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A non-negative safe integer as 8 big-endian bytes. */
export function uint64BE(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a non-negative safe integer: ${value}`);
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(Math.floor(value / 0x1_0000_0000), 0);
  out.writeUInt32BE(value >>> 0, 4);
  return out;
}

function encodeField(field: LengthPrefixedField): Uint8Array {
  if (typeof field === 'string') return Buffer.from(field, 'utf8');
  if (typeof field === 'number') return uint64BE(field);
  return field;
}
