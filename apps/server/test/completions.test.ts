import { describe, expect, it } from 'vitest';
import { FakeLlmError } from './fake-engine.js';
import { assertCompletionChunkMatchesSpec, assertMatchesSpec } from './openai-spec.js';
import { json, parseSse, testApp } from './test-app.js';

describe('POST /v1/completions', () => {
  it('answers in OpenAI\'s text_completion shape', async () => {
    const { post, engine } = testApp();
    engine.script = { pieces: ['girl', ' named'], finishReason: 'length' };
    const response = await post('/v1/completions', { model: 'fake-model', prompt: 'Once upon a time', max_tokens: 2, temperature: 0 });
    expect(response.status).toBe(200);
    const body = await json(response);
    assertMatchesSpec('CreateCompletionResponse', body);
    expect(body.id).toMatch(/^cmpl-[A-Za-z0-9]{24}$/);
    expect(body.object).toBe('text_completion');
    expect(body.choices).toEqual([{ text: 'girl named', index: 0, logprobs: null, finish_reason: 'length' }]);
    expect(body.usage.total_tokens).toBe(10);
    expect(engine.requests[0]).toMatchObject({ prompt: 'Once upon a time', maxTokens: 2, temperature: 0 });
  });

  it('accepts a prompt given as an array of one string, and echo', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/completions', { prompt: ['Hi'], echo: true, stop: ['\n', 'END'] }));
    expect(body.choices[0].text).toBe('HiHello world');
    expect(engine.requests[0]).toMatchObject({ prompt: 'Hi', stop: ['\n', 'END'] });
  });

  it.each([
    [{ prompt: [] }, 'prompt', /empty/],
    [{ prompt: [[1], []] }, 'prompt[1]', /at least one token/],
    [{ prompt: [1, 2, 3], echo: true }, 'echo', /text prompts/],
    [{ prompt: 'x', logprobs: 6 }, 'logprobs', /must be <= 5/],
    [{ prompt: 'x', best_of: 3 }, 'best_of', /best_of = n/],
    [{ prompt: 'x', suffix: 'end' }, 'suffix', /not supported/],
    [{ prompt: ['a', 'b', 'c'], n: 50 }, 'n', /150 choices; at most 128/],
  ])('rejects %j with a 400 naming %s', async (request, param, message) => {
    const { post } = testApp();
    const response = await post('/v1/completions', request);
    expect(response.status).toBe(400);
    const body = await json(response);
    assertMatchesSpec('ErrorResponse', body);
    expect(body.error.param).toBe(param);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(message);
  });

  it('streams text_completion chunks, a finish chunk, usage and [DONE]', async () => {
    const { post } = testApp();
    const { data } = parseSse(await (await post('/v1/completions', { prompt: 'x', stream: true, stream_options: { include_usage: true } })).text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1) as { id: string; choices: { text: string; finish_reason: string | null }[]; usage?: { total_tokens: number } }[];
    for (const chunk of chunks.slice(0, -1)) assertCompletionChunkMatchesSpec(chunk);
    expect(chunks.slice(0, -1).map((chunk) => chunk.choices[0]!.text)).toEqual(['Hello', ' world', '']);
    expect(chunks.slice(0, -1).map((chunk) => chunk.choices[0]!.finish_reason)).toEqual([null, null, 'stop']);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(10);
  });

  it('maps context overflow to context_length_exceeded on prompt', async () => {
    const { post, engine } = testApp();
    engine.script = { error: new FakeLlmError('context-overflow', 'too long', { promptTokens: 500, maxTokens: 64, contextSize: 512 }) };
    const response = await post('/v1/completions', { prompt: 'long' });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toMatchObject({ code: 'context_length_exceeded', param: 'prompt' });
    expect(body.error.message).toContain('maximum context length is 512 tokens');
    expect(body.error.message).toContain('564');
  });

  it('answers several prompts with one choice each, index in prompt order, usage of all', async () => {
    const { post, engine } = testApp();
    const response = await post('/v1/completions', { prompt: ['Once', 'Twice', 'Thrice'], max_tokens: 2, echo: true });
    const body = await json(response);
    assertMatchesSpec('CreateCompletionResponse', body);
    expect(body.choices.map((choice: { index: number; text: string }) => [choice.index, choice.text])).toEqual([
      [0, 'OnceHello world'], [1, 'TwiceHello world'], [2, 'ThriceHello world'],
    ]);
    expect(engine.requests.map((request) => (request as { prompt: unknown }).prompt).sort()).toEqual(['Once', 'Thrice', 'Twice']);
    expect(body.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 9, total_tokens: 30, prompt_tokens_details: { cached_tokens: 6 } });
  });

  it('takes token-id prompts: one array of ids, or an array of such arrays', async () => {
    const { post, engine } = testApp();
    const one = await json(await post('/v1/completions', { prompt: [1, 2, 3] }));
    expect(one.choices).toHaveLength(1);
    expect(engine.requests[0]).toMatchObject({ prompt: [1, 2, 3] });
    const two = await json(await post('/v1/completions', { prompt: [[4, 5], [6]] }));
    assertMatchesSpec('CreateCompletionResponse', two);
    expect(two.choices.map((choice: { index: number }) => choice.index)).toEqual([0, 1]);
    expect(engine.requests.slice(1).map((request) => (request as { prompt: unknown }).prompt)).toEqual(expect.arrayContaining([[4, 5], [6]]));
  });

  it('orders prompts × n choices as OpenAI does (index = prompt × n + choice), each choice with its own seed', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/completions', { prompt: ['a', 'b'], n: 2, seed: 40, echo: true }));
    expect(body.choices.map((choice: { index: number; text: string }) => [choice.index, choice.text[0]])).toEqual([[0, 'a'], [1, 'a'], [2, 'b'], [3, 'b']]);
    const seeds = engine.requests.map((request) => `${String((request as { prompt: unknown }).prompt)}:${request.seed}`).sort();
    expect(seeds).toEqual(['a:40', 'a:41', 'b:40', 'b:41']);
    // Each prompt counted once, every choice's completion counted.
    expect(body.usage).toMatchObject({ prompt_tokens: 14, completion_tokens: 12 });
  });

  it('streams several prompts, each chunk with its choice index, one finish chunk per choice and one usage chunk', async () => {
    const { post } = testApp();
    const { data } = parseSse(await (await post('/v1/completions', { prompt: ['a', 'b'], n: 2, stream: true, stream_options: { include_usage: true } })).text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1) as { choices: { text: string; index: number; finish_reason: string | null }[]; usage?: { completion_tokens: number } }[];
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage!.completion_tokens).toBe(12);
    for (const chunk of chunks.slice(0, -1)) assertCompletionChunkMatchesSpec(chunk);
    for (const index of [0, 1, 2, 3]) {
      const own = chunks.slice(0, -1).flatMap((chunk) => chunk.choices).filter((choice) => choice.index === index);
      expect(own.map((choice) => choice.text).join('')).toBe('Hello world');
      expect(own.map((choice) => choice.finish_reason)).toEqual([null, null, 'stop']);
    }
  });

  it('fails the whole request with the first choice\'s error and stops the others', async () => {
    const { post, engine } = testApp();
    engine.script = { error: new FakeLlmError('queue-full', 'full') };
    const response = await post('/v1/completions', { prompt: ['a', 'b', 'c'] });
    expect(response.status).toBe(503);
    expect((await json(response)).error.code).toBe('queue_full');
  });
});
