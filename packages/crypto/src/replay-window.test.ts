import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replay-window.js';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ReplayWindow', () => {
  it('accepts each sequence once, in order', () => {
    const window = new ReplayWindow(64);
    for (let s = 0; s < 200; s += 1) {
      expect(window.check(s)).toBe('fresh');
      window.commit(s);
      expect(window.check(s)).toBe('replayed');
    }
  });

  it('accepts reordering inside the window and refuses what fell out of it', () => {
    const window = new ReplayWindow(64);
    window.commit(100);
    expect(window.check(37)).toBe('fresh'); // 100 - 37 = 63 < 64
    expect(window.check(36)).toBe('outside-window');
    window.commit(40);
    expect(window.check(40)).toBe('replayed');
    expect(window.check(41)).toBe('fresh');
    window.commit(1_000_000); // a jump clears everything
    expect(window.check(100)).toBe('outside-window');
    expect(window.check(999_990)).toBe('fresh');
  });

  it('works up to the largest safe sequence', () => {
    const window = new ReplayWindow(32);
    const top = Number.MAX_SAFE_INTEGER - 1;
    window.commit(top - 5);
    window.commit(top);
    expect(window.check(top)).toBe('replayed');
    expect(window.check(top - 5)).toBe('replayed');
    expect(window.check(top - 4)).toBe('fresh');
  });

  it('agrees with a model that remembers everything, over random traffic', () => {
    const random = prng(42);
    const size = 128;
    const window = new ReplayWindow(size);
    const seen = new Set<number>();
    let highest = -1;
    for (let step = 0; step < 20_000; step += 1) {
      // Mostly forward, sometimes far back, sometimes a big jump.
      const r = random();
      const s = Math.max(0, r < 0.05 ? highest + Math.floor(random() * 5 * size) : highest + Math.floor(random() * 40) - 30);
      const expected = s > highest ? 'fresh' : highest - s >= size ? 'outside-window' : seen.has(s) ? 'replayed' : 'fresh';
      expect(window.check(s)).toBe(expected);
      if (expected === 'fresh' && random() < 0.9) {
        window.commit(s);
        seen.add(s);
        highest = Math.max(highest, s);
      }
    }
  });

  it('refuses sizes that are not a multiple of 32 in range', () => {
    for (const size of [0, 16, 33, 1 << 20, 1.5]) expect(() => new ReplayWindow(size)).toThrow(expect.objectContaining({ code: 'invalid-config' }));
  });
});
