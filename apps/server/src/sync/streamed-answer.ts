import type { FrameStreamOptions, OpenedFramePieces, Session } from '@trosyn/crypto';
import type { StreamFrameSink } from './sync-stream.js';

/**
 * A sealed answer opened as its frame arrives on the sync stream (a model chunk: megabytes):
 * each socket read is decrypted at once by the session's streaming opener, so the frame is never
 * joined, and nothing is released before {@link StreamedAnswer.finish} verified the tag. A refusal
 * by the opener (a forged or replayed frame) is kept for `finish` instead of breaking the stream:
 * the stream reader's sinks must not throw.
 */
export class StreamedAnswer implements StreamFrameSink {
  readonly #opener: ReturnType<Session['openFrameStream']>;
  #error: unknown;
  #bytes = 0;

  constructor(session: Session, options: FrameStreamOptions) {
    this.#opener = session.openFrameStream(options);
  }

  /** Bytes of the sealed frame received so far. */
  get bytes(): number {
    return this.#bytes;
  }

  write(piece: Buffer): void {
    this.#bytes += piece.length;
    if (this.#error !== undefined) return;
    try {
      this.#opener.push(piece);
    } catch (error) {
      this.#error = error;
    }
  }

  /** The whole frame arrived: its plaintext once authenticated; throws the opener's refusal otherwise. */
  finish(): OpenedFramePieces {
    if (this.#error !== undefined) throw this.#error;
    return this.#opener.finish();
  }

  /** Nobody will read the answer (aborted, or the stream broke): drops what was decrypted. */
  abort(): void {
    this.#opener.abort();
    this.#error ??= new Error('the answer was abandoned');
  }
}
