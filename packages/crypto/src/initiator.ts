import { encodeBase64Url } from './base64url.js';
import { checkSkew } from './clock-skew.js';
import { CryptoError } from './errors.js';
import { resolveHandshakeConfig, type HandshakeConfig, type ResolvedHandshakeConfig } from './handshake-config.js';
import {
  checkNodeId,
  NONCE_BYTES,
  parseChallengeMessage,
  parseConfirmMessage,
  PROTOCOL_VERSION,
  type HelloMessage,
  type ProofMessage,
} from './handshake-messages.js';
import { deriveHandshakeSecrets, initiatorProof, responderProof, transcriptHash, wipeHandshakeSecrets, type HandshakeSecrets } from './key-schedule.js';
import { kxExchange } from './kx-exchange.js';
import { networkKeyBytes } from './network-key.js';
import { Session } from './session.js';
import { readySodium } from './sodium.js';

/** Where an {@link Initiator} is in the handshake. */
export type InitiatorState = 'ready' | 'awaiting-challenge' | 'awaiting-confirm' | 'complete' | 'failed' | 'disposed';

/** Configuration of the connecting side. */
export interface InitiatorConfig extends HandshakeConfig {
  /**
   * The node id the initiator means to reach (for example from discovery). A challenge from any
   * other id is refused with `unexpected-peer`.
   */
  readonly expectedPeerNodeId?: string;
}

interface AfterHello {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly timestamp: number;
}

interface AfterChallenge {
  readonly handshakeId: Buffer;
  readonly responderNodeId: string;
  readonly transcript: Buffer;
  readonly secrets: HandshakeSecrets;
}

/**
 * The connecting side of a handshake, for one handshake only: {@link Initiator.hello} →
 * {@link Initiator.handleChallenge} → {@link Initiator.handleConfirm}, which returns the
 * {@link Session}. Any error ends it in state `failed` with its secrets wiped; start a new one.
 *
 * @example
 * ```ts
 * const initiator = createInitiator({ networkKey, nodeId: 'node-a' });
 * const challenge = await post('/handshake/hello', initiator.hello());
 * const confirm = await post('/handshake/proof', initiator.handleChallenge(challenge));
 * const session = initiator.handleConfirm(confirm);
 * ```
 */
export class Initiator {
  readonly #config: ResolvedHandshakeConfig;
  readonly #expectedPeerNodeId: string | undefined;
  #state: InitiatorState = 'ready';
  #hello: AfterHello | undefined;
  #challenge: AfterChallenge | undefined;

  /** @internal Use {@link createInitiator}. */
  constructor(config: InitiatorConfig) {
    this.#config = resolveHandshakeConfig(config);
    this.#expectedPeerNodeId = config.expectedPeerNodeId === undefined ? undefined : checkNodeId(config.expectedPeerNodeId, 'expectedPeerNodeId', 'invalid-config');
  }

  /** Where the handshake is. */
  get state(): InitiatorState {
    return this.#state;
  }

  /**
   * Message 1: a fresh ephemeral X25519 key pair (libsodium `crypto_kx_keypair`), a random nonce
   * and the current time.
   *
   * @throws {@link CryptoError} `invalid-state` if called twice, `disposed`.
   */
  hello(): HelloMessage {
    this.#expect('ready', 'hello()');
    networkKeyBytes(this.#config.networkKey);
    const sodium = readySodium();
    const keyPair = sodium.crypto_kx_keypair();
    const nonce = sodium.randombytes_buf(NONCE_BYTES);
    const timestamp = this.#config.clock();
    this.#hello = { publicKey: keyPair.publicKey, privateKey: keyPair.privateKey, nonce, timestamp };
    this.#state = 'awaiting-challenge';
    return {
      type: 'trosyn-hello',
      version: PROTOCOL_VERSION,
      nodeId: this.#config.nodeId,
      ephemeralKey: encodeBase64Url(keyPair.publicKey),
      nonce: encodeBase64Url(nonce),
      timestamp,
    };
  }

  /**
   * Message 2 in, message 3 out: checks the challenge, completes the X25519 exchange, wipes the
   * ephemeral secret key, derives the session keys and proves knowledge of the network key.
   * The responder is not authenticated yet; that happens in {@link Initiator.handleConfirm}.
   *
   * @param input - the untrusted challenge (a parsed JSON body).
   * @throws {@link CryptoError} `malformed`, `unsupported-version`, `replayed` (a challenge for
   *   another hello), `unexpected-peer`, `timestamp-skew`, `handshake-expired`, `invalid-state`, `disposed`.
   */
  handleChallenge(input: unknown): ProofMessage {
    this.#expect('awaiting-challenge', 'handleChallenge()');
    const hello = this.#hello!;
    try {
      const challenge = parseChallengeMessage(input);
      if (!challenge.echo.equals(hello.nonce)) {
        throw new CryptoError('replayed', 'The challenge answers another hello (replayed or misrouted).', { details: { peerNodeId: challenge.nodeId } });
      }
      if (challenge.nodeId === this.#config.nodeId) {
        throw new CryptoError('unexpected-peer', `The responder claims this node's own id "${challenge.nodeId}": it is this node itself, or two nodes share one id.`, {
          details: { peerNodeId: challenge.nodeId },
        });
      }
      if (this.#expectedPeerNodeId !== undefined && challenge.nodeId !== this.#expectedPeerNodeId) {
        throw new CryptoError('unexpected-peer', `Expected to reach node "${this.#expectedPeerNodeId}" but "${challenge.nodeId}" answered.`, {
          details: { peerNodeId: challenge.nodeId, expectedPeerNodeId: this.#expectedPeerNodeId },
        });
      }
      const now = this.#config.clock();
      this.#checkTimeout(now, hello.timestamp);
      checkSkew(challenge.timestamp, now, this.#config.maxClockSkewMs, 'challenge');
      const kxMaterial = kxExchange('initiator', hello.publicKey, hello.privateKey, challenge.ephemeralKey);
      const transcript = transcriptHash({
        handshakeId: challenge.handshakeId,
        initiatorNodeId: this.#config.nodeId,
        responderNodeId: challenge.nodeId,
        initiatorEphemeralKey: hello.publicKey,
        responderEphemeralKey: challenge.ephemeralKey,
        initiatorNonce: hello.nonce,
        responderNonce: challenge.nonce,
        initiatorTimestamp: hello.timestamp,
        responderTimestamp: challenge.timestamp,
      });
      const secrets = deriveHandshakeSecrets(networkKeyBytes(this.#config.networkKey), kxMaterial, transcript);
      readySodium().memzero(kxMaterial);
      this.#challenge = { handshakeId: challenge.handshakeId, responderNodeId: challenge.nodeId, transcript, secrets };
      this.#state = 'awaiting-confirm';
      return {
        type: 'trosyn-proof',
        version: PROTOCOL_VERSION,
        handshakeId: encodeBase64Url(challenge.handshakeId),
        proof: encodeBase64Url(initiatorProof(secrets, transcript)),
      };
    } catch (error) {
      this.#fail();
      throw error;
    } finally {
      // The ephemeral secret is needed for exactly one exchange: gone whatever happened.
      readySodium().memzero(hello.privateKey);
    }
  }

  /**
   * Message 4 in: verifies the responder's proof and returns the session. The session expires at
   * the earlier of this side's `sessionTtlMs` and the responder's `expiresAt`.
   *
   * @param input - the untrusted confirm (a parsed JSON body).
   * @throws {@link CryptoError} `malformed`, `unsupported-version`, `replayed`,
   *   `authentication-failed` (wrong secret or man in the middle), `handshake-expired`,
   *   `session-expired`, `invalid-state`, `disposed`.
   */
  handleConfirm(input: unknown): Session {
    this.#expect('awaiting-confirm', 'handleConfirm()');
    const hello = this.#hello!;
    const state = this.#challenge!;
    try {
      const confirm = parseConfirmMessage(input);
      if (!confirm.handshakeId.equals(state.handshakeId)) {
        throw new CryptoError('replayed', 'The confirm belongs to another handshake (replayed or misrouted).', { details: { peerNodeId: state.responderNodeId } });
      }
      const now = this.#config.clock();
      this.#checkTimeout(now, hello.timestamp);
      const sodium = readySodium();
      const expected = responderProof(state.secrets, state.transcript, confirm.expiresAt);
      const proofOk = sodium.memcmp(expected, confirm.proof);
      if (!proofOk || !sodium.memcmp(confirm.sessionId, state.secrets.sessionId)) {
        throw new CryptoError('authentication-failed', `Node "${state.responderNodeId}" could not prove it holds the network key: a different shared secret, or a man in the middle.`, {
          details: { peerNodeId: state.responderNodeId },
        });
      }
      const expiresAt = Math.min(now + this.#config.sessionTtlMs, confirm.expiresAt);
      if (expiresAt <= now) {
        throw new CryptoError('session-expired', 'The responder sent a session that has already expired. Check both clocks.', { details: { expiresAt, now } });
      }
      const session = new Session({
        role: 'initiator',
        id: Buffer.from(state.secrets.sessionId),
        localNodeId: this.#config.nodeId,
        peerNodeId: state.responderNodeId,
        createdAt: now,
        expiresAt,
        sendKey: Buffer.from(state.secrets.initiatorToResponderKey),
        receiveKey: Buffer.from(state.secrets.responderToInitiatorKey),
        clock: this.#config.clock,
        maxClockSkewMs: this.#config.maxClockSkewMs,
        replayWindow: this.#config.replayWindow,
      });
      this.#wipe();
      this.#state = 'complete';
      return session;
    } catch (error) {
      this.#fail();
      throw error;
    }
  }

  /** Wipes whatever secrets remain. Idempotent. */
  dispose(): void {
    if (this.#state === 'disposed') return;
    this.#wipe();
    this.#state = 'disposed';
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #expect(state: InitiatorState, call: string): void {
    if (this.#state === 'disposed') throw new CryptoError('disposed', 'The initiator was disposed; create a new one.');
    if (this.#state !== state) {
      throw new CryptoError('invalid-state', `${call} is not allowed in state "${this.#state}"; an initiator runs one handshake: hello, handleChallenge, handleConfirm.`, {
        details: { state: this.#state },
      });
    }
  }

  #checkTimeout(now: number, startedAt: number): void {
    if (now - startedAt > this.#config.handshakeTimeoutMs) {
      throw new CryptoError('handshake-expired', `The handshake took longer than ${this.#config.handshakeTimeoutMs} ms.`, { details: { elapsedMs: now - startedAt } });
    }
  }

  #fail(): void {
    this.#wipe();
    this.#state = 'failed';
  }

  #wipe(): void {
    if (this.#hello !== undefined) readySodium().memzero(this.#hello.privateKey);
    if (this.#challenge !== undefined) wipeHandshakeSecrets(this.#challenge.secrets);
    this.#hello = undefined;
    this.#challenge = undefined;
  }
}

/**
 * Creates the connecting side of one handshake. Needs a {@link NetworkKey} from
 * `deriveNetworkKey`, which also loaded libsodium, so this is synchronous.
 *
 * @throws {@link CryptoError} `invalid-config`, `disposed` (the network key was disposed).
 */
export function createInitiator(config: InitiatorConfig): Initiator {
  return new Initiator(config);
}
