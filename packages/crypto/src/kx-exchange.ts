import { CryptoError } from './errors.js';
import { readySodium } from './sodium.js';

/**
 * The ephemeral X25519 exchange through libsodium `crypto_kx`: the initiator is kx's "client", the
 * responder its "server". Returns 64 bytes that both sides compute identically:
 * initiator-tx ‖ initiator-rx (= responder-rx ‖ responder-tx). Each is
 * BLAKE2b-512(X25519 shared point ‖ client pk ‖ server pk) halves, so the material is bound to
 * both public keys.
 *
 * @throws {@link CryptoError} `malformed` when the peer's key is a low-order point (libsodium
 *   refuses an all-zero shared secret).
 */
export function kxExchange(role: 'initiator' | 'responder', ownPublicKey: Uint8Array, ownPrivateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const sodium = readySodium();
  let keys: { sharedRx: Uint8Array; sharedTx: Uint8Array };
  try {
    keys =
      role === 'initiator'
        ? sodium.crypto_kx_client_session_keys(ownPublicKey, ownPrivateKey, peerPublicKey)
        : sodium.crypto_kx_server_session_keys(ownPublicKey, ownPrivateKey, peerPublicKey);
  } catch (cause) {
    throw new CryptoError('malformed', 'Field "ephemeralKey" is not a usable X25519 public key.', { cause, details: { field: 'ephemeralKey' } });
  }
  const material = new Uint8Array(64);
  if (role === 'initiator') {
    material.set(keys.sharedTx, 0);
    material.set(keys.sharedRx, 32);
  } else {
    material.set(keys.sharedRx, 0);
    material.set(keys.sharedTx, 32);
  }
  sodium.memzero(keys.sharedRx);
  sodium.memzero(keys.sharedTx);
  return material;
}
