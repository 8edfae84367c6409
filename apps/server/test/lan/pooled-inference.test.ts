import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModelsDir } from '../e2e/server-process.js';
import { LanCluster } from './lan-cluster.js';
import { SYNC_PORT, type LanNode } from './lan-node.js';
import { parseExposition, promtoolCheck, sampleValue, type Sample } from '../promtool.js';
import { PacketCapture } from './packet-capture.js';
import { until } from './until.js';

// h1 serves a model; h3 has none (and does not fetch one: LLM_MODEL_SHARE=false) with
// LLM_POOL=fallback, so what h3 is asked is served by h1 over the sealed peer channel. h2 joins
// later with the same model: with h1's only slot busy and a request queued, h1 forwards to h2.

const SUBNET = 17;
// Random weights, but a real model's shape, tokenizer and chat template: slow enough on this
// machine for a generation to be caught mid-stream.
const MODEL = 'synthetic-gemma3-270m-q4_k_m';
const SERVED_BY = 'x-trosyn-served-by';
// The model's end-of-sequence token, banned where a generation must run long.
const NO_EOS = { '1': -100 };
const ADMIN_KEY = 'pool-admin-key';

interface Health {
  model: { status: string };
  slots: { total: number; in_use: number };
  queue: { depth: number };
}

interface PoolHealth {
  mode: string;
  status_interval_ms: number;
  status_stale_ms: number;
  peers: { node_name: string; age_ms: number; stale: boolean; models: unknown[]; embedding: unknown }[];
}

interface ChatCompletion {
  choices: { message: { content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** The JSON payloads of an SSE body. */
function sseEvents(body: string): unknown[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)) as unknown);
}

describe('pooled inference over the sealed peer channel', { timeout: 240_000 }, () => {
  let cluster: LanCluster;
  let h1: LanNode;
  let h2: LanNode;
  let h3: LanNode;

  const health = (node: LanNode): Promise<Health> => node.apiOk<Health>('GET', '/health');
  const post = (node: LanNode, path: string, json: unknown, timeoutMs = 60_000) =>
    node.config.agent.fetch(`${node.apiUrl}${path}`, { method: 'POST', json, timeoutMs });
  const scrape = async (node: LanNode): Promise<Sample[]> => {
    const response = await node.config.agent.fetch(`${node.apiUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(response.status).toBe(200);
    expect(await promtoolCheck(response.body)).toBe('');
    return parseExposition(response.body);
  };
  const chat = async (node: LanNode, json: Record<string, unknown>): Promise<{ status: number; servedBy: string | undefined; body: ChatCompletion }> => {
    const response = await post(node, '/v1/chat/completions', json);
    return { status: response.status, servedBy: response.headers[SERVED_BY], body: JSON.parse(response.body) as ChatCompletion };
  };

  beforeAll(async () => {
    const model = resolve(testModelsDir(), `${MODEL}.gguf`);
    const h1Address = `10.214.${SUBNET}.1:${SYNC_PORT}`;
    const h3Address = `10.214.${SUBNET}.3:${SYNC_PORT}`;
    const common = { LAN_SYNC_MDNS: 'false', LLM_THREADS: '1', LLM_POOL: 'fallback', TROSYN_ADMIN_KEY: ADMIN_KEY };
    cluster = await LanCluster.create({
      nodes: [
        { env: { ...common, LLM_MODEL_PATH: model, LLM_PARALLEL: '1', LLM_MAX_QUEUE: '64', LAN_SYNC_PEERS: '' } },
        // h2 (started late) reaches h3 itself: h3 learns it as an inbound peer.
        { env: { ...common, LLM_MODEL_PATH: model, LAN_SYNC_PEERS: `${h1Address},${h3Address}` } },
        { env: { ...common, LLM_MODEL_SHARE: 'false', LAN_SYNC_PEERS: h1Address, LLM_POOL_STATUS_INTERVAL_MS: '400', LLM_POOL_STATUS_STALE_MS: '3000' } },
      ],
      subnet: SUBNET,
      start: false,
    });
    [h1, h2, h3] = cluster.nodes as [LanNode, LanNode, LanNode];
    await Promise.all([h1.start(), h3.start()]);
    await until('h1 to load its model', async () => (await health(h1)).model.status === 'loaded');
    await until('h3 to list h1\'s model', async () => (await h3.apiOk<{ data: unknown[] }>('GET', '/v1/models')).data.length > 0, 30_000);
  }, 120_000);

  afterAll(async () => {
    await cluster?.dispose();
  });

  it('lists the models of the LAN in /v1/models, owned by the serving node', async () => {
    const models = await h3.apiOk<{ data: { id: string; owned_by: string }[] }>('GET', '/v1/models');
    expect(models.data).toEqual([expect.objectContaining({ id: MODEL, object: 'model', owned_by: 'node-1' })]);
    expect(await h3.apiOk('GET', `/v1/models/${MODEL}`)).toMatchObject({ id: MODEL, owned_by: 'node-1' });
    expect((await health(h3)).model.status).toBe('missing');
  });

  it('shows the pool in /health: the mode, the status settings, each peer\'s advertisement and its age', async () => {
    const pool = (await h3.apiOk<{ pool: PoolHealth }>('GET', '/health')).pool;
    expect(pool).toMatchObject({ mode: 'fallback', status_interval_ms: 400, status_stale_ms: 3000 });
    const peer = pool.peers.find((candidate) => candidate.node_name === 'node-1')!;
    expect(peer).toMatchObject({ stale: false, models: [{ id: MODEL, slots: 1, max_queue: 64 }], embedding: { id: MODEL } });
    // Polled every 400 ms: never as old as the 1 s default interval, let alone stale.
    expect(peer.age_ms).toBeLessThan(1000);
    // h1 runs the defaults; it learns h3 (which serves nothing) from h3's own status requests.
    const h1Pool = (await h1.apiOk<{ pool: PoolHealth }>('GET', '/health')).pool;
    expect(h1Pool).toMatchObject({ status_interval_ms: 1000, status_stale_ms: 5000 });
    expect(h1Pool.peers.find((candidate) => candidate.node_name === 'node-3')).toMatchObject({ stale: false, models: [], embedding: null });
  });

  it('serves a chat through h3 on h1, with the same answer and usage as h1 gives itself, counted in both /metrics', async () => {
    const request = { model: MODEL, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24, temperature: 0, seed: 7 };
    const forwarded = await chat(h3, request);
    expect(forwarded.status, JSON.stringify(forwarded.body)).toBe(200);
    expect(forwarded.servedBy).toBe('node-1');
    // The forwarding node counts it by peer, the serving node as served for that peer.
    const h1Id = h3.logsWhere((line) => line.event === 'pool-forward' && line['peer_name'] === 'node-1')[0]!['peer_id'] as string;
    // h1 logs (and counts) the request it served as its answer ends, which may be after h3 answered.
    const h3Id = (await h1.waitForLog((line) => line.event === 'pool-served', { timeoutMs: 5000 }))['peer_id'] as string;
    const counted = { kind: 'chat', outcome: 'completed' };
    const h3Metrics = await scrape(h3);
    expect(sampleValue(h3Metrics, 'trosyn_pool_forwarded_requests_total', { peer: h1Id, ...counted })).toBe(1);
    expect(sampleValue(h3Metrics, 'trosyn_pool_forwarded_prompt_tokens_total', { peer: h1Id })).toBe(forwarded.body.usage.prompt_tokens);
    expect(sampleValue(h3Metrics, 'trosyn_pool_forwarded_completion_tokens_total', { peer: h1Id })).toBe(forwarded.body.usage.completion_tokens);
    // 0 or 1: h3 may still hold h1's advertisement from during the generation.
    expect([0, 1]).toContain(sampleValue(h3Metrics, 'trosyn_pool_peer_slots_free', { peer: h1Id, model: MODEL }));
    const h1Metrics = await scrape(h1);
    expect(sampleValue(h1Metrics, 'trosyn_pool_served_requests_total', { peer: h3Id, ...counted })).toBe(1);
    expect(sampleValue(h1Metrics, 'trosyn_pool_served_completion_tokens_total', { peer: h3Id })).toBe(forwarded.body.usage.completion_tokens);
    const local = await chat(h1, request);
    expect(local.servedBy).toBe('node-1');
    expect(forwarded.body.choices[0]!.message.content).toBe(local.body.choices[0]!.message.content);
    // The same tokens; only the cached part of the prompt differs (h1's cache now holds it).
    expect({ ...forwarded.body.usage, prompt_tokens_details: undefined }).toEqual({ ...local.body.usage, prompt_tokens_details: undefined });
    expect(h1.logsWhere((line) => line.event === 'pool-served' && line['outcome'] === 'completed').length).toBeGreaterThan(0);
    expect(h3.logsWhere((line) => line.event === 'pool-forward' && line['peer_name'] === 'node-1').length).toBeGreaterThan(0);
  });

  it('streams a forwarded chat token by token, with the usage chunk', async () => {
    const request = { model: MODEL, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24, temperature: 0, seed: 7, stream: true, stream_options: { include_usage: true } };
    const response = await post(h3, '/v1/chat/completions', request);
    expect(response.status).toBe(200);
    expect(response.headers[SERVED_BY]).toBe('node-1');
    const events = sseEvents(response.body) as { choices: { delta: { content?: string } }[]; usage?: { completion_tokens: number } | null }[];
    const texts = events.flatMap((event) => event.choices.map((choice) => choice.delta.content ?? '')).filter((text) => text !== '');
    expect(texts.length).toBeGreaterThan(3);
    const whole = await chat(h3, { ...request, stream: false, stream_options: undefined });
    expect(texts.join('')).toBe(whole.body.choices[0]!.message.content);
    expect(events.at(-1)!.usage).toEqual(expect.objectContaining({ completion_tokens: whole.body.usage.completion_tokens }));
  });

  it('forwards tools and a JSON schema', async () => {
    const tools = await chat(h3, {
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Oslo', 'Paris'] } }, required: ['city'] } } }],
      tool_choice: 'required',
      max_tokens: 64,
    });
    expect(tools.status, JSON.stringify(tools.body)).toBe(200);
    expect(tools.servedBy).toBe('node-1');
    expect(tools.body.choices[0]!.finish_reason).toBe('tool_calls');
    const call = tools.body.choices[0]!.message.tool_calls![0]!;
    expect(call.function.name).toBe('get_weather');
    expect(['Oslo', 'Paris']).toContain((JSON.parse(call.function.arguments) as { city: string }).city);

    const schema = { type: 'object', properties: { color: { enum: ['red', 'green', 'blue'] }, happy: { type: 'boolean' } }, required: ['color', 'happy'], additionalProperties: false };
    const json = await chat(h3, { model: MODEL, messages: [{ role: 'user', content: 'Pick.' }], response_format: { type: 'json_schema', json_schema: { name: 'pick', schema } }, max_tokens: 64 });
    expect(json.status, JSON.stringify(json.body)).toBe(200);
    expect(json.servedBy).toBe('node-1');
    const picked = JSON.parse(json.body.choices[0]!.message.content!) as { color: string; happy: boolean };
    expect(['red', 'green', 'blue']).toContain(picked.color);
    expect(typeof picked.happy).toBe('boolean');
  });

  it('forwards embeddings from h3 to h1: the same vectors, usage and errors as h1 gives itself', async () => {
    const request = { model: MODEL, input: ['The cat sat on the mat.', 'A dog ran home.'] };
    for (const encoding of ['float', 'base64']) {
      const forwarded = await post(h3, '/v1/embeddings', { ...request, encoding_format: encoding });
      expect(forwarded.status, forwarded.body).toBe(200);
      expect(forwarded.headers[SERVED_BY]).toBe('node-1');
      const direct = await post(h1, '/v1/embeddings', { ...request, encoding_format: encoding });
      expect(direct.headers[SERVED_BY]).toBe('node-1');
      const body = JSON.parse(forwarded.body) as { data: { embedding: unknown }[]; usage: { prompt_tokens: number } };
      expect(body.data).toHaveLength(2);
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
      expect(body).toEqual(JSON.parse(direct.body));
    }
    const overflow = await post(h3, '/v1/embeddings', { model: MODEL, input: 'word '.repeat(5000) });
    const direct = await post(h1, '/v1/embeddings', { model: MODEL, input: 'word '.repeat(5000) });
    expect(overflow.status).toBe(400);
    expect(overflow.status).toBe(direct.status);
    expect(JSON.parse(overflow.body)).toEqual(JSON.parse(direct.body));
    const unknown = await post(h3, '/v1/embeddings', { model: 'no-such-model', input: 'Hi' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
    const h1Id = h3.logsWhere((line) => line.event === 'pool-forward' && line['peer_name'] === 'node-1')[0]!['peer_id'] as string;
    const h3Metrics = await scrape(h3);
    expect(sampleValue(h3Metrics, 'trosyn_pool_forwarded_requests_total', { peer: h1Id, kind: 'embedding', outcome: 'completed' })).toBe(2);
    expect(sampleValue(h3Metrics, 'trosyn_pool_forwarded_requests_total', { peer: h1Id, kind: 'embedding', outcome: 'context-overflow' })).toBe(1);
  });

  it('answers a peer\'s error as h1 would, and checks the client\'s request on h3', async () => {
    const overflow = await post(h3, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'word '.repeat(5000) }], max_tokens: 4 });
    const direct = await post(h1, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'word '.repeat(5000) }], max_tokens: 4 });
    expect(overflow.status).toBe(direct.status);
    expect(JSON.parse(overflow.body)).toEqual(JSON.parse(direct.body));
    const unknown = await post(h3, '/v1/chat/completions', { model: 'no-such-model', messages: [{ role: 'user', content: 'Hi' }] });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
  });

  it('stops h1\'s generation and frees its slot at once when h3\'s client aborts mid-stream', async () => {
    const before = h1.logs.length;
    const aborted = post(h3, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'Tell me a long story.' }], max_tokens: 1900, logit_bias: NO_EOS, stream: true }, 1500);
    await until('h1 to be generating for h3', async () => (await health(h1)).slots.in_use === 1, 10_000);
    await expect(aborted).rejects.toThrow();
    const served = await h1.waitForLog((line) => line.event === 'pool-served' && line['stream'] === true, { fromIndex: before, timeoutMs: 5000 });
    expect(served['outcome']).toBe('aborted');
    await until('h1\'s slot to be free', async () => (await health(h1)).slots.in_use === 0, 2000);
  });

  it('holds no prompt or answer in clear on the wire', async () => {
    const marker = `PROMPT-MARKER-${randomBytes(8).toString('hex')}`;
    const capture = await PacketCapture.start(cluster.lan, join(h1.config.dataDir, '..', 'pool.pcap'), `tcp port ${SYNC_PORT}`);
    let answer: string;
    try {
      const forwarded = await chat(h3, { model: MODEL, messages: [{ role: 'user', content: `${marker} tell a story` }], max_tokens: 48, temperature: 0 });
      expect(forwarded.servedBy).toBe('node-1');
      answer = forwarded.body.choices[0]!.message.content!;
      const streamed = await post(h3, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: `${marker} again` }], max_tokens: 48, stream: true });
      expect(streamed.headers[SERVED_BY]).toBe('node-1');
    } finally {
      const wire = await capture.stop();
      expect(wire.packets).toBeGreaterThan(0);
      for (const needle of [marker, answer!.slice(0, 24)]) {
        expect(needle.length).toBeGreaterThan(16);
        for (const form of [Buffer.from(needle), Buffer.from(needle, 'utf16le'), Buffer.from(Buffer.from(needle).toString('base64').slice(4, -4))]) {
          expect(wire.bytes.includes(form), `'${needle}' on the wire`).toBe(false);
        }
      }
    }
  });

  it('serves a burst of 40 concurrent forwarded streams on one sealed session, none refused; an abort mid-burst frees h1\'s slot at once', async () => {
    const handshakes = async (): Promise<number> => sampleValue(await scrape(h1), 'trosyn_sync_handshakes_total', { direction: 'inbound', outcome: 'ok' }) ?? 0;
    const handshakesBefore = await handshakes();
    const logsBefore = h1.logs.length;
    // A long stream first, which h3's client gives up on mid-burst: h1 (one slot) generates it while the burst queues.
    const long = post(h3, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'Tell me a long story.' }], max_tokens: 1900, logit_bias: NO_EOS, stream: true }, 6000);
    long.catch(() => undefined);
    await until('h1 to be generating the long stream', async () => (await health(h1)).slots.in_use === 1, 10_000);
    const request = (index: number) => ({ model: MODEL, messages: [{ role: 'user', content: `Hi ${index}` }], max_tokens: 2, stream: true, stream_options: { include_usage: true } });
    const burst = Promise.all(Array.from({ length: 40 }, (_, index) => post(h3, '/v1/chat/completions', request(index), 180_000)));
    burst.catch(() => undefined); // awaited below; a failure before then must not be an unhandled rejection
    await until('the burst to wait in h1\'s queue', async () => (await health(h1)).queue.depth >= 20, 20_000);
    await expect(long).rejects.toThrow();
    const gaveUpAt = Date.now();
    // The abort reaches h1 at once, on the session the 40 others share: its generation stops and its slot goes to the queue.
    const aborted = await h1.waitForLog((line) => line.event === 'pool-served' && line['outcome'] === 'aborted', { fromIndex: logsBefore, timeoutMs: 3000 });
    expect(aborted['stream']).toBe(true);
    expect(Date.now() - gaveUpAt).toBeLessThan(3000);
    const answers = await burst;
    const statuses = answers.map((response) => response.status);
    expect(statuses.every((status) => status === 200), statuses.join(' ')).toBe(true);
    for (const response of answers) {
      expect(response.headers[SERVED_BY]).toBe('node-1');
      expect(response.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const usage = (sseEvents(response.body) as { usage?: { completion_tokens: number } | null }[]).at(-1)!.usage;
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    }
    // One session carried them all: no handshake per stream, none refused.
    expect(h1.logs.slice(logsBefore).filter((line) => line.event === 'handshake-rate-limited').length).toBe(0);
    expect(await handshakes() - handshakesBefore).toBeLessThanOrEqual(1);
    await until('h1 to log the 40 served', () => h1.logs.slice(logsBefore).filter((line) => line.event === 'pool-served' && line['outcome'] === 'completed').length === 40, 5000);
  });

  it('forwards from h1 to h2 while h1\'s slot is busy and its queue is not empty', async () => {
    await h2.start();
    await until('h2 to load its model', async () => (await health(h2)).model.status === 'loaded');
    await until('h1 to know h2', () => h1.logsWhere((line) => line.event === 'pool-peer' && line['peer_name'] === 'node-2').length > 0, 30_000);
    // Advertisements go every second: two rounds, and h1 knows h2's model is loaded.
    await new Promise((done) => setTimeout(done, 2500));
    const long = { model: MODEL, messages: [{ role: 'user', content: 'A long story.' }], max_tokens: 1900, logit_bias: NO_EOS, stream: true };
    const first = post(h1, '/v1/chat/completions', long, 20_000).catch(() => undefined);
    await until('h1\'s slot to be busy', async () => (await health(h1)).slots.in_use === 1, 10_000);
    const second = post(h1, '/v1/chat/completions', long, 20_000).catch(() => undefined);
    await until('a request in h1\'s queue', async () => (await health(h1)).queue.depth === 1, 10_000);
    // h1 tells h2 its occupancy every second; h2's own advertisement says its slots are free.
    const third = await chat(h1, { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 });
    expect(third.status).toBe(200);
    expect(third.servedBy).toBe('node-2');
    expect(h1.logsWhere((line) => line.event === 'pool-forward' && line['local'] === 'busy').length).toBe(1);
    await Promise.all([first, second]);
  });

  it('advertises the embedding engine\'s load, and passes embeddings on from a busy h1 to an idle h2', async () => {
    const embed = (node: LanNode, input: string | string[], timeoutMs = 120_000) => post(node, '/v1/embeddings', { model: MODEL, input }, timeoutMs);
    const embedding = async (node: LanNode, peer: string) =>
      (await node.apiOk<{ pool: PoolHealth }>('GET', '/health')).pool.peers.find((candidate) => candidate.node_name === peer)?.embedding as { queue_depth: number | null; slots_free: number | null } | undefined;
    await until('h3 to know h2\'s embeddings', async () => (await embedding(h3, 'node-2')) !== undefined, 60_000);
    // Idle: h1 embeds its own.
    const idle = await embed(h1, 'The cat sat on the mat.');
    expect(idle.status, idle.body).toBe(200);
    expect(idle.headers[SERVED_BY]).toBe('node-1');
    // Two long batches on h1: one embedding, one waiting in its embedding queue. Any request that
    // comes now is passed on (a third batch too: sent at once, it would take h2's embedder).
    const long = Array.from({ length: 6 }, (_, index) => `${index} ${'word '.repeat(1000)}`);
    const busy = Promise.all([0, 1].map(() => embed(h1, long, 300_000)));
    busy.catch(() => undefined);
    // h3 polls every 400 ms: it sees h1's embedder busy with a queue, and h2's free (idle, or not made yet: null).
    await until('h3 to see h1\'s embedding queue', async () => ((await embedding(h3, 'node-1'))?.queue_depth ?? 0) >= 1, 30_000);
    const h2Embedding = await embedding(h3, 'node-2');
    expect(h2Embedding).toBeDefined();
    expect([null, 1]).toContain(h2Embedding!.slots_free);
    // h3, which has no model, picks the peer whose embedder is free.
    const fromH3 = await embed(h3, 'A dog ran home.');
    expect(fromH3.status, fromH3.body).toBe(200);
    expect(fromH3.headers[SERVED_BY]).toBe('node-2');
    // h1 itself, busy with a queue, passes a request on to h2, once h1 has seen h2's embedder free
    // again (h1 polls every second; h2 was embedding h3's request).
    await until('h1 to see h2\'s embedder free', async () => (await embedding(h1, 'node-2'))?.slots_free === 1, 30_000);
    expect((await embedding(h3, 'node-1'))?.queue_depth).toBeGreaterThanOrEqual(1);
    const logsBefore = h1.logs.length;
    const fromH1 = await embed(h1, 'A dog ran home.');
    expect(fromH1.status, fromH1.body).toBe(200);
    expect(fromH1.headers[SERVED_BY]).toBe('node-2');
    expect(h1.logs.slice(logsBefore).filter((line) => line.event === 'pool-forward' && line['kind'] === 'embedding' && line['local'] === 'busy')).toHaveLength(1);
    // The same vectors as h2 gives itself.
    expect(JSON.parse(fromH1.body)).toEqual(JSON.parse((await embed(h2, 'A dog ran home.')).body));
    for (const response of await busy) expect(response.status).toBe(200);
  });
});
