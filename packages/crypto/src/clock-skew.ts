import { CryptoError } from './errors.js';

/** Refuses a peer timestamp further than `maxSkewMs` from `now`. */
export function checkSkew(timestamp: number, now: number, maxSkewMs: number, what: string): void {
  if (Math.abs(timestamp - now) > maxSkewMs) {
    throw new CryptoError('timestamp-skew', `The ${what}'s timestamp is ${timestamp - now} ms from this node's clock (allowed: ±${maxSkewMs} ms). Check both clocks (NTP).`, {
      details: { timestamp, now, maxClockSkewMs: maxSkewMs },
    });
  }
}
