import { describe, expect, it } from 'vitest';
import { cosineSimilarity, shapeEmbedding } from './embedding-vector.js';

describe('shapeEmbedding', () => {
  it('scales to unit length', () => {
    const vector = shapeEmbedding([3, 4]);
    expect([...vector]).toEqual([0.6000000238418579, 0.800000011920929]);
  });

  it('truncates to the requested dimensions before normalising', () => {
    const vector = shapeEmbedding([1, 1, 100], 2);
    expect(vector).toHaveLength(2);
    expect(vector[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(vector[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('leaves a zero vector at zero', () => {
    expect([...shapeEmbedding([0, 0, 0])]).toEqual([0, 0, 0]);
  });
});

describe('cosineSimilarity', () => {
  it('is 1 for parallel, 0 for orthogonal, -1 for opposite vectors', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
    expect(cosineSimilarity([1, 1], [-1, -1])).toBeCloseTo(-1, 12);
  });

  it('refuses vectors of different lengths', () => {
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });
});
