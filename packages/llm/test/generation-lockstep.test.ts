import { LlamaCompletion, type LlamaContext } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { recordBatchSequences, withGemma270mContext } from './decode-batches.js';

const TOKENS = 24;

/** A greedy completion of `TOKENS` tokens on a new sequence of `context`; `onToken` sees each token's arrival. */
function complete(context: LlamaContext, index: number, onToken?: () => void): Promise<unknown> {
  return new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletionWithMeta(`Story ${index}. Once upon a time, there was a little`, {
    maxTokens: TOKENS,
    temperature: 0,
    ...(onToken === undefined ? {} : { onToken }),
  });
}

// #19: streams that start at different moments must end up in one batch per step. Each sequence of
// a batch gets its token as soon as its own sampling ends (they are sampled one after the other),
// so the first ones re-queue and trigger the next dispatch while the last is still being sampled.
// Without the patch's wait for every generating sequence, two streams started after two others
// stayed a group of their own: the groups took turns, each turn a full decode (in the benchmark,
// one round in three ran at two thirds of the others' speed). Counts batches, not time.
describe('node-llama-cpp generation in lockstep (patched)', () => {
  it('merges streams that started later into the batches of those already generating', async () => {
    await withGemma270mContext(4, async (context) => {
      const batches = recordBatchSequences(context);
      let late: Promise<unknown[]> | undefined;
      let seen = 0;
      // Two streams, then two more once the first two have generated a few tokens.
      const early = [
        complete(context, 0, () => {
          if (++seen === 3) late = Promise.all([complete(context, 2), complete(context, 3)]);
        }),
        complete(context, 1),
      ];
      await Promise.all(early);
      await late;
      const sequencesOf = batches.map((batch) => new Set(batch));
      const joined = sequencesOf.findIndex((sequences) => sequences.has(2) || sequences.has(3));
      // From the batch where the late prompts were decoded on, until the early streams end, every
      // step decodes all four: about TOKENS - 4 steps, each of 4 sequences. Split into groups that
      // take turns, these would be twice as many decodes of 2 sequences each.
      const together = sequencesOf.slice(joined).filter((sequences) => sequences.size === 4).length;
      const apart = sequencesOf.slice(joined).filter((sequences) => sequences.size === 2 && (sequences.has(0) !== sequences.has(2))).length;
      expect(together).toBeGreaterThanOrEqual(TOKENS - 8);
      expect(apart).toBeLessThanOrEqual(6);
    });
  });
});
