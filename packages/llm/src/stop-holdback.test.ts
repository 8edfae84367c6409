import { describe, expect, it } from 'vitest';
import { longestStopPrefixSuffix, StopHoldback } from './stop-holdback.js';

describe('StopHoldback', () => {
  it('withholds a tail that could grow into a stop string and releases it when it does not', () => {
    const holdback = new StopHoldback(['END']);
    expect(holdback.push('hello E')).toBe('hello ');
    expect(holdback.pending).toBe('E');
    expect(holdback.push('N')).toBe('');
    expect(holdback.push('d')).toBe('ENd');
  });

  it('never releases a complete stop string', () => {
    const holdback = new StopHoldback(['\n\n', 'STOP']);
    expect(holdback.push('a\n')).toBe('a');
    expect(holdback.push('\nmore')).toBe('');
    expect(holdback.pending).toBe('\n\nmore');
  });

  it('passes text straight through without stop strings', () => {
    expect(new StopHoldback([]).push('abc')).toBe('abc');
    expect(new StopHoldback(['']).push('abc')).toBe('abc');
  });
});

describe('longestStopPrefixSuffix', () => {
  it('finds the longest suffix that starts any stop string', () => {
    expect(longestStopPrefixSuffix('xx ab', ['abc', 'b'])).toBe(2);
    expect(longestStopPrefixSuffix('xyz', ['abc'])).toBe(0);
  });
});
