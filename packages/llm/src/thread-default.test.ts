import { describe, expect, it } from 'vitest';
import { chooseThreads } from './thread-default.js';

describe('chooseThreads', () => {
  it('keeps a configured thread count', () => {
    expect(chooseThreads(3, 5e9, 2)).toEqual({ threads: 3, source: 'configured', reason: '3 (configured)' });
  });

  it('uses 1 thread for files under 64 MiB (stories, gemma3n-tiny) and on one core', () => {
    expect(chooseThreads(undefined, 1_185_536, 2)).toMatchObject({ threads: 1, source: 'model-size' });
    expect(chooseThreads(undefined, 55_442_624, 4)).toMatchObject({ threads: 1, source: 'model-size' });
    expect(chooseThreads(undefined, 178_491_840, 1)).toEqual({ threads: 1, source: 'model-size', reason: '1 (model-size: 0.2 GB file, 1 core)' });
  });

  it('leaves files from 64 MiB to 1 GiB to a measurement of 1 thread against the cores (the 270M model)', () => {
    expect(chooseThreads(undefined, 178_491_840, 2)).toEqual({ measure: [1, 2], size: '0.2 GB file' });
    expect(chooseThreads(undefined, 178_491_840, 16)).toEqual({ measure: [1, 4], size: '0.2 GB file' });
  });

  it('uses the cores, at most 4, from 1 GiB up (a Gemma-3n-E2B Q4_K_M file)', () => {
    expect(chooseThreads(undefined, 3.3e9, 2)).toMatchObject({ threads: 2, source: 'model-size' });
    expect(chooseThreads(undefined, 3.3e9, 16)).toMatchObject({ threads: 4 });
    expect(chooseThreads(undefined, 3.3e9, 1)).toMatchObject({ threads: 1 });
    expect(chooseThreads(undefined, 3.3e9, 2)).toMatchObject({ reason: '2 (model-size: 3.3 GB file ≥ 1 GiB, 2 cores)' });
  });
});
