import { nonNegativeRange } from './integer-range.js';

/** One end of a range: an integer value, and whether the end itself is excluded. */
export interface Bound {
  readonly value: bigint;
  readonly exclusive: boolean;
}

const ANY_FRACTION = '("." [0-9]{1,12})?';
const ZERO_FRACTION = '("." "0"{1,12})?';
const NONZERO_FRACTION = '"." [0-9]{0,11} [1-9]';

function alternatives(parts: readonly string[]): string {
  return parts.length === 1 ? (parts[0] ?? '') : `(${parts.join(' | ')})`;
}

// Magnitudes x with low ≤ x ≤ high (each end possibly exclusive, high open when undefined), as
// an integer part followed by a fraction; no exponent, so the value is what its digits say.
function magnitudes(low: Bound, high: Bound | undefined, maxDigits: number): string[] {
  const parts: string[] = [];
  if (high !== undefined && low.value === high.value) {
    if (!low.exclusive && !high.exclusive) parts.push(`"${low.value}" ${ZERO_FRACTION}`);
    return parts;
  }
  if (high !== undefined && low.value > high.value) return parts;
  parts.push(`"${low.value}" ${low.exclusive ? NONZERO_FRACTION : ANY_FRACTION}`);
  const middleTop = high === undefined ? undefined : high.value - 1n;
  if (middleTop === undefined || middleTop >= low.value + 1n) {
    const middle = nonNegativeRange(low.value + 1n, middleTop, maxDigits);
    if (middle.length > 0) parts.push(`${alternatives(middle)} ${ANY_FRACTION}`);
  }
  if (high !== undefined && !high.exclusive) parts.push(`"${high.value}" ${ZERO_FRACTION}`);
  return parts;
}

/**
 * A GBNF expression for the JSON numbers between `min` and `max` (integer-valued ends, each
 * inclusive or exclusive, either open), written without an exponent.
 */
export function numberRangeGbnf(min: Bound | undefined, max: Bound | undefined, maxDigits = 16): string {
  const parts: string[] = [];
  if (min === undefined || min.value < 0n) {
    const low: Bound = max !== undefined && max.value < 0n ? { value: -max.value, exclusive: max.exclusive } : { value: 0n, exclusive: true };
    const high = min === undefined ? undefined : { value: -min.value, exclusive: min.exclusive };
    const negatives = magnitudes(low, high, maxDigits);
    if (negatives.length > 0) parts.push(`"-" ${alternatives(negatives)}`);
  }
  if (max === undefined || max.value > 0n || (max.value === 0n && !max.exclusive)) {
    const low: Bound = min !== undefined && min.value >= 0n ? min : { value: 0n, exclusive: false };
    parts.push(...magnitudes(low, max, maxDigits));
  }
  if (parts.length === 0) throw new RangeError('no number lies in the range');
  return alternatives(parts);
}
