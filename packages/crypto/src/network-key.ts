import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { CryptoError } from './errors.js';
import { loadSodium } from './sodium.js';

/**
 * The documented placeholder secret. A node configured with it (or with an empty secret) refuses
 * to start: everyone who has read the docs knows it.
 */
export const DEFAULT_SHARED_SECRET = 'change-me';

/** The environment variable the Trosyn server reads the shared secret from. */
export const SHARED_SECRET_ENV_VAR = 'LAN_SYNC_SHARED_SECRET';

/**
 * The default network label. The Argon2id salt is derived from it, so nodes only derive the same
 * key (and only talk to each other) when they share both the secret and the label.
 */
export const DEFAULT_NETWORK_LABEL = 'trosyn-lan-sync';

/**
 * Default Argon2id passes: libsodium's `crypto_pwhash_OPSLIMIT_INTERACTIVE` (2).
 * With {@link DEFAULT_PWHASH_MEM_LIMIT} this costs roughly 0.15–0.35 s of one core and 64 MiB,
 * once per process (see the README's benchmark), and every guess of an attacker costs the same.
 */
export const DEFAULT_PWHASH_OPS_LIMIT = 2;

/** Default Argon2id memory: libsodium's `crypto_pwhash_MEMLIMIT_INTERACTIVE` (64 MiB). */
export const DEFAULT_PWHASH_MEM_LIMIT = 64 * 1024 * 1024;

/** Argon2id's smallest memory cost (libsodium `crypto_pwhash_MEMLIMIT_MIN`, 8 KiB): for tests only. */
export const MIN_PWHASH_MEM_LIMIT = 8192;

/** Argon2id's smallest pass count (libsodium `crypto_pwhash_OPSLIMIT_MIN`): for tests only. */
export const MIN_PWHASH_OPS_LIMIT = 1;

// The WebAssembly heap of libsodium.js cannot grow past 2 GiB; well below it is the sane bound.
const MAX_PWHASH_MEM_LIMIT = 1024 * 1024 * 1024;
const MAX_PWHASH_OPS_LIMIT = 64;
const NETWORK_KEY_BYTES = 32;
const SALT_BYTES = 16; // libsodium crypto_pwhash_SALTBYTES
const SALT_DOMAIN = 'trosyn/network-key/v1';

/** Options for {@link deriveNetworkKey}. */
export interface NetworkKeyOptions {
  /**
   * Separates networks that happen to share a secret; the salt is derived from it.
   * Default {@link DEFAULT_NETWORK_LABEL}. Every node of one network must use the same label.
   */
  readonly label?: string;
  /** Argon2id passes. Default {@link DEFAULT_PWHASH_OPS_LIMIT}. Every node must use the same value. */
  readonly opsLimit?: number;
  /** Argon2id memory in bytes. Default {@link DEFAULT_PWHASH_MEM_LIMIT}. Every node must use the same value. */
  readonly memLimit?: number;
  /**
   * Which Argon2id implementation computes the key; both give the same bytes. `'auto'` (default)
   * uses Node's native `crypto.argon2` where it exists (Node >= 24.7) and libsodium otherwise.
   */
  readonly backend?: NetworkKeyBackend;
}

/** The Argon2id implementations {@link deriveNetworkKey} can use. */
export type NetworkKeyBackend = 'auto' | 'node' | 'libsodium';

type Argon2Async = (
  algorithm: 'argon2id',
  parameters: { message: Uint8Array; nonce: Uint8Array; parallelism: number; tagLength: number; memory: number; passes: number },
  callback: (error: Error | null, derivedKey: Buffer) => void,
) => void;

// Node >= 24.7 ships Argon2id (OpenSSL). Typed locally because @types/node for older lines lacks it.
const nativeArgon2 = (nodeCrypto as unknown as { argon2?: Argon2Async }).argon2;

/** Whether this Node.js has a native Argon2id (`crypto.argon2`). */
export function hasNativeArgon2(): boolean {
  return typeof nativeArgon2 === 'function';
}

const keyBytes = new WeakMap<NetworkKey, Uint8Array>();

/**
 * The 256-bit key every node of a network derives from the shared secret. Opaque: the bytes never
 * leave this package. Build one with {@link deriveNetworkKey}, once per process.
 */
export class NetworkKey {
  /** The network label the key was derived with. */
  readonly label: string;
  /** The Argon2id passes it was derived with. */
  readonly opsLimit: number;
  /** The Argon2id memory (bytes) it was derived with. */
  readonly memLimit: number;

  /** @internal Use {@link deriveNetworkKey}. */
  constructor(bytes: Uint8Array, label: string, opsLimit: number, memLimit: number) {
    keyBytes.set(this, bytes);
    this.label = label;
    this.opsLimit = opsLimit;
    this.memLimit = memLimit;
  }

  /** Whether {@link NetworkKey.dispose} was called. */
  get disposed(): boolean {
    return !keyBytes.has(this);
  }

  /** Overwrites the key bytes with zeros. Idempotent. Handshakes started with this key then fail with `disposed`. */
  dispose(): void {
    const bytes = keyBytes.get(this);
    if (bytes === undefined) return;
    bytes.fill(0);
    keyBytes.delete(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Never prints the key. */
  toJSON(): { readonly label: string } {
    return { label: this.label };
  }
}

/**
 * The key bytes of a {@link NetworkKey}, for this package's own key schedule. Not exported from the
 * package entry point.
 *
 * @throws {@link CryptoError} `disposed`.
 */
export function networkKeyBytes(key: NetworkKey): Uint8Array {
  const bytes = keyBytes.get(key);
  if (bytes === undefined) throw new CryptoError('disposed', 'The network key was disposed; derive it again with deriveNetworkKey().');
  return bytes;
}

/**
 * The Argon2id salt for a network label: the first 16 bytes of
 * SHA-256("trosyn/network-key/v1" ‖ 0x00 ‖ UTF-8(label)).
 *
 * A salt normally makes each stored password hash unique; here every node must derive the same
 * key from the same secret, so the salt is fixed per network instead of random. It still keeps an
 * attacker's precomputed tables for other applications (or other Trosyn networks) useless.
 */
export function networkKeySalt(label: string = DEFAULT_NETWORK_LABEL): Uint8Array {
  checkLabel(label);
  const digest = createHash('sha256').update(SALT_DOMAIN).update(Buffer.of(0)).update(label, 'utf8').digest();
  return new Uint8Array(digest.subarray(0, SALT_BYTES));
}

/**
 * Derives the network key from the shared secret with Argon2id (libsodium `crypto_pwhash`,
 * `crypto_pwhash_ALG_ARGON2ID13`), so a weak passphrase is not brute-forced cheaply from a captured
 * handshake. Strings are Unicode-normalised (NFC) first, so the same passphrase typed on different
 * systems gives the same key.
 *
 * Slow on purpose (about 0.1–0.35 s and 64 MiB with the defaults): call it once at startup and
 * keep the key. On Node >= 24.7 it runs natively off the main thread and frees its memory; on
 * older Node it runs in libsodium's WebAssembly, which blocks the event loop and keeps the memory.
 *
 * @throws {@link CryptoError} `weak-secret` for an empty secret or {@link DEFAULT_SHARED_SECRET};
 *   `invalid-config` for out-of-range options.
 *
 * @example
 * ```ts
 * const networkKey = await deriveNetworkKey(process.env.LAN_SYNC_SHARED_SECRET ?? '');
 * ```
 */
export async function deriveNetworkKey(secret: string | Uint8Array, options: NetworkKeyOptions = {}): Promise<NetworkKey> {
  const label = options.label ?? DEFAULT_NETWORK_LABEL;
  const opsLimit = options.opsLimit ?? DEFAULT_PWHASH_OPS_LIMIT;
  const memLimit = options.memLimit ?? DEFAULT_PWHASH_MEM_LIMIT;
  checkLabel(label);
  checkInteger('opsLimit', opsLimit, MIN_PWHASH_OPS_LIMIT, MAX_PWHASH_OPS_LIMIT);
  checkInteger('memLimit', memLimit, MIN_PWHASH_MEM_LIMIT, MAX_PWHASH_MEM_LIMIT);
  const backend = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'node' && backend !== 'libsodium') {
    throw new CryptoError('invalid-config', `backend must be 'auto', 'node' or 'libsodium', got ${String(backend)}.`);
  }
  if (backend === 'node' && nativeArgon2 === undefined) {
    throw new CryptoError('invalid-config', `backend 'node' needs Node.js >= 24.7 (crypto.argon2); this is ${process.version}.`);
  }
  const secretBytes = secretToBytes(secret);
  // The handshake's key exchange runs synchronously on libsodium once a key exists, so libsodium
  // is loaded here whichever Argon2id backend computes the key (the package's documented contract).
  await loadSodium();
  try {
    // Prefer the native implementation: it runs on libuv's thread pool instead of blocking the event
    // loop, and frees its 64 MiB afterwards. libsodium.js's WebAssembly heap only ever grows, so a
    // single derivation there keeps the whole Argon2 memory resident for the life of the process.
    const key =
      backend !== 'libsodium' && nativeArgon2 !== undefined
        ? await nativeArgon2Derive(nativeArgon2, secretBytes, networkKeySalt(label), opsLimit, memLimit)
        : await libsodiumDerive(secretBytes, networkKeySalt(label), opsLimit, memLimit);
    return new NetworkKey(key, label, opsLimit, memLimit);
  } finally {
    secretBytes.fill(0);
  }
}

function nativeArgon2Derive(argon2: Argon2Async, secret: Uint8Array, salt: Uint8Array, opsLimit: number, memLimit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      // libsodium counts memory in bytes and rounds down to whole KiB; RFC 9106 counts KiB.
      { message: secret, nonce: salt, parallelism: 1, tagLength: NETWORK_KEY_BYTES, memory: Math.floor(memLimit / 1024), passes: opsLimit },
      (error, derived) => {
        if (error) reject(new CryptoError('invalid-config', `Argon2id failed: ${error.message}`, { cause: error }));
        else resolve(new Uint8Array(derived));
      },
    );
  });
}

async function libsodiumDerive(secret: Uint8Array, salt: Uint8Array, opsLimit: number, memLimit: number): Promise<Uint8Array> {
  const sodium = await loadSodium();
  return sodium.crypto_pwhash(NETWORK_KEY_BYTES, secret, salt, opsLimit, memLimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
}

function secretToBytes(secret: string | Uint8Array): Uint8Array {
  if (typeof secret === 'string') {
    const trimmed = secret.trim();
    if (trimmed === '') throw weakSecret('empty');
    if (trimmed.toLowerCase() === DEFAULT_SHARED_SECRET) throw weakSecret(`the documented default "${DEFAULT_SHARED_SECRET}"`);
    return new Uint8Array(Buffer.from(secret.normalize('NFC'), 'utf8'));
  }
  if (!(secret instanceof Uint8Array)) {
    throw new CryptoError('invalid-argument', 'The shared secret must be a string or a Uint8Array.');
  }
  if (secret.length === 0) throw weakSecret('empty');
  if (Buffer.from(secret).toString('utf8').trim().toLowerCase() === DEFAULT_SHARED_SECRET) {
    throw weakSecret(`the documented default "${DEFAULT_SHARED_SECRET}"`);
  }
  return Uint8Array.from(secret);
}

function weakSecret(what: string): CryptoError {
  return new CryptoError(
    'weak-secret',
    `The LAN sync shared secret is ${what}. Set the same long random secret on every node, ` +
      `e.g. ${SHARED_SECRET_ENV_VAR}="$(openssl rand -base64 32)", and restart.`,
    { details: { variable: SHARED_SECRET_ENV_VAR } },
  );
}

function checkLabel(label: unknown): void {
  if (typeof label !== 'string' || label.length === 0 || label.length > 256) {
    throw new CryptoError('invalid-config', 'The network label must be a non-empty string of at most 256 characters.');
  }
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CryptoError('invalid-config', `${name} must be an integer from ${min} to ${max}, got ${value}.`, { details: { option: name } });
  }
}
