import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RateLimiter', () => {
  it('allows a burst of `capacity`, then refuses with a retry delay', () => {
    const time = clock();
    const limiter = createRateLimiter({ capacity: 3, refillPerSecond: 0.5, clock: time.now });
    expect([1, 2, 3].map(() => limiter.take('10.0.0.1').allowed)).toEqual([true, true, true]);
    const refused = limiter.take('10.0.0.1');
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterMs: 2000 });
    expect(limiter.take('10.0.0.2').allowed).toBe(true); // keys are independent
  });

  it('refills at the configured rate with the injected clock', () => {
    const time = clock();
    const limiter = createRateLimiter({ capacity: 2, refillPerSecond: 1, clock: time.now });
    limiter.take('a');
    limiter.take('a');
    time.advance(999);
    expect(limiter.take('a').allowed).toBe(false);
    time.advance(1);
    expect(limiter.take('a').allowed).toBe(true);
    time.advance(60_000);
    expect(limiter.available('a')).toBe(2); // never above capacity
  });

  it('takes a weighted cost and refuses costs above the capacity', () => {
    const limiter = createRateLimiter({ capacity: 5, refillPerSecond: 1, clock: clock().now });
    expect(limiter.take('a', 4)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(limiter.take('a', 2)).toEqual({ allowed: false, remaining: 1, retryAfterMs: 1000 });
    expect(() => limiter.take('a', 6)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => limiter.take('a', 0)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });

  it('does not refill when the clock steps backwards', () => {
    const time = clock();
    const limiter = createRateLimiter({ capacity: 1, refillPerSecond: 1, clock: time.now });
    limiter.take('a');
    time.advance(-10_000);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps memory bounded under a flood of distinct keys', () => {
    const time = clock();
    const limiter = createRateLimiter({ capacity: 2, refillPerSecond: 1, maxKeys: 100, clock: time.now });
    for (let i = 0; i < 10_000; i += 1) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
  });

  it('evicts idle keys before active ones', () => {
    const time = clock();
    const limiter = createRateLimiter({ capacity: 2, refillPerSecond: 1, maxKeys: 3, clock: time.now });
    limiter.take('idle');
    time.advance(5_000); // 'idle' has refilled
    limiter.take('busy');
    limiter.take('busy');
    limiter.take('other');
    limiter.take('new');
    expect(limiter.size).toBe(3);
    expect(limiter.take('busy').allowed).toBe(false); // still remembered as empty
  });

  it('forgets a key on reset and idle keys on prune', () => {
    const time = clock();
    const limiter = createRateLimiter({ capacity: 1, refillPerSecond: 1, clock: time.now });
    limiter.take('a');
    limiter.reset('a');
    expect(limiter.take('a').allowed).toBe(true);
    limiter.take('b');
    time.advance(1_000);
    expect(limiter.prune()).toBe(2);
    expect(limiter.size).toBe(0);
  });

  it('refuses nonsensical configuration', () => {
    expect(() => createRateLimiter({ capacity: 0, refillPerSecond: 1 })).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    expect(() => createRateLimiter({ capacity: 1, refillPerSecond: 0 })).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    expect(() => createRateLimiter({ capacity: 1, refillPerSecond: 1, maxKeys: 0 })).toThrow(expect.objectContaining({ code: 'invalid-config' }));
  });
});
