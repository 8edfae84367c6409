import { LanSyncError } from './errors.js';

/**
 * The sync stream: a kept-open connection carrying sealed sync messages without HTTP around
 * each one. The initiator upgrades an HTTP connection to the sync port
 * (`GET /sync/v1/stream`, `Connection: Upgrade`, `Upgrade: trosyn-sync/1`; answer
 * `101 Switching Protocols`), then both sides exchange frames:
 *
 * ```
 * u32 big-endian length of what follows | u8 kind | payload
 * ```
 *
 * - initiator → responder: kind {@link STREAM_FRAME_SEALED}, a `@trosyn/crypto` sealed frame
 *   holding a sync request (exactly the body of `POST /sync/v1/messages`);
 * - responder → initiator, one answer per request, in request order: kind
 *   {@link STREAM_FRAME_SEALED} (the sealed response) or {@link STREAM_FRAME_REFUSAL} (JSON
 *   `{ status, error: { code, message } }`, what the messages route would answer as a 4xx).
 *
 * Nothing here is trusted: every request frame is authenticated by its session exactly as over
 * HTTP. Why a stream at all: `http.request` hands a request to its socket on `process.nextTick`,
 * after every pending promise continuation — a push started by a data-API write would leave only
 * after the write's own HTTP answer. A write on a stream goes to the socket at once, and saves
 * the HTTP request and response parsing on both nodes.
 */
export const SYNC_STREAM_PATH = '/sync/v1/stream';

/** The `Upgrade` token of the sync stream, version 1. */
export const SYNC_STREAM_PROTOCOL = 'trosyn-sync/1';

/** A sealed frame (a request, or the response to one). */
export const STREAM_FRAME_SEALED = 1;
/** A refusal: JSON `{ status, error: { code, message } }`. */
export const STREAM_FRAME_REFUSAL = 2;

/** Bytes before a frame's payload: length (4) and kind (1). */
export const STREAM_FRAME_HEADER_BYTES = 5;

/** One frame read from a stream. */
export interface StreamFrame {
  readonly kind: number;
  /** The payload; empty when it went to a {@link StreamFrameSink} as it arrived (`streamed`). */
  readonly payload: Buffer;
  readonly streamed?: true;
}

/** Takes one frame's payload piece by piece as it arrives, instead of the reader gathering it. */
export interface StreamFrameSink {
  /** The next bytes of the payload: a view into a socket read, used at once and not kept. Must not throw. */
  write(piece: Buffer): void;
}

/** A refusal frame's content. */
export interface StreamRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Encodes one frame. With `following`, the frame's payload is `payload` and then that many more
 * bytes, written after the returned buffer (so a large payload is not copied into it).
 */
export function encodeStreamFrame(kind: number, payload: Uint8Array, following = 0): Buffer {
  const frame = Buffer.allocUnsafe(STREAM_FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length + following + 1, 0);
  frame[4] = kind;
  frame.set(payload, STREAM_FRAME_HEADER_BYTES);
  return frame;
}

/** Encodes a refusal frame. */
export function encodeRefusal(refusal: StreamRefusal): Buffer {
  return encodeStreamFrame(STREAM_FRAME_REFUSAL, Buffer.from(JSON.stringify({ status: refusal.status, error: { code: refusal.code, message: refusal.message } })));
}

/** Decodes a refusal frame's payload; `undefined` if it is not one. */
export function decodeRefusal(payload: Buffer): StreamRefusal | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { status?: unknown; error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.status !== 'number' || typeof parsed.error?.code !== 'string') return undefined;
    return { status: parsed.status, code: parsed.error.code, message: String(parsed.error.message ?? '') };
  } catch {
    return undefined;
  }
}

/**
 * Splits the bytes of a stream into frames. A frame announcing more than `maxFrameBytes`, or
 * an empty one, throws `malformed-frame` before its payload is buffered.
 */
export class StreamFrameReader {
  readonly #maxFrameBytes: number;
  #buffered: Buffer[] = [];
  #size = 0;
  /** The frame whose payload goes to a sink, and how many of its bytes are still to come. */
  #streaming: { readonly kind: number; readonly sink: StreamFrameSink; remaining: number } | undefined;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /**
   * Adds received bytes; returns the frames they complete. With `sinkFor`, a frame's payload may
   * go to a sink piece by piece as it arrives (a large answer is then never joined): `sinkFor` is
   * asked once the frame's kind is known, with the frame's position among those this call
   * returns, and the frame is returned (`streamed`, empty payload) once its last byte went there.
   */
  push(chunk: Buffer, sinkFor?: (kind: number, index: number) => StreamFrameSink | undefined): StreamFrame[] {
    this.#buffered.push(chunk);
    this.#size += chunk.length;
    const frames: StreamFrame[] = [];
    for (;;) {
      const streaming = this.#streaming;
      if (streaming !== undefined) {
        this.#feed(streaming);
        if (streaming.remaining > 0) break;
        this.#streaming = undefined;
        frames.push({ kind: streaming.kind, payload: EMPTY, streamed: true });
        continue;
      }
      if (this.#size < 4) break;
      // Chunks are joined once a whole frame is here (a 2 MiB page arrives in dozens of them),
      // and before that only when the length itself is split across chunks.
      const head = this.#buffered[0]!.length >= STREAM_FRAME_HEADER_BYTES ? this.#buffered[0]! : this.#join();
      const length = head.readUInt32BE(0);
      if (length === 0 || length - 1 > this.#maxFrameBytes) {
        throw new LanSyncError('malformed-frame', `stream frame of ${length} bytes (the limit is ${this.#maxFrameBytes + 1})`);
      }
      const sink = sinkFor !== undefined && this.#size >= STREAM_FRAME_HEADER_BYTES ? sinkFor(head[4]!, frames.length) : undefined;
      if (sink !== undefined) {
        this.#streaming = { kind: head[4]!, sink, remaining: length - 1 };
        this.#skip(STREAM_FRAME_HEADER_BYTES);
        continue;
      }
      if (this.#size < 4 + length) break;
      const all = this.#join();
      frames.push({ kind: all[4]!, payload: all.subarray(STREAM_FRAME_HEADER_BYTES, 4 + length) });
      const rest = all.subarray(4 + length);
      this.#buffered = rest.length === 0 ? [] : [rest];
      this.#size = rest.length;
    }
    return frames;
  }

  /** Hands buffered bytes of the streaming frame to its sink, up to the frame's end. */
  #feed(streaming: { readonly sink: StreamFrameSink; remaining: number }): void {
    while (streaming.remaining > 0 && this.#buffered.length > 0) {
      const piece = this.#buffered[0]!;
      const take = Math.min(piece.length, streaming.remaining);
      streaming.sink.write(take === piece.length ? piece : piece.subarray(0, take));
      streaming.remaining -= take;
      this.#skip(take);
    }
  }

  /** Drops `bytes` from the front of what is buffered (the buffered pieces hold at least that many). */
  #skip(bytes: number): void {
    this.#size -= bytes;
    while (bytes > 0) {
      const piece = this.#buffered[0]!;
      if (piece.length > bytes) {
        this.#buffered[0] = piece.subarray(bytes);
        return;
      }
      this.#buffered.shift();
      bytes -= piece.length;
    }
  }

  #join(): Buffer {
    if (this.#buffered.length > 1) this.#buffered = [Buffer.concat(this.#buffered, this.#size)];
    return this.#buffered[0]!;
  }
}

const EMPTY = Buffer.alloc(0);
