import { Worker } from 'node:worker_threads';

// The thread's whole program: a sha256 fed the pieces it is sent, in order, acknowledging each
// batch (so the sender can bound what is queued), and its digest when asked.
const HASH_THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message === 'digest') {
    parentPort.postMessage({ digest: hash.digest('hex') });
    return;
  }
  for (const piece of message) hash.update(piece);
  parentPort.postMessage({ hashed: true });
});
`;

/** Batches of pieces sent but not yet hashed, at most (memory stays at a few chunks). */
const MAX_QUEUED_BATCHES = 2;

/**
 * The sha256 of a whole file, computed on a thread of its own from the bytes the caller wrote,
 * in the order it hands them over: the thread that receives, decrypts and checks the next chunks
 * is not held up by a second pass over every byte (the machine's other core often has room: the
 * giving node is idle part of the time). Pieces are moved to the thread, not copied, when they
 * own their memory; after {@link WholeFileHash.update} the caller must not touch them again.
 */
export class WholeFileHash {
  readonly #worker: Worker;
  #queued = 0;
  #failure: Error | undefined;
  #onHashed: (() => void) | undefined;
  #onDigest: { resolve(digest: string): void; reject(error: Error): void } | undefined;

  constructor() {
    // Not unref'd: a process waiting for the digest must not exit first. Every transfer closes it.
    this.#worker = new Worker(HASH_THREAD_SOURCE, { eval: true });
    this.#worker.on('message', (message: { hashed?: true; digest?: string }) => {
      if (message.hashed === true) {
        this.#queued -= 1;
        this.#onHashed?.();
      } else if (message.digest !== undefined) this.#onDigest?.resolve(message.digest);
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      this.#onHashed?.();
      this.#onDigest?.reject(this.#failure);
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', () => fail(new Error('the whole-file hash thread stopped')));
  }

  /**
   * Hashes `pieces` next (handed over: do not use them afterwards). Resolves once they are
   * queued; waits first while the thread is {@link MAX_QUEUED_BATCHES} batches behind.
   */
  async update(pieces: readonly Buffer[]): Promise<void> {
    while (this.#failure === undefined && this.#queued >= MAX_QUEUED_BATCHES) {
      await new Promise<void>((resolve) => (this.#onHashed = resolve));
    }
    if (this.#failure !== undefined) throw this.#failure;
    const views: Uint8Array[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const piece of pieces) {
      // A piece is moved when it is (nearly) all of its memory, as every decrypted piece is; a
      // view into shared or pooled memory is copied, so nothing else is detached under its owner.
      const owns = piece.buffer instanceof ArrayBuffer && piece.buffer.byteLength - piece.byteLength <= 16 && !transfer.includes(piece.buffer);
      const view = owns ? new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength) : new Uint8Array(piece);
      views.push(view);
      transfer.push(view.buffer as ArrayBuffer);
    }
    this.#queued += 1;
    this.#worker.postMessage(views, transfer);
  }

  /** The sha256 (hex) of everything handed over. Call once; the thread then stops. */
  async digest(): Promise<string> {
    if (this.#failure !== undefined) throw this.#failure;
    const digest = new Promise<string>((resolve, reject) => (this.#onDigest = { resolve, reject }));
    this.#worker.postMessage('digest');
    try {
      return await digest;
    } finally {
      this.close();
    }
  }

  /** Stops the thread (a transfer that failed or was aborted). Idempotent. */
  close(): void {
    this.#failure ??= new Error('the whole-file hash was closed');
    void this.#worker.terminate();
  }
}
