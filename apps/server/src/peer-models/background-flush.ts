import type { FileHandle } from 'node:fs/promises';

/** Bytes written between two background flushes of the partial file. */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Flushes the partial file to disk in the background while the transfer goes on (one flush at a
 * time, every {@link FLUSH_EVERY_BYTES}), so the sync before the rename finds little left to
 * write: otherwise the whole file would reach the disk only then, with the transfer waiting.
 */
export class BackgroundFlush {
  readonly #handle: FileHandle;
  #unflushed = 0;
  #pending: Promise<void> | undefined;
  #failure: unknown;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** `bytes` more were written; starts a flush when enough are waiting and none runs. */
  wrote(bytes: number): void {
    this.#unflushed += bytes;
    if (this.#unflushed < FLUSH_EVERY_BYTES || this.#pending !== undefined) return;
    this.#unflushed = 0;
    this.#pending = this.#handle.datasync().then(
      () => { this.#pending = undefined; },
      (error: unknown) => { this.#failure ??= error; this.#pending = undefined; },
    );
  }

  /** Waits for the flush in progress; throws what a flush failed with. */
  async done(): Promise<void> {
    await this.#pending;
    if (this.#failure !== undefined) throw this.#failure;
  }
}
