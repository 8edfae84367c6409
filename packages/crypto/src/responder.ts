import { encodeBase64Url } from './base64url.js';
import { checkSkew } from './clock-skew.js';
import { CryptoError } from './errors.js';
import { positiveInteger, resolveHandshakeConfig, type HandshakeConfig, type ResolvedHandshakeConfig } from './handshake-config.js';
import {
  HANDSHAKE_ID_BYTES,
  NONCE_BYTES,
  parseHelloMessage,
  parseProofMessage,
  PROTOCOL_VERSION,
  type ChallengeMessage,
  type ConfirmMessage,
} from './handshake-messages.js';
import { deriveHandshakeSecrets, initiatorProof, responderProof, transcriptHash, wipeHandshakeSecrets, type HandshakeSecrets } from './key-schedule.js';
import { kxExchange } from './kx-exchange.js';
import { networkKeyBytes } from './network-key.js';
import { Session } from './session.js';
import { readySodium } from './sodium.js';

/** Default bound on pending handshakes (and on remembered hello nonces). */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 1024;

/** Configuration of the answering side. */
export interface ResponderConfig extends HandshakeConfig {
  /**
   * At most this many handshakes are pending (between challenge and proof, plus finished ones
   * remembered until their timeout so a replayed proof is recognised), and at most this many hello
   * nonces are remembered. Beyond it `handleHello` refuses with `handshake-capacity`. Each entry is
   * a few hundred bytes. Default 1024.
   */
  readonly maxPendingHandshakes?: number;
}

/** What {@link Responder.handleProof} returns. */
export interface HandshakeResult {
  /** Message 4, to send back to the initiator. */
  readonly confirm: ConfirmMessage;
  /** The responder's side of the new session. */
  readonly session: Session;
}

interface PendingHandshake {
  readonly expiresAt: number;
  readonly initiatorNodeId: string;
  readonly transcript: Buffer;
  /** `undefined` once the handshake finished: the entry then only guards against a replayed proof. */
  secrets: HandshakeSecrets | undefined;
}

/**
 * The answering side of handshakes; one instance serves any number of initiators. It keeps
 * pending handshakes in a bounded map with expiry (see {@link ResponderConfig.maxPendingHandshakes})
 * and remembers hello nonces until their timestamp leaves the allowed skew, so every replayed
 * handshake message is refused.
 *
 * Both methods take untrusted input (a parsed JSON body) and throw only {@link CryptoError}.
 *
 * @example
 * ```ts
 * const responder = createResponder({ networkKey, nodeId: 'node-b' });
 * app.post('/handshake/hello', (body) => responder.handleHello(body));
 * app.post('/handshake/proof', (body) => {
 *   const { confirm, session } = responder.handleProof(body);
 *   sessions.add(session);
 *   return confirm;
 * });
 * ```
 */
export class Responder {
  readonly #config: ResolvedHandshakeConfig;
  readonly #maxPending: number;
  /** Insertion order = expiry order (fixed timeout), so expired entries are always at the front. */
  readonly #pending = new Map<string, PendingHandshake>();
  /** Hello nonce → when its hello's timestamp leaves the allowed skew. */
  readonly #seenNonces = new Map<string, number>();
  #disposed = false;

  /** @internal Use {@link createResponder}. */
  constructor(config: ResponderConfig) {
    this.#config = resolveHandshakeConfig(config);
    this.#maxPending = positiveInteger('maxPendingHandshakes', config.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES);
  }

  /** Handshakes currently tracked (pending or recently finished). */
  get pendingHandshakes(): number {
    return this.#pending.size;
  }

  /**
   * Message 1 in, message 2 out: checks the hello (schema, clock skew, replay), generates this
   * side's ephemeral key pair, completes the X25519 exchange at once and wipes the ephemeral
   * secret key; only derived keys wait in the pending map for the proof.
   *
   * @param input - the untrusted hello.
   * @throws {@link CryptoError} `malformed`, `unsupported-version`, `unexpected-peer` (the hello
   *   claims this node's id), `timestamp-skew`, `replayed`, `handshake-capacity`, `disposed`.
   */
  handleHello(input: unknown): ChallengeMessage {
    this.#assertUsable();
    const hello = parseHelloMessage(input);
    if (hello.nodeId === this.#config.nodeId) {
      throw new CryptoError('unexpected-peer', `The hello claims this node's own id "${hello.nodeId}": it is this node itself, or two nodes share one id.`, {
        details: { peerNodeId: hello.nodeId },
      });
    }
    const now = this.#config.clock();
    checkSkew(hello.timestamp, now, this.#config.maxClockSkewMs, 'hello');
    this.purgeExpired();
    const nonceKey = encodeBase64Url(hello.nonce);
    if (this.#seenNonces.has(nonceKey)) {
      throw new CryptoError('replayed', `This hello from "${hello.nodeId}" was already answered.`, { details: { peerNodeId: hello.nodeId } });
    }
    if (this.#seenNonces.size >= this.#maxPending) this.#sweepNonces(now);
    if (this.#pending.size >= this.#maxPending || this.#seenNonces.size >= this.#maxPending) {
      throw new CryptoError('handshake-capacity', `Already ${this.#maxPending} handshakes in progress; try again in a few seconds.`, {
        details: { maxPendingHandshakes: this.#maxPending, retryAfterMs: this.#config.handshakeTimeoutMs },
      });
    }

    const sodium = readySodium();
    const keyPair = sodium.crypto_kx_keypair();
    let kxMaterial: Uint8Array;
    try {
      kxMaterial = kxExchange('responder', keyPair.publicKey, keyPair.privateKey, hello.ephemeralKey);
    } finally {
      sodium.memzero(keyPair.privateKey);
    }
    const handshakeId = Buffer.from(sodium.randombytes_buf(HANDSHAKE_ID_BYTES));
    const nonce = sodium.randombytes_buf(NONCE_BYTES);
    const transcript = transcriptHash({
      handshakeId,
      initiatorNodeId: hello.nodeId,
      responderNodeId: this.#config.nodeId,
      initiatorEphemeralKey: hello.ephemeralKey,
      responderEphemeralKey: keyPair.publicKey,
      initiatorNonce: hello.nonce,
      responderNonce: nonce,
      initiatorTimestamp: hello.timestamp,
      responderTimestamp: now,
    });
    const secrets = deriveHandshakeSecrets(networkKeyBytes(this.#config.networkKey), kxMaterial, transcript);
    sodium.memzero(kxMaterial);
    const id = encodeBase64Url(handshakeId);
    this.#pending.set(id, { expiresAt: now + this.#config.handshakeTimeoutMs, initiatorNodeId: hello.nodeId, transcript, secrets });
    this.#seenNonces.set(nonceKey, hello.timestamp + this.#config.maxClockSkewMs);
    return {
      type: 'trosyn-challenge',
      version: PROTOCOL_VERSION,
      handshakeId: id,
      nodeId: this.#config.nodeId,
      ephemeralKey: encodeBase64Url(keyPair.publicKey),
      nonce: encodeBase64Url(nonce),
      timestamp: now,
      echo: nonceKey,
    };
  }

  /**
   * Message 3 in, message 4 out: verifies the initiator's proof over the transcript and, if it
   * holds, creates the session and proves this side's knowledge of the network key in turn.
   * A failed proof ends that handshake (no second guess).
   *
   * @param input - the untrusted proof.
   * @throws {@link CryptoError} `malformed`, `unsupported-version`, `unknown-handshake`,
   *   `replayed`, `handshake-expired`, `authentication-failed`, `disposed`.
   */
  handleProof(input: unknown): HandshakeResult {
    this.#assertUsable();
    const proof = parseProofMessage(input);
    const id = encodeBase64Url(proof.handshakeId);
    const pending = this.#pending.get(id);
    if (pending === undefined) {
      throw new CryptoError('unknown-handshake', 'No pending handshake with this id: it timed out, failed, or was never started. Start again with a hello.');
    }
    if (pending.secrets === undefined) {
      throw new CryptoError('replayed', `This proof from "${pending.initiatorNodeId}" was already accepted.`, { details: { peerNodeId: pending.initiatorNodeId } });
    }
    const secrets = pending.secrets;
    const now = this.#config.clock();
    if (now > pending.expiresAt) {
      this.#forget(id, pending);
      throw new CryptoError('handshake-expired', `The proof came later than ${this.#config.handshakeTimeoutMs} ms after the challenge.`, {
        details: { peerNodeId: pending.initiatorNodeId },
      });
    }
    const sodium = readySodium();
    if (!sodium.memcmp(initiatorProof(secrets, pending.transcript), proof.proof)) {
      this.#forget(id, pending);
      throw new CryptoError('authentication-failed', `Node "${pending.initiatorNodeId}" could not prove it holds the network key: a different shared secret, or a man in the middle.`, {
        details: { peerNodeId: pending.initiatorNodeId },
      });
    }
    const expiresAt = now + this.#config.sessionTtlMs;
    const confirmProof = responderProof(secrets, pending.transcript, expiresAt);
    const session = new Session({
      role: 'responder',
      id: Buffer.from(secrets.sessionId),
      localNodeId: this.#config.nodeId,
      peerNodeId: pending.initiatorNodeId,
      createdAt: now,
      expiresAt,
      sendKey: Buffer.from(secrets.responderToInitiatorKey),
      receiveKey: Buffer.from(secrets.initiatorToResponderKey),
      clock: this.#config.clock,
      maxClockSkewMs: this.#config.maxClockSkewMs,
      replayWindow: this.#config.replayWindow,
    });
    wipeHandshakeSecrets(secrets);
    pending.secrets = undefined; // kept until it expires: a replayed proof is then `replayed`
    return {
      confirm: {
        type: 'trosyn-confirm',
        version: PROTOCOL_VERSION,
        handshakeId: id,
        sessionId: session.id,
        expiresAt,
        proof: encodeBase64Url(confirmProof),
      },
      session,
    };
  }

  /** Drops (and wipes) handshakes past their timeout and hello nonces past their skew. Called by `handleHello` too. */
  purgeExpired(): void {
    const now = this.#config.clock();
    for (const [id, pending] of this.#pending) {
      if (pending.expiresAt >= now) break;
      this.#forget(id, pending);
    }
    for (const [nonce, expiresAt] of this.#seenNonces) {
      if (expiresAt >= now) break;
      this.#seenNonces.delete(nonce);
    }
  }

  /** Wipes every pending handshake. Idempotent; both handlers then throw `disposed`. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const [id, pending] of this.#pending) this.#forget(id, pending);
    this.#seenNonces.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #assertUsable(): void {
    if (this.#disposed) throw new CryptoError('disposed', 'The responder was disposed; create a new one.');
  }

  #forget(id: string, pending: PendingHandshake): void {
    if (pending.secrets !== undefined) wipeHandshakeSecrets(pending.secrets);
    pending.secrets = undefined;
    this.#pending.delete(id);
  }

  /** Nonce expiries follow peer timestamps, so they are not sorted: a full sweep when the map is full. */
  #sweepNonces(now: number): void {
    for (const [nonce, expiresAt] of this.#seenNonces) {
      if (expiresAt < now) this.#seenNonces.delete(nonce);
    }
  }
}

/**
 * Creates the answering side of handshakes. Needs a {@link NetworkKey} from `deriveNetworkKey`,
 * which also loaded libsodium, so this is synchronous.
 *
 * @throws {@link CryptoError} `invalid-config`, `disposed` (the network key was disposed).
 */
export function createResponder(config: ResponderConfig): Responder {
  return new Responder(config);
}
