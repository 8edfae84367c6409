import { describe, expect, it } from 'vitest';
import { compareVectors, joinVectors, vectorLeq } from './version-vector.js';

describe('version vectors', () => {
  const t = (n: number, node: string): string => `${String(n).padStart(16, '0')}-000000-${node}`;

  it('tells equal, before, after and concurrent apart', () => {
    const base = { a: t(1, 'a') };
    const later = { a: t(2, 'a') };
    const other = { a: t(1, 'a'), b: t(3, 'b') };
    expect(compareVectors(base, { a: t(1, 'a') })).toBe('equal');
    expect(compareVectors(base, later)).toBe('before');
    expect(compareVectors(later, base)).toBe('after');
    expect(compareVectors(later, other)).toBe('concurrent');
    expect(compareVectors(base, other)).toBe('before');
    expect(vectorLeq({}, base)).toBe(true);
  });

  it('joins pointwise with sorted keys', () => {
    const joined = joinVectors({ b: t(5, 'b'), a: t(1, 'a') }, { a: t(2, 'a'), c: t(1, 'c') });
    expect(joined).toEqual({ a: t(2, 'a'), b: t(5, 'b'), c: t(1, 'c') });
    expect(Object.keys(joined)).toEqual(['a', 'b', 'c']);
  });
});
