import { describe, expect, it } from 'vitest';
import { AsyncChannel } from './async-channel.js';

describe('AsyncChannel', () => {
  it('delivers pushed items in order, then undefined once ended', async () => {
    const channel = new AsyncChannel<number>();
    const received: number[] = [];
    const reader = (async () => {
      for (let next = await channel.next(); next !== undefined; next = await channel.next()) received.push(next.item);
    })();
    channel.push(1);
    await Promise.resolve();
    channel.push(2);
    channel.push(3);
    channel.end();
    channel.push(4);
    await reader;
    expect(received).toEqual([1, 2, 3]);
  });

  it('throws the failure after the queued items', async () => {
    const channel = new AsyncChannel<string>();
    channel.push('a');
    channel.fail(new Error('boom'));
    expect(await channel.next()).toEqual({ item: 'a' });
    await expect(channel.next()).rejects.toThrow('boom');
  });
});
