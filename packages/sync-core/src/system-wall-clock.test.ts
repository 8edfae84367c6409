import { describe, expect, it } from 'vitest';
import { createSystemWallClock } from './system-wall-clock.js';

/** A system clock that can be stepped, and a monotonic clock that cannot. */
function fakeSources(startMs: number) {
  let elapsedMs = 0;
  let stepMs = 0;
  return {
    sources: { systemMs: () => Math.floor(startMs + elapsedMs + stepMs), monotonicMs: () => 1000 + elapsedMs },
    advance: (ms: number) => (elapsedMs += ms),
    step: (ms: number) => (stepMs += ms),
  };
}

describe('createSystemWallClock', () => {
  it('keeps sub-millisecond resolution while the system clock runs smoothly', () => {
    const time = fakeSources(1_800_000_000_000);
    const clock = createSystemWallClock(time.sources);
    const first = clock();
    time.advance(0.25);
    const second = clock();
    expect(second - first).toBe(250);
  });

  // Regression (issue #20): the wall clock was fixed at process start, so a node whose clock was
  // corrected while it ran kept the wrong time until it restarted.
  it('follows the system clock when it steps forwards and backwards', () => {
    const time = fakeSources(1_800_000_000_000);
    const clock = createSystemWallClock(time.sources);
    time.advance(10);
    time.step(700_000);
    expect(Math.abs(clock() - (1_800_000_000_000 + 10 + 700_000) * 1000)).toBeLessThanOrEqual(1000);
    time.advance(5);
    time.step(-1_400_000);
    expect(Math.abs(clock() - (1_800_000_000_000 + 15 - 700_000) * 1000)).toBeLessThanOrEqual(1000);
    // Smooth again after the step.
    const before = clock();
    time.advance(0.5);
    expect(clock() - before).toBe(500);
  });

  it('reads the real clock by default', () => {
    expect(Math.abs(createSystemWallClock()() / 1000 - Date.now())).toBeLessThan(50);
  });
});
