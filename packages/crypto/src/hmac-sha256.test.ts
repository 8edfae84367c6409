import { describe, expect, it } from 'vitest';
import { hmacSha256, verifyHmacSha256 } from './hmac-sha256.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const text = (value: string): Buffer => Buffer.from(value, 'utf8');

// RFC 4231 §4.2–4.8, HMAC-SHA-256 results.
const RFC_4231 = [
  { name: 'test case 1', key: hex('0b'.repeat(20)), data: text('Hi There'), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { name: 'test case 2', key: text('Jefe'), data: text('what do ya want for nothing?'), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { name: 'test case 3', key: hex('aa'.repeat(20)), data: hex('dd'.repeat(50)), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  {
    name: 'test case 4',
    key: hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    data: hex('cd'.repeat(50)),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  {
    name: 'test case 6',
    key: hex('aa'.repeat(131)),
    data: text('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'test case 7',
    key: hex('aa'.repeat(131)),
    data: text('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
] as const;

describe('hmacSha256', () => {
  for (const vector of RFC_4231) {
    it(`matches RFC 4231 ${vector.name}`, () => {
      expect(hmacSha256(vector.key, vector.data).toString('hex')).toBe(vector.mac);
    });
  }

  it('matches RFC 4231 test case 5 (truncated to 128 bits)', () => {
    const mac = hmacSha256(hex('0c'.repeat(20)), text('Test With Truncation'));
    expect(mac.subarray(0, 16).toString('hex')).toBe('a3b6167473100ee06e0c796c2955552b');
  });

  it('hashes the concatenation of its parts', () => {
    const { key, data, mac } = RFC_4231[6 - 2]!; // test case 6
    expect(hmacSha256(key, data.subarray(0, 7), data.subarray(7, 20), data.subarray(20)).toString('hex')).toBe(mac);
  });
});

describe('verifyHmacSha256', () => {
  const { key, data, mac } = RFC_4231[1]!;

  it('accepts the RFC 4231 tag', () => {
    expect(verifyHmacSha256(key, hex(mac), data)).toBe(true);
  });

  it('rejects every single-bit change of the tag, a truncated tag and other data', () => {
    const tag = hex(mac);
    for (let bit = 0; bit < tag.length * 8; bit += 1) {
      const flipped = Buffer.from(tag);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyHmacSha256(key, flipped, data)).toBe(false);
    }
    expect(verifyHmacSha256(key, tag.subarray(0, 16), data)).toBe(false);
    expect(verifyHmacSha256(key, tag, text('what do ya want for nothing!'))).toBe(false);
  });
});
