/**
 * A binary answer to a peer request whose memory its handler wants back: the sync port seals
 * `bytes` as it would a `Uint8Array` answer, then calls `giveBack` once (the plaintext is no
 * longer read), so the handler can read its next answer into the same buffer. A model chunk is
 * one (`src/peer-models/`): a node giving a model reads the whole file through a few buffers
 * instead of allocating each chunk anew, which makes V8 collect its heap again and again.
 */
export class LentBytes {
  readonly bytes: Uint8Array;
  readonly #giveBack: () => void;
  #given = false;

  constructor(bytes: Uint8Array, giveBack: () => void) {
    this.bytes = bytes;
    this.#giveBack = giveBack;
  }

  /** The bytes are sealed (or will never be): the handler may reuse their memory. Idempotent. */
  giveBack(): void {
    if (this.#given) return;
    this.#given = true;
    this.#giveBack();
  }
}
