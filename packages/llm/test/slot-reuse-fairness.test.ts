import { describe, expect, it } from 'vitest';
import { LlmEngine } from '../src/index.js';
import { testModel } from './test-models.js';

// #19: a request given a previously used slot must first erase that slot's KV cache, which takes
// node-llama-cpp's context lock. Its batch dispatcher held that lock for as long as any other
// sequence kept generating, so a request arriving while others streamed got its first token only
// after they had all finished (figures in the llm README). The patch in patches/ hands the lock back
// after every decode; the late request now starts while the long ones are still streaming. (With a
// single other stream the dispatcher happened to find its queue empty between tokens; two are needed.)
describe('LlmEngine slot reuse while other slots stream', () => {
  it('serves a request on a used slot before the running long generations end', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3-270m-q4_k_m.gguf'), threads: 1, parallel: 3, contextSize: 512 });
    try {
      // Every slot holds an earlier prompt, so whichever the late request gets must be erased first.
      await Promise.all(['Alpha beta gamma', 'Delta epsilon zeta', 'Eta theta iota'].map((prompt) => engine.complete({ prompt, maxTokens: 2, temperature: 0 })));
      let longDone = false;
      let lateDone = false;
      const longs = ['Story one. Once upon a time', 'Story two. Far away'].map((prompt) =>
        engine.streamComplete({ prompt, maxTokens: 64, temperature: 0 })[Symbol.asyncIterator](),
      );
      // Both long generations are streaming before the late request arrives.
      for (const iterator of longs) expect((await iterator.next()).done).toBe(false);
      const late = engine.complete({ prompt: 'Something else entirely', maxTokens: 2, temperature: 0 }).then((result) => {
        lateDone = true;
        return { result, longDoneThen: longDone };
      });
      const longTokens = await Promise.all(
        longs.map(async (iterator) => {
          let tokens = 0;
          for (let item = await iterator.next(); item.done !== true; item = await iterator.next()) {
            if (item.value.type === 'done') tokens = item.value.usage.completionTokens;
          }
          return tokens;
        }),
      );
      longDone = true;
      const { result, longDoneThen } = await late;
      expect(lateDone).toBe(true);
      expect(longDoneThen).toBe(false);
      expect(result.usage.completionTokens).toBe(2);
      expect(longTokens).toEqual([64, 64]);
    } finally {
      await engine.dispose();
    }
  });
});
