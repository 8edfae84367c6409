/**
 * Current time in milliseconds since the Unix epoch. Everything time-dependent takes one, so tests
 * and benchmarks can move time instead of waiting.
 */
export type Clock = () => number;

/** The wall clock, `Date.now`. */
export const systemClock: Clock = () => Date.now();
