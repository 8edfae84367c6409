import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';

describe('base64url', () => {
  it('round-trips every length from 0 to 40 bytes', () => {
    for (let length = 0; length <= 40; length += 1) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) & 0xff));
      const encoded = encodeBase64Url(bytes);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(decodeBase64Url(encoded, 'f').equals(bytes)).toBe(true);
    }
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const whole = Buffer.from('0123456789');
    expect(encodeBase64Url(whole.subarray(2, 5))).toBe(Buffer.from('234').toString('base64url'));
  });

  it('refuses padding, the standard alphabet, whitespace and non-strings as malformed', () => {
    for (const bad of ['AA==', 'ab+c', 'ab/c', 'ab c', ' abc', 'abc\n', 'A', 'abcde', 42, null, undefined, {}]) {
      expect(() => decodeBase64Url(bad, 'field')).toThrow(expect.objectContaining({ code: 'malformed', details: { field: 'field' } }));
    }
  });

  it('refuses non-canonical trailing bits that Node would silently ignore', () => {
    // "AB" and "AA" both decode to 0x00 in Node; only "AA" is canonical.
    expect(Buffer.from('AB', 'base64url').equals(Buffer.from('AA', 'base64url'))).toBe(true);
    expect(decodeBase64Url('AA', 'f').equals(Buffer.of(0))).toBe(true);
    expect(() => decodeBase64Url('AB', 'f')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => decodeBase64Url('AAB', 'f')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(decodeBase64Url('AAE', 'f').equals(Buffer.of(0, 1))).toBe(true);
  });

  it('enforces an exact decoded length when asked', () => {
    expect(() => decodeBase64Url(encodeBase64Url(Buffer.alloc(31)), 'key', 32)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(decodeBase64Url(encodeBase64Url(Buffer.alloc(32)), 'key', 32)).toHaveLength(32);
  });
});
