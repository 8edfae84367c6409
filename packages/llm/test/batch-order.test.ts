import { LlamaCompletion } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { recordBatchSequences, withGemma270mContext } from './decode-batches.js';

// #19: node-llama-cpp keeps one KV stream per sequence (kv_unified off), and llama.cpp then cuts a
// batch into one micro-batch per run of consecutive, ascending sequence ids (split_equal). The
// batch listed its sequences in queue order (whichever finished sampling first), so 4 streams were
// decoded in up to 4 micro-batches per step: about 55 ms instead of 23 ms for 4 tokens on the 270M
// model, 2 threads (llm README, "Batch order"). The patch in patches/ adds them by sequence id.
// Checks the order, not time: the machine's load cannot move it.
describe('node-llama-cpp batch order (patched)', () => {
  it('adds the sequences of a batch in ascending sequence id order', async () => {
    const streams = 4;
    const tokens = 24;
    await withGemma270mContext(streams, async (context) => {
      const batches = recordBatchSequences(context);
      const sequences = Array.from({ length: streams }, () => context.getSequence());
      // Started in reverse id order, with prompts of different lengths, so that queue order and id order differ.
      const results = await Promise.all(
        sequences.reverse().map((sequence, index) =>
          new LlamaCompletion({ contextSequence: sequence }).generateCompletionWithMeta(
            `Story ${index}.${' Once upon a time,'.repeat(index + 1)} there was a little`,
            { maxTokens: tokens, temperature: 0 },
          ),
        ),
      );
      for (const result of results) expect(result.metadata.stopReason).toBe('maxTokens');
      const multiSequence = batches.filter((ids) => ids.length > 1);
      expect(multiSequence.length).toBeGreaterThanOrEqual(tokens - 2);
      const unordered = multiSequence.filter((ids) => ids.some((id, index) => index > 0 && id <= ids[index - 1]!));
      expect(unordered).toEqual([]);
    });
  });
});
