import { describe, expect, it } from 'vitest';
import { readSseData } from './sse-data.js';
import { SlotGate } from './slot-gate.js';
import { upstreamHttpError, UpstreamEngineError } from './upstream-error.js';
import { chatBody, ToolCallAssembler } from './upstream-wire.js';

const URL = 'http://gpu.lan:8000/v1';

function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({ start: (controller) => { for (const piece of pieces) controller.enqueue(encoder.encode(piece)); controller.close(); } });
}

describe('the upstream wire format', () => {
  it('maps a chat request to OpenAI\'s body, tools, format and usage included', () => {
    const body = chatBody('m', {
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] }, { role: 'tool', toolCallId: 'c1', content: '42' }],
      tools: [{ name: 'f', parameters: { type: 'object' } }], toolChoice: { name: 'f' }, maxTokens: 5, topK: 3, stop: ['\\n'],
      responseFormat: { type: 'json_schema', schema: { type: 'object' } },
    }, true);
    expect(body).toEqual({
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      max_tokens: 5, top_k: 3, stop: ['\\n'],
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object' } } },
      stream: true, stream_options: { include_usage: true },
    });
  });

  it('assembles tool calls streamed in pieces', () => {
    const calls = new ToolCallAssembler();
    calls.add([{ index: 0, id: 'call_a', function: { name: 'get_', arguments: '{"ci' } }]);
    calls.add([{ index: 0, function: { name: 'weather', arguments: 'ty":"Oslo"}' } }, { index: 1, id: 'call_b', function: { name: 'now' } }]);
    expect(calls.calls()).toEqual([
      { index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { index: 1, id: 'call_b', name: 'now', arguments: '{}' },
    ]);
  });

  it('reads SSE data split anywhere, skipping comments, until [DONE]', async () => {
    const body = streamOf(': keep-alive\n\ndata: {"a"', ':1}\r\n\r\ndata: {"b":2}\n', '\ndata: [DONE]\n\ndata: {"after":3}\n\n');
    const payloads: string[] = [];
    for await (const payload of readSseData(body, { idleTimeoutMs: 1000, onStall: () => new Error('stalled') })) payloads.push(payload);
    expect(payloads).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('maps the upstream\'s error answers to the node\'s error family', () => {
    const error = (status: number, body: object | string) => upstreamHttpError(URL, status, typeof body === 'string' ? body : JSON.stringify(body));
    expect(error(400, { error: { message: 'too long', code: 'context_length_exceeded', param: 'messages' } })).toMatchObject({ name: 'LlmError', code: 'context-overflow', message: 'too long' });
    expect(error(400, { error: { message: 'bad temperature', param: 'temperature', code: 'invalid_value' } })).toMatchObject({ code: 'invalid-request', details: { param: 'temperature' } });
    expect(error(401, { error: { message: 'no' } })).toMatchObject({ code: 'upstream-failed', message: expect.stringMatching(/LLM_UPSTREAM_API_KEY/) as unknown });
    expect(error(404, { error: 'model "x" not found, try pulling it first' })).toMatchObject({ code: 'model-not-found' });
    expect(error(429, { error: { message: 'slow down' } })).toMatchObject({ code: 'queue-full' });
    expect(error(503, { error: { message: 'loading', code: 'model_loading' } })).toMatchObject({ code: 'upstream-unavailable' });
    expect(error(500, '<html>oops</html>')).toMatchObject({ code: 'upstream-failed', message: expect.stringContaining('<html>oops</html>') as unknown });
  });
});

describe('SlotGate', () => {
  it('hands out slots, queues the rest in order, refuses a full queue and drops an aborted waiter', async () => {
    const gate = new SlotGate(1, 2);
    const first = await gate.acquire(undefined);
    const order: string[] = [];
    const aborting = new AbortController();
    const second = gate.acquire(undefined).then((release) => { order.push('second'); return release; });
    const third = gate.acquire(aborting.signal).catch((error: unknown) => error);
    const fourth = gate.acquire(undefined).catch((error: unknown) => error);
    expect(await fourth).toMatchObject({ code: 'queue-full' });
    expect(gate.queueDepth).toBe(2);
    aborting.abort();
    expect(await third).toBeInstanceOf(UpstreamEngineError);
    expect(gate.queueDepth).toBe(1);
    first();
    (await second)();
    expect(order).toEqual(['second']);
    expect(gate.inUse).toBe(0);
  });
});
