import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { ModelHost } from '../src/model-host.js';
import { LanSyncService } from '../src/sync/lan-sync-service.js';
import { createResponseRequestSchema } from '../src/openai/responses/create-response-schema.js';
import { FakeEngine, FakeLlmError } from './fake-engine.js';
import { assertMatchesSpec, assertResponseEventMatchesSpec, loadOpenAiSpec } from './openai-spec.js';
import { json, parseSse, testApp } from './test-app.js';

// Every response body, list and streamed event is checked against OpenAI's pinned spec.

beforeAll(() => loadOpenAiSpec());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An app around a fake engine and a real data store (SQLite in a temporary directory). */
async function storedApp() {
  const dataDir = mkdtempSync(join(tmpdir(), 'trosyn-responses-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = parseConfig({ LAN_SYNC_ENABLED: 'false', TROSYN_DATA_DIR: dataDir }, { baseDir: dataDir, hostname: 'h' });
  const sync = await LanSyncService.start({ settings: config.lanSync, dataDir, logger: { log: () => undefined } });
  cleanups.push(() => sync.close());
  const engine = new FakeEngine();
  const app = createApp({ model: ModelHost.fromEngine(engine), data: sync, config: { sseKeepAliveMs: 1000 } });
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const post = (body: unknown) => call('POST', '/v1/responses', body);
  return { app, engine, sync, call, post };
}

async function expectError(response: Response, status: number, param: string | null, message: RegExp) {
  expect(response.status).toBe(status);
  const body = await json(response);
  assertMatchesSpec('ErrorResponse', body);
  expect(body.error.param).toBe(param);
  expect(body.error.message).toMatch(message);
  return body.error;
}

function events(text: string) {
  const parsed = parseSse(text);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event is checked against the spec
  const data = parsed.data as any[];
  for (const [index, event] of data.entries()) {
    assertResponseEventMatchesSpec(event);
    expect(event.sequence_number).toBe(index);
    expect(parsed.events[index]).toBe(event.type);
  }
  return data;
}

describe('POST /v1/responses', () => {
  it('answers a text input in OpenAI\'s Response shape, with instructions as the first message', async () => {
    const { post, engine } = await storedApp();
    const response = await post({ model: 'fake-model', input: 'Hi', instructions: 'Be brief.', metadata: { topic: 'greeting' } });
    expect(response.status).toBe(200);
    const body = await json(response);
    assertMatchesSpec('Response', body);
    expect(body.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'fake-model',
      instructions: 'Be brief.',
      error: null,
      incomplete_details: null,
      previous_response_id: null,
      store: true,
      metadata: { topic: 'greeting' },
      tools: [],
      tool_choice: 'auto',
      text: { format: { type: 'text' } },
    });
    expect(body.completed_at).toBeGreaterThanOrEqual(body.created_at);
    expect(body.output).toEqual([
      { id: expect.stringMatching(/^msg_[0-9a-f]{48}_o0$/), type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello world', annotations: [], logprobs: [] }] },
    ]);
    expect(body.usage).toEqual({ input_tokens: 7, input_tokens_details: { cached_tokens: 2, cache_write_tokens: 5 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 10 });
    expect(engine.requests[0]).toMatchObject({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
  });

  it('maps input items, tools, text.format and sampling options to the engine', async () => {
    const { post, engine } = await storedApp();
    const response = await post({
      input: [
        { role: 'developer', content: 'Use tools.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather' }, { type: 'input_text', text: 'in Oslo?' }] },
        { role: 'assistant', content: 'Let me look.' },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
      max_output_tokens: 20, temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, seed: 42, stop: ['END'], presence_penalty: 0.5, frequency_penalty: -0.5,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      tools: [{ type: 'function', name: 'weather', description: 'Weather of a city', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'weather' },
      parallel_tool_calls: false, store: false, user: 'u1', safety_identifier: 's1', prompt_cache_key: 'k', service_tier: 'auto', truncation: 'disabled',
      background: false, include: [], reasoning: null, top_logprobs: 0, stream_options: null, conversation: null,
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    assertMatchesSpec('Response', body);
    expect(body).toMatchObject({
      max_output_tokens: 20, temperature: 0.5, top_p: 0.9, parallel_tool_calls: false, store: false, user: 'u1', service_tier: 'default',
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      tools: [{ type: 'function', name: 'weather', description: 'Weather of a city', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'weather' },
    });
    const request = engine.requests[0]!;
    expect({ ...request, signal: undefined }).toEqual({
      signal: undefined,
      messages: [
        { role: 'developer', content: 'Use tools.' },
        { role: 'user', content: 'Weather\nin Oslo?' },
        { role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: 'sunny' },
      ],
      maxTokens: 20, temperature: 0.5, topP: 0.9, topK: 40, minP: 0.05, seed: 42, stop: ['END'], presencePenalty: 0.5, frequencyPenalty: -0.5,
      responseFormat: { type: 'json_schema', schema: { type: 'object' }, name: 'answer' },
      tools: [{ name: 'weather', description: 'Weather of a city', parameters: { type: 'object' }, strict: true }],
      toolChoice: { name: 'weather' },
    });
  });

  it('returns tool calls as function_call items', async () => {
    const { post, engine } = await storedApp();
    engine.script = { toolCalls: [{ id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' }, { id: 'call_b', name: 'weather', arguments: '{"city":"Paris"}' }] };
    const body = await json(await post({ input: 'Weather?', tools: [{ type: 'function', name: 'weather' }] }));
    assertMatchesSpec('Response', body);
    expect(body.status).toBe('completed');
    expect(body.output).toEqual([
      { id: expect.stringMatching(/^fc_[0-9a-f]{48}_o0$/), type: 'function_call', status: 'completed', call_id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
      { id: expect.stringMatching(/^fc_[0-9a-f]{48}_o1$/), type: 'function_call', status: 'completed', call_id: 'call_b', name: 'weather', arguments: '{"city":"Paris"}' },
    ]);
  });

  it('is incomplete with reason max_output_tokens when the token limit cuts the answer', async () => {
    const { post, engine } = await storedApp();
    engine.script = { pieces: ['Once'], finishReason: 'length' };
    const body = await json(await post({ input: 'Story', max_output_tokens: 1 }));
    assertMatchesSpec('Response', body);
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, completed_at: null });
    expect(body.output[0]).toMatchObject({ status: 'incomplete', content: [{ text: 'Once' }] });
  });

  it.each([
    [{ input: 'x', frequency: 1 }, 'frequency', /Unknown parameter: 'frequency'/],
    [{ input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type', /'web_search' tools are not supported/],
    [{ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:' }] }] }, 'input[0].content[0].type', /'input_image' parts are not supported/],
    [{ input: [{ type: 'reasoning', summary: [] }] }, 'input[0].type', /'reasoning' items are not supported/],
    [{ input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', /Missing required parameter/],
    [{ input: [{ role: 'user' }] }, 'input[0].content', /Missing required parameter/],
    [{ input: [{ type: 'function_call', call_id: 'c', name: 'f' }] }, 'input[0].arguments', /Missing required parameter/],
    [{ input: [{ type: 'function_call_output', call_id: 'call_x', output: 'x' }] }, 'input[0].call_id', /No function_call with call_id 'call_x'/],
    [{ input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', /Supported values are/],
    [{ input: 'x', background: true }, 'background', /not supported/],
    [{ input: 'x', reasoning: { effort: 'high' } }, 'reasoning', /not supported/],
    [{ input: 'x', conversation: 'conv_1' }, 'conversation', /previous_response_id instead/],
    [{ input: 'x', include: ['message.output_text.logprobs'] }, 'include', /not supported/],
    [{ input: 'x', truncation: 'auto' }, 'truncation', /'auto' is not supported/],
    [{ input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', /Missing required parameter/],
    [{ input: 'x', tools: [{ type: 'function', name: 'a' }], tool_choice: { type: 'function', name: 'b' } }, 'tool_choice.name', /no function named 'b'/],
    [{ input: 'x', tool_choice: { type: 'file_search' } }, 'tool_choice.type', /not supported/],
    [{ input: 'x', temperature: 3 }, 'temperature', /must be <= 2/],
    [{ input: 'x', max_output_tokens: 0 }, 'max_output_tokens', /must be >= 1/],
    [{ instructions: 'x' }, 'input', /Missing required parameter: 'input'/],
    [{ input: 'x', previous_response_id: 'resp_nope' }, 'previous_response_id', /Previous response with id 'resp_nope' not found/],
    [{ input: [{ type: 'item_reference', id: 'msg_nope' }] }, 'input[0].id', /Item with id 'msg_nope' not found/],
  ])('refuses %j with a 400 naming the field', async (request, param, message) => {
    const { post, engine } = await storedApp();
    await expectError(await post(request), 400, param, message);
    expect(engine.requests).toHaveLength(0);
  });

  it('maps engine errors: 404 for another model, 400 context_length_exceeded naming input', async () => {
    const { post, engine } = await storedApp();
    await expectError(await post({ model: 'gpt-4o', input: 'x' }), 404, 'model', /does not exist/);
    engine.script = { error: new FakeLlmError('context-overflow', 'too long', { promptTokens: 600, contextSize: 512 }) };
    const error = await expectError(await post({ input: 'x' }), 400, 'input', /maximum context length is 512 tokens/);
    expect(error.code).toBe('context_length_exceeded');
  });
});

describe('stored responses', () => {
  it('gets, lists the input items of, and deletes a stored response', async () => {
    const { post, call } = await storedApp();
    const created = await json(await post({ input: [{ role: 'user', content: 'One' }, { role: 'user', content: 'Two' }, { role: 'user', content: 'Three' }] }));
    const read = await call('GET', `/v1/responses/${created.id}`);
    expect(read.status).toBe(200);
    const body = await json(read);
    assertMatchesSpec('Response', body);
    expect(body).toEqual(created);

    const all = await json(await call('GET', `/v1/responses/${created.id}/input_items`));
    assertMatchesSpec('ResponseItemList', all);
    expect(all.data.map((item: { content: { text: string }[] }) => item.content[0]!.text)).toEqual(['Three', 'Two', 'One']);
    expect(all).toMatchObject({ object: 'list', has_more: false, first_id: all.data[0].id, last_id: all.data[2].id });
    const page = await json(await call('GET', `/v1/responses/${created.id}/input_items?order=asc&limit=1&after=${all.data[2].id}`));
    assertMatchesSpec('ResponseItemList', page);
    expect(page.data.map((item: { content: { text: string }[] }) => item.content[0]!.text)).toEqual(['Two']);
    expect(page.has_more).toBe(true);
    await expectError(await call('GET', `/v1/responses/${created.id}/input_items?order=up`), 400, 'order', /'asc', 'desc'/);

    const deleted = await call('DELETE', `/v1/responses/${created.id}`);
    expect(await json(deleted)).toEqual({ id: created.id, object: 'response', deleted: true });
    await expectError(await call('GET', `/v1/responses/${created.id}`), 404, 'response_id', /not found/);
    await expectError(await call('DELETE', `/v1/responses/${created.id}`), 404, 'response_id', /not found/);
    await expectError(await post({ input: 'x', previous_response_id: created.id }), 400, 'previous_response_id', /not found/);
  });

  it('keeps nothing with store: false', async () => {
    const { post, call } = await storedApp();
    const created = await json(await post({ input: 'x', store: false }));
    expect(created.store).toBe(false);
    await expectError(await call('GET', `/v1/responses/${created.id}`), 404, 'response_id', /not found/);
    await expectError(await call('GET', '/v1/responses/memo-1'), 404, 'response_id', /not found/);
  });

  it('answers with store: false when the response is too large for one item of the data store', async () => {
    const { post, call } = await storedApp();
    const created = await json(await post({ input: 'x'.repeat(1_100_000) }));
    assertMatchesSpec('Response', created);
    expect(created).toMatchObject({ status: 'completed', store: false });
    await expectError(await call('GET', `/v1/responses/${created.id}`), 404, 'response_id', /not found/);
    const streamed = events(await (await post({ input: 'x'.repeat(1_100_000), stream: true })).text());
    expect(streamed[0].response.store).toBe(true);
    expect(streamed.at(-1).response).toMatchObject({ status: 'completed', store: false });
  });

  it('lives in the replicated data store as an item of type response', async () => {
    const { post, sync } = await storedApp();
    const created = await json(await post({ input: 'x' }));
    const item = await sync.engine.get(created.id);
    expect(item).toMatchObject({ type: 'response', data: { response: { id: created.id }, input: [{ type: 'message', role: 'user' }] } });
  });

  it('continues a conversation with previous_response_id, without the earlier instructions', async () => {
    const { post, engine } = await storedApp();
    engine.script = { toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{}' }] };
    const first = await json(await post({ input: 'Weather?', instructions: 'Old rules.', tools: [{ type: 'function', name: 'weather' }] }));
    engine.script = { pieces: ['Sunny.'] };
    const second = await json(await post({ previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: 'call_1', output: '20 C' }], tools: [{ type: 'function', name: 'weather' }] }));
    assertMatchesSpec('Response', second);
    expect(second.previous_response_id).toBe(first.id);
    engine.script = { pieces: ['Bye.'] };
    const third = await json(await post({ previous_response_id: second.id, input: 'Thanks', instructions: 'New rules.' }));
    expect(third.status).toBe('completed');
    expect(engine.requests[2]).toMatchObject({
      messages: [
        { role: 'system', content: 'New rules.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: '20 C' },
        { role: 'assistant', content: 'Sunny.' },
        { role: 'user', content: 'Thanks' },
      ],
    });
  });

  it('resolves item_reference items to the stored input or output item', async () => {
    const { post, call, engine } = await storedApp();
    const first = await json(await post({ input: 'Question' }));
    const inputs = await json(await call('GET', `/v1/responses/${first.id}/input_items`));
    const second = await post({ input: [{ type: 'item_reference', id: inputs.data[0].id }, { type: 'item_reference', id: first.output[0].id }, { role: 'user', content: 'More' }] });
    expect(second.status).toBe(200);
    expect(engine.requests.at(-1)).toMatchObject({ messages: [{ role: 'user', content: 'Question' }, { role: 'assistant', content: 'Hello world' }, { role: 'user', content: 'More' }] });
  });
});

describe('POST /v1/responses with stream: true', () => {
  it('streams the Responses event sequence and stores the same response', async () => {
    const { post, call } = await storedApp();
    const response = await post({ input: 'Hi', stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text).not.toContain('[DONE]');
    const data = events(text);
    expect(data.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(data[0].response).toMatchObject({ status: 'in_progress', output: [] });
    expect(data[0].response.usage).toBeUndefined();
    expect(data.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta)).toEqual(['Hello', ' world']);
    expect(data[6]).toMatchObject({ text: 'Hello world', output_index: 0, content_index: 0 });
    const completed = data.at(-1).response;
    assertMatchesSpec('Response', completed);
    expect(completed).toMatchObject({ status: 'completed', usage: { input_tokens: 7, output_tokens: 3 } });
    expect(completed.output[0]).toEqual(data[8].item);
    expect(await json(await call('GET', `/v1/responses/${completed.id}`))).toEqual(completed);
  });

  it('streams tool calls as function_call items with argument deltas', async () => {
    const { post, engine } = await storedApp();
    const args = JSON.stringify({ city: 'Oslo', units: 'metric', detail: 'full forecast' });
    engine.script = { pieces: ['Checking.'], toolCalls: [{ id: 'call_a', name: 'weather', arguments: args }] };
    const data = events(await (await post({ input: 'Weather?', stream: true, tools: [{ type: 'function', name: 'weather' }] })).text());
    expect(data.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done', 'response.completed',
    ]);
    const deltas = data.filter((event) => event.type === 'response.function_call_arguments.delta');
    expect(deltas.map((event) => event.delta).join('')).toBe(args);
    expect(data[12]).toMatchObject({ name: 'weather', arguments: args, output_index: 1 });
    expect(data.at(-1).response.output.map((item: { type: string }) => item.type)).toEqual(['message', 'function_call']);
    expect(data.at(-1).response.output[1]).toMatchObject({ call_id: 'call_a', arguments: args, status: 'completed' });
  });

  it('ends with response.incomplete when cut, and with an empty message when nothing was generated', async () => {
    const { post, engine } = await storedApp();
    engine.script = { pieces: [], finishReason: 'length' };
    const data = events(await (await post({ input: 'x', stream: true, max_output_tokens: 1 })).text());
    expect(data.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.incomplete',
    ]);
    expect(data.at(-1).response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(data.at(-1).response.output[0]).toMatchObject({ status: 'incomplete', content: [{ text: '' }] });
  });

  it('answers an early engine error with its HTTP status and a later one with an error event', async () => {
    const { post, engine } = await storedApp();
    engine.script = { error: new FakeLlmError('queue-full', 'queue full') };
    const early = await post({ input: 'x', stream: true });
    expect(early.status).toBe(503);
    assertMatchesSpec('ErrorResponse', await json(early));

    engine.script = { pieces: ['a', 'b'], errorAfterFirst: new FakeLlmError('generation-failed', 'boom') };
    const late = await post({ input: 'x', stream: true });
    expect(late.status).toBe(200);
    const data = events(await late.text());
    expect(data.at(-1)).toMatchObject({ type: 'error', code: 'generation_failed', message: 'boom', param: null });
  });
});

describe('Responses without a data store', () => {
  it('answers with store: false and refuses previous_response_id', async () => {
    const { post } = testApp();
    const body = await json(await post('/v1/responses', { input: 'x' }));
    assertMatchesSpec('Response', body);
    expect(body.store).toBe(false);
    await expectError(await post('/v1/responses', { input: 'x', previous_response_id: body.id }), 400, 'previous_response_id', /data store/);
  });
});

describe('the Responses endpoints in /openapi.json', () => {
  it('embeds the validation schema and a request example that succeeds as Swagger UI sends it', async () => {
    const { app, post } = await storedApp();
    const document = await json(await app.request('/openapi.json'));
    expect(document.components.schemas.CreateResponse).toEqual(JSON.parse(JSON.stringify(createResponseRequestSchema)));
    const example = document.paths['/v1/responses'].post.requestBody.content['application/json'].example;
    const response = await post(example);
    expect(response.status).toBe(200);
    assertMatchesSpec('Response', await json(response));
  });
});
