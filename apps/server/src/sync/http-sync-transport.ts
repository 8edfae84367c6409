import { createHash } from 'node:crypto';
import type { NetworkKey } from '@trosyn/crypto';
import type { PeerLogPosition, PullRequest, SyncRequest, SyncTransport, SyncTransportRequestOptions } from '@trosyn/sync-core';
import { LanSyncError } from './errors.js';
import { OutboundSession } from './outbound-session.js';
import { nextPull, observeAnswer, peerLogPosition, type PeerLogView } from './peer-log-view.js';
import { abortable, parseErrorBody, SESSION_EXPIRED_CODES, SyncHttpClient } from './sync-http-client.js';
import type { SyncRuntimeEventSink } from './sync-runtime-events.js';
import { SyncStreamConnection, type StreamAnswer } from './sync-stream-connection.js';
import { STREAM_FRAME_HEADER_BYTES } from './sync-stream.js';
import { SealedStreamClient } from './sealed-stream-client.js';
import { StreamedAnswer } from './streamed-answer.js';
import { REQUEST_ASSOCIATED_DATA, responseAssociatedData, SEALED_FRAME_MEDIA_TYPE, SYNC_PATHS } from './sync-paths.js';

/** Construction config of {@link HttpSyncTransport}. */
export interface HttpSyncTransportConfig {
  /** The peer's sync port, `http://host:port` or `https://host:port`. */
  readonly url: string;
  /** From `deriveNetworkKey(LAN_SYNC_SHARED_SECRET)`. */
  readonly networkKey: NetworkKey;
  /** This node's id. */
  readonly nodeId: string;
  /** The peer's node id when known (discovery): a handshake answered by another node fails. */
  readonly expectedPeerNodeId?: string | undefined;
  /** Allowed clock difference for handshakes and envelopes. Default 30 s (crypto's default). */
  readonly maxClockSkewMs?: number | undefined;
  /** Per HTTP request: no answer within this time rejects with `timeout`. Default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Largest accepted response body. Default 64 MiB. */
  readonly maxResponseBytes?: number | undefined;
  /** This node's own sync port, sent with the handshake so the peer can sync back. */
  readonly localSyncPort?: number | undefined;
  /** Sessions are renewed this long before they expire. Default 10 s. */
  readonly renewBeforeMs?: number | undefined;
  /**
   * Send sync requests on a sync stream (`GET /sync/v1/stream`, see `sync-stream.ts`) once one is
   * open, instead of one HTTP request each. Default true; a peer that does not offer streams is
   * asked again after a minute, and HTTP is used meanwhile.
   */
  readonly streams?: boolean | undefined;
  /** Receives the outcome of every handshake this transport runs (metrics). */
  readonly onEvent?: SyncRuntimeEventSink | undefined;
  /**
   * Called with the clock offset measured at each handshake message (this node minus the peer,
   * ms, from the peer's `x-trosyn-clock-ms` and the round trip), refused handshakes included.
   */
  readonly onPeerClock?: ((offsetMs: number) => void) | undefined;
  /**
   * Wall clock in ms (`Date.now` by default): the handshake's and the session's clock, session
   * renewal and the stream retry. Injected by tests (with the peer's clock) to move time.
   */
  readonly now?: (() => number) | undefined;
}

/** A sealed request's answer, however it travelled: the sealed response (whole, or opened as it arrived), or the peer's refusal. */
type MessageAnswer =
  | { readonly sealed: Buffer }
  | { readonly streamed: StreamedAnswer }
  | { readonly status: number; readonly remote: { code: string; message: string } | undefined };

/** What a request's answer is wanted as: parsed JSON, the plaintext bytes, or the plaintext as the pieces it was opened in. */
type AnswerForm = 'json' | 'raw' | { readonly pieces: { readonly sha256From: number | undefined } };

/** An answer opened as pieces ({@link HttpSyncTransport.requestPieces}). */
export interface AnswerPieces {
  /** The authenticated plaintext, in order. */
  readonly plaintext: readonly Buffer[];
  /** With `sha256From`: the SHA-256 (hex) of the plaintext from that byte on. */
  readonly sha256: string | undefined;
}

// A peer that does not offer sync streams is asked again after this long.
const STREAM_RETRY_MS = 60_000;

/**
 * A `@trosyn/sync-core` {@link SyncTransport} over HTTP(S) to one peer's sync port.
 *
 * The first request runs the `@trosyn/crypto` handshake as initiator (`/sync/v1/handshake/*`);
 * every request after that is sealed by the session and sent as a binary frame on the peer's
 * sync stream (one upgraded connection, see `sync-stream.ts`), or as the body of a
 * `POST /sync/v1/messages` when the peer offers no stream; the sealed response is opened and
 * bound to its request. When the stream breaks under a request (the peer restarted), the
 * request is sealed anew and sent once more on a new stream (requests are idempotent). A session
 * the peer no longer knows (restart, expiry) is renewed with one new handshake and the request
 * is retried once; sessions are also renewed shortly before they expire. Connections are kept
 * alive between requests. Over HTTPS the certificate is not verified: the handshake
 * authenticates the peer (see the README's LAN sync section).
 *
 * @example
 * ```ts
 * const transport = new HttpSyncTransport({ url: 'http://192.168.1.20:5000', networkKey, nodeId: engine.nodeId });
 * const peerId = await transport.connect();
 * const report = await engine.syncWith(peerId, transport);
 * transport.close();
 * ```
 */
export class HttpSyncTransport implements SyncTransport {
  readonly #config: { readonly timeoutMs: number; readonly maxResponseBytes: number; readonly streams: boolean; readonly now: () => number };
  readonly #url: URL;
  readonly #http: SyncHttpClient;
  readonly #session: OutboundSession;
  #closed = false;
  /** A pull request sent ahead of the engine (see {@link HttpSyncTransport.request}), keyed by its JSON. */
  #prefetch: { readonly key: string; readonly response: Promise<unknown> } | undefined;
  /** What the peer last told us: its cursor into our log and the pages it accepts. */
  #peerView: PeerLogView | undefined;
  #bytesSent = 0;
  #bytesReceived = 0;
  #stream: SyncStreamConnection | undefined;
  #streamOpening: Promise<SyncStreamConnection | undefined> | undefined;
  #streamRetryAt = 0;
  /** Connections of streamed answers (`requestStream`): one each, never limited by the sync agent's sockets. */
  #streamClient: SealedStreamClient | undefined;

  constructor(config: HttpSyncTransportConfig) {
    this.#url = new URL(config.url);
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') throw new TypeError(`sync peer URL must be http: or https:, got ${config.url}`);
    const now = config.now ?? Date.now;
    this.#config = Object.freeze({ timeoutMs: config.timeoutMs ?? 30_000, maxResponseBytes: config.maxResponseBytes ?? 64 * 1024 * 1024, streams: config.streams ?? true, now });
    this.#http = new SyncHttpClient({ url: this.#url, timeoutMs: this.#config.timeoutMs, maxResponseBytes: this.#config.maxResponseBytes, localSyncPort: config.localSyncPort });
    this.#session = new OutboundSession({
      http: this.#http,
      networkKey: config.networkKey,
      nodeId: config.nodeId,
      expectedPeerNodeId: config.expectedPeerNodeId,
      maxClockSkewMs: config.maxClockSkewMs ?? 30_000,
      renewBeforeMs: config.renewBeforeMs ?? 10_000,
      now,
      onEvent: config.onEvent,
      onPeerClock: config.onPeerClock,
    });
  }

  /** The peer's sync URL. */
  get url(): string {
    return this.#url.origin;
  }

  /** The authenticated peer node id, once a handshake succeeded. */
  get peerNodeId(): string | undefined {
    return this.#session.peerNodeId;
  }

  /** Whether a live session is held. */
  get connected(): boolean {
    return this.#session.connected;
  }

  /** Whether sync requests currently travel on a sync stream (rather than one HTTP request each). */
  get streaming(): boolean {
    return this.#stream?.open === true;
  }

  /** Bytes of HTTP bodies and stream frames sent and received so far (handshakes and sealed frames). */
  get bytes(): { readonly sent: number; readonly received: number } {
    const http = this.#http.bytes;
    return { sent: this.#bytesSent + http.sent, received: this.#bytesReceived + http.received };
  }

  /**
   * Ensures an authenticated session (running the handshake if needed) and returns the
   * peer's node id.
   */
  async connect(options: SyncTransportRequestOptions = {}): Promise<string> {
    return (await this.#session.ensure(options.signal)).peerNodeId;
  }

  /**
   * Sends one request and resolves with the peer's (opened) response.
   *
   * Pull pages are prefetched: when a page says more follow, the request for the next one
   * (the same pull with the cursor at the page's end, which is exactly what the engine asks
   * next once it applied the page) is sent at once, so the peer builds page n+1 while this node
   * applies page n. A prefetched answer is used only for a byte-identical request; pulls are
   * reads, so an unused one is simply dropped.
   */
  async request(message: SyncRequest, options: SyncTransportRequestOptions = {}): Promise<unknown> {
    options.signal?.throwIfAborted();
    const plaintext = JSON.stringify(message);
    const prefetched = this.#prefetch;
    this.#prefetch = undefined;
    let response: unknown;
    if (prefetched !== undefined && prefetched.key === plaintext) {
      try {
        response = await abortable(prefetched.response, options.signal);
      } catch (error) {
        options.signal?.throwIfAborted();
        void error; // the speculative request failed: send it for real
        response = await this.#send(plaintext, options.signal);
      }
    } else {
      response = await this.#send(plaintext, options.signal);
    }
    this.#peerView = observeAnswer(this.#peerView, response);
    if (message.type === 'pull' && this.#prefetchNext(message, response)) {
      // http.request hands a request to its (kept-alive) socket on process.nextTick, and the
      // engine goes from here to applying the page in one run of promise continuations, which
      // drain before any nextTick: without this yield the prefetch would leave only after the
      // page was applied, and the two nodes would take turns instead of working at once.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return response;
  }

  /**
   * Where the peer stands in this node's log, from its last answers (a pull page's `yourCursor`
   * and `limits`, moved by later push acknowledgements), for a push-only round
   * (`SyncRoundOptions.pushOnly`); `undefined` while that is unknown (no round completed yet)
   * or the peer is resyncing from us. A stale position costs nothing: the peer refuses a page
   * it cannot continue, with nothing applied, and the scheduler then runs a full round.
   */
  peerLogPosition(): PeerLogPosition | undefined {
    return peerLogPosition(this.#peerView);
  }

  /** Sends the pull that will follow `response`, if more pages follow; returns whether it did. */
  #prefetchNext(message: PullRequest, response: unknown): boolean {
    const next = nextPull(message, response);
    if (next === undefined) return false;
    const key = JSON.stringify(next);
    const pending = this.#send(key, undefined);
    pending.catch(() => undefined);
    this.#prefetch = { key, response: pending };
    return true;
  }

  /**
   * Sends one request that is not sync-core's (model transfer, see `src/peer-models/`) and
   * resolves with the opened answer's bytes, unparsed: such an answer may be binary.
   */
  async requestRaw(message: object, options: SyncTransportRequestOptions = {}): Promise<Buffer> {
    options.signal?.throwIfAborted();
    return (await this.#send(JSON.stringify(message), options.signal, 'raw')) as Buffer;
  }

  /**
   * {@link HttpSyncTransport.requestRaw} for a large answer (a model chunk): on the sync stream
   * the answer is decrypted piece by piece as it arrives (`Session.openFrameStream`) and never
   * joined, and it resolves with the authenticated plaintext as those pieces, in order. With
   * `sha256From`, the plaintext from that byte on is also hashed as it is decrypted (for a chunk
   * checked against its advertised sha256 without reading it from memory again).
   */
  async requestPieces(message: object, options: SyncTransportRequestOptions & { readonly sha256From?: number } = {}): Promise<AnswerPieces> {
    options.signal?.throwIfAborted();
    return (await this.#send(JSON.stringify(message), options.signal, { pieces: { sha256From: options.sha256From } })) as AnswerPieces;
  }

  /**
   * Sends one pooled generation request (`POST /sync/v1/pool/generate`, see `src/pool/`) and
   * yields the messages of the peer's streamed answer as they arrive, opened and checked in
   * order. Aborting `signal` (or returning early) closes the connection, which tells the peer to
   * stop. A session the peer no longer knows is renewed once, before anything was answered.
   * Streams may run concurrently on one transport: they share its session (no handshake each),
   * each on a connection of its own, and their frames are opened by their position in their
   * stream rather than through the session's replay window.
   */
  async *requestStream(message: object, signal: AbortSignal | undefined): AsyncGenerator<unknown> {
    const plaintext = JSON.stringify(message);
    for (let renewed = false; ; renewed = true) {
      signal?.throwIfAborted();
      const session = await this.#session.ensure(signal);
      this.#streamClient ??= new SealedStreamClient(this.#url);
      const outcome = yield* this.#streamClient.exchange(session, plaintext, {
        signal,
        maxFrameBytes: this.#config.maxResponseBytes,
        mayRenew: !renewed,
        count: (sent, received) => {
          this.#bytesSent += sent;
          this.#bytesReceived += received;
        },
      });
      if (outcome === 'answered') return;
      // The peer no longer knows the session (it restarted): nothing ran; handshake again, once.
      this.#session.drop(session);
    }
  }

  async #send(plaintext: string, signal: AbortSignal | undefined, form: AnswerForm = 'json'): Promise<unknown> {
    let renewed = false;
    let resent = false;
    for (;;) {
      const session = await this.#session.ensure(signal);
      const sequence = session.sealedCount;
      const frame = session.sealFrame(plaintext, REQUEST_ASSOCIATED_DATA);
      const streamed = typeof form === 'object' ? new StreamedAnswer(session, form.pieces) : undefined;
      let answer: MessageAnswer;
      try {
        answer = await this.#exchange(frame, signal, streamed);
      } catch (error) {
        streamed?.abort();
        // The stream broke under the request (the peer restarted or dropped it): send it once
        // more, sealed anew, on a new stream. Requests are idempotent (a pull reads; a page
        // already applied is skipped), so it does not matter whether the peer got the first one.
        if (!(error instanceof StreamBrokenError) || resent) throw error;
        resent = true;
        continue;
      }
      if ('streamed' in answer) {
        const opened = answer.streamed.finish();
        this.#checkBound(opened.associatedData, sequence);
        return { plaintext: opened.plaintext, sha256: opened.sha256 } satisfies AnswerPieces;
      }
      streamed?.abort(); // answered whole (over HTTP), or refused
      if ('sealed' in answer) {
        const opened = session.openFrame(answer.sealed);
        this.#checkBound(opened.associatedData, sequence);
        if (form === 'json') return JSON.parse(opened.plaintext.toString('utf8')) as unknown;
        if (form === 'raw') return opened.plaintext;
        const { sha256From } = form.pieces;
        const sha256 = sha256From === undefined ? undefined : createHash('sha256').update(opened.plaintext.subarray(sha256From)).digest('hex');
        return { plaintext: [opened.plaintext], sha256 } satisfies AnswerPieces;
      }
      const { status, remote } = answer;
      if (status === 401 && remote !== undefined && SESSION_EXPIRED_CODES.has(remote.code) && !renewed) {
        // The peer restarted or dropped the session: nothing was applied; handshake again and retry once.
        renewed = true;
        this.#session.drop(session);
        continue;
      }
      throw new LanSyncError('http-status', `${this.url} answered ${status}${remote === undefined ? '' : ` ${remote.code}: ${remote.message}`}`, {
        status,
        ...(remote === undefined ? {} : { remoteCode: remote.code }),
      });
    }
  }

  #checkBound(associatedData: Buffer | undefined, sequence: number): void {
    if (associatedData?.toString('utf8') !== responseAssociatedData(sequence)) {
      throw new LanSyncError('malformed-frame', `response from ${this.url} is not bound to request ${sequence}`);
    }
  }

  /**
   * Sends one sealed request on the sync stream, or as an HTTP request when the peer has none.
   * With `streamed`, a sealed answer on the stream is opened into it as it arrives.
   */
  async #exchange(frame: Buffer, signal: AbortSignal | undefined, streamed?: StreamedAnswer): Promise<MessageAnswer> {
    const stream = this.#stream?.open === true ? this.#stream : await abortable(this.#openStream(), signal);
    if (stream !== undefined) {
      let answer: StreamAnswer;
      try {
        answer = await abortable(stream.request(frame, this.#config.timeoutMs, streamed), signal);
      } catch (error) {
        signal?.throwIfAborted();
        if (error instanceof LanSyncError && error.code === 'unreachable') throw new StreamBrokenError('unreachable', error.message, { cause: error });
        throw error;
      }
      this.#bytesSent += frame.length + STREAM_FRAME_HEADER_BYTES;
      if (answer.kind === 'streamed') {
        this.#bytesReceived += streamed!.bytes + STREAM_FRAME_HEADER_BYTES;
        return { streamed: streamed! };
      }
      if (answer.kind === 'sealed') {
        this.#bytesReceived += answer.body.length + STREAM_FRAME_HEADER_BYTES;
        return { sealed: answer.body };
      }
      return { status: answer.refusal.status, remote: { code: answer.refusal.code, message: answer.refusal.message } };
    }
    const answer = await this.#http.post(SYNC_PATHS.messages, frame, SEALED_FRAME_MEDIA_TYPE, signal);
    if (answer.contentType.startsWith(SEALED_FRAME_MEDIA_TYPE)) return { sealed: answer.body };
    return { status: answer.status, remote: parseErrorBody(answer.body) };
  }

  /**
   * The open sync stream, opening one if needed; `undefined` when streams are off, the peer
   * offers none (an older node: it is asked again after a minute, and HTTP is used meanwhile), or
   * the upgrade failed (this request then goes over HTTP).
   */
  #openStream(): Promise<SyncStreamConnection | undefined> {
    if (this.#stream?.open === true) return Promise.resolve(this.#stream);
    if (!this.#config.streams || this.#closed || this.#config.now() < this.#streamRetryAt) return Promise.resolve(undefined);
    this.#streamOpening ??= SyncStreamConnection.open(this.#url, { timeoutMs: this.#config.timeoutMs, maxFrameBytes: this.#config.maxResponseBytes })
      .then(
        (stream) => {
          if (this.#closed) {
            stream.close();
            return undefined;
          }
          this.#stream = stream;
          stream.onClose(() => {
            if (this.#stream === stream) this.#stream = undefined;
          });
          return stream;
        },
        (error: unknown) => {
          // A peer that answered without a stream (an older node) is asked again in a minute; an
          // unreachable one at the next request (it may be back by then, with streams).
          if (error instanceof LanSyncError && error.code === 'http-status') this.#streamRetryAt = this.#config.now() + STREAM_RETRY_MS;
          return undefined;
        },
      )
      .finally(() => {
        this.#streamOpening = undefined;
      });
    return this.#streamOpening;
  }

  /** Forgets the session (the next request handshakes again). */
  resetSession(): void {
    this.#peerView = undefined;
    this.#session.reset();
  }

  /** Closes kept-alive connections and wipes the session. Idempotent; later requests reject with `closed`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#prefetch = undefined;
    this.#peerView = undefined;
    this.#session.close();
    this.#stream?.close();
    this.#stream = undefined;
    this.#http.destroy();
    this.#streamClient?.destroy();
  }
}

/** The sync stream closed while a request waited for its answer. */
class StreamBrokenError extends LanSyncError {}
