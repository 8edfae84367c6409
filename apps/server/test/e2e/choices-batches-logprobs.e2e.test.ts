import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCompletionChunkMatchesSpec, assertMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { openAiClientOf, storiesModelEnv } from './stories-model.js';

const MODEL = 'stories260K-chat';

let server: ServerProcess;
let client: OpenAI;

beforeAll(async () => {
  loadOpenAiSpec();
  server = await startServerProcess({
    env: storiesModelEnv({ contextSize: 512, parallel: 2 }),
    waitForModel: true,
  });
  client = openAiClientOf(server, { timeoutMs: 60_000 });
});

afterAll(async () => {
  await server?.stop();
});

describe('n choices and prompt batches with the official openai client on stories260K', () => {
  it('answers several prompts × n in OpenAI\'s index order, each prompt\'s choices its own continuation', async () => {
    const prompts = ['Once upon a time', 'The dog was'];
    const batch = await client.completions.create({ model: MODEL, prompt: prompts, n: 2, max_tokens: 12, temperature: 0 });
    assertMatchesSpec('CreateCompletionResponse', batch);
    expect(batch.choices.map((choice) => choice.index)).toEqual([0, 1, 2, 3]);
    // At temperature 0 both choices of a prompt are the single-prompt answer.
    for (const [promptIndex, prompt] of prompts.entries()) {
      const single = await client.completions.create({ model: MODEL, prompt, max_tokens: 12, temperature: 0 });
      expect(batch.choices[promptIndex * 2]!.text).toBe(single.choices[0]!.text);
      expect(batch.choices[promptIndex * 2 + 1]!.text).toBe(single.choices[0]!.text);
    }
    expect(batch.usage!.completion_tokens).toBe(4 * 12);
  });

  it('takes token-id prompts, and refuses an id outside the vocabulary with a 400', async () => {
    // [1] is BOS alone (the model starts a story from nothing); a leading BOS is not doubled.
    const ids = await client.completions.create({ model: MODEL, prompt: [[1], [1, 100, 200, 300]], max_tokens: 8, temperature: 0 });
    assertMatchesSpec('CreateCompletionResponse', ids);
    expect(ids.choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(ids.choices[0]!.text.length).toBeGreaterThan(0);
    expect(ids.usage!.prompt_tokens).toBe(1 + 4);
    const error = await client.completions.create({ model: MODEL, prompt: [1, 512] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('0 to 511');
  });

  it('streams n sampled chat choices with each chunk\'s index, usage counting all', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Tell me a story.' }],
      n: 3,
      max_tokens: 16,
      temperature: 1,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', '', ''];
    const finished: (string | null)[] = [null, null, null];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        finished[choice.index] = choice.finish_reason ?? finished[choice.index]!;
      }
      usage = chunk.usage ?? usage;
    }
    expect(finished.every((reason) => reason === 'stop' || reason === 'length')).toBe(true);
    expect(texts.every((text) => text.length > 0)).toBe(true);
    // Distinct seeds per choice: sampled answers differ.
    expect(new Set(texts).size).toBeGreaterThan(1);
    expect(usage!.completion_tokens).toBeGreaterThan(3);
    // The same seeded request gives the same three answers.
    const again = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Tell me a story.' }], n: 3, max_tokens: 16, temperature: 1, seed: 7 });
    assertMatchesSpec('CreateChatCompletionResponse', again);
    expect(again.choices.map((choice) => choice.message.content)).toEqual(texts);
  });

  it('streams a prompt batch, each chunk with its prompt\'s index', async () => {
    const stream = await client.completions.create({ model: MODEL, prompt: ['Once upon a time', 'The cat'], max_tokens: 6, temperature: 0, stream: true });
    const texts = ['', ''];
    for await (const chunk of stream) {
      assertCompletionChunkMatchesSpec(chunk);
      for (const choice of chunk.choices) texts[choice.index] += choice.text;
    }
    expect(texts.every((text) => text.length > 0)).toBe(true);
    expect(texts[0]).not.toBe(texts[1]);
  });
});

describe('embeddings over the chat model (no LLM_EMBEDDING_MODEL_PATH)', () => {
  it('embeds with the chat model while it keeps answering chats', async () => {
    const [embeddings, chat] = await Promise.all([
      client.embeddings.create({ model: MODEL, input: ['The cat sat on the mat.', 'A cat sat on a rug.'] }),
      // Greedy: sampled at temperature 1 without a seed, the answer can be an end of text at once (a CI run hit it).
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, temperature: 0 }),
    ]);
    assertMatchesSpec('CreateEmbeddingResponse', embeddings);
    expect(embeddings.model).toBe(MODEL);
    expect(embeddings.data.map((item) => item.embedding.length)).toEqual([64, 64]);
    expect(chat.choices[0]!.message.content!.length).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual([MODEL]);
  });
});

describe('logprobs with the official openai client', () => {
  it('answers chat logprobs.content whose tokens spell the answer, streamed the same', async () => {
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Tell me a story.' }], max_tokens: 12, temperature: 0, logprobs: true, top_logprobs: 3 };
    const whole = await client.chat.completions.create(request);
    assertMatchesSpec('CreateChatCompletionResponse', whole);
    const content = whole.choices[0]!.logprobs!.content!;
    expect(content.map((entry) => entry.token).join('')).toBe(whole.choices[0]!.message.content);
    expect(content).toHaveLength(whole.usage!.completion_tokens);
    for (const entry of content) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, 'utf8')]);
    }
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const streamed: string[] = [];
    for await (const chunk of stream) {
      assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
      for (const entry of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(entry.token);
    }
    expect(streamed).toEqual(content.map((entry) => entry.token));
  });

  it('answers completion logprobs (tokens, token_logprobs, top_logprobs, text_offset), streamed too', async () => {
    const whole = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 10, temperature: 0, logprobs: 2 });
    assertMatchesSpec('CreateCompletionResponse', whole);
    const logprobs = whole.choices[0]!.logprobs!;
    expect(logprobs.tokens!.join('')).toBe(whole.choices[0]!.text);
    expect(logprobs.token_logprobs).toHaveLength(10);
    expect(logprobs.top_logprobs!.every((top) => Object.keys(top).length >= 1 && Object.keys(top).length <= 2)).toBe(true);
    const offsets = logprobs.tokens!.map((_, index) => logprobs.tokens!.slice(0, index).join('').length);
    expect(logprobs.text_offset).toEqual(offsets);
    const stream = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 10, temperature: 0, logprobs: 2, stream: true });
    const tokens: string[] = [];
    const textOffsets: number[] = [];
    for await (const chunk of stream) {
      assertCompletionChunkMatchesSpec(chunk);
      tokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
      textOffsets.push(...(chunk.choices[0]?.logprobs?.text_offset ?? []));
    }
    expect(tokens).toEqual(logprobs.tokens);
    expect(textOffsets).toEqual(logprobs.text_offset);
  });
});
