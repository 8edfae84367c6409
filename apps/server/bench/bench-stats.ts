// Figures the benchmarks print: medians of their runs and fixed-digit numbers.

/** The median of `values` (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `value` with `digits` digits after the point. */
export const fmt = (value: number, digits = 1): string => value.toFixed(digits);
