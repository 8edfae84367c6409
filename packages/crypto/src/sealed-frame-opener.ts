import { createHash, type Hash } from 'node:crypto';
import type { Aes256GcmPieceDecryptor } from './aes-256-gcm.js';
import { CryptoError } from './errors.js';
import type { ParsedEnvelope } from './parsed-envelope.js';
import { parseSealedFrame, SEALED_FRAME_HEADER_BYTES, sealedFrameHeadBytes } from './sealed-frame.js';

/** What {@link SealedFrameOpener.finish} returns once the whole frame authenticated. */
export interface OpenedFramePieces {
  /** The plaintext, in order, as the pieces it was decrypted in (join them only if you must). */
  readonly plaintext: readonly Buffer[];
  /** Total bytes of `plaintext`. */
  readonly byteLength: number;
  /** The associated data sealed with it, if any: authenticated, so check it against what you expect. */
  readonly associatedData: Buffer | undefined;
  readonly sequence: number;
  readonly timestamp: number;
  /** With {@link FrameStreamOptions.sha256From}: the SHA-256 (hex) of the plaintext from that byte on. */
  readonly sha256?: string;
}

/** Options of `Session.openFrameStream`. */
export interface FrameStreamOptions {
  /**
   * Also computes the SHA-256 of the plaintext from this byte on (0: all of it), each piece as it
   * is decrypted, while it is still in the CPU's cache: for a caller that checks what it
   * receives against a known hash (a hash computed afterwards over the pieces reads them all
   * from memory again). Returned by `finish` as `sha256`, only once the frame authenticated.
   */
  readonly sha256From?: number;
}

/**
 * What a session gives an opener: the checks of `Session.openFrame`, split at the point where
 * the frame's head is known (before any decryption) and where its tag verified.
 *
 * @internal
 */
export interface FrameOpening {
  /** Checks the head (session, expiry, clock skew, replay window) and starts decrypting. */
  begin(parsed: ParsedEnvelope): Aes256GcmPieceDecryptor;
  /** The frame authenticated: checks the replay window again and moves it. */
  accept(sequence: number): void;
}

type State =
  | { readonly kind: 'head'; readonly received: Buffer[]; readonly bytes: number }
  | { readonly kind: 'body'; readonly head: ParsedEnvelope; readonly decryptor: Aes256GcmPieceDecryptor }
  | { readonly kind: 'ended'; readonly error: CryptoError };

/**
 * Opens one sealed frame (`Session.sealFrame`'s layout) that arrives in pieces, as a socket
 * delivers it: each piece is decrypted as it is pushed, so the frame is never joined into one
 * buffer and no piece is kept. Nothing is released before the end: {@link SealedFrameOpener.finish}
 * verifies the GCM tag over the whole frame and only then returns the plaintext; when the tag
 * (or a check) fails, the plaintext decrypted so far is wiped. Made by `Session.openFrameStream`.
 *
 * The checks and their order are `Session.openFrame`'s: the head's (`malformed`,
 * `unsupported-version`, `wrong-session`, `session-expired`, `timestamp-skew`, `replayed`,
 * `outside-window`) as soon as the head has arrived, so a frame refused by its head is not
 * decrypted; then `tampered` in `finish`. An opener is used for one frame: after an error,
 * `finish` or `abort`, it throws (the error, or `invalid-state`).
 */
export class SealedFrameOpener {
  readonly #opening: FrameOpening;
  #state: State = { kind: 'head', received: [], bytes: 0 };
  /** Decrypted, not yet authenticated: never handed out before `finish` verified the tag. */
  #plaintext: Buffer[] = [];
  #plaintextBytes = 0;
  readonly #sha256: { readonly from: number; readonly hash: Hash } | undefined;

  /**
   * @internal Openers come from `Session.openFrameStream`.
   * @throws {@link CryptoError} `invalid-argument` for a `sha256From` that is not a non-negative integer.
   */
  constructor(opening: FrameOpening, options: FrameStreamOptions = {}) {
    this.#opening = opening;
    const from = options.sha256From;
    if (from !== undefined && (!Number.isSafeInteger(from) || from < 0)) {
      throw new CryptoError('invalid-argument', `sha256From must be a non-negative integer, got ${String(from)}.`);
    }
    this.#sha256 = from === undefined ? undefined : { from, hash: createHash('sha256') };
  }

  /**
   * The next bytes of the frame, in order (any split: a piece may end inside the head). The
   * piece is decrypted at once and not kept, so the caller may reuse its memory afterwards.
   *
   * @throws {@link CryptoError} a head check's code (once the head is complete), or the error
   *   that ended this opener earlier.
   */
  push(piece: Uint8Array): void {
    const state = this.#state;
    if (state.kind === 'ended') throw state.error;
    try {
      if (state.kind === 'body') {
        this.#decrypt(state.decryptor, piece);
        return;
      }
      const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      const received = [...state.received, bytes];
      const total = state.bytes + bytes.length;
      // The head (under 64 KiB) is gathered until whole; only it is ever copied.
      const headBytes = total >= SEALED_FRAME_HEADER_BYTES ? sealedFrameHeadBytes(Buffer.concat(received, SEALED_FRAME_HEADER_BYTES)) : undefined;
      if (headBytes === undefined || total < headBytes) {
        // Kept until the head is whole: a copy, since the caller may reuse the piece's memory.
        this.#state = { kind: 'head', received: [...state.received, Buffer.from(bytes)], bytes: total };
        return;
      }
      const joined = Buffer.concat(received, total);
      const head = parseSealedFrame(joined.subarray(0, headBytes));
      const decryptor = this.#opening.begin(head);
      this.#state = { kind: 'body', head, decryptor };
      if (total > headBytes) this.#decrypt(decryptor, joined.subarray(headBytes));
    } catch (error) {
      throw this.#end(error);
    }
  }

  /**
   * The frame is complete: verifies its tag and returns the plaintext. The frame's sequence is
   * then accepted (a second opener of the same frame is `replayed`).
   *
   * @throws {@link CryptoError} `malformed` when the frame ended inside its head, `tampered` when
   *   authentication fails (the decrypted bytes are wiped first), `replayed` when the same frame
   *   was accepted meanwhile, `disposed` when the session was disposed meanwhile.
   */
  finish(): OpenedFramePieces {
    const state = this.#state;
    if (state.kind === 'ended') throw state.error;
    try {
      if (state.kind === 'head') throw new CryptoError('malformed', `The sealed frame ended inside its head (${state.bytes} bytes).`);
      state.decryptor.verify();
      this.#opening.accept(state.head.sequence);
    } catch (error) {
      throw this.#end(error);
    }
    const opened: OpenedFramePieces = {
      plaintext: this.#plaintext,
      byteLength: this.#plaintextBytes,
      // A copy: the head's associated data is a view into a buffer of ours, kept out of reach.
      associatedData: state.head.associatedData === undefined ? undefined : Buffer.from(state.head.associatedData),
      sequence: state.head.sequence,
      timestamp: state.head.timestamp,
      ...(this.#sha256 === undefined ? {} : { sha256: this.#sha256.hash.digest('hex') }),
    };
    this.#plaintext = [];
    this.#state = { kind: 'ended', error: new CryptoError('invalid-state', 'This sealed frame was already opened; an opener opens one frame.') };
    return opened;
  }

  /** Gives up on the frame (its sender is gone, or nobody wants it): wipes what was decrypted. Idempotent. */
  abort(): void {
    if (this.#state.kind !== 'ended') this.#end(new CryptoError('invalid-state', 'This sealed frame opener was aborted.'));
  }

  #decrypt(decryptor: Aes256GcmPieceDecryptor, piece: Uint8Array): void {
    const plaintext = decryptor.update(piece);
    if (plaintext.length === 0) return;
    const sha256 = this.#sha256;
    if (sha256 !== undefined && this.#plaintextBytes + plaintext.length > sha256.from) {
      sha256.hash.update(this.#plaintextBytes >= sha256.from ? plaintext : plaintext.subarray(sha256.from - this.#plaintextBytes));
    }
    this.#plaintext.push(plaintext);
    this.#plaintextBytes += plaintext.length;
  }

  /** Ends the opener with `error`: unauthenticated plaintext is wiped, never released. */
  #end(error: unknown): CryptoError {
    const ended = error instanceof CryptoError ? error : new CryptoError('malformed', 'The sealed frame could not be opened.', { cause: error });
    for (const piece of this.#plaintext) piece.fill(0);
    this.#plaintext = [];
    this.#plaintextBytes = 0;
    this.#state = { kind: 'ended', error: ended };
    return ended;
  }
}
