import { describe, expect, it } from 'vitest';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { aes256GcmDecrypt, aes256GcmEncrypt, aes256GcmOpen, aes256GcmSeal, importAes256GcmKey } from './aes-256-gcm.js';
import { CryptoError } from './errors.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

const KEY = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const PT = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const CT = '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", the NIST submission, Appendix B:
// the AES-256 test cases with 96-bit IVs. Plus one NIST CAVP gcmEncryptExtIV256 vector.
const VECTORS = [
  { name: 'GCM spec test case 13', key: '00'.repeat(32), iv: '00'.repeat(12), pt: '', aad: '', ct: '', tag: '530f8afbc74536b9a963b4f1c4cb738b' },
  { name: 'GCM spec test case 14', key: '00'.repeat(32), iv: '00'.repeat(12), pt: '00'.repeat(16), aad: '', ct: 'cea7403d4d606b6e074ec5d3baf39d18', tag: 'd0d1c8a799996bf0265b98b5d48ab919' },
  { name: 'GCM spec test case 15', key: KEY, iv: 'cafebabefacedbaddecaf888', pt: PT, aad: '', ct: CT, tag: 'b094dac5d93471bdec1a502270e3cc6c' },
  {
    name: 'GCM spec test case 16',
    key: KEY,
    iv: 'cafebabefacedbaddecaf888',
    pt: PT.slice(0, 120),
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    ct: CT.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
  {
    name: 'NIST CAVP gcmEncryptExtIV256 (AAD 160 bits, PT 128 bits)',
    key: '83688deb4af8007f9b713b47cfa6c73e35ea7a3aa4ecdb414dded03bf7a0fd3a',
    iv: '0b459724904e010a46901cf3',
    pt: '33d893a2114ce06fc15d55e454cf90c3',
    aad: '794a14ccd178c8ebfd1379dc704c5e208f9d8424',
    ct: 'cc66bee423e3fcd4c0865715e9586696',
    tag: '0fb291bd3dba94a1dfd8b286cfb97ac5',
  },
] as const;

describe('aes256GcmSeal', () => {
  for (const v of VECTORS) {
    it(`matches ${v.name}`, () => {
      const sealed = aes256GcmSeal(hex(v.key), hex(v.iv), hex(v.pt), hex(v.aad));
      expect(sealed.toString('hex')).toBe(v.ct + v.tag);
    });
  }

  it('refuses keys and nonces of the wrong length', () => {
    expect(() => aes256GcmSeal(Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => aes256GcmSeal(Buffer.alloc(32), Buffer.alloc(16), Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

describe('aes256GcmOpen', () => {
  for (const v of VECTORS) {
    it(`decrypts ${v.name}`, () => {
      expect(aes256GcmOpen(hex(v.key), hex(v.iv), hex(v.ct + v.tag), hex(v.aad)).toString('hex')).toBe(v.pt);
    });
  }

  it('rejects every single-bit change of ciphertext or tag as tampered (test case 16)', () => {
    const v = VECTORS[3];
    const sealed = hex(v.ct + v.tag);
    let rejected = 0;
    for (let bit = 0; bit < sealed.length * 8; bit += 1) {
      const flipped = Buffer.from(sealed);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      try {
        aes256GcmOpen(hex(v.key), hex(v.iv), flipped, hex(v.aad));
      } catch (error) {
        expect(error).toBeInstanceOf(CryptoError);
        expect((error as CryptoError).code).toBe('tampered');
        rejected += 1;
      }
    }
    expect(rejected).toBe(sealed.length * 8);
  });

  it('rejects other associated data, another nonce, another key and a truncated message', () => {
    const v = VECTORS[3];
    const sealed = hex(v.ct + v.tag);
    const tampered = expect.objectContaining({ code: 'tampered' });
    expect(() => aes256GcmOpen(hex(v.key), hex(v.iv), sealed, hex(v.aad.replace('ab', 'ac')))).toThrow(tampered);
    expect(() => aes256GcmOpen(hex(v.key), hex(v.iv), sealed)).toThrow(tampered);
    expect(() => aes256GcmOpen(hex(v.key), hex('cafebabefacedbaddecaf889'), sealed, hex(v.aad))).toThrow(tampered);
    expect(() => aes256GcmOpen(hex(v.key.replace(/^fe/, 'ff')), hex(v.iv), sealed, hex(v.aad))).toThrow(tampered);
    expect(() => aes256GcmOpen(hex(v.key), hex(v.iv), sealed.subarray(0, 15), hex(v.aad))).toThrow(tampered);
    expect(() => aes256GcmOpen(hex(v.key), hex(v.iv), sealed.subarray(1), hex(v.aad))).toThrow(tampered);
  });
});

describe('aes256GcmEncrypt / aes256GcmDecrypt', () => {
  for (const v of VECTORS) {
    it(`keep ciphertext and tag apart for ${v.name}`, () => {
      const { ciphertext, tag } = aes256GcmEncrypt(hex(v.key), hex(v.iv), hex(v.pt), hex(v.aad));
      expect([ciphertext.toString('hex'), tag.toString('hex')]).toEqual([v.ct, v.tag]);
      expect(aes256GcmDecrypt(hex(v.key), hex(v.iv), hex(v.ct), hex(v.tag), hex(v.aad)).toString('hex')).toBe(v.pt);
    });
  }

  it('refuses a truncated tag as tampered', () => {
    const v = VECTORS[3];
    expect(() => aes256GcmDecrypt(hex(v.key), hex(v.iv), hex(v.ct), hex(v.tag).subarray(0, 12), hex(v.aad))).toThrow(expect.objectContaining({ code: 'tampered' }));
  });
});

describe('importAes256GcmKey', () => {
  for (const v of VECTORS) {
    it(`gives an imported key the raw key's results for ${v.name}`, () => {
      const key = importAes256GcmKey(hex(v.key));
      expect(aes256GcmSeal(key, hex(v.iv), hex(v.pt), hex(v.aad)).toString('hex')).toBe(v.ct + v.tag);
      expect(aes256GcmOpen(key, hex(v.iv), hex(v.ct + v.tag), hex(v.aad)).toString('hex')).toBe(v.pt);
    });
  }

  it('copies the bytes: wiping the source afterwards changes nothing', () => {
    const v = VECTORS[2];
    const raw = hex(v.key);
    const key = importAes256GcmKey(raw);
    raw.fill(0);
    expect(aes256GcmSeal(key, hex(v.iv), hex(v.pt), hex(v.aad)).toString('hex')).toBe(v.ct + v.tag);
  });

  it('refuses keys that are not 32 secret bytes', () => {
    const invalid = expect.objectContaining({ code: 'invalid-argument' });
    expect(() => importAes256GcmKey(Buffer.alloc(16))).toThrow(invalid);
    expect(() => aes256GcmSeal(createSecretKey(Buffer.alloc(16)), Buffer.alloc(12), Buffer.alloc(1))).toThrow(invalid);
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => aes256GcmSeal(privateKey, Buffer.alloc(12), Buffer.alloc(1))).toThrow(invalid);
  });
});
