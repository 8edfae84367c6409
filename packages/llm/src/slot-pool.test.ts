import { describe, expect, it } from 'vitest';
import { LlmError } from './errors.js';
import { SlotPool } from './slot-pool.js';

describe('SlotPool', () => {
  it('hands out free slots at once and queues the rest in FIFO order', async () => {
    const pool = new SlotPool(['a', 'b'], 4);
    expect(await pool.acquire()).toBe('a');
    expect(await pool.acquire()).toBe('b');
    const order: string[] = [];
    const third = pool.acquire().then((slot) => order.push(`third:${slot}`));
    const fourth = pool.acquire().then((slot) => order.push(`fourth:${slot}`));
    expect(pool.queueDepth).toBe(2);
    pool.release('b');
    pool.release('a');
    await Promise.all([third, fourth]);
    expect(order).toEqual(['third:b', 'fourth:a']);
    expect(pool.inUse).toBe(2);
  });

  it('rejects with queue-full when the queue is at its bound', async () => {
    const pool = new SlotPool(['a'], 1);
    await pool.acquire();
    const waiting = pool.acquire();
    const error = await pool.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe('queue-full');
    expect((error as LlmError).details).toMatchObject({ maxQueue: 1 });
    pool.release('a');
    expect(await waiting).toBe('a');
  });

  it('removes an aborted waiter from the queue and rejects it with aborted', async () => {
    const pool = new SlotPool(['a'], 2);
    await pool.acquire();
    const controller = new AbortController();
    const aborted = pool.acquire(controller.signal).catch((e: unknown) => e);
    const next = pool.acquire();
    controller.abort();
    expect(((await aborted) as LlmError).code).toBe('aborted');
    expect(pool.queueDepth).toBe(1);
    pool.release('a');
    expect(await next).toBe('a');
  });

  it('hands out the first free slot in pool order, whatever order they were released in', async () => {
    const pool = new SlotPool([0, 1, 2, 3], 0);
    for (let i = 0; i < 4; i++) await pool.acquire();
    pool.release(3);
    pool.release(1);
    pool.release(2);
    // Busy slots stay packed at the low end: sequences 0, 1 (and 2) decode as one micro-batch.
    expect(await pool.acquire()).toBe(1);
    expect(await pool.acquire(undefined, () => 0)).toBe(2);
    expect(await pool.acquire()).toBe(3);
  });

  it('prefers the free slot with the highest preference score', async () => {
    const pool = new SlotPool(['short', 'long', 'none'], 0);
    const score = { short: 3, long: 10, none: 0 } as const;
    expect(await pool.acquire(undefined, (slot) => score[slot as keyof typeof score])).toBe('long');
  });

  it('rejects waiters and later calls once closed', async () => {
    const pool = new SlotPool(['a'], 2);
    await pool.acquire();
    const waiting = pool.acquire().catch((e: unknown) => e);
    pool.close(new LlmError('disposed', 'gone'));
    expect(((await waiting) as LlmError).code).toBe('disposed');
    expect(((await pool.acquire().catch((e: unknown) => e)) as LlmError).code).toBe('disposed');
  });
});
