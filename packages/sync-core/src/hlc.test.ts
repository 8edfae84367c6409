import { describe, expect, it } from 'vitest';
import { ClockDriftError } from './errors.js';
import { compareHlc, decodeHlc, encodeHlc, HybridLogicalClock } from './hlc.js';

function manualClock(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}

describe('encodeHlc / decodeHlc', () => {
  it('round-trips and sorts lexicographically like (wall, counter, node)', () => {
    const stamps = [
      { wallMicros: 1_700_000_000_000_000, counter: 0, nodeId: 'b' },
      { wallMicros: 1_700_000_000_000_000, counter: 0, nodeId: 'a' },
      { wallMicros: 1_700_000_000_000_000, counter: 12, nodeId: 'a' },
      { wallMicros: 999, counter: 999_999, nodeId: 'z' },
      { wallMicros: 1_700_000_000_000_001, counter: 0, nodeId: 'a' },
    ];
    const encoded = stamps.map(encodeHlc);
    for (const [i, s] of encoded.entries()) expect(decodeHlc(s)).toEqual(stamps[i]);
    const sortedByString = [...encoded].sort(compareHlc);
    const sortedByTuple = [...stamps]
      .sort((x, y) => x.wallMicros - y.wallMicros || x.counter - y.counter || (x.nodeId < y.nodeId ? -1 : 1))
      .map(encodeHlc);
    expect(sortedByString).toEqual(sortedByTuple);
  });

  it('rejects malformed timestamps', () => {
    for (const bad of ['', 'x', '1700-000000-a', '1700000000000000-00000-a', '1700000000000000-000000-', '1700000000000000-000000-a b', 42, null]) {
      expect(decodeHlc(bad)).toBeUndefined();
    }
    expect(() => encodeHlc({ wallMicros: -1, counter: 0, nodeId: 'a' })).toThrow(/wall/);
    expect(() => encodeHlc({ wallMicros: 1, counter: 1_000_000, nodeId: 'a' })).toThrow(/counter/);
  });
});

describe('HybridLogicalClock', () => {
  it('is strictly increasing even when the wall clock stands still or goes backwards', () => {
    const wall = manualClock(5_000_000);
    const clock = new HybridLogicalClock({ nodeId: 'n1', wallClockMicros: wall.now, maxDriftMs: 1000 });
    const a = clock.now();
    const b = clock.now();
    wall.set(1_000_000);
    const c = clock.now();
    wall.set(6_000_000);
    const d = clock.now();
    expect([a, b, c, d]).toEqual([a, b, c, d].sort(compareHlc));
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(decodeHlc(c)!.wallMicros).toBe(5_000_000);
    expect(decodeHlc(c)!.counter).toBe(2);
    expect(decodeHlc(d)).toEqual({ wallMicros: 6_000_000, counter: 0, nodeId: 'n1' });
  });

  it('issues timestamps after every received one', () => {
    const wall = manualClock(10_000_000);
    const clock = new HybridLogicalClock({ nodeId: 'a', wallClockMicros: wall.now, maxDriftMs: 5000 });
    const remote = encodeHlc({ wallMicros: 12_000_000, counter: 7, nodeId: 'b' }); // 2 s ahead: within drift
    clock.receive(remote);
    const next = clock.now();
    expect(compareHlc(next, remote)).toBeGreaterThan(0);
    expect(decodeHlc(next)).toEqual({ wallMicros: 12_000_000, counter: 8, nodeId: 'a' });
  });

  it('rejects a remote timestamp beyond the maximum drift and does not adopt it', () => {
    const wall = manualClock(10_000_000);
    const clock = new HybridLogicalClock({ nodeId: 'a', wallClockMicros: wall.now, maxDriftMs: 1000 });
    const before = clock.now();
    const farAhead = encodeHlc({ wallMicros: 10_000_000 + 1_500_000, counter: 0, nodeId: 'b' });
    let caught: unknown;
    try {
      clock.receive(farAhead);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ClockDriftError);
    expect((caught as ClockDriftError).code).toBe('clock-drift');
    expect((caught as ClockDriftError).driftMs).toBeCloseTo(1500);
    expect(decodeHlc(clock.now())!.wallMicros).toBe(decodeHlc(before)!.wallMicros);
  });

  it('resumes after a restart from the persisted timestamp', () => {
    const wall = manualClock(1_000);
    const persisted = encodeHlc({ wallMicros: 9_000, counter: 3, nodeId: 'a' });
    const clock = new HybridLogicalClock({ nodeId: 'a', wallClockMicros: wall.now, maxDriftMs: 1000, last: persisted });
    expect(compareHlc(clock.now(), persisted)).toBeGreaterThan(0);
  });

  it('borrows the next microsecond when the counter is exhausted', () => {
    const clock = new HybridLogicalClock({
      nodeId: 'a',
      wallClockMicros: () => 0,
      maxDriftMs: 1000,
      last: encodeHlc({ wallMicros: 5, counter: 999_999, nodeId: 'a' }),
    });
    expect(decodeHlc(clock.now())).toEqual({ wallMicros: 6, counter: 0, nodeId: 'a' });
  });
});
