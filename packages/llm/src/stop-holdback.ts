/**
 * Holds back the tail of a text stream that could still turn into a stop string, so a
 * streamed delta never shows part of a stop string that the final text will not contain.
 * node-llama-cpp already delays tokens of an in-progress stop-trigger match; this is the
 * package's own guarantee on top, independent of tokenisation.
 */
export class StopHoldback {
  readonly #stops: readonly string[];
  #pending = '';

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  /** Add generated text; returns what is safe to emit now (possibly ''). */
  push(text: string): string {
    if (this.#stops.length === 0) return text;
    this.#pending += text;
    const keep = longestStopPrefixSuffix(this.#pending, this.#stops);
    const safe = this.#pending.slice(0, this.#pending.length - keep);
    this.#pending = this.#pending.slice(this.#pending.length - keep);
    return safe;
  }

  /** Text withheld so far (emit it only if the final text confirms it). */
  get pending(): string {
    return this.#pending;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of one of `stops`, or contains a whole stop. */
export function longestStopPrefixSuffix(text: string, stops: readonly string[]): number {
  let keep = 0;
  for (const stop of stops) {
    const whole = text.indexOf(stop);
    if (whole >= 0) keep = Math.max(keep, text.length - whole);
    for (let length = Math.min(stop.length - 1, text.length); length > keep; length--) {
      if (text.endsWith(stop.slice(0, length))) {
        keep = length;
        break;
      }
    }
  }
  return keep;
}
