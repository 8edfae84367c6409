/**
 * GBNF for the decimal integers of a range, written as JSON writes them (no leading zeros, no
 * `+`, `-0` never produced). The classic digit-by-digit split: a range of equal-length numbers
 * is cut at its first differing digit into a low part, a middle of free digits and a high part.
 */

const ANY_DIGIT = '[0-9]';

/** Digits of the longest integers that are all safe (`Number.isSafeInteger`): 999,999,999,999,999. */
export const MAX_SAFE_DIGITS = 15;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function digitClass(low: number, high: number): string {
  return low === high ? `"${low}"` : `[${low}-${high}]`;
}

// Equal-length digit strings low ≤ high.
function sameLength(low: string, high: string): string[] {
  if (low.length === 1) return [digitClass(Number(low), Number(high))];
  const lowHead = Number(low[0]);
  const highHead = Number(high[0]);
  const lowTail = low.slice(1);
  const highTail = high.slice(1);
  const free = (count: number): string => (count === 1 ? ANY_DIGIT : `${ANY_DIGIT}{${count}}`);
  if (lowHead === highHead) return sameLength(lowTail, highTail).map((rest) => `"${lowHead}" ${rest}`);
  const parts: string[] = [];
  const lowFull = /^0*$/.test(lowTail);
  const highFull = /^9*$/.test(highTail);
  const middleLow = lowFull ? lowHead : lowHead + 1;
  const middleHigh = highFull ? highHead : highHead - 1;
  if (!lowFull) parts.push(...sameLength(lowTail, '9'.repeat(lowTail.length)).map((rest) => `"${lowHead}" ${rest}`));
  if (middleLow <= middleHigh) parts.push(`${digitClass(middleLow, middleHigh)} ${free(lowTail.length)}`);
  if (!highFull) parts.push(...sameLength('0'.repeat(highTail.length), highTail).map((rest) => `"${highHead}" ${rest}`));
  return parts;
}

/**
 * Alternatives (GBNF sequences) matching the non-negative integers `low`…`high`, or from `low`
 * up with at most `maxDigits` digits when `high` is undefined.
 */
export function nonNegativeRange(low: bigint, high: bigint | undefined, maxDigits: number): string[] {
  const top = high ?? 10n ** BigInt(Math.max(maxDigits, low.toString().length)) - 1n;
  if (low > top) return [];
  const parts: string[] = [];
  for (let digits = low.toString().length; digits <= top.toString().length; digits++) {
    const smallest = digits === 1 ? 0n : 10n ** BigInt(digits - 1);
    const largest = 10n ** BigInt(digits) - 1n;
    const from = low > smallest ? low : smallest;
    const to = top < largest ? top : largest;
    if (from <= to) parts.push(...sameLength(from.toString(), to.toString()));
  }
  return parts;
}

/**
 * A GBNF expression for the integers in [`min`, `max`] (either bound may be open). An open end
 * stops at `maxDigits` digits (default 15, the most that always stay below 2^53): a longer digit
 * string parses to a rounded number, or to `Infinity`, not to the integer the model wrote.
 */
export function integerRangeGbnf(openMin: bigint | undefined, openMax: bigint | undefined, maxDigits = MAX_SAFE_DIGITS): string {
  // A bound already past `maxDigits` digits (it is a safe integer) leaves the open end at 2^53 - 1.
  const widest = 10n ** BigInt(maxDigits) - 1n;
  const min = openMin === undefined && openMax !== undefined && openMax < -widest ? -MAX_SAFE : openMin;
  const max = openMax === undefined && openMin !== undefined && openMin > widest ? MAX_SAFE : openMax;
  const parts: string[] = [];
  // Negative part: -x for x in [max(1, -max), -min].
  if (min === undefined || min < 0n) {
    const lowMagnitude = max !== undefined && max < 0n ? -max : 1n;
    const highMagnitude = min === undefined ? undefined : -min;
    const negatives = nonNegativeRange(lowMagnitude, highMagnitude, maxDigits);
    if (negatives.length > 0) parts.push(`"-" (${negatives.join(' | ')})`);
  }
  if (max === undefined || max >= 0n) {
    const low = min !== undefined && min > 0n ? min : 0n;
    parts.push(...nonNegativeRange(low, max, maxDigits));
  }
  if (parts.length === 0) throw new RangeError(`no integer lies in [${String(min)}, ${String(max)}]`);
  return parts.length === 1 ? (parts[0] ?? '') : `(${parts.join(' | ')})`;
}
