import type { KeyObject } from 'node:crypto';
import { AES_256_GCM_TAG_BYTES, aes256GcmDecrypt, aes256GcmEncrypt, aes256GcmPieceDecryptor, importAes256GcmKey } from './aes-256-gcm.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import type { Clock } from './clock.js';
import { CryptoError } from './errors.js';
import { messageRecord, nonNegativeIntegerField, PROTOCOL_VERSION, SESSION_ID_BYTES, timestampField } from './handshake-messages.js';
import { lengthPrefixed } from './length-prefixed.js';
import { ReplayWindow } from './replay-window.js';
import type { ParsedEnvelope } from './parsed-envelope.js';
import { encodeSealedFrame, encodeSealedFrameHead, parseSealedFrame, SEALED_FRAME_MAX_AD_BYTES, type SealedParts } from './sealed-frame.js';
import { SealedFrameOpener, type FrameStreamOptions } from './sealed-frame-opener.js';
import { StreamHold } from './stream-hold.js';
import type { OpenedMessage } from './opened-message.js';

export type { OpenedMessage } from './opened-message.js';

/** Which side of the handshake a session was made on. */
export type SessionRole = 'initiator' | 'responder';

/**
 * One sealed message on the wire: a plain JSON object. Binary fields are unpadded base64url.
 *
 * ```json
 * { "type": "trosyn-envelope", "version": 1, "sessionId": "<16 bytes>", "sequence": 0,
 *   "timestamp": 1767225600123, "associatedData": "<optional, authenticated, not encrypted>",
 *   "ciphertext": "<AES-256-GCM ciphertext, as long as the plaintext>", "tag": "<16-byte GCM tag>" }
 * ```
 *
 * The header (version, session id, sequence, timestamp, associated data) is authenticated as
 * GCM additional data; the nonce is derived from the direction and the sequence, never sent.
 */
export interface Envelope {
  readonly type: 'trosyn-envelope';
  readonly version: typeof PROTOCOL_VERSION;
  readonly sessionId: string;
  /** Per-direction counter from 0; also the GCM nonce. */
  readonly sequence: number;
  /** The sender's clock when sealing, milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** Present only when non-empty associated data was sealed. */
  readonly associatedData?: string;
  readonly ciphertext: string;
  /** The GCM tag, apart from the ciphertext so sealing never copies a large ciphertext to append it. */
  readonly tag: string;
}

/** A sealed frame in two pieces ({@link Session.sealFramePieces}): `head` then `ciphertext` is the frame. */
export interface SealedFramePieces {
  /** Header, associated data and tag. */
  readonly head: Buffer;
  readonly ciphertext: Buffer;
}

/** Everything a {@link Session} is built from; produced by the handshake. */
export interface SessionInit {
  readonly role: SessionRole;
  readonly id: Buffer;
  readonly localNodeId: string;
  readonly peerNodeId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Taken over by the session: imported into OpenSSL and wiped at once. */
  readonly sendKey: Buffer;
  /** Taken over by the session: imported into OpenSSL and wiped at once. */
  readonly receiveKey: Buffer;
  readonly clock: Clock;
  readonly maxClockSkewMs: number;
  readonly replayWindow: number;
}

// Nonce prefix per direction. The two directions already use different keys; distinct nonce
// spaces are defence in depth should a key ever be shared by mistake.
const DIRECTION_INITIATOR_TO_RESPONDER = 1;
const DIRECTION_RESPONDER_TO_INITIATOR = 2;

/**
 * An authenticated, encrypted channel to one peer, the result of a handshake. Each direction has
 * its own AES-256-GCM key and its own counter; nonces are never reused because the counter only
 * grows and sealing stops when it would overflow.
 *
 * Not serialisable on purpose: keys stay in this process. Keep sessions in memory (see
 * {@link SessionStore}) and run a new handshake after a restart or expiry.
 *
 * @example
 * ```ts
 * const envelope = session.seal('{"op":"pull"}', 'POST /sync/pull');
 * const { plaintext, associatedData } = peerSession.open(JSON.parse(JSON.stringify(envelope)));
 * ```
 */
export class Session {
  /** Session id, unpadded base64url of 16 bytes; travels in every envelope. */
  readonly id: string;
  readonly role: SessionRole;
  readonly localNodeId: string;
  /** The peer's node id, as it claimed in the handshake (see the README: any key holder can claim any id). */
  readonly peerNodeId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly #idBytes: Buffer;
  // The keys live only in OpenSSL's memory, imported once: importing raw bytes on every seal and
  // open cost more than the encryption itself (a cold 1.5 KB seal: 228 µs, 105 µs imported).
  // dispose() drops them; OpenSSL clears a key's memory when the object is collected, as it
  // does for the key schedule inside every cipher context.
  #sendKey: KeyObject | undefined;
  #receiveKey: KeyObject | undefined;
  readonly #sendDirection: number;
  readonly #receiveDirection: number;
  readonly #clock: Clock;
  readonly #maxClockSkewMs: number;
  readonly #window: ReplayWindow;
  #nextSequence = 0;
  #disposed = false;
  /** Streams holding the session ({@link Session.holdForStream}), and whether it is disposed when the last one ends. */
  #holds = 0;
  #retired = false;

  /** @internal Sessions come out of a handshake (`Initiator.handleConfirm`, `Responder.handleProof`). */
  constructor(init: SessionInit) {
    this.#idBytes = init.id;
    this.id = encodeBase64Url(init.id);
    this.role = init.role;
    this.localNodeId = init.localNodeId;
    this.peerNodeId = init.peerNodeId;
    this.createdAt = init.createdAt;
    this.expiresAt = init.expiresAt;
    this.#sendKey = importAes256GcmKey(init.sendKey);
    this.#receiveKey = importAes256GcmKey(init.receiveKey);
    // No copy of the keys stays in JavaScript memory.
    init.sendKey.fill(0);
    init.receiveKey.fill(0);
    const initiator = init.role === 'initiator';
    this.#sendDirection = initiator ? DIRECTION_INITIATOR_TO_RESPONDER : DIRECTION_RESPONDER_TO_INITIATOR;
    this.#receiveDirection = initiator ? DIRECTION_RESPONDER_TO_INITIATOR : DIRECTION_INITIATOR_TO_RESPONDER;
    this.#clock = init.clock;
    this.#maxClockSkewMs = init.maxClockSkewMs;
    this.#window = new ReplayWindow(init.replayWindow);
  }

  /** How many messages this side has sealed (the next sequence number). */
  get sealedCount(): number {
    return this.#nextSequence;
  }

  /** Whether {@link Session.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Whether the session's lifetime is over, by its clock. */
  isExpired(): boolean {
    return this.#clock() >= this.expiresAt;
  }

  /**
   * Encrypts and authenticates `plaintext` (strings are UTF-8) for the peer.
   *
   * @param associatedData - authenticated but not encrypted; travels in the envelope and is
   *   returned by `open`. Use it to bind a message to its purpose (e.g. the route it was sent to).
   * @throws {@link CryptoError} `session-expired`, `sequence-exhausted` or `disposed`.
   */
  seal(plaintext: Uint8Array | string, associatedData?: Uint8Array | string): Envelope {
    const parts = this.#sealParts(plaintext, associatedData);
    return {
      type: 'trosyn-envelope',
      version: PROTOCOL_VERSION,
      sessionId: this.id,
      sequence: parts.sequence,
      timestamp: parts.timestamp,
      ...(parts.associatedData === undefined ? {} : { associatedData: encodeBase64Url(parts.associatedData) }),
      ciphertext: encodeBase64Url(parts.ciphertext),
      tag: encodeBase64Url(parts.tag),
    };
  }

  /**
   * {@link Session.seal} into the binary frame (see {@link parseSealedFrame}'s layout) instead of
   * the JSON envelope: for transports that carry bytes. A third smaller than the envelope's JSON
   * and without a base64 pass over the ciphertext; the peer opens it with {@link Session.openFrame}.
   *
   * @throws {@link CryptoError} `session-expired`, `sequence-exhausted`, `disposed`, or
   *   `invalid-argument` for associated data over 65,535 bytes.
   */
  sealFrame(plaintext: Uint8Array | string, associatedData?: Uint8Array | string): Buffer {
    const ad = toBytes(associatedData);
    if (ad !== undefined && ad.length > SEALED_FRAME_MAX_AD_BYTES) {
      throw new CryptoError('invalid-argument', `Associated data of a frame is at most ${SEALED_FRAME_MAX_AD_BYTES} bytes, got ${ad.length}.`);
    }
    return encodeSealedFrame(this.#sealParts(plaintext, ad));
  }

  /**
   * {@link Session.sealFrame} in two pieces: the frame's head (header, associated data, tag) and
   * its ciphertext, to be sent one after the other (`head` then `ciphertext` is exactly
   * `sealFrame`'s frame). For large plaintexts (a model file's chunks): the ciphertext is not
   * copied into a frame.
   *
   * @throws {@link CryptoError} the codes of {@link Session.sealFrame}.
   */
  sealFramePieces(plaintext: Uint8Array | string, associatedData?: Uint8Array | string): SealedFramePieces {
    const ad = toBytes(associatedData);
    if (ad !== undefined && ad.length > SEALED_FRAME_MAX_AD_BYTES) {
      throw new CryptoError('invalid-argument', `Associated data of a frame is at most ${SEALED_FRAME_MAX_AD_BYTES} bytes, got ${ad.length}.`);
    }
    const parts = this.#sealParts(plaintext, ad);
    return { head: encodeSealedFrameHead(parts), ciphertext: Buffer.from(parts.ciphertext.buffer, parts.ciphertext.byteOffset, parts.ciphertext.byteLength) };
  }

  #sealParts(plaintext: Uint8Array | string, associatedData: Uint8Array | string | undefined, deadline = this.expiresAt): SealedParts {
    const key = this.#usableKey(this.#sendKey);
    const now = this.#clock();
    if (now >= deadline) throw this.#expired(now);
    const sequence = this.#nextSequence;
    if (sequence >= Number.MAX_SAFE_INTEGER) {
      throw new CryptoError('sequence-exhausted', 'This session has sealed as many messages as it can count; run a new handshake.', { details: { sessionId: this.id } });
    }
    // Advance before encrypting: even if encryption throws, the nonce is never used twice.
    this.#nextSequence = sequence + 1;
    const ad = toBytes(associatedData);
    const adBytes = ad !== undefined && ad.length > 0 ? ad : undefined;
    const header = envelopeHeader(this.#idBytes, sequence, now, adBytes);
    const { ciphertext, tag } = aes256GcmEncrypt(key, nonceFor(this.#sendDirection, sequence), toBytes(plaintext) ?? EMPTY, header);
    return { sessionId: this.#idBytes, sequence, timestamp: now, associatedData: adBytes, ciphertext, tag };
  }

  /**
   * Validates, authenticates and decrypts an untrusted envelope from the peer. Each envelope is
   * accepted once; envelopes may arrive out of order within the replay window.
   *
   * @throws {@link CryptoError} `malformed`, `unsupported-version`, `wrong-session`,
   *   `session-expired`, `timestamp-skew`, `replayed`, `outside-window`, `tampered` or `disposed`.
   */
  open(envelope: unknown): OpenedMessage {
    this.#assertUsable();
    return this.#openParsed(parseEnvelope(envelope));
  }

  /**
   * {@link Session.open} for a binary frame from {@link Session.sealFrame}. The same checks, in
   * the same order; the returned plaintext is a new buffer, the frame is not modified.
   *
   * @throws {@link CryptoError} the codes of {@link Session.open}.
   */
  openFrame(frame: Uint8Array): OpenedMessage {
    this.#assertUsable();
    const parsed = parseSealedFrame(frame);
    // The frame's associated data is a view into the caller's buffer: hand out a copy it cannot change under us.
    return this.#openParsed(parsed.associatedData === undefined ? parsed : { ...parsed, associatedData: Buffer.from(parsed.associatedData) });
  }

  /**
   * {@link Session.openFrame} for a frame the caller accepts at one position only: its associated
   * data must be exactly `associatedData` (checked before decrypting), and the replay window is
   * neither consulted nor moved. For messages that travel on several connections at once — the
   * frames of concurrent streamed answers on one session, interleaved in any order — where a
   * window over the session's one sequence could refuse a frame held back on a slow connection.
   *
   * Replay safety moves to the caller: the associated data must name a position no other frame
   * of the session is sealed for (e.g. `stream <request sequence> <index>`), and the caller must
   * accept each position at most once (read each stream's frames in order, each stream once). A
   * replayed or moved frame then fails the binding; a frame of another session fails as usual.
   *
   * @throws {@link CryptoError} the codes of {@link Session.openFrame} but `replayed` and
   *   `outside-window`; `tampered` when the frame is bound to other associated data.
   */
  openFrameBoundTo(frame: Uint8Array, associatedData: Uint8Array | string): OpenedMessage {
    return this.#openBound(frame, associatedData, this.expiresAt);
  }

  #openBound(frame: Uint8Array, associatedData: Uint8Array | string, deadline: number): OpenedMessage {
    this.#assertUsable();
    const parsed = parseSealedFrame(frame);
    const expected = toBytes(associatedData) ?? EMPTY;
    const actual = parsed.associatedData ?? EMPTY;
    if (expected.length === 0 || !Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)) {
      throw new CryptoError('tampered', 'The frame is bound to another position than the one it was read at.', { details: { sessionId: this.id, sequence: parsed.sequence } });
    }
    return this.#openParsed({ ...parsed, associatedData: Buffer.from(actual) }, false, deadline);
  }

  /**
   * Lets one stream that starts now, while the session is live, run to its end: the returned
   * hold seals its frames ({@link StreamHold.sealFrame}) and opens them at their bound positions
   * ({@link StreamHold.openFrameBoundTo}) until `until`, even past {@link Session.expiresAt}, and
   * the keys outlive {@link Session.retire} until every hold is released. `until` is capped at
   * one session lifetime (`expiresAt - createdAt`) from now, so keys are used at most twice a
   * lifetime after their handshake. What the expiry protects stays: once expired, the session
   * seals and opens nothing else (no new request, no envelope, nothing through the replay
   * window), and the hold's frames are bound to their positions as with `openFrameBoundTo`.
   *
   * @throws {@link CryptoError} `session-expired` (a stream cannot start on an expired session) or `disposed`.
   */
  holdForStream(until: number): StreamHold {
    this.#assertUsable();
    const now = this.#clock();
    if (now >= this.expiresAt) throw this.#expired(now);
    this.#holds += 1;
    return new StreamHold(
      {
        sealFrame: (plaintext, associatedData, deadline) => {
          if ((toBytes(associatedData)?.length ?? 0) === 0) throw new CryptoError('invalid-argument', 'A stream frame must be bound to its position (associated data).');
          return encodeSealedFrame(this.#sealParts(plaintext, associatedData, deadline));
        },
        openFrameBoundTo: (frame, associatedData, deadline) => this.#openBound(frame, associatedData, deadline),
        release: () => {
          this.#holds -= 1;
          if (this.#holds === 0 && this.#retired) this.dispose();
        },
      },
      Math.min(until, now + (this.expiresAt - this.createdAt)),
    );
  }

  /** How many streams hold the session ({@link Session.holdForStream}). */
  get streamHolds(): number {
    return this.#holds;
  }

  /**
   * Disposes the session once no stream holds it: now when none does, else when the last hold
   * is released. For a session that is replaced or expired while streams may still run on it.
   */
  retire(): void {
    this.#retired = true;
    if (this.#holds === 0) this.dispose();
  }

  /**
   * {@link Session.openFrame} for a frame that arrives in pieces (a large answer read from a
   * socket): push each piece to the returned opener as it arrives, then call `finish`, which
   * verifies the tag over the whole frame and only then returns the plaintext (as the pieces it
   * was decrypted in). The frame is never joined into one buffer. Same checks in the same order
   * as `openFrame`; see {@link SealedFrameOpener}. With `options.sha256From`, the opener also
   * hashes the plaintext as it decrypts it ({@link FrameStreamOptions}).
   *
   * @example
   * ```ts
   * const opener = session.openFrameStream();
   * socket.on('data', (piece) => opener.push(piece)); // until the frame's length is reached
   * const { plaintext, associatedData } = opener.finish(); // throws `tampered`, releasing nothing
   * ```
   * @throws {@link CryptoError} `disposed`, `invalid-argument` for a bad `sha256From`.
   */
  openFrameStream(options?: FrameStreamOptions): SealedFrameOpener {
    this.#assertUsable();
    return new SealedFrameOpener({
      begin: (parsed) => {
        this.#assertUsable();
        this.#checkHead(parsed);
        const header = envelopeHeader(this.#idBytes, parsed.sequence, parsed.timestamp, parsed.associatedData);
        return aes256GcmPieceDecryptor(this.#usableKey(this.#receiveKey), nonceFor(this.#receiveDirection, parsed.sequence), parsed.tag, header);
      },
      accept: (sequence) => {
        this.#assertUsable();
        // Another opener (or openFrame) may have accepted the same frame while this one decrypted it.
        this.#checkReplay(sequence);
        this.#window.commit(sequence);
      },
    }, options);
  }

  #openParsed(parsed: ParsedEnvelope, useWindow = true, deadline = this.expiresAt): OpenedMessage {
    this.#checkHead(parsed, useWindow, deadline);
    const header = envelopeHeader(this.#idBytes, parsed.sequence, parsed.timestamp, parsed.associatedData);
    const plaintext = aes256GcmDecrypt(this.#usableKey(this.#receiveKey), nonceFor(this.#receiveDirection, parsed.sequence), parsed.ciphertext, parsed.tag, header);
    if (useWindow) this.#window.commit(parsed.sequence);
    return { plaintext, associatedData: parsed.associatedData, sequence: parsed.sequence, timestamp: parsed.timestamp };
  }

  /** The checks before decryption, in order: session, expiry (or a stream hold's `deadline`), clock skew, replay window (unless `useWindow` is false). */
  #checkHead(parsed: ParsedEnvelope, useWindow = true, deadline = this.expiresAt): void {
    if (!parsed.sessionId.equals(this.#idBytes)) {
      throw new CryptoError('wrong-session', 'The envelope belongs to another session.', { details: { sessionId: this.id, envelopeSessionId: parsed.sessionIdText } });
    }
    const now = this.#clock();
    if (now >= deadline) throw this.#expired(now);
    if (Math.abs(parsed.timestamp - now) > this.#maxClockSkewMs) {
      throw new CryptoError('timestamp-skew', `The envelope's timestamp is ${parsed.timestamp - now} ms from this node's clock (allowed: ±${this.#maxClockSkewMs} ms). Check both clocks.`, {
        details: { sessionId: this.id, timestamp: parsed.timestamp, now, maxClockSkewMs: this.#maxClockSkewMs },
      });
    }
    if (useWindow) this.#checkReplay(parsed.sequence);
  }

  #checkReplay(sequence: number): void {
    const replay = this.#window.check(sequence);
    if (replay === 'replayed') {
      throw new CryptoError('replayed', `Envelope ${sequence} was already received.`, { details: { sessionId: this.id, sequence } });
    }
    if (replay === 'outside-window') {
      throw new CryptoError('outside-window', `Envelope ${sequence} is older than the replay window (${this.#window.size} below ${this.#window.highest}).`, {
        details: { sessionId: this.id, sequence, highest: this.#window.highest },
      });
    }
  }

  /**
   * Drops both keys. Idempotent; `seal` and `open` then throw `disposed`. The keys' memory is
   * OpenSSL's: it is cleared when the garbage collector frees the key objects.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#sendKey = undefined;
    this.#receiveKey = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Public facts only, for logs; never keys. */
  toJSON(): Readonly<Record<string, string | number>> {
    return { id: this.id, role: this.role, localNodeId: this.localNodeId, peerNodeId: this.peerNodeId, createdAt: this.createdAt, expiresAt: this.expiresAt };
  }

  #assertUsable(): void {
    if (this.#disposed) throw this.#disposedError();
  }

  /** `key`, or the `disposed` error once the session's keys were dropped. */
  #usableKey(key: KeyObject | undefined): KeyObject {
    if (key === undefined) throw this.#disposedError();
    return key;
  }

  #disposedError(): CryptoError {
    return new CryptoError('disposed', 'The session was disposed; run a new handshake.', { details: { sessionId: this.id } });
  }

  #expired(now: number): CryptoError {
    return new CryptoError('session-expired', 'The session has expired; run a new handshake.', { details: { sessionId: this.id, expiresAt: this.expiresAt, now } });
  }
}

/**
 * Validates an untrusted envelope.
 * @throws {@link CryptoError} `malformed` or `unsupported-version`; never anything else.
 */
export function parseEnvelope(input: unknown): ParsedEnvelope {
  const record = messageRecord(input, 'trosyn-envelope');
  const sessionIdText = record['sessionId'];
  const sessionId = decodeBase64Url(sessionIdText, 'sessionId', SESSION_ID_BYTES);
  const sequence = nonNegativeIntegerField(record, 'sequence');
  const timestamp = timestampField(record, 'timestamp');
  const rawAd = record['associatedData'];
  let associatedData: Buffer | undefined;
  if (rawAd !== undefined) {
    associatedData = decodeBase64Url(rawAd, 'associatedData');
    // seal() omits empty associated data; accepting "" would give one message two encodings.
    if (associatedData.length === 0) throw new CryptoError('malformed', 'Field "associatedData" is present but empty.', { details: { field: 'associatedData' } });
  }
  const ciphertext = decodeBase64Url(record['ciphertext'], 'ciphertext');
  const tag = decodeBase64Url(record['tag'], 'tag', AES_256_GCM_TAG_BYTES);
  return { sessionId, sessionIdText: sessionIdText as string, sequence, timestamp, associatedData, ciphertext, tag };
}

const EMPTY = new Uint8Array(0);

/** GCM additional data: everything in the envelope except the ciphertext, length-prefixed. */
function envelopeHeader(sessionId: Uint8Array, sequence: number, timestamp: number, associatedData: Uint8Array | undefined): Buffer {
  return lengthPrefixed('trosyn/envelope', PROTOCOL_VERSION, sessionId, sequence, timestamp, associatedData ?? EMPTY);
}

/** 96-bit nonce: 32-bit direction ‖ 64-bit sequence, big-endian. Unique per key as the sequence only grows. */
function nonceFor(direction: number, sequence: number): Buffer {
  const nonce = Buffer.allocUnsafe(12);
  nonce.writeUInt32BE(direction, 0);
  nonce.writeUInt32BE(Math.floor(sequence / 0x1_0000_0000), 4);
  nonce.writeUInt32BE(sequence >>> 0, 8);
  return nonce;
}

function toBytes(value: Uint8Array | string | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new CryptoError('invalid-argument', 'Plaintext and associated data must be a string or a Uint8Array.');
}
