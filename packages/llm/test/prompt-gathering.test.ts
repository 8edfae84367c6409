import { LlamaCompletion, type LlamaContextSequence } from 'node-llama-cpp';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { recordBatchSequences, withGemma270mContext } from './decode-batches.js';

const story =
  'Once upon a time, in a small village by the sea, there lived an old fisherman and his granddaughter. Every morning ' +
  'they walked down to the harbour, mended the nets, counted the boats and talked about the weather, the markets in ' +
  'town and the stories the sailors told. One day a stranger arrived with a map, a lantern and a question nobody ' +
  'in the village could answer.';

/** A greedy completion of a few tokens of `prompt` on `sequence`, which keeps its cells afterwards. */
async function complete(sequence: LlamaContextSequence, prompt: string): Promise<void> {
  const completion = new LlamaCompletion({ contextSequence: sequence });
  try {
    await completion.generateCompletionWithMeta(prompt, { maxTokens: 3, temperature: 0 });
  } finally {
    completion.dispose({ disposeSequence: false });
  }
}

// #19: requests sent together reach the context a few ms apart (each is parsed, tokenized and
// given a slot in turn). Without the patch's gathering the first prompt was decoded on its own and
// the others waited for that decode: on the E2B-shaped file a third of a second before they even
// started, and a stream one step out of line with the others to the end. Each sequence here
// already holds cells, as a reused slot does, so each must first erase them, which takes the
// context lock: the gathering has to leave that lock free. Counts batches, not time.
describe('node-llama-cpp prompt gathering (patched)', () => {
  it('decodes prompts that arrive a few ms apart on an idle context in one batch', async () => {
    await withGemma270mContext(4, async (context) => {
      const sequences = [0, 1, 2, 3].map(() => context.getSequence());
      // Gives every sequence a history, and the context its time per prompt token.
      await Promise.all(sequences.map((sequence, index) => complete(sequence, `Warm-up ${index}. ${story}`)));
      const batches = recordBatchSequences(context);
      await Promise.all(
        sequences.map(async (sequence, index) => {
          await sleep(2 * index);
          await complete(sequence, `Request ${index}. ${story}`);
        }),
      );
      expect(new Set(batches[0])).toEqual(new Set([0, 1, 2, 3]));
      // Then the streams generate in step: one batch of all four per token.
      expect(batches.slice(1).every((batch) => batch.length === 4)).toBe(true);
    });
  });
});
