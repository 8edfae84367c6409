import { describe, expect, it } from 'vitest';
import { assertCompletionChunkMatchesSpec, assertMatchesSpec } from './openai-spec.js';
import { json, parseSse, testApp } from './test-app.js';

const messages = [{ role: 'user', content: 'Hi' }];

describe('logprobs (chat)', () => {
  it('maps logprobs + top_logprobs to the engine and answers OpenAI\'s logprobs.content', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/chat/completions', { messages, logprobs: true, top_logprobs: 2 }));
    assertMatchesSpec('CreateChatCompletionResponse', body);
    expect(engine.requests[0]!.logprobs).toBe(2);
    expect(body.choices[0].logprobs).toEqual({
      content: [
        { token: 'Hello', logprob: -0.25, bytes: [72, 101, 108, 108, 111], top_logprobs: [{ token: 'Hello', logprob: -0.25, bytes: [72, 101, 108, 108, 111] }, { token: 'x', logprob: -2, bytes: [120] }] },
        { token: ' world', logprob: -0.25, bytes: [32, 119, 111, 114, 108, 100], top_logprobs: [{ token: ' world', logprob: -0.25, bytes: [32, 119, 111, 114, 108, 100] }, { token: 'x', logprob: -2, bytes: [120] }] },
      ],
      refusal: null,
    });
  });

  it('asks for no alternatives with logprobs alone, and for nothing without it', async () => {
    const { post, engine } = testApp();
    await post('/v1/chat/completions', { messages, logprobs: true });
    await post('/v1/chat/completions', { messages, logprobs: false, top_logprobs: 0 });
    expect(engine.requests[0]!.logprobs).toBe(0);
    expect(engine.requests[1]!.logprobs).toBeUndefined();
  });

  it('streams each content chunk with the logprobs of its tokens', async () => {
    const { post } = testApp();
    const { data } = parseSse(await (await post('/v1/chat/completions', { messages, logprobs: true, top_logprobs: 1, stream: true })).text());
    const chunks = data.slice(0, -1) as { choices: { delta: { content?: string }; logprobs: { content: { token: string }[] } | null }[] }[];
    for (const chunk of chunks) assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
    const withText = chunks.filter((chunk) => (chunk.choices[0]!.delta.content ?? '') !== '');
    expect(withText.map((chunk) => chunk.choices[0]!.logprobs!.content.map((token) => token.token))).toEqual([['Hello'], [' world']]);
    expect(chunks[0]!.choices[0]!.logprobs).toBeNull();
  });
});

describe('logprobs (completions)', () => {
  it('answers tokens, token_logprobs, top_logprobs and text_offset (after an echoed prompt)', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/completions', { prompt: 'Say', logprobs: 2, echo: true }));
    assertMatchesSpec('CreateCompletionResponse', body);
    expect(engine.requests[0]!.logprobs).toBe(2);
    expect(body.choices[0].text).toBe('SayHello world');
    expect(body.choices[0].logprobs).toEqual({
      tokens: ['Hello', ' world'],
      token_logprobs: [-0.25, -0.25],
      top_logprobs: [{ Hello: -0.25, x: -2 }, { ' world': -0.25, x: -2 }],
      text_offset: [3, 8],
    });
  });

  it('streams the logprobs of each chunk, offsets continuing across chunks', async () => {
    const { post } = testApp();
    const { data } = parseSse(await (await post('/v1/completions', { prompt: 'x', logprobs: 0, stream: true })).text());
    const chunks = data.slice(0, -1) as { choices: { text: string; finish_reason: string | null; logprobs: { tokens: string[]; text_offset: number[] } | null }[] }[];
    for (const chunk of chunks) assertCompletionChunkMatchesSpec(chunk);
    const withText = chunks.filter((chunk) => chunk.choices[0]!.text !== '');
    expect(withText.map((chunk) => chunk.choices[0]!.logprobs)).toEqual([
      { tokens: ['Hello'], token_logprobs: [-0.25], top_logprobs: [{}], text_offset: [0] },
      { tokens: [' world'], token_logprobs: [-0.25], top_logprobs: [{}], text_offset: [5] },
    ]);
  });
});
