/**
 * DNS-SD TXT record strings (RFC 6763 §6): `key=value` pairs, each at most 255 bytes.
 */

/** Longest single TXT string, in bytes (its length is one octet, RFC 6763 §6.1). */
export const MAX_TXT_STRING_BYTES = 255;

/** More pairs than any Trosyn node sends; a longer record is hostile or broken. */
const MAX_TXT_PAIRS = 64;

// RFC 6763 §6.4: keys are printable US-ASCII (0x20–0x7E) other than '='.
const KEY_PATTERN = /^[\x20-\x3c\x3e-\x7e]+$/;

/**
 * Encodes pairs as TXT strings, in the order given.
 *
 * @throws {RangeError} when a key is not printable ASCII without `=` or a pair exceeds 255 bytes.
 */
export function encodeTxt(pairs: Readonly<Record<string, string>>): Buffer[] {
  const strings: Buffer[] = [];
  for (const [key, value] of Object.entries(pairs)) {
    if (!KEY_PATTERN.test(key)) throw new RangeError(`TXT key ${JSON.stringify(key)} must be printable ASCII without '='`);
    const bytes = Buffer.from(`${key}=${value}`, 'utf8');
    if (bytes.length > MAX_TXT_STRING_BYTES) {
      throw new RangeError(`TXT pair ${JSON.stringify(key)} is ${bytes.length} bytes; at most ${MAX_TXT_STRING_BYTES} fit`);
    }
    strings.push(bytes);
  }
  return strings;
}

/**
 * Decodes TXT data as `dns-packet` delivers it (a Buffer, a string or an array of them).
 * Keys are lower-cased (they are case-insensitive, RFC 6763 §6.4); the first occurrence of a
 * key wins (§6.4); strings without `=` are boolean attributes and get the value `''`.
 *
 * @returns the pairs, or `undefined` when the data is not TXT-shaped or is oversized.
 */
export function decodeTxt(data: unknown): Record<string, string> | undefined {
  const items: readonly unknown[] = Array.isArray(data) ? data : [data];
  if (items.length > MAX_TXT_PAIRS) return undefined;
  const pairs: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const item of items) {
    let text: string;
    if (Buffer.isBuffer(item)) {
      if (item.length > MAX_TXT_STRING_BYTES) return undefined;
      text = item.toString('utf8');
    } else if (typeof item === 'string') {
      if (Buffer.byteLength(item) > MAX_TXT_STRING_BYTES) return undefined;
      text = item;
    } else {
      return undefined;
    }
    if (text.length === 0) continue; // RFC 6763 §6.1: an empty record is a single zero-length string
    const eq = text.indexOf('=');
    const key = (eq === -1 ? text : text.slice(0, eq)).toLowerCase();
    // §6.4: a string starting with '=' has no key and is silently ignored.
    if (key.length === 0 || !KEY_PATTERN.test(key)) continue;
    if (Object.hasOwn(pairs, key)) continue;
    pairs[key] = eq === -1 ? '' : text.slice(eq + 1);
  }
  return pairs;
}
