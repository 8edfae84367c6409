import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors.js';
import {
  DEFAULT_PWHASH_MEM_LIMIT,
  DEFAULT_PWHASH_OPS_LIMIT,
  deriveNetworkKey,
  hasNativeArgon2,
  MIN_PWHASH_MEM_LIMIT,
  MIN_PWHASH_OPS_LIMIT,
  networkKeyBytes,
  networkKeySalt,
} from './network-key.js';

const FAST = { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT } as const;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// OpenSSL's Argon2id (Node ≥ 24.7): an implementation independent of libsodium to check against.
const argon2Sync = nodeCrypto.argon2Sync as typeof nodeCrypto.argon2Sync | undefined;

async function rejection(promise: Promise<unknown>): Promise<CryptoError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return error as CryptoError;
  }
  throw new Error('expected a rejection');
}

describe('deriveNetworkKey', () => {
  it('refuses empty, blank and default secrets and says how to set one', async () => {
    for (const secret of ['', '   ', '\n', 'change-me', ' change-me ', 'CHANGE-ME', new Uint8Array(0), Buffer.from('change-me')]) {
      const error = await rejection(deriveNetworkKey(secret, FAST));
      expect(error.code).toBe('weak-secret');
      expect(error.message).toContain('LAN_SYNC_SHARED_SECRET');
    }
  });

  it('never puts the secret in an error', async () => {
    const error = await rejection(deriveNetworkKey('a fine secret', { ...FAST, opsLimit: 0 }));
    expect(error.code).toBe('invalid-config');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('a fine secret');
  });

  it('refuses out-of-range cost parameters and labels', async () => {
    for (const options of [{ opsLimit: 0 }, { opsLimit: 1.5 }, { memLimit: 1024 }, { memLimit: 4 * 1024 ** 3 }, { label: '' }]) {
      expect((await rejection(deriveNetworkKey('secret', { ...FAST, ...options }))).code).toBe('invalid-config');
    }
  });

  it('derives the recorded Argon2id key (regression guard: a change here splits old and new nodes)', async () => {
    expect(hex(networkKeySalt())).toBe('51099f24bdf588b7287b72dc32663c55');
    const key = await deriveNetworkKey('correct horse battery staple', FAST);
    expect(hex(networkKeyBytes(key))).toBe('77661c5836a88679d799267d921c651ba313c76146419ac57bc0de72cef2183a');
  });

  it.skipIf(argon2Sync === undefined)('equals OpenSSL Argon2id (t=2, m=64 MiB, p=1) with the default cost', async () => {
    const key = await deriveNetworkKey('correct horse battery staple');
    expect(key.opsLimit).toBe(DEFAULT_PWHASH_OPS_LIMIT);
    expect(key.memLimit).toBe(DEFAULT_PWHASH_MEM_LIMIT);
    const reference = argon2Sync!('argon2id', {
      message: 'correct horse battery staple',
      nonce: networkKeySalt(),
      parallelism: 1,
      tagLength: 32,
      memory: DEFAULT_PWHASH_MEM_LIMIT / 1024,
      passes: DEFAULT_PWHASH_OPS_LIMIT,
    });
    expect(hex(networkKeyBytes(key))).toBe(reference.toString('hex'));
  });

  it('depends on the secret and on the network label', async () => {
    const a = hex(networkKeyBytes(await deriveNetworkKey('secret one', FAST)));
    expect(hex(networkKeyBytes(await deriveNetworkKey('secret one', FAST)))).toBe(a);
    expect(hex(networkKeyBytes(await deriveNetworkKey('secret two', FAST)))).not.toBe(a);
    expect(hex(networkKeyBytes(await deriveNetworkKey('secret one', { ...FAST, label: 'other-office' })))).not.toBe(a);
    expect(hex(networkKeySalt('other-office'))).not.toBe(hex(networkKeySalt()));
  });

  it('normalises Unicode so the same passphrase typed differently gives the same key', async () => {
    const composed = await deriveNetworkKey('caf\u00e9 au lait', FAST);
    const decomposed = await deriveNetworkKey('cafe\u0301 au lait', FAST);
    expect(hex(networkKeyBytes(decomposed))).toBe(hex(networkKeyBytes(composed)));
  });

  it('accepts bytes as the secret', async () => {
    const fromBytes = await deriveNetworkKey(Buffer.from('secret one'), FAST);
    const fromString = await deriveNetworkKey('secret one', FAST);
    expect(hex(networkKeyBytes(fromBytes))).toBe(hex(networkKeyBytes(fromString)));
  });

  it('wipes the key on dispose and refuses to hand it out afterwards', async () => {
    const key = await deriveNetworkKey('secret one', FAST);
    const bytes = networkKeyBytes(key);
    key.dispose();
    key.dispose();
    expect(key.disposed).toBe(true);
    expect(bytes.every((byte) => byte === 0)).toBe(true);
    expect(() => networkKeyBytes(key)).toThrow(expect.objectContaining({ code: 'disposed' }));
    expect(JSON.stringify(key)).toBe('{"label":"trosyn-lan-sync"}');
  });
});

describe('deriveNetworkKey backends', () => {
  it('gives the same key with Node\'s native Argon2id and with libsodium', async () => {
    expect(hasNativeArgon2()).toBe(typeof (nodeCrypto as { argon2?: unknown }).argon2 === 'function');
    const viaSodium = hex(networkKeyBytes(await deriveNetworkKey('one passphrase', { ...FAST, backend: 'libsodium' })));
    const viaAuto = hex(networkKeyBytes(await deriveNetworkKey('one passphrase', FAST)));
    expect(viaAuto).toBe(viaSodium);
    if (hasNativeArgon2()) {
      expect(hex(networkKeyBytes(await deriveNetworkKey('one passphrase', { ...FAST, backend: 'node' })))).toBe(viaSodium);
    }
  });

  it('rejects an unknown backend with invalid-config', async () => {
    await expect(deriveNetworkKey('one passphrase', { ...FAST, backend: 'wasm' as never })).rejects.toMatchObject({ code: 'invalid-config' });
  });

  // Regression: with the native backend nothing loaded libsodium any more, and the first
  // handshake in a fresh process failed with "libsodium used before loadSodium() resolved".
  it('leaves the handshake ready in a fresh process whichever backend derived the key', () => {
    const script = `
      import { createInitiator, createResponder, deriveNetworkKey } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const networkKey = await deriveNetworkKey('fresh process', { opsLimit: 1, memLimit: 8192 });
      const responder = createResponder({ networkKey, nodeId: 'b' });
      const initiator = createInitiator({ networkKey, nodeId: 'a', expectedPeerNodeId: 'b' });
      const { confirm } = responder.handleProof(initiator.handleChallenge(responder.handleHello(initiator.hello())));
      console.log(initiator.handleConfirm(confirm).peerNodeId);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(output.trim()).toBe('b');
  });

  // Regression: libsodium.js's WebAssembly heap never shrinks, so one default derivation kept
  // 64 MiB resident in every sync node. The native backend must give that memory back.
  // Runs the built package (turbo builds before testing) in a fresh process, so RSS is its own.
  it.runIf(hasNativeArgon2())('does not keep the 64 MiB of Argon2 memory resident with the native backend', () => {
    const script = `
      import { deriveNetworkKey } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const before = process.memoryUsage().rss;
      for (const backend of ['node', 'libsodium']) {
        await deriveNetworkKey('memory check', { backend });
        globalThis.gc?.();
        console.log(backend, Math.round((process.memoryUsage().rss - before) / 1048576));
      }`;
    const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const growth = Object.fromEntries(output.trim().split('\n').map((line) => line.split(' ')).map(([name, mib]) => [name, Number(mib)]));
    expect(growth['node']).toBeLessThan(32);
    // The libsodium figure shows the measurement can see the problem at all.
    expect(growth['libsodium']).toBeGreaterThanOrEqual(48);
  });
});
