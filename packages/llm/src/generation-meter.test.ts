import { describe, expect, it } from 'vitest';
import { LlmError } from './errors.js';
import { GenerationMeter } from './generation-meter.js';

// A clock the test moves by hand.
function manualClock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('GenerationMeter', () => {
  it('reports queue wait, time to first token, mean time per output token and duration of a completed request', () => {
    const clock = manualClock();
    const meter = new GenerationMeter('chat', true, clock.now);
    clock.advance(30);
    meter.slotAcquired(12);
    clock.advance(70);
    meter.onToken([1]);
    clock.advance(10);
    meter.onToken([2, 3]); // two tokens released at once
    clock.advance(20);
    meter.onToken([4]);
    clock.advance(5);
    expect(meter.completed('stop', { promptTokens: 12, completionTokens: 4, cachedPromptTokens: 3 })).toEqual({
      kind: 'chat',
      streamed: true,
      outcome: 'completed',
      finishReason: 'stop',
      promptTokens: 12,
      cachedPromptTokens: 3,
      completionTokens: 4,
      queueMs: 30,
      timeToFirstTokenMs: 100,
      timePerOutputTokenMs: 10, // 30 ms from the first to the last of 4 tokens: 3 gaps
      durationMs: 135,
    });
  });

  it('reports a request refused before it had a slot with its error code and no timings', () => {
    const clock = manualClock();
    const meter = new GenerationMeter('completion', false, clock.now);
    clock.advance(2);
    const event = meter.failed(new LlmError('queue-full', 'full'));
    expect(event).toMatchObject({ outcome: 'queue-full', promptTokens: undefined, completionTokens: 0, queueMs: undefined, timeToFirstTokenMs: undefined, timePerOutputTokenMs: undefined, durationMs: 2 });
  });

  it('counts the tokens of an aborted generation and leaves the per-token time out with one token', () => {
    const clock = manualClock();
    const meter = new GenerationMeter('completion', true, clock.now);
    meter.slotAcquired(5);
    clock.advance(40);
    meter.onToken([7]);
    const event = meter.failed(new LlmError('aborted', 'client left'));
    expect(event).toMatchObject({ outcome: 'aborted', promptTokens: 5, completionTokens: 1, queueMs: 0, timeToFirstTokenMs: 40, timePerOutputTokenMs: undefined });
  });

  it('counts an error that is not an LlmError as generation-failed', () => {
    expect(new GenerationMeter('chat', false).failed(new TypeError('boom')).outcome).toBe('generation-failed');
  });
});
