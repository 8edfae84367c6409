import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { openAiClientOf, storiesModelEnv } from './stories-model.js';

// A node with LLM_UPSTREAM_URL pointed at a second real server process must behave, for the
// official client, like a node with the model loaded itself.

const UPSTREAM_KEY = 'upstream-key-123';
const NODE_KEY = 'node-key-456';
const MODEL = 'stories260K-chat';

let upstream: ServerProcess;
let upstreamPort: number;
let node: ServerProcess;
let client: OpenAI;
let direct: OpenAI;

const upstreamEnv = (port: number): Record<string, string> => ({
  ...storiesModelEnv({ contextSize: 1024, parallel: 2 }),
  TROSYN_API_KEY: UPSTREAM_KEY,
  TROSYN_PORT: String(port),
});

interface Health {
  status: string;
  model: { status: string; id?: string; context_size?: number; detail?: string; upstream?: { url: string; status: string; error: string | null } };
  slots: { total: number; in_use: number };
}

const healthOf = async (server: ServerProcess): Promise<Health> => (await (await fetch(`${server.url}/health`)).json()) as Health;

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

beforeAll(async () => {
  loadOpenAiSpec();
  upstream = await startServerProcess({ env: upstreamEnv(0), waitForModel: true });
  upstreamPort = Number(new URL(upstream.url).port);
  node = await startServerProcess({
    // A bare host:port: the node adds the usual /v1. No model file here: the upstream serves.
    env: { LLM_UPSTREAM_URL: upstream.url, LLM_UPSTREAM_API_KEY: UPSTREAM_KEY, TROSYN_API_KEY: NODE_KEY, LLM_MODEL_PATH: '/nowhere/none.gguf' },
    waitForModel: true,
  });
  client = openAiClientOf(node, { apiKey: NODE_KEY, timeoutMs: 30_000 });
  direct = openAiClientOf(upstream, { apiKey: UPSTREAM_KEY, timeoutMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await upstream?.stop();
});

const story = [{ role: 'user' as const, content: 'Tell me a story about a dog.' }];

describe('a node whose engine is an upstream Trosyn server', () => {
  it('lists the upstream model and reports the upstream in /health', async () => {
    const list = await client.models.list();
    expect(list.data.map((model) => model.id)).toEqual([MODEL]);
    const health = await healthOf(node);
    expect(health.status).toBe('ok');
    expect(health.model).toMatchObject({ status: 'loaded', id: MODEL, context_size: 1024, upstream: { url: `${upstream.url}/v1`, status: 'up', error: null } });
    expect(health.slots.total).toBe(8);
  });

  it('answers a chat completion exactly as the upstream does, usage included', async () => {
    const request = { model: MODEL, messages: story, max_tokens: 24, temperature: 0 };
    const completion = await client.chat.completions.create(request);
    assertMatchesSpec('CreateChatCompletionResponse', completion);
    const reference = await direct.chat.completions.create(request);
    expect(completion.choices[0]!.message.content).toBe(reference.choices[0]!.message.content);
    expect(completion.choices[0]!.finish_reason).toBe(reference.choices[0]!.finish_reason);
    expect(completion.usage!.prompt_tokens).toBe(reference.usage!.prompt_tokens);
    expect(completion.usage!.completion_tokens).toBe(reference.usage!.completion_tokens);
    // The node's own ids and fingerprint, not the upstream's.
    expect(completion.id).not.toBe(reference.id);
  });

  it('streams token by token the same text, with a usage chunk', async () => {
    const request = { model: MODEL, messages: story, max_tokens: 24, temperature: 0 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      assertMatchesSpec('CreateChatCompletionStreamResponse', chunk);
      chunks.push(chunk);
    }
    const textChunks = chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '');
    expect(textChunks.length).toBeGreaterThan(3);
    expect(textChunks.map((chunk) => chunk.choices[0]!.delta.content).join('')).toBe(whole.choices[0]!.message.content);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: whole.usage!.prompt_tokens, completion_tokens: whole.usage!.completion_tokens });
  });

  it('forwards text completions, streamed and not', async () => {
    const request = { model: MODEL, prompt: 'Once upon a time', max_tokens: 16, temperature: 0 };
    const whole = await client.completions.create(request);
    expect(whole.choices[0]!.text).toBe((await direct.completions.create(request)).choices[0]!.text);
    let text = '';
    for await (const chunk of await client.completions.create({ ...request, stream: true })) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(whole.choices[0]!.text);
  });

  it('follows a json_schema response format', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Pick a color.' }],
      max_tokens: 60,
      temperature: 0,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'pick', schema: { type: 'object', properties: { color: { enum: ['red', 'green', 'blue'] }, happy: { type: 'boolean' } }, required: ['color', 'happy'], additionalProperties: false } },
      },
    });
    const value = JSON.parse(completion.choices[0]!.message.content!) as { color: string; happy: boolean };
    expect(['red', 'green', 'blue']).toContain(value.color);
    expect(typeof value.happy).toBe('boolean');
  });

  it('calls a tool, non-streamed and streamed', async () => {
    const request = {
      model: MODEL,
      messages: [{ role: 'user' as const, content: 'What is the weather in Oslo?' }],
      max_tokens: 60,
      temperature: 0,
      tools: [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Oslo', 'Paris'] } }, required: ['city'] } } }],
      tool_choice: 'required' as const,
    };
    const completion = await client.chat.completions.create(request);
    assertMatchesSpec('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    const args = call.type === 'function' ? (JSON.parse(call.function.arguments) as { city: string }) : undefined;
    expect(['Oslo', 'Paris']).toContain(args?.city);

    const stream = client.chat.completions.stream(request);
    stream.on('chunk', (chunk) => assertMatchesSpec('CreateChatCompletionStreamResponse', chunk));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(streamed.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual(args);
  });

  it('embeds through the upstream\'s /embeddings', async () => {
    const request = { model: MODEL, input: ['a dog ran home', 'the cat slept'] };
    const through = await client.embeddings.create(request);
    const reference = await direct.embeddings.create(request);
    expect(through.data.map((entry) => entry.embedding.length)).toEqual(reference.data.map((entry) => entry.embedding.length));
    for (const [index, entry] of through.data.entries()) {
      for (const [at, value] of entry.embedding.entries()) expect(value).toBeCloseTo(reference.data[index]!.embedding[at]!, 5);
    }
    expect(through.usage.prompt_tokens).toBe(reference.usage.prompt_tokens);
  });

  it('validates and authenticates locally, and passes the upstream\'s own errors on in the node\'s shape', async () => {
    const badRequest = await client.chat.completions.create({ model: MODEL, messages: story, temperature: 5 }).catch((error: unknown) => error);
    expect(badRequest).toBeInstanceOf(BadRequestError);
    expect((badRequest as BadRequestError).param).toBe('temperature');
    // The upstream's key opens nothing on the node: clients use the node's key.
    const withUpstreamKey = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: UPSTREAM_KEY, maxRetries: 0 });
    expect(await withUpstreamKey.models.list().catch((error: unknown) => error)).toBeInstanceOf(AuthenticationError);
    // Found by the upstream (it holds the tokenizer), reported by the node as a local overflow is.
    const tooLong = await client.completions.create({ model: MODEL, prompt: 'the dog ran. '.repeat(400), max_tokens: 10 }).catch((error: unknown) => error);
    expect(tooLong).toBeInstanceOf(BadRequestError);
    expect((tooLong as BadRequestError).code).toBe('context_length_exceeded');
    expect((tooLong as BadRequestError).param).toBe('prompt');
    expect((tooLong as BadRequestError).message).toMatch(/maximum context length is 1024 tokens/);
  });

  it('aborts the upstream generation when the client goes away mid-stream', async () => {
    const stream = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 900, temperature: 1, stream: true });
    let received = 0;
    for await (const chunk of stream) {
      received += chunk.choices.length;
      if (received >= 3) {
        stream.controller.abort();
        break;
      }
    }
    // The upstream's slot is freed long before 900 tokens (its log names the disconnect).
    await until('the upstream slot to be freed', async () => (await healthOf(upstream)).slots.in_use === 0, 10_000);
    await until('the node slot to be freed', async () => (await healthOf(node)).slots.in_use === 0, 10_000);
    const upstreamLog = upstream.stdout.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'request' && line['path'] === '/v1/completions');
    expect(upstreamLog.at(-1)).toMatchObject({ outcome: 'client-disconnected' });
    const next = await client.chat.completions.create({ model: MODEL, messages: story, max_tokens: 5, temperature: 0 });
    expect(next.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('reports a down upstream in /health and as a clear 503, then recovers when it is back', async () => {
    await upstream.stop();
    const error = await client.chat.completions.create({ model: MODEL, messages: story, max_tokens: 5 }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(503);
    expect((error as InternalServerError).code).toBe('upstream_unavailable');
    expect((error as InternalServerError).message).toContain(`upstream engine at ${upstream.url}/v1 is unreachable`);
    const health = await healthOf(node);
    expect(health.status).toBe('degraded');
    expect(health.model.upstream).toMatchObject({ status: 'down' });
    expect(health.model.upstream!.error).toMatch(/ECONNREFUSED/);

    // A node started while its upstream is down waits for it, and says so.
    const late = await startServerProcess({ env: { LLM_UPSTREAM_URL: `${upstream.url}/v1`, LLM_UPSTREAM_API_KEY: UPSTREAM_KEY } });
    try {
      await until('the late node to report its wait', async () => (await healthOf(late)).model.detail !== undefined);
      expect((await healthOf(late)).model.detail).toMatch(/waiting for the upstream engine at .* \(.*ECONNREFUSED/);
      const waiting = await fetch(`${late.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: MODEL, messages: story }) });
      expect(waiting.status).toBe(503);
      expect(((await waiting.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'model_loading', message: expect.stringMatching(/waiting for the upstream engine/) as unknown });

      upstream = await startServerProcess({ env: upstreamEnv(upstreamPort), waitForModel: true });
      await until('the node to see the upstream again', async () => (await healthOf(node)).status === 'ok');
      await until('the late node to connect', async () => (await healthOf(late)).model.status === 'loaded');
      const again = await client.chat.completions.create({ model: MODEL, messages: story, max_tokens: 5, temperature: 0 });
      expect(again.choices[0]!.message.content!.length).toBeGreaterThan(0);
    } finally {
      await late.stop();
    }
  }, 90_000);
});

describe('an upstream that stalls', () => {
  let stalling: Server;
  let stalled: ServerProcess | undefined;

  afterAll(async () => {
    await stalled?.stop();
    stalling.closeAllConnections();
    await new Promise((done) => stalling.close(done));
  });

  it('answers 504 upstream_timeout after LLM_UPSTREAM_TIMEOUT, before and during a stream', async () => {
    // Lists a model, then never answers a generation (or stops after one chunk when streaming).
    stalling = createServer((request, response) => {
      if (request.url === '/v1/models') {
        response.setHeader('content-type', 'application/json').end(JSON.stringify({ object: 'list', data: [{ id: 'slow', object: 'model' }] }));
        return;
      }
      if (request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if ((JSON.parse(body) as { stream?: boolean }).stream !== true) return;
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }] })}\n\n`);
      });
    });
    await new Promise<void>((done) => stalling.listen(0, '127.0.0.1', done));
    const port = (stalling.address() as AddressInfo).port;
    stalled = await startServerProcess({ env: { LLM_UPSTREAM_URL: `http://127.0.0.1:${port}/v1`, LLM_UPSTREAM_TIMEOUT: '1' }, waitForModel: true });
    const slow = new OpenAI({ baseURL: `${stalled.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 });

    const whole = await slow.chat.completions.create({ model: 'slow', messages: story }).catch((error: unknown) => error);
    expect((whole as InternalServerError).status).toBe(504);
    expect((whole as InternalServerError).code).toBe('upstream_timeout');
    expect((whole as InternalServerError).message).toMatch(/did not answer within 1 s \(LLM_UPSTREAM_TIMEOUT\)/);

    const stream = await slow.chat.completions.create({ model: 'slow', messages: story, stream: true });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(text).toBe('Hello');
    expect(String(failure)).toMatch(/sent nothing for 1 s mid-stream/);
  }, 60_000);
});
