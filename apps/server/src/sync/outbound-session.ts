import { createInitiator, type NetworkKey, type Session } from '@trosyn/crypto';
import { LanSyncError } from './errors.js';
import { parseErrorBody, type SyncHttpClient } from './sync-http-client.js';
import type { SyncRuntimeEventSink } from './sync-runtime-events.js';
import { SYNC_PATHS } from './sync-paths.js';

/** Construction config of {@link OutboundSession}. */
export interface OutboundSessionConfig {
  /** Where the handshake messages go (the transport's client for the peer's sync port). */
  readonly http: SyncHttpClient;
  readonly networkKey: NetworkKey;
  /** This node's id. */
  readonly nodeId: string;
  /** When set, a handshake answered by another node fails. */
  readonly expectedPeerNodeId: string | undefined;
  /** Allowed clock difference for handshakes and envelopes. */
  readonly maxClockSkewMs: number;
  /** Sessions are renewed this long before they expire. */
  readonly renewBeforeMs: number;
  /** Wall clock in ms: the handshake's and the session's clock, and the renewal decision's. */
  readonly now: () => number;
  /** Receives the outcome of every handshake (metrics). */
  readonly onEvent: SyncRuntimeEventSink | undefined;
  /** Receives the clock offset measured at each handshake message (this node minus the peer, ms). */
  readonly onPeerClock: ((offsetMs: number) => void) | undefined;
}

/**
 * The initiator side of one peer's session: runs the `@trosyn/crypto` handshake
 * (`/sync/v1/handshake/*`) when there is no session, shares one handshake between concurrent
 * requests, renews the session shortly before it expires (requests still running on the old
 * one finish on it), and forgets it on demand (the peer no longer knows it).
 */
export class OutboundSession {
  readonly #config: OutboundSessionConfig;
  #session: Session | undefined;
  #handshaking: Promise<Session> | undefined;
  /** Sessions replaced by a renewal, kept for the requests still running on them until they expire. */
  readonly #retired = new Set<Session>();
  #closed = false;

  constructor(config: OutboundSessionConfig) {
    this.#config = config;
  }

  /** The authenticated peer node id, once a handshake succeeded. */
  get peerNodeId(): string | undefined {
    return this.#session?.peerNodeId;
  }

  /** Whether a live session is held. */
  get connected(): boolean {
    return this.#session !== undefined && !this.#session.disposed && !this.#session.isExpired();
  }

  /** A session good for at least `renewBeforeMs` more, running a handshake if needed. */
  async ensure(signal: AbortSignal | undefined): Promise<Session> {
    if (this.#closed) throw new LanSyncError('closed', `transport to ${this.#config.http.url} is closed`);
    const session = this.#session;
    if (session !== undefined && !session.disposed && session.expiresAt - this.#config.now() > this.#config.renewBeforeMs) return session;
    if (session !== undefined) this.#retire(session);
    // Concurrent requests share one handshake.
    this.#handshaking ??= this.#handshake(signal).finally(() => {
      this.#handshaking = undefined;
    });
    return this.#handshaking;
  }

  /**
   * Forgets `session` if it is the current one (the next request handshakes again) and retires
   * it: wiped now, or when the last stream still reading on it ends (`Session.holdForStream`).
   */
  drop(session: Session): void {
    if (this.#session === session) this.#session = undefined;
    session.retire();
  }

  /**
   * Renewal: new requests get a new session, while the requests still running on this one (a
   * streamed answer may be one of many on it) keep it until it expires; then it is retired:
   * wiped, or, while streams that started before its expiry still read on it, when the last of
   * them ends (`Session.holdForStream`).
   */
  #retire(session: Session): void {
    if (this.#session === session) this.#session = undefined;
    const leftMs = session.expiresAt - this.#config.now();
    if (session.disposed || leftMs <= 0) {
      session.retire();
      return;
    }
    this.#retired.add(session);
    setTimeout(() => {
      this.#retired.delete(session);
      session.retire();
    }, Math.min(leftMs, 2 ** 31 - 1)).unref();
  }

  /** Forgets the current session, if any. */
  reset(): void {
    if (this.#session !== undefined) this.drop(this.#session);
  }

  /** Wipes the session; later {@link OutboundSession.ensure} calls reject with `closed`. */
  close(): void {
    this.#closed = true;
    this.reset();
    for (const session of this.#retired) session.dispose();
    this.#retired.clear();
  }

  async #handshake(signal: AbortSignal | undefined): Promise<Session> {
    const initiator = createInitiator({
      networkKey: this.#config.networkKey,
      nodeId: this.#config.nodeId,
      maxClockSkewMs: this.#config.maxClockSkewMs,
      clock: this.#config.now,
      ...(this.#config.expectedPeerNodeId === undefined ? {} : { expectedPeerNodeId: this.#config.expectedPeerNodeId }),
    });
    let outcome = 'error';
    try {
      const challenge = await this.#postJson(SYNC_PATHS.hello, initiator.hello(), signal);
      const proof = initiator.handleChallenge(challenge);
      const confirm = await this.#postJson(SYNC_PATHS.proof, proof, signal);
      const session = initiator.handleConfirm(confirm);
      if (this.#closed) {
        session.dispose();
        throw new LanSyncError('closed', `transport to ${this.#config.http.url} is closed`);
      }
      this.#session = session;
      outcome = 'ok';
      return session;
    } catch (error) {
      // The peer's refusal code when it sent one (`authentication-failed`: another secret), else ours.
      const { remoteCode, code } = (error ?? {}) as { remoteCode?: unknown; code?: unknown };
      outcome = typeof remoteCode === 'string' ? remoteCode : typeof code === 'string' ? code : 'error';
      throw error;
    } finally {
      initiator.dispose();
      this.#config.onEvent?.({ type: 'handshake', direction: 'outbound', outcome });
    }
  }

  async #postJson(path: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const { http, now } = this.#config;
    const sentAt = now();
    const answer = await http.post(path, Buffer.from(JSON.stringify(body)), 'application/json', signal);
    // The peer read its clock somewhere in the round trip: assume the middle.
    if (answer.peerClockMs !== undefined) this.#config.onPeerClock?.((sentAt + now()) / 2 - answer.peerClockMs);
    if (answer.status !== 200) {
      const remote = parseErrorBody(answer.body);
      throw new LanSyncError('handshake-refused', `${http.url} refused the handshake: ${answer.status}${remote === undefined ? '' : ` ${remote.code}: ${remote.message}`}`, {
        status: answer.status,
        ...(remote === undefined ? {} : { remoteCode: remote.code }),
      });
    }
    try {
      return JSON.parse(answer.body.toString('utf8')) as unknown;
    } catch (error) {
      throw new LanSyncError('malformed-frame', `${http.url} answered the handshake with invalid JSON`, { cause: error });
    }
  }
}
