import { describe, expect, it } from 'vitest';
import { RoundQueue } from './round-queue.js';

// Rounds are promises the test settles by hand: no I/O and no time.
function harness(mayContinue = () => true) {
  const started: { reason: string; finish: (value: string) => void }[] = [];
  const queue = new RoundQueue<string>(
    (reason) =>
      new Promise<string>((resolve) => {
        started.push({ reason, finish: resolve });
      }),
    () => mayContinue(),
  );
  return { queue, started };
}

describe('RoundQueue', () => {
  it('runs one round at a time and coalesces every request during it into one more', async () => {
    const { queue, started } = harness();
    const first = queue.request('push');
    expect(queue.busy).toBe(true);
    const second = queue.request('push');
    const third = queue.request('push');
    expect(started.map((round) => round.reason)).toEqual(['push']);
    expect(queue.pending).toHaveLength(2);
    started[0]!.finish('one');
    expect(await first).toBe('one');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(started.map((round) => round.reason)).toEqual(['push', 'push']);
    started[1]!.finish('two');
    expect(await second).toBe('two');
    expect(await third).toBe('two');
    expect(queue.busy).toBe(false);
    expect(queue.pending).toEqual([]);
  });

  it('runs a mixed queue (a push and a periodic round) as a full round', async () => {
    const { queue, started } = harness();
    void queue.request('discovered');
    void queue.request('push');
    const queued = queue.request('interval');
    started[0]!.finish('one');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(started[1]!.reason).toBe('queued');
    started[1]!.finish('two');
    expect(await queued).toBe('two');
  });

  it('does not start the queued round once stopped: it settles with the round that ended', async () => {
    let open = true;
    const { queue, started } = harness(() => open);
    void queue.request('interval');
    const queued = queue.request('push');
    open = false;
    started[0]!.finish('last');
    expect(await queued).toBe('last');
    expect(started).toHaveLength(1);
  });
});
