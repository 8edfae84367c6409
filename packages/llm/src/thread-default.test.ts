import { describe, expect, it } from 'vitest';
import { chooseThreads } from './thread-default.js';

describe('chooseThreads', () => {
  it('keeps a configured thread count', () => {
    expect(chooseThreads(3, 5e9, 2)).toEqual({ threads: 3, source: 'configured', reason: '3 (configured)' });
  });

  it('uses 1 thread for files under 1 GiB (stories, the 270M benchmark model)', () => {
    expect(chooseThreads(undefined, 1_185_536, 2)).toMatchObject({ threads: 1, source: 'model-size' });
    expect(chooseThreads(undefined, 178_491_840, 2)).toMatchObject({ threads: 1, source: 'model-size' });
  });

  it('uses the cores, at most 4, from 1 GiB up (a Gemma-3n-E2B Q4_K_M file)', () => {
    expect(chooseThreads(undefined, 3.3e9, 2)).toMatchObject({ threads: 2, source: 'model-size' });
    expect(chooseThreads(undefined, 3.3e9, 16).threads).toBe(4);
    expect(chooseThreads(undefined, 3.3e9, 1).threads).toBe(1);
    expect(chooseThreads(undefined, 3.3e9, 2).reason).toBe('2 (model-size: 3.3 GB file ≥ 1 GiB, 2 cores)');
  });
});
