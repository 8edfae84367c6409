import { describe, expect, it } from 'vitest';
import { createTokenSigner } from '../src/index.js';
import { expectCode, manualClock } from './helpers.js';

describe('TokenSigner', () => {
  it('issues tokens that verify statelessly, with their claims', () => {
    const clock = manualClock();
    const key = Buffer.alloc(32, 9);
    const token = createTokenSigner({ issuer: 'node-b', key, clock: clock.now }).issue({ subject: 'node-a', sessionId: 'abc' });
    expect(token).toMatch(/^tsn1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    // A second signer with the same key and issuer (e.g. after a restart) verifies it: no state.
    const claims = createTokenSigner({ issuer: 'node-b', key, clock: clock.now }).verify(token);
    expect(claims).toMatchObject({ iss: 'node-b', sub: 'node-a', sid: 'abc', iat: clock.now(), exp: clock.now() + 5 * 60_000 });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('rejects expired tokens with the injected clock', () => {
    const clock = manualClock();
    const signer = createTokenSigner({ issuer: 'node-b', clock: clock.now, ttlMs: 1_000 });
    const token = signer.issue({ subject: 'node-a' });
    clock.advance(999);
    expect(signer.verify(token).sub).toBe('node-a');
    clock.advance(1);
    expectCode(() => signer.verify(token), 'token-expired');
    const short = signer.issue({ subject: 'node-a', ttlMs: 10 });
    clock.advance(10);
    expectCode(() => signer.verify(short), 'token-expired');
  });

  it('rejects every single-character alteration', () => {
    const signer = createTokenSigner({ issuer: 'node-b' });
    const token = signer.issue({ subject: 'node-a' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < token.length; i += 1) {
      const replacement = alphabet[(alphabet.indexOf(token[i]!) + 1) % alphabet.length]!;
      expectCode(() => signer.verify(token.slice(0, i) + replacement + token.slice(i + 1)), 'token-invalid');
    }
    expect(signer.verify(token).sub).toBe('node-a');
  });

  it('rejects a re-signed payload with changed claims, another key, another issuer, and junk', () => {
    const key = Buffer.alloc(32, 1);
    const signer = createTokenSigner({ issuer: 'node-b', key });
    const token = signer.issue({ subject: 'node-a' });
    const [prefix, payload, tag] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: (claims['exp'] as number) + 3_600_000 })).toString('base64url');
    expectCode(() => signer.verify(`${prefix}.${forged}.${tag}`), 'token-invalid');
    expectCode(() => createTokenSigner({ issuer: 'node-b', key: Buffer.alloc(32, 2) }).verify(token), 'token-invalid');
    expectCode(() => createTokenSigner({ issuer: 'node-c', key }).verify(token), 'token-invalid');
    for (const junk of [undefined, 42, '', 'tsn1', 'tsn1..', 'jwt.a.b', `${token}.x`, 'x'.repeat(5000)]) expectCode(() => signer.verify(junk), 'token-invalid');
  });

  it('rejects tokens issued too far in the future', () => {
    const key = Buffer.alloc(32, 3);
    const ahead = manualClock(Date.UTC(2026, 0, 1) + 120_000);
    const token = createTokenSigner({ issuer: 'node-b', key, clock: ahead.now, ttlMs: 600_000 }).issue({ subject: 'node-a' });
    expectCode(() => createTokenSigner({ issuer: 'node-b', key, clock: manualClock().now }).verify(token), 'token-invalid');
  });

  it('refuses short keys and bad arguments, and stops after dispose', () => {
    expectCode(() => createTokenSigner({ issuer: 'node-b', key: Buffer.alloc(16) }), 'invalid-config');
    expectCode(() => createTokenSigner({ issuer: '' }), 'invalid-config');
    const signer = createTokenSigner({ issuer: 'node-b' });
    expectCode(() => signer.issue({ subject: '' }), 'invalid-argument');
    expectCode(() => signer.issue({ subject: 'a', ttlMs: 0 }), 'invalid-argument');
    signer.dispose();
    expectCode(() => signer.issue({ subject: 'a' }), 'disposed');
  });
});
