import { describe, expect, it } from 'vitest';
import { decodeTxt, encodeTxt } from './txt-record.js';

describe('encodeTxt / decodeTxt', () => {
  it('round-trips pairs, including UTF-8 values and empty values', () => {
    const pairs = { txtvers: '1', id: 'node-a', name: 'Bureau d’accueil ☕', flag: '' };
    const encoded = encodeTxt(pairs);
    expect(encoded.map((b) => b.toString())).toEqual(['txtvers=1', 'id=node-a', 'name=Bureau d’accueil ☕', 'flag=']);
    expect(decodeTxt(encoded)).toEqual(pairs);
  });

  it('lower-cases keys and keeps the first of duplicate keys (RFC 6763 §6.4)', () => {
    expect(decodeTxt([Buffer.from('ID=first'), Buffer.from('id=second')])).toEqual({ id: 'first' });
  });

  it('reads a string without "=" as a boolean attribute and ignores strings starting with "="', () => {
    expect(decodeTxt([Buffer.from('secure'), Buffer.from('=orphan'), Buffer.alloc(0)])).toEqual({ secure: '' });
  });

  it('keeps "=" inside values', () => {
    expect(decodeTxt([Buffer.from('fp=ab==')])).toEqual({ fp: 'ab==' });
  });

  it('rejects data that is not TXT-shaped', () => {
    expect(decodeTxt(42)).toBeUndefined();
    expect(decodeTxt([{ evil: true }])).toBeUndefined();
    expect(decodeTxt(Array.from({ length: 65 }, () => Buffer.from('a=b')))).toBeUndefined();
    expect(decodeTxt([Buffer.alloc(256, 0x61)])).toBeUndefined();
  });

  it('accepts a bare Buffer or string', () => {
    expect(decodeTxt(Buffer.from('a=1'))).toEqual({ a: '1' });
    expect(decodeTxt('b=2')).toEqual({ b: '2' });
  });

  it('does not let a key named __proto__ touch the prototype', () => {
    const decoded = decodeTxt([Buffer.from('__proto__=x')])!;
    expect(decoded['__proto__']).toBe('x');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('refuses keys with "=" or non-printable characters and pairs over 255 bytes', () => {
    expect(() => encodeTxt({ 'a=b': 'c' })).toThrow(RangeError);
    expect(() => encodeTxt({ 'k\n': 'v' })).toThrow(RangeError);
    expect(() => encodeTxt({ k: 'x'.repeat(254) })).toThrow(/at most 255/);
    expect(encodeTxt({ k: 'x'.repeat(253) })[0]!.length).toBe(255);
  });
});
