import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gbnfToRegExp } from './gbnf-test-matcher.js';
import { integerRangeGbnf } from './integer-range.js';
import { numberRangeGbnf } from './number-range.js';

describe('integerRangeGbnf', () => {
  it('matches exactly the integers of a range, for random ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3000, max: 3000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -4000, max: 4000 }), (low, width, probe) => {
        const high = low + width;
        const matcher = gbnfToRegExp(integerRangeGbnf(BigInt(low), BigInt(high)));
        expect(matcher.test(String(probe))).toBe(probe >= low && probe <= high);
      }),
      { numRuns: 300 },
    );
  });

  it('handles open ends and the ranges of the issue (0–150, 0–5)', () => {
    const age = gbnfToRegExp(integerRangeGbnf(0n, 150n));
    expect(['0', '7', '99', '150'].every((text) => age.test(text))).toBe(true);
    expect(['151', '90006', '-1', '007', '-0'].some((text) => age.test(text))).toBe(false);
    const atLeast = gbnfToRegExp(integerRangeGbnf(-5n, undefined, 4));
    expect(['-5', '-1', '0', '9999'].every((text) => atLeast.test(text))).toBe(true);
    expect(['-6', '10000'].some((text) => atLeast.test(text))).toBe(false);
    const atMost = gbnfToRegExp(integerRangeGbnf(undefined, -10n, 3));
    expect(['-10', '-999'].every((text) => atMost.test(text))).toBe(true);
    expect(['-9', '0', '5'].some((text) => atMost.test(text))).toBe(false);
    expect(() => integerRangeGbnf(5n, 4n)).toThrow(RangeError);
    // An open end stops at 15 digits, all safe integers: a longer digit string is not the integer written.
    const nonNegative = gbnfToRegExp(integerRangeGbnf(0n, undefined));
    expect(['0', '999999999999999'].every((text) => nonNegative.test(text))).toBe(true);
    expect(['1000000000000000', '9999999999999999', '-1'].some((text) => nonNegative.test(text))).toBe(false);
    const large = gbnfToRegExp(integerRangeGbnf(10n ** 15n, undefined));
    expect(['1000000000000000', '9007199254740991'].every((text) => large.test(text))).toBe(true);
    expect(['9007199254740992', '999999999999999'].some((text) => large.test(text))).toBe(false);
  });
});

describe('numberRangeGbnf', () => {
  it('matches the numbers of a range with inclusive and exclusive ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 60 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: -7000, max: 7000 }),
        (low, width, lowExclusive, highExclusive, hundredths) => {
          const high = low + width;
          let grammar: string;
          try {
            grammar = numberRangeGbnf({ value: BigInt(low), exclusive: lowExclusive }, { value: BigInt(high), exclusive: highExclusive });
          } catch {
            expect(width === 0 && (lowExclusive || highExclusive)).toBe(true);
            return;
          }
          const value = hundredths / 100;
          const text = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/0$/, '');
          const inRange = (lowExclusive ? value > low : value >= low) && (highExclusive ? value < high : value <= high);
          expect(gbnfToRegExp(grammar).test(text)).toBe(inRange);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('excludes an exclusive bound written with zeros (5.0) and never writes an exponent', () => {
    const below5 = gbnfToRegExp(numberRangeGbnf({ value: 0n, exclusive: false }, { value: 5n, exclusive: true }));
    expect(['0', '4.99', '3'].every((text) => below5.test(text))).toBe(true);
    expect(['5', '5.0', '-0.5', '1e1', '-30'].some((text) => below5.test(text))).toBe(false);
  });
});
