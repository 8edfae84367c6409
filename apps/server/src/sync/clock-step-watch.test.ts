import { describe, expect, it } from 'vitest';
import { clockStepMs, ClockStepWatch, type ClockReading } from './clock-step-watch.js';

describe('clockStepMs', () => {
  it('sees a step forwards and backwards, and ignores clocks running together', () => {
    const start: ClockReading = { systemMs: 1_000_000, monotonicMs: 50 };
    expect(clockStepMs(start, { systemMs: 1_001_000, monotonicMs: 1050 }, 1000)).toBeUndefined();
    expect(clockStepMs(start, { systemMs: 1_001_001, monotonicMs: 1050.4 }, 1000)).toBeUndefined();
    expect(clockStepMs(start, { systemMs: 1_701_000, monotonicMs: 1050 }, 1000)).toBe(700_000);
    expect(clockStepMs(start, { systemMs: 301_000, monotonicMs: 1050 }, 1000)).toBe(-700_000);
  });
});

describe('ClockStepWatch', () => {
  it('reports each step once', () => {
    let reading: ClockReading = { systemMs: 5_000_000, monotonicMs: 0 };
    const steps: number[] = [];
    const watch = new ClockStepWatch({ onStep: (step) => steps.push(step), read: () => reading });
    reading = { systemMs: 5_001_000, monotonicMs: 1000 };
    expect(watch.check()).toBeUndefined();
    reading = { systemMs: 5_002_000 - 240_000, monotonicMs: 2000 };
    expect(watch.check()).toBe(-240_000);
    reading = { systemMs: 5_003_000 - 240_000, monotonicMs: 3000 };
    expect(watch.check()).toBeUndefined();
    expect(steps).toEqual([-240_000]);
  });
});
