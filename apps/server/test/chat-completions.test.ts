import { describe, expect, it } from 'vitest';
import { FakeLlmError } from './fake-engine.js';
import { assertMatchesSpec } from './openai-spec.js';
import { json, parseSse, testApp } from './test-app.js';

const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];

describe('POST /v1/chat/completions', () => {
  it('answers in OpenAI\'s chat.completion shape', async () => {
    const { post } = testApp();
    const response = await post('/v1/chat/completions', { model: 'fake-model', messages });
    expect(response.status).toBe(200);
    const body = await json(response);
    assertMatchesSpec('CreateChatCompletionResponse', body);
    expect(body.id).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe('fake-model');
    expect(body.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(body.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }]);
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 2 } });
  });

  it('maps every request parameter to the engine', async () => {
    const { post, engine } = testApp();
    const response = await post('/v1/chat/completions', {
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      max_tokens: 50, max_completion_tokens: 20, temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, n: 1, stop: 'END', seed: 42,
      presence_penalty: 0.5, frequency_penalty: -0.5, logit_bias: { '13': -100 }, user: 'u1', some_future_field: { x: 1 },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } },
      tools: [
        { type: 'function', function: { name: 'weather', description: 'Weather of a city', parameters: { type: 'object' } } },
        { type: 'function', function: { name: 'rate', parameters: { type: 'object' }, strict: true } },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
    });
    expect(response.status).toBe(200);
    const request = engine.requests[0]!;
    expect({ ...request, signal: undefined }).toEqual({
      signal: undefined,
      messages: [
        { role: 'developer', content: 'a\nb' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: 'sunny' },
      ],
      maxTokens: 20, temperature: 0.5, topP: 0.9, topK: 40, minP: 0.05, stop: ['END'], seed: 42,
      presencePenalty: 0.5, frequencyPenalty: -0.5, logitBias: { '13': -100 },
      responseFormat: { type: 'json_schema', schema: { type: 'object' }, name: 'answer' },
      tools: [{ name: 'weather', description: 'Weather of a city', parameters: { type: 'object' } }, { name: 'rate', parameters: { type: 'object' }, strict: true }],
      toolChoice: { name: 'weather' },
    });
    expect(request.signal).toBeInstanceOf(AbortSignal);
  });

  it('treats explicit nulls as unset', async () => {
    const { post, engine } = testApp();
    const response = await post('/v1/chat/completions', { messages, temperature: null, stop: null, n: null, max_tokens: null, seed: null, tools: null, tool_choice: null, response_format: null, stream: null, stream_options: null, logit_bias: null });
    expect(response.status).toBe(200);
    expect(Object.keys(engine.requests[0]!).sort()).toEqual(['messages', 'signal']);
  });

  it('returns tool calls with finish_reason tool_calls', async () => {
    const { post, engine } = testApp();
    engine.script = { toolCalls: [{ id: 'call_abc', name: 'weather', arguments: '{"city":"Oslo"}' }] };
    const body = await json(await post('/v1/chat/completions', { messages, tools: [{ type: 'function', function: { name: 'weather' } }] }));
    assertMatchesSpec('CreateChatCompletionResponse', body);
    expect(body.choices[0].finish_reason).toBe('tool_calls');
    expect(body.choices[0].message.content).toBeNull();
    expect(body.choices[0].message.tool_calls).toEqual([{ id: 'call_abc', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }]);
  });

  it('streams a role chunk, content chunks, a finish chunk and [DONE]', async () => {
    const { post } = testApp();
    const response = await post('/v1/chat/completions', { messages, stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // Regression (issue 15): streamed answers lacked the X-Request-Id the SDKs read.
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const { data } = parseSse(await response.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1) as { id: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: unknown }[];
    for (const chunk of chunks) assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.map((chunk) => chunk.choices[0]!.delta)).toEqual([{ role: 'assistant', content: '', refusal: null }, { content: 'Hello' }, { content: ' world' }, {}]);
    expect(chunks.map((chunk) => chunk.choices[0]!.finish_reason)).toEqual([null, null, null, 'stop']);
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
  });

  it('adds a usage chunk with empty choices only with include_usage', async () => {
    const { post } = testApp();
    const { data } = parseSse(await (await post('/v1/chat/completions', { messages, stream: true, stream_options: { include_usage: true } })).text());
    const chunks = data.slice(0, -1) as { choices: unknown[]; usage: unknown }[];
    for (const chunk of chunks) assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 2 } } });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('streams a tool call like OpenAI: id, type and name first, then the arguments in pieces', async () => {
    const { post, engine } = testApp();
    const args = JSON.stringify({ city: 'Oslo', unit: 'celsius', days: 3 });
    engine.script = { pieces: [], toolCalls: [{ id: 'call_1', name: 'weather', arguments: args }] };
    const { data } = parseSse(await (await post('/v1/chat/completions', { messages, stream: true, tools: [{ type: 'function', function: { name: 'weather' } }] })).text());
    const chunks = data.slice(0, -1) as { choices: { delta: { tool_calls?: { index: number; id?: string; type?: string; function: { name?: string; arguments: string } }[] }; finish_reason: string | null }[] }[];
    for (const chunk of chunks) assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
    const calls = chunks.flatMap((chunk) => chunk.choices[0]!.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } });
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.slice(1).every((call) => call.index === 0 && call.id === undefined && call.function.name === undefined)).toBe(true);
    expect(calls.map((call) => call.function.arguments).join('')).toBe(args);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('sends keep-alive comments while the first token is slow', async () => {
    const { post, engine } = testApp({ sseKeepAliveMs: 20 });
    engine.script = { pieces: ['late'], firstDelayMs: 150 };
    const { data, comments } = parseSse(await (await post('/v1/chat/completions', { messages, stream: true })).text());
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(comments.every((comment) => comment === 'keep-alive')).toBe(true);
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('answers a typed error before the first token with its real status', async () => {
    const { post, engine } = testApp();
    engine.script = { error: new FakeLlmError('context-overflow', 'too long', { promptTokens: 600, maxTokens: 100, contextSize: 512 }) };
    const response = await post('/v1/chat/completions', { messages, stream: true });
    expect(response.status).toBe(400);
    const body = await json(response);
    assertMatchesSpec('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' });
    expect(body.error.message).toContain('512');
    expect(body.error.message).toContain('700');
  });

  it('sends an error event when generation fails after the stream started', async () => {
    const { post, engine } = testApp();
    engine.script = { pieces: ['a', 'b'], errorAfterFirst: new FakeLlmError('generation-failed', 'llama.cpp failed') };
    const { data } = parseSse(await (await post('/v1/chat/completions', { messages, stream: true })).text());
    const last = data.at(-1) as { error: unknown };
    assertMatchesSpec('ErrorResponse', last);
    expect(last.error).toMatchObject({ code: 'generation_failed', type: 'server_error' });
    expect(data).not.toContain('[DONE]');
  });

  it('aborts the generation when the client cancels the stream', async () => {
    const { post, engine } = testApp();
    engine.script = { pieces: ['a', 'b', 'c', 'd'], pieceDelayMs: 50 };
    const response = await post('/v1/chat/completions', { messages, stream: true });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(engine.requests[0]!.signal!.aborted).toBe(true);
    expect(engine.aborted).toBe(1);
  });

  it('logs method, path, status and tokens, without prompt text', async () => {
    const { post, logs } = testApp();
    await (await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'SECRET PROMPT' }], stream: true })).text();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const line = logs.find((log) => log.message === 'request')!;
    expect(line.fields).toMatchObject({ method: 'POST', path: '/v1/chat/completions', status: 200, prompt_tokens: 7, completion_tokens: 3, outcome: 'completed' });
    expect(typeof line.fields['duration_ms']).toBe('number');
    expect(JSON.stringify(logs)).not.toContain('SECRET');
  });

  it('answers n choices, each generated by its own engine request with its own seed, usage counting all', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/chat/completions', { messages, n: 3, temperature: 0.9 }));
    assertMatchesSpec('CreateChatCompletionResponse', body);
    expect(body.choices.map((choice: { index: number; message: { content: string } }) => [choice.index, choice.message.content])).toEqual([
      [0, 'Hello world'], [1, 'Hello world'], [2, 'Hello world'],
    ]);
    expect(engine.requests).toHaveLength(3);
    expect(new Set(engine.requests.map((request) => request.seed)).size).toBe(3);
    expect(body.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 });
  });

  it('streams n choices with each chunk\'s index: a role chunk, content and a finish chunk per choice', async () => {
    const { post } = testApp();
    const response = await post('/v1/chat/completions', { messages, n: 2, stream: true, stream_options: { include_usage: true } });
    const { data } = parseSse(await response.text());
    const chunks = data.slice(0, -1) as { choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage: { completion_tokens: number } | null }[];
    for (const chunk of chunks) assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBe(6);
    for (const index of [0, 1]) {
      const own = chunks.flatMap((chunk) => chunk.choices).filter((choice) => choice.index === index);
      expect(own[0]!.delta.role).toBe('assistant');
      expect(own.map((choice) => choice.delta.content ?? '').join('')).toBe('Hello world');
      expect(own.at(-1)!.finish_reason).toBe('stop');
    }
  });
});
