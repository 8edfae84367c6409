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
    [{ prompt: ['a', 'b'] }, 'prompt', /exactly one string/],
    [{ prompt: [1, 2, 3] }, 'prompt', /token-id prompts/],
    [{ prompt: 'x', logprobs: 2 }, 'logprobs', /not supported/],
    [{ prompt: 'x', best_of: 3 }, 'best_of', /Only 1/],
    [{ prompt: 'x', suffix: 'end' }, 'suffix', /not supported/],
    [{ prompt: 'x', n: 2 }, 'n', /one choice per request/],
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
});
