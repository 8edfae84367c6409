import { open, type FileHandle } from 'node:fs/promises';
import { LentBytes } from '../sync/lent-bytes.js';
import { CHUNK_HEADER_BYTES, chunkFrame } from './model-share-protocol.js';

/** Where and what to read: one version of the model file (see `ModelDigestCache`). */
export interface ChunkSource {
  readonly path: string;
  /** Changes whenever the file does (its size and modification time): a new version is opened anew. */
  readonly version: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
}

/** Chunks read ahead of the one asked for. */
const DEFAULT_READ_AHEAD = 2;
/** An unused file handle is closed after this long (a transfer asks for chunks back to back). */
const IDLE_CLOSE_MS = 10_000;

/** Frame buffers kept for reuse beyond those in use (a second peer's transfer takes a few more). */
const SPARE_FRAMES = 4;

/**
 * Reads the model file's chunks as chunk frames (see `chunkFrame`), straight into the buffer
 * that is then sealed: no copy. A peer fetches chunks in order, so the next few are read ahead
 * while the current one is sealed and sent (the sync stream answers one request at a time, and
 * a read waits on the disk or the page cache). A frame is lent ({@link LentBytes}): once sealed,
 * its buffer comes back and the next chunk is read into it, so a transfer reads the whole file
 * through a few buffers. Memory stays at `readAhead` chunks and a few spares, held only while a
 * transfer runs. The file stays open between chunks and closes when idle.
 */
export class ModelChunkReader {
  readonly #readAhead: number;
  #file: { readonly version: string; readonly handle: Promise<FileHandle> } | undefined;
  /** Chunks read (or being read) ahead, by index, of the open version. */
  readonly #ahead = new Map<number, Promise<Buffer>>();
  /** Frame buffers of the open version's chunk size, free to read into. */
  #spare: Buffer[] = [];
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(readAhead = DEFAULT_READ_AHEAD) {
    this.#readAhead = readAhead;
  }

  /** The frame of chunk `index` of `source`, lent until sealed; starts reading the next ones. */
  async read(source: ChunkSource, index: number): Promise<LentBytes> {
    if (this.#file?.version !== source.version) this.close();
    this.#keepOpen();
    const frame = this.#ahead.get(index) ?? this.#readChunk(source, index);
    this.#ahead.delete(index);
    // Read-ahead of another position (a second peer, or a resumed transfer) is dropped: it
    // would only hold memory. What this asker needs next is read now.
    for (const key of this.#ahead.keys()) if (key < index || key > index + this.#readAhead) this.#ahead.delete(key);
    for (let next = index + 1; next <= index + this.#readAhead && next < source.chunks; next += 1) {
      if (!this.#ahead.has(next)) {
        const pending = this.#readChunk(source, next);
        pending.catch(() => undefined); // a failed read-ahead is read again (and reported) when asked for
        this.#ahead.set(next, pending);
      }
    }
    const bytes = await frame;
    const version = source.version;
    // The whole buffer comes back (the last chunk's frame is a view of its start), and only to
    // the version it was read for: a closed or changed file's buffers are left to the collector.
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, CHUNK_HEADER_BYTES + source.chunkBytes);
    return new LentBytes(bytes, () => {
      if (this.#file?.version === version && this.#spare.length < SPARE_FRAMES) this.#spare.push(buffer);
    });
  }

  /** Closes the file and drops what was read ahead. */
  close(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#ahead.clear();
    this.#spare = [];
    const file = this.#file;
    this.#file = undefined;
    void file?.handle.then((handle) => handle.close()).catch(() => undefined);
  }

  #keepOpen(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.#idleTimer.unref();
  }

  async #readChunk(source: ChunkSource, index: number): Promise<Buffer> {
    if (this.#file === undefined) {
      const opening = open(source.path, 'r');
      opening.catch(() => {
        // Gone or unreadable: the next read tries to open it again.
        if (this.#file?.handle === opening) this.#file = undefined;
      });
      this.#file = { version: source.version, handle: opening };
    }
    const handle = await this.#file.handle;
    const offset = index * source.chunkBytes;
    const length = Math.min(source.chunkBytes, source.size - offset);
    // A spare buffer, or a new one (not from Node's shared pool: it is handed back and reused whole).
    const { frame, data } = chunkFrame(index, length, this.#spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_HEADER_BYTES + source.chunkBytes));
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(data, read, length - read, offset + read);
      if (bytesRead === 0) break; // the file shrank under us: the short frame fails the asker's check
      read += bytesRead;
    }
    return read === length ? frame : frame.subarray(0, frame.length - (length - read));
  }
}
