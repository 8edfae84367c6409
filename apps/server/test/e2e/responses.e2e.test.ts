import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import type OpenAI from 'openai';
import { BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertMatchesSpec, assertResponseEventMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { openAiClientOf, storiesModelEnv } from './stories-model.js';

// The Responses API on a real model (stories260K with a chat template in the GGUF), driven by
// the official `openai` client and by the Vercel AI SDK's default `openai(model)`.

const MODEL = 'stories260K-chat';

let server: ServerProcess;
let client: OpenAI;

beforeAll(async () => {
  loadOpenAiSpec();
  server = await startServerProcess({
    env: storiesModelEnv({ contextSize: 1024, parallel: 2 }),
    waitForModel: true,
  });
  client = openAiClientOf(server, { timeoutMs: 30_000 });
});

afterAll(async () => {
  await server?.stop();
});

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Oslo', 'Paris'] } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('the Responses API with the official openai client', () => {
  it('creates a response, and streams the same text at temperature 0', async () => {
    const request = { model: MODEL, input: 'Tell me a story about a dog.', instructions: 'You tell stories.', max_output_tokens: 24, temperature: 0 };
    const whole = await client.responses.create(request);
    assertMatchesSpec('Response', whole);
    expect(whole.id).toMatch(/^resp_/);
    expect(whole.output_text.length).toBeGreaterThan(0);
    expect(whole.usage!.output_tokens).toBeGreaterThan(0);
    expect(whole.usage!.output_tokens).toBeLessThanOrEqual(24);

    const stream = await client.responses.create({ ...request, stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) {
      assertResponseEventMatchesSpec(event);
      events.push(event);
    }
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events[0]!.type).toBe('response.created');
    const last = events.at(-1)!;
    expect(last.type).toBe(whole.status === 'incomplete' ? 'response.incomplete' : 'response.completed');
    const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : []));
    expect(deltas.join('')).toBe(whole.output_text);
  });

  it('assembles a stream with the SDK\'s responses.stream() helper', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Tell me a story about a cat.', max_output_tokens: 16, temperature: 0 });
    const final = await stream.finalResponse();
    assertMatchesSpec('Response', final);
    expect(final.output_text.length).toBeGreaterThan(0);
  });

  it('reports a cut answer as incomplete with reason max_output_tokens', async () => {
    const response = await client.responses.create({ model: MODEL, input: 'Tell me a long story.', max_output_tokens: 4, temperature: 0 });
    assertMatchesSpec('Response', response);
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.usage!.output_tokens).toBe(4);
  });

  it('follows a json_schema text format', async () => {
    const response = await client.responses.create({
      model: MODEL,
      input: 'Pick a color.',
      max_output_tokens: 60,
      temperature: 0,
      text: { format: { type: 'json_schema', name: 'pick', schema: { type: 'object', properties: { color: { enum: ['red', 'green', 'blue'] }, happy: { type: 'boolean' } }, required: ['color', 'happy'], additionalProperties: false } } },
    });
    assertMatchesSpec('Response', response);
    const value = JSON.parse(response.output_text) as { color: string; happy: boolean };
    expect(['red', 'green', 'blue']).toContain(value.color);
    expect(typeof value.happy).toBe('boolean');
  });

  it('calls a tool, streamed too, and continues with the output via previous_response_id', async () => {
    const request = { model: MODEL, input: 'What is the weather in Oslo?', max_output_tokens: 60, temperature: 0, tools: [weatherTool], tool_choice: 'required' as const };
    const called = await client.responses.create(request);
    assertMatchesSpec('Response', called);
    const call = called.output.find((item) => item.type === 'function_call');
    expect(call).toBeDefined();
    expect(call!.type === 'function_call' && call!.name).toBe('get_weather');
    const args = JSON.parse(call!.type === 'function_call' ? call!.arguments : '{}') as { city: string };
    expect(['Oslo', 'Paris']).toContain(args.city);

    const stream = client.responses.stream(request);
    stream.on('event', (event) => assertResponseEventMatchesSpec(event));
    const streamed = await stream.finalResponse();
    const streamedCall = streamed.output.find((item) => item.type === 'function_call');
    expect(streamedCall!.type === 'function_call' && JSON.parse(streamedCall!.arguments)).toEqual(args);

    const callId = call!.type === 'function_call' ? call!.call_id : '';
    const followUp = {
      model: MODEL,
      input: [{ type: 'function_call_output' as const, call_id: callId, output: JSON.stringify({ temperature: 21 }) }],
      tools: [weatherTool],
      tool_choice: 'none' as const,
      max_output_tokens: 16,
      temperature: 0,
    };
    const answered = await client.responses.create({ ...followUp, previous_response_id: called.id });
    assertMatchesSpec('Response', answered);
    expect(answered.previous_response_id).toBe(called.id);
    expect(answered.output[0]!.type).toBe('message');
    // The stored question is part of the prompt: more input than the call and its output alone.
    const storedCall = { type: 'function_call' as const, call_id: callId, name: 'get_weather', arguments: JSON.stringify(args) };
    const alone = await client.responses.create({ ...followUp, input: [storedCall, ...followUp.input], store: false });
    expect(answered.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens);

    const orphan = await client.responses.create({ ...followUp, store: false }).catch((error: unknown) => error);
    expect(orphan).toBeInstanceOf(BadRequestError);
    expect((orphan as BadRequestError).param).toBe('input[0].call_id');
  });

  it('retrieves, lists the input items of, and deletes a stored response', async () => {
    const created = await client.responses.create({ model: MODEL, input: [{ role: 'user', content: 'Hello' }, { role: 'user', content: 'Tell me a story.' }], max_output_tokens: 8, temperature: 0 });
    const retrieved = await client.responses.retrieve(created.id);
    assertMatchesSpec('Response', retrieved);
    expect(retrieved.output).toEqual(created.output);
    const items = await client.responses.inputItems.list(created.id, { order: 'asc' });
    assertMatchesSpec('ResponseItemList', { object: 'list', data: items.data, first_id: items.data[0]!.id, last_id: items.data.at(-1)!.id, has_more: false });
    expect(items.data.map((item) => item.type === 'message' && item.content[0]!.type === 'input_text' && item.content[0]!.text)).toEqual(['Hello', 'Tell me a story.']);
    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
    const continued = await client.responses.create({ model: MODEL, previous_response_id: created.id, input: 'More' }).catch((error: unknown) => error);
    expect(continued).toBeInstanceOf(BadRequestError);
    expect((continued as BadRequestError).code).toBe('previous_response_not_found');
  });

  it('aborts a streamed generation when the client goes away, and stores nothing', async () => {
    // The toy model writes over a thousand tokens a second and may end its text at once, which
    // finished the answer before the abort arrived. A schema whose one string needs at least 500
    // characters keeps the generation running (the grammar allows no end before) until aborted.
    const story = { type: 'object', properties: { story: { type: 'string', minLength: 500 } }, required: ['story'], additionalProperties: false };
    const stream = await client.responses.create({
      model: MODEL, input: 'Once upon a time', max_output_tokens: 900, temperature: 1, stream: true,
      text: { format: { type: 'json_schema', name: 'story', schema: story, strict: true } },
    });
    let id = '';
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta' && ++deltas >= 3) {
        stream.controller.abort();
        break;
      }
    }
    const busy = async () => {
      const health = (await (await fetch(`${server.url}/health`)).json()) as { slots: { in_use: number }; queue: { depth: number } };
      return health.slots.in_use + health.queue.depth;
    };
    for (let i = 0; i < 100 && (await busy()) > 0; i += 1) await new Promise((done) => setTimeout(done, 50));
    expect(await busy()).toBe(0);
    await expect(client.responses.retrieve(id)).rejects.toBeInstanceOf(NotFoundError);
    const log = server.stdout.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['path'] === '/v1/responses' && line['outcome'] !== undefined);
    expect(log.at(-1)!['outcome']).toBe('client-disconnected');
  });

  it('answers a field outside the served subset with a 400 naming it', async () => {
    const error = await client.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'web_search' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).param).toBe('tools[0].type');
  });
});

describe('the Responses API with the Vercel AI SDK\'s default openai(model)', () => {
  // Records the body of every request the SDK sends.
  const sent: { input?: { type?: string }[] }[] = [];
  const provider = () =>
    createOpenAI({
      baseURL: `${server.url}/v1`,
      apiKey: 'unused',
      fetch: (url, init) => {
        sent.push(JSON.parse(String(init?.body ?? '{}')) as { input?: { type?: string }[] });
        return fetch(url, init);
      },
    });

  it('generates and streams text', async () => {
    const generated = await generateText({ model: provider()(MODEL), prompt: 'Tell me a story about a dog.', maxOutputTokens: 24, temperature: 0 });
    expect(generated.text.length).toBeGreaterThan(0);
    expect(generated.response.id).toMatch(/^resp_/);
    expect(generated.usage.outputTokens).toBeGreaterThan(0);

    const streamed = streamText({ model: provider()(MODEL), prompt: 'Tell me a story about a dog.', maxOutputTokens: 24, temperature: 0 });
    expect(await streamed.text).toBe(generated.text);
    expect((await streamed.usage).outputTokens).toBe(generated.usage.outputTokens);
  });

  it('continues a conversation from its response messages: the SDK refers to the stored answer by item_reference', async () => {
    const first = await generateText({ model: provider()(MODEL), prompt: 'Tell me a story about a dog.', maxOutputTokens: 16, temperature: 0 });
    const next = await generateText({
      model: provider()(MODEL),
      messages: [{ role: 'user', content: 'Tell me a story about a dog.' }, ...first.response.messages, { role: 'user', content: 'What happened next?' }],
      maxOutputTokens: 16,
      temperature: 0,
    });
    expect(next.text.length).toBeGreaterThan(0);
    const input = sent.at(-1)!.input as { type?: string; id?: string }[];
    const reference = input.find((item) => item.type === 'item_reference');
    expect(reference?.id).toBe((await client.responses.retrieve(first.response.id)).output[0]!.id);
    // The stored answer is in the prompt: more input tokens than the two user messages alone.
    const alone = await generateText({
      model: provider()(MODEL),
      messages: [{ role: 'user', content: 'Tell me a story about a dog.' }, { role: 'user', content: 'What happened next?' }],
      maxOutputTokens: 16,
      temperature: 0,
    });
    expect(next.usage.inputTokens).toBeGreaterThan(alone.usage.inputTokens!);
  });

  it('runs a tool loop: the second step sends the call and its output', async () => {
    let executed = 0;
    const result = await generateText({
      model: provider()(MODEL),
      prompt: 'What is the weather in Oslo?',
      maxOutputTokens: 60,
      temperature: 0,
      tools: {
        get_weather: tool({
          description: 'The weather of a city',
          inputSchema: z.object({ city: z.enum(['Oslo', 'Paris']) }),
          execute: async ({ city }) => {
            executed += 1;
            return { city, temperature: 21 };
          },
        }),
      },
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? 'required' : 'none' }),
      stopWhen: stepCountIs(2),
    });
    expect(executed).toBe(1);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolCalls[0]!.toolName).toBe('get_weather');
    expect(result.steps[1]!.finishReason).not.toBe('error');
    expect(sent.at(-1)!.input?.map((item) => item.type)).toEqual(expect.arrayContaining(['function_call', 'function_call_output']));
  });
});
