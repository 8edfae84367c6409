import type { OpenedMessage } from './opened-message.js';

/** What a {@link StreamHold} needs from its session (its private sealing and opening, with a deadline). */
export interface StreamHoldPort {
  sealFrame(plaintext: Uint8Array | string, associatedData: Uint8Array | string, deadline: number): Buffer;
  openFrameBoundTo(frame: Uint8Array, associatedData: Uint8Array | string, deadline: number): OpenedMessage;
  release(): void;
}

/**
 * One stream's hold on its session ({@link Session.holdForStream}): the stream's frames may be
 * sealed, and opened at their bound positions, until `until` — past the session's expiry when
 * the stream started late in its life — and the session's keys are kept until the hold is
 * released. Nothing else of the session outlives its expiry: new requests, envelopes and frames
 * opened through the replay window are refused as before. Release the hold when the stream ends
 * (in a `finally`); releasing twice is harmless.
 */
export class StreamHold {
  /** The last moment (session clock, ms) this hold seals or opens a frame. */
  readonly until: number;
  readonly #port: StreamHoldPort;
  #released = false;

  /** @internal Holds come from {@link Session.holdForStream}. */
  constructor(port: StreamHoldPort, until: number) {
    this.#port = port;
    this.until = until;
  }

  /** `Session.sealFrame` for one frame of the stream; `associatedData` (its position) is required. */
  sealFrame(plaintext: Uint8Array | string, associatedData: Uint8Array | string): Buffer {
    return this.#port.sealFrame(plaintext, associatedData, this.until);
  }

  /** `Session.openFrameBoundTo` for one frame of the stream, until {@link StreamHold.until}. */
  openFrameBoundTo(frame: Uint8Array, associatedData: Uint8Array | string): OpenedMessage {
    return this.#port.openFrameBoundTo(frame, associatedData, this.until);
  }

  /** Ends the hold: a retired session whose last hold this was is disposed. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#port.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
