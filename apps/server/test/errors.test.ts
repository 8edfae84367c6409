import { describe, expect, it } from 'vitest';
import { ActivityTracker } from '../src/activity-tracker.js';
import { createApp } from '../src/app.js';
import { ModelHost } from '../src/model-host.js';
import { FakeEngine, FakeLlmError } from './fake-engine.js';
import { assertMatchesSpec } from './openai-spec.js';
import { json, testApp } from './test-app.js';

const messages = [{ role: 'user', content: 'Hi' }];

async function expectError(response: Response, status: number, error: Record<string, unknown>): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  const body = await json(response);
  assertMatchesSpec('ErrorResponse', body);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject(error);
  return body.error;
}

describe('request validation', () => {
  it.each([
    [{}, 'messages', 'missing_required_parameter'],
    [{ messages: [] }, 'messages', 'empty_array'],
    [{ messages: 'hi' }, 'messages', 'invalid_type'],
    [{ messages: [{ content: 'x' }] }, 'messages[0].role', 'missing_required_parameter'],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    [{ messages, temperature: 3 }, 'temperature', 'invalid_value'],
    [{ messages, temperature: 'hot' }, 'temperature', 'invalid_type'],
    [{ messages, top_p: 1.5 }, 'top_p', 'invalid_value'],
    [{ messages, presence_penalty: -2.5 }, 'presence_penalty', 'invalid_value'],
    [{ messages, frequency_penalty: 2.1 }, 'frequency_penalty', 'invalid_value'],
    [{ messages, max_tokens: 0 }, 'max_tokens', 'invalid_value'],
    [{ messages, seed: 1.5 }, 'seed', 'invalid_type'],
    [{ messages, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_type'],
    [{ messages, logit_bias: { abc: 1 } }, 'logit_bias', 'invalid_value'],
    [{ messages, logit_bias: { '12': 101 } }, 'logit_bias.12', 'invalid_value'],
    [{ messages, response_format: { type: 'yaml' } }, 'response_format', 'invalid_type'],
    [{ messages, tools: [{ type: 'function', function: { name: 'has space' } }] }, 'tools[0].function.name', 'invalid_value'],
    [{ messages, tool_choice: 'sometimes' }, 'tool_choice', 'invalid_type'],
    [{ messages, n: 129 }, 'n', 'invalid_value'],
    [{ messages, top_logprobs: 2 }, 'top_logprobs', 'invalid_value'],
    [{ messages, logprobs: true, top_logprobs: 21 }, 'top_logprobs', 'invalid_value'],
    [{ messages, stream: 'yes' }, 'stream', 'invalid_type'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:x' } }] }] }, 'messages[0].content[0].type', 'unsupported_value'],
    [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id', 'missing_required_parameter'],
    [{ messages: [{ role: 'assistant', content: null }] }, 'messages[0].content', 'missing_required_parameter'],
    [{ messages, tools: [{ type: 'function', function: { name: 'a' } }], tool_choice: { type: 'function', function: { name: 'b' } } }, 'tool_choice.function.name', 'invalid_value'],
  ])('rejects %j: param %s, code %s', async (request, param, code) => {
    const { post } = testApp();
    const error = await expectError(await post('/v1/chat/completions', request), 400, { type: 'invalid_request_error', param, code });
    expect(error['message']).toContain(param.split(/[.[]/)[0]);
  });

  it('names image parts in the message', async () => {
    const { post } = testApp();
    const error = await expectError(await post('/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'x' } }] }] }), 400, { param: 'messages[0].content[1].type' });
    expect(error['message']).toMatch(/'image_url' parts are not supported/);
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const { post } = testApp();
    await expectError(await post('/v1/chat/completions', '{"messages": ['), 400, { type: 'invalid_request_error', code: 'invalid_json', param: null });
    await expectError(await post('/v1/chat/completions', '[1,2]'), 400, { code: 'invalid_json' });
  });

  it('answers a body over the limit with 413', async () => {
    const { post } = testApp({ bodyLimitBytes: 1024 });
    await expectError(await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x'.repeat(2000) }] }), 413, { code: 'request_too_large' });
  });
});

describe('models and routes', () => {
  it('answers an unknown model with 404 model_not_found', async () => {
    const { post } = testApp();
    const error = await expectError(await post('/v1/chat/completions', { model: 'gpt-4o', messages }), 404, { type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
    expect(error['message']).toContain('fake-model');
  });

  it('accepts configured aliases and the file name', async () => {
    const { post } = testApp({ modelAliases: ['gpt-4o-mini'] });
    expect((await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages })).status).toBe(200);
    expect((await post('/v1/chat/completions', { model: 'fake-model.gguf', messages })).status).toBe(200);
  });

  it('answers an unknown route with 404 in OpenAI shape', async () => {
    const { app } = testApp();
    const error = await expectError(await app.request('/v1/engines'), 404, { code: 'unknown_url', param: null });
    expect(error['message']).toContain('GET /v1/engines');
  });
});

describe('engine errors', () => {
  it('answers an engine that failed to load with 503 model_not_loaded and x-should-retry: false', async () => {
    const { post, engine } = testApp();
    engine.script = { error: new FakeLlmError('model-invalid', 'corrupt file') };
    const response = await post('/v1/completions', { prompt: 'x' });
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.headers.get('retry-after')).toBeNull();
    await expectError(response, 503, { code: 'model_not_loaded' });
  });

  it('answers a full queue with 503 and Retry-After', async () => {
    const { post, engine } = testApp();
    engine.script = { error: new FakeLlmError('queue-full', 'queue full', { maxQueue: 8 }) };
    const response = await post('/v1/chat/completions', { messages });
    expect(response.headers.get('retry-after')).toBe('1');
    await expectError(response, 503, { type: 'server_error', code: 'queue_full' });
  });

  it('answers an unexpected exception with 500 and logs its stack', async () => {
    const { post, engine, logs } = testApp();
    engine.script = { error: new TypeError('boom') };
    await expectError(await post('/v1/chat/completions', { messages }), 500, { type: 'server_error', code: 'internal_error' });
    expect(logs.find((log) => log.level === 'error')!.fields['error']).toContain('TypeError: boom');
  });

  it('answers 503 with the model path and how to get a model when none is loaded', async () => {
    const model = new ModelHost({ modelPath: '/nowhere/model.gguf', load: () => Promise.reject(new Error('unreachable')) });
    await model.start();
    const app = createApp({ model });
    const response = await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages }) });
    // Regression (issue 15): Retry-After: 60 made the OpenAI SDKs wait 2 × 60 s before showing this error.
    expect(response.headers.get('retry-after')).toBeNull();
    expect(response.headers.get('x-should-retry')).toBe('false');
    const error = await expectError(response, 503, { code: 'model_not_loaded' });
    expect(error['message']).toContain('/nowhere/model.gguf');
    expect(error['message']).toContain('pnpm model:pull');
    expect(error['message']).toContain('LLM_MODEL_PATH');
  });
});

describe('API key', () => {
  const headers = (key: string) => ({ authorization: `Bearer ${key}` });

  it('requires the Bearer key on /v1 routes when configured', async () => {
    const { app, post } = testApp({ apiKey: 'correct-horse' });
    await expectError(await post('/v1/chat/completions', { messages }), 401, { code: 'missing_api_key' });
    await expectError(await post('/v1/chat/completions', { messages }, headers('wrong-horse')), 401, { code: 'invalid_api_key' });
    await expectError(await app.request('/v1/models'), 401, {});
    expect((await post('/v1/chat/completions', { messages }, headers('correct-horse'))).status).toBe(200);
    expect((await app.request('/v1/models', { headers: headers('correct-horse') })).status).toBe(200);
  });

  it('leaves /health and /docs open', async () => {
    const { app } = testApp({ apiKey: 'correct-horse' });
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/docs')).status).toBe(200);
  });
});

describe('CORS', () => {
  it('allows configured origins only', async () => {
    const { app } = testApp({ corsOrigins: ['http://office.lan:3000'] });
    const allowed = await app.request('/v1/models', { headers: { origin: 'http://office.lan:3000' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://office.lan:3000');
    const other = await app.request('/v1/models', { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers by default', async () => {
    const { app } = testApp();
    expect((await app.request('/v1/models', { headers: { origin: 'http://office.lan' } })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('engine disposal', () => {
  it('maps a disposed engine to 503 shutting_down', async () => {
    const engine = new FakeEngine();
    engine.script = { error: new FakeLlmError('disposed', 'disposed') };
    const { post } = testApp({}, engine);
    await expectError(await post('/v1/completions', { prompt: 'x' }), 503, { code: 'shutting_down' });
  });
});

describe('draining', () => {
  it('refuses new requests with 503 shutting_down once a shutdown has begun', async () => {
    const tracker = new ActivityTracker();
    const app = createApp({ model: ModelHost.fromEngine(new FakeEngine()), tracker });
    tracker.drain();
    const response = await app.request('/v1/models');
    expect(response.headers.get('retry-after')).toBe('5');
    await expectError(response, 503, { code: 'shutting_down', type: 'server_error' });
  });

  it('counts a stream in flight until it ends', async () => {
    const tracker = new ActivityTracker();
    const engine = new FakeEngine();
    engine.script = { pieces: ['a', 'b'], pieceDelayMs: 30 };
    const app = createApp({ model: ModelHost.fromEngine(engine), tracker });
    const response = await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages, stream: true }) });
    expect(tracker.active).toBe(1);
    await response.text();
    await tracker.whenIdle();
    expect(tracker.active).toBe(0);
  });
});
