import { CryptoError } from './errors.js';

/** What {@link ReplayWindow.check} found. */
export type ReplayCheck = 'fresh' | 'replayed' | 'outside-window';

/** Default replay window: the last 1024 sequence numbers are tracked. */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Largest replay window accepted. */
export const MAX_REPLAY_WINDOW = 65536;

/**
 * Sliding-window replay detection over sequence numbers (the scheme of IPsec, RFC 4303 §3.4.3):
 * a bitmap of the last `size` sequence numbers below the highest one seen. Messages may arrive out
 * of order within the window; each is accepted once. Anything older than the window is refused,
 * since it can no longer be told apart from a replay.
 *
 * Check before decrypting, {@link ReplayWindow.commit} only after the message authenticated, so a
 * forged message cannot move the window.
 */
export class ReplayWindow {
  /** How many sequence numbers below the highest are remembered. */
  readonly size: number;
  readonly #bits: Uint32Array;
  #highest = -1;

  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isSafeInteger(size) || size < 32 || size > MAX_REPLAY_WINDOW || size % 32 !== 0) {
      throw new CryptoError('invalid-config', `The replay window must be a multiple of 32 from 32 to ${MAX_REPLAY_WINDOW}, got ${size}.`);
    }
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  /** The highest sequence number committed, or -1. */
  get highest(): number {
    return this.#highest;
  }

  /** Whether `sequence` may still be accepted. Does not change the window. */
  check(sequence: number): ReplayCheck {
    if (sequence > this.#highest) return 'fresh';
    if (this.#highest - sequence >= this.size) return 'outside-window';
    return this.#isSet(sequence) ? 'replayed' : 'fresh';
  }

  /** Records `sequence` as received. Call only after {@link ReplayWindow.check} said `fresh` and the message authenticated. */
  commit(sequence: number): void {
    if (sequence > this.#highest) {
      const advance = sequence - this.#highest;
      if (advance >= this.size) {
        this.#bits.fill(0);
      } else {
        // Slots for the sequence numbers the window slides over held numbers `size` below them.
        for (let s = this.#highest + 1; s <= sequence; s += 1) this.#clear(s);
      }
      this.#highest = sequence;
    }
    const slot = sequence % this.size;
    this.#bits[slot >>> 5]! |= 1 << (slot & 31);
  }

  #isSet(sequence: number): boolean {
    const slot = sequence % this.size;
    return (this.#bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  #clear(sequence: number): void {
    const slot = sequence % this.size;
    this.#bits[slot >>> 5]! &= ~(1 << (slot & 31));
  }
}
