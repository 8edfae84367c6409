import { LlamaCompletion } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { recordDecodeBatches, withGemma270mContext } from './decode-batches.js';

// #19: every sequence of a batch gets its token as soon as its own sampling ends, so the others
// re-queued (and scheduled the next dispatch) while the last one was still being sampled; the next
// decode then ran without it, and from there on every step decoded one sequence fewer than were
// generating (batches of 3 for 4 streams: a third more decodes for the same tokens). The patch in
// patches/ lets the last sequence join. Counts decodes, not time: the machine's load cannot move it.
describe('node-llama-cpp batch assembly (patched)', () => {
  it('decodes one token of every generating sequence per step', async () => {
    const streams = 4;
    const tokens = 24;
    await withGemma270mContext(streams, async (context) => {
      const sizes = recordDecodeBatches(context);
      const results = await Promise.all(
        Array.from({ length: streams }, (_, index) =>
          new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletionWithMeta(
            `Story ${index}. Once upon a time, there was a little`,
            { maxTokens: tokens, temperature: 0 },
          ),
        ),
      );
      for (const result of results) expect(result.metadata.stopReason).toBe('maxTokens');
      // One prompt batch, then one decode per generated token holding all four sequences (the last
      // sampled token of each stream is never decoded). Before the patch: about 31 decodes, mostly of 3.
      const generationSteps = sizes.filter((size) => size <= streams);
      expect(generationSteps.length).toBeLessThanOrEqual(tokens);
      expect(generationSteps.filter((size) => size === streams).length).toBeGreaterThanOrEqual(tokens - 2);
    });
  });
});
