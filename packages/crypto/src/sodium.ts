import type sodiumModule from 'libsodium-wrappers-sumo';

/** The libsodium API this package uses (the sumo build: the standard one lacks `crypto_pwhash`). */
export type Sodium = typeof sodiumModule;

let loading: Promise<Sodium> | undefined;
let loaded: Sodium | undefined;

/**
 * Loads and initialises libsodium once per process. Lazy on purpose: the WebAssembly module is
 * compiled on first use, not when the package is imported, so importing `@trosyn/crypto` is cheap.
 */
export function loadSodium(): Promise<Sodium> {
  loading ??= import('libsodium-wrappers-sumo').then(async (module) => {
    const sodium = module.default;
    await sodium.ready;
    loaded = sodium;
    return sodium;
  });
  return loading;
}

/**
 * The initialised libsodium. Only code reachable from an object that was built after
 * {@link loadSodium} resolved (a `NetworkKey`, and everything made from one) calls this, so
 * failing here is a bug in this package, not a caller error.
 */
export function readySodium(): Sodium {
  if (loaded === undefined) throw new Error('@trosyn/crypto internal error: libsodium used before loadSodium() resolved');
  return loaded;
}
