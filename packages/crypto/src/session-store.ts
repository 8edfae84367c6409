import { CryptoError } from './errors.js';
import { positiveInteger } from './handshake-config.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { messageRecord, SESSION_ID_BYTES } from './handshake-messages.js';
import { sealedFrameSessionId } from './sealed-frame.js';
import type { OpenedMessage, Session } from './session.js';

/** Default bound on sessions held by a {@link SessionStore}. */
export const DEFAULT_MAX_SESSIONS = 1024;

/** Configuration of {@link createSessionStore}. */
export interface SessionStoreConfig {
  /**
   * At most this many sessions are held. When full, expired sessions are dropped first, then the
   * least recently used one (its peer simply runs a new handshake). Default 1024.
   */
  readonly maxSessions?: number;
}

/** What {@link SessionStore.open} and {@link SessionStore.openFrame} return. */
export interface OpenedEnvelope {
  /** The session the envelope belonged to. */
  readonly session: Session;
  readonly message: OpenedMessage;
}

/**
 * Sessions in memory, keyed by id: what a server needs to find the session an incoming envelope
 * belongs to. Expired sessions are never returned and are retired when dropped (`Session.retire`:
 * keys wiped at once, or when the last stream still holding the session ends).
 *
 * @example
 * ```ts
 * const sessions = createSessionStore();
 * sessions.add(responder.handleProof(body).session);
 * // later, for each sealed request body:
 * const { session, message } = sessions.open(body);
 * ```
 */
export class SessionStore {
  readonly #max: number;
  /** Map order is least recently used first. */
  readonly #sessions = new Map<string, Session>();
  #disposed = false;

  /** @internal Use {@link createSessionStore}. */
  constructor(config: SessionStoreConfig = {}) {
    this.#max = positiveInteger('maxSessions', config.maxSessions ?? DEFAULT_MAX_SESSIONS);
  }

  /** Sessions held, including expired ones not yet dropped. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Adds a session, dropping expired ones and then the least recently used one if the store is
   * full. A session with the same id replaces (and disposes) the old one.
   */
  add(session: Session): void {
    this.#assertUsable();
    const existing = this.#sessions.get(session.id);
    if (existing !== undefined && existing !== session) existing.dispose();
    this.#sessions.delete(session.id);
    if (this.#sessions.size >= this.#max) this.purgeExpired();
    while (this.#sessions.size >= this.#max) {
      const [oldestId, oldest] = this.#sessions.entries().next().value as [string, Session];
      oldest.retire();
      this.#sessions.delete(oldestId);
    }
    this.#sessions.set(session.id, session);
  }

  /** The live session with this id, or `undefined` (unknown, expired or disposed). */
  get(id: string): Session | undefined {
    this.#assertUsable();
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.disposed || session.isExpired()) {
      session.retire();
      this.#sessions.delete(id);
      return undefined;
    }
    this.#sessions.delete(id);
    this.#sessions.set(id, session); // most recently used
    return session;
  }

  /**
   * Finds the session named by an untrusted envelope and opens it.
   *
   * @throws {@link CryptoError} `unknown-session` when no live session has that id (expired,
   *   evicted or never created: the peer should run a new handshake), and everything
   *   `Session.open` throws.
   */
  open(envelope: unknown): OpenedEnvelope {
    this.#assertUsable();
    // Only the id here: decoding the whole ciphertext is left to Session.open, once.
    const record = messageRecord(envelope, 'trosyn-envelope');
    const sessionId = encodeBase64Url(decodeBase64Url(record['sessionId'], 'sessionId', SESSION_ID_BYTES));
    const session = this.get(sessionId);
    if (session === undefined) {
      throw new CryptoError('unknown-session', 'No live session with this id (expired, evicted or never created); run a new handshake.', { details: { sessionId } });
    }
    return { session, message: session.open(envelope) };
  }

  /**
   * {@link SessionStore.open} for a binary frame (`Session.sealFrame`): finds the session the
   * frame names and opens it.
   *
   * @throws {@link CryptoError} `unknown-session`, and everything `Session.openFrame` throws.
   */
  openFrame(frame: Uint8Array): OpenedEnvelope {
    this.#assertUsable();
    const sessionId = sealedFrameSessionId(frame);
    const session = this.get(sessionId);
    if (session === undefined) {
      throw new CryptoError('unknown-session', 'No live session with this id (expired, evicted or never created); run a new handshake.', { details: { sessionId } });
    }
    return { session, message: session.openFrame(frame) };
  }

  /** Removes and disposes a session. Returns whether it was held. */
  delete(id: string): boolean {
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    session.dispose();
    return this.#sessions.delete(id);
  }

  /** Drops and retires every expired session; returns how many. */
  purgeExpired(): number {
    let dropped = 0;
    for (const [id, session] of this.#sessions) {
      if (session.disposed || session.isExpired()) {
        session.retire();
        this.#sessions.delete(id);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Disposes every session. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const session of this.#sessions.values()) session.dispose();
    this.#sessions.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #assertUsable(): void {
    if (this.#disposed) throw new CryptoError('disposed', 'The session store was disposed.');
  }
}

/** Creates an in-memory {@link SessionStore}. */
export function createSessionStore(config: SessionStoreConfig = {}): SessionStore {
  return new SessionStore(config);
}
