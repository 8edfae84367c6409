import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createNodeMetrics, type NodeMetrics } from '../src/metrics/node-metrics.js';
import { ModelHost } from '../src/model-host.js';
import type { GenerationEvent } from '../src/engine.js';
import { PoolEvents } from '../src/pool/pool-events.js';
import { FakeEngine } from './fake-engine.js';
import { assertMatchesSpec } from './openai-spec.js';
import { parseExposition, promtoolCheck, sampleValue } from './promtool.js';
import { json } from './test-app.js';

const loopback = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const network = { incoming: { socket: { remoteAddress: '192.168.1.20' } } };
const messages = [{ role: 'user', content: 'Hi' }];

const disposers: NodeMetrics[] = [];
afterEach(() => {
  for (const metrics of disposers.splice(0)) metrics.dispose();
});

function metricsApp(config: { apiKey?: string; adminKey?: string } = {}, model = ModelHost.fromEngine(new FakeEngine())) {
  const metrics = createNodeMetrics({ model });
  disposers.push(metrics);
  const app = createApp({ model, metrics, config: { sseKeepAliveMs: 1000, ...config } });
  const scrape = async (headers: Record<string, string> = {}) => {
    const response = await app.request('/metrics', { headers }, loopback);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { text, samples: parseExposition(text), contentType: response.headers.get('content-type') };
  };
  return { app, model, scrape };
}

const generation = (overrides: Partial<GenerationEvent>): GenerationEvent => ({
  kind: 'chat', streamed: false, outcome: 'completed', finishReason: 'stop', promptTokens: 10, cachedPromptTokens: 2, completionTokens: 5,
  queueMs: 1, timeToFirstTokenMs: 40, timePerOutputTokenMs: 4, durationMs: 60, ...overrides,
});

describe('/metrics', () => {
  it('counts HTTP requests by route pattern and status, in the Prometheus text format that promtool accepts', async () => {
    const { app, scrape } = metricsApp();
    for (let i = 0; i < 3; i++) expect((await app.request('/v1/models')).status).toBe(200);
    expect((await app.request('/v1/models/fake-model')).status).toBe(200);
    expect((await app.request('/v1/models/other-model')).status).toBe(404);
    expect((await app.request('/no/such/route')).status).toBe(404);
    const badRequest = await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages, temperature: 9 }) });
    expect(badRequest.status).toBe(400);
    const streamed = await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages, stream: true }) });
    await streamed.text(); // a stream is counted when it ends
    const { text, samples, contentType } = await scrape();
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const requests = (route: string, status: string) => sampleValue(samples, 'trosyn_http_requests_total', { method: 'GET', route, status });
    expect(requests('/v1/models', '200')).toBe(3);
    expect(requests('/v1/models/:id', '200')).toBe(1);
    expect(requests('/v1/models/:id', '404')).toBe(1);
    expect(requests('unmatched', '404')).toBe(1);
    expect(sampleValue(samples, 'trosyn_http_requests_total', { method: 'POST', route: '/v1/chat/completions', status: '400' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_http_requests_total', { method: 'POST', route: '/v1/chat/completions', status: '200' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_http_request_duration_seconds_count', { method: 'GET', route: '/v1/models' })).toBe(3);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(await promtoolCheck(text)).toBe('');
  });

  it("turns the engine's generation events into LLM counters and histograms, and reads slots and queue when scraped", async () => {
    const engine = new FakeEngine();
    const { scrape } = metricsApp({}, ModelHost.fromEngine(engine));
    engine.emitGeneration(generation({}));
    engine.emitGeneration(generation({ kind: 'completion', streamed: true, promptTokens: 4, cachedPromptTokens: 0, completionTokens: 1, timePerOutputTokenMs: undefined }));
    engine.emitGeneration(generation({ outcome: 'queue-full', finishReason: undefined, promptTokens: undefined, cachedPromptTokens: undefined, completionTokens: 0, queueMs: undefined, timeToFirstTokenMs: undefined, timePerOutputTokenMs: undefined, durationMs: 1 }));
    engine.slotsInUse = 2;
    const { samples } = await scrape();
    expect(sampleValue(samples, 'trosyn_llm_requests_total', { kind: 'chat', outcome: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_requests_total', { kind: 'completion', outcome: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_requests_total', { kind: 'chat', outcome: 'queue-full' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_prompt_tokens_total')).toBe(14);
    expect(sampleValue(samples, 'trosyn_llm_cached_prompt_tokens_total')).toBe(2);
    expect(sampleValue(samples, 'trosyn_llm_completion_tokens_total')).toBe(6);
    expect(sampleValue(samples, 'trosyn_llm_time_to_first_token_seconds_count')).toBe(2);
    expect(sampleValue(samples, 'trosyn_llm_time_to_first_token_seconds_sum')).toBeCloseTo(0.08);
    expect(sampleValue(samples, 'trosyn_llm_time_to_first_token_seconds_bucket', { le: '0.05' })).toBe(2);
    expect(sampleValue(samples, 'trosyn_llm_time_per_output_token_seconds_count')).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_request_duration_seconds_count')).toBe(3);
    expect(sampleValue(samples, 'trosyn_llm_slots')).toBe(2);
    expect(sampleValue(samples, 'trosyn_llm_slots_busy')).toBe(2);
    expect(sampleValue(samples, 'trosyn_llm_queue_depth')).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_model_state', { state: 'loaded' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_model_info', { model: 'fake-model', quantization: 'F32' })).toBe(1);
  });

  it('counts requests forwarded to peers and served for peers, by peer, kind and outcome, with their tokens', async () => {
    const events = new PoolEvents();
    const peerModels = [{ peer: 'node-b', model: 'big-model', slotsFree: 3 }];
    const metrics = createNodeMetrics({ model: ModelHost.fromEngine(new FakeEngine()), pool: { events, peerModels: () => peerModels } });
    disposers.push(metrics);
    const event = { peer: 'node-b', kind: 'chat', outcome: 'completed', promptTokens: 12, completionTokens: 30, durationMs: 250 } as const;
    events.emit({ ...event, direction: 'forwarded' });
    events.emit({ ...event, direction: 'forwarded', kind: 'embedding', completionTokens: 0 });
    events.emit({ ...event, direction: 'forwarded', outcome: 'upstream-unavailable', promptTokens: 0, completionTokens: 0 });
    events.emit({ ...event, direction: 'served', peer: 'node-c', kind: 'completion', promptTokens: 5, completionTokens: 7, durationMs: 1500 });
    const text = await metrics.render();
    const samples = parseExposition(text);
    const forwarded = (labels: Record<string, string>) => sampleValue(samples, 'trosyn_pool_forwarded_requests_total', { peer: 'node-b', ...labels });
    expect(forwarded({ kind: 'chat', outcome: 'completed' })).toBe(1);
    expect(forwarded({ kind: 'embedding', outcome: 'completed' })).toBe(1);
    expect(forwarded({ kind: 'chat', outcome: 'upstream-unavailable' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_pool_forwarded_prompt_tokens_total', { peer: 'node-b' })).toBe(24);
    expect(sampleValue(samples, 'trosyn_pool_forwarded_completion_tokens_total', { peer: 'node-b' })).toBe(30);
    expect(sampleValue(samples, 'trosyn_pool_forwarded_request_duration_seconds_count')).toBe(3);
    expect(sampleValue(samples, 'trosyn_pool_served_requests_total', { peer: 'node-c', kind: 'completion', outcome: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_pool_served_prompt_tokens_total', { peer: 'node-c' })).toBe(5);
    expect(sampleValue(samples, 'trosyn_pool_served_completion_tokens_total', { peer: 'node-c' })).toBe(7);
    expect(sampleValue(samples, 'trosyn_pool_served_request_duration_seconds_bucket', { le: '2.5' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_pool_served_request_duration_seconds_bucket', { le: '1' })).toBe(0);
    expect(sampleValue(samples, 'trosyn_pool_peer_slots_free', { peer: 'node-b', model: 'big-model' })).toBe(3);
    expect(await promtoolCheck(text)).toBe('');
    // Unsubscribed once disposed.
    metrics.dispose();
    events.emit({ ...event, direction: 'forwarded' });
    expect(sampleValue(parseExposition(await metrics.render()), 'trosyn_pool_forwarded_requests_total', { peer: 'node-b', kind: 'chat', outcome: 'completed' })).toBe(1);
  });

  it('follows the model from loading to loaded and subscribes to its engine then', async () => {
    const engine = new FakeEngine();
    let finishLoading!: () => void;
    const loaded = new Promise<void>((resolve) => (finishLoading = resolve));
    // An hf: URI skips the file check, so the state stays `loading` until the load resolves.
    const model = new ModelHost({ modelPath: 'hf:test/fake-model', load: async () => (await loaded, engine) });
    const { scrape } = metricsApp({}, model);
    const starting = model.start();
    expect(sampleValue((await scrape()).samples, 'trosyn_llm_model_state', { state: 'loading' })).toBe(1);
    finishLoading();
    await starting;
    engine.emitGeneration(generation({}));
    const { samples } = await scrape();
    expect(sampleValue(samples, 'trosyn_llm_model_state', { state: 'loading' })).toBe(0);
    expect(sampleValue(samples, 'trosyn_llm_model_state', { state: 'loaded' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_requests_total', { kind: 'chat', outcome: 'completed' })).toBe(1);
  });

  it('is an admin route: the admin key from anywhere, not the client key', async () => {
    const { app } = metricsApp({ apiKey: 'client-key-1', adminKey: 'admin-key-1' });
    const get = (headers: Record<string, string>, env = network) => app.request('/metrics', { headers }, env);
    expect((await get({ authorization: 'Bearer admin-key-1' })).status).toBe(200);
    expect((await get({})).status).toBe(401);
    expect((await get({}, loopback)).status).toBe(401);
    const clientKey = await get({ authorization: 'Bearer client-key-1' });
    expect(clientKey.status).toBe(403);
    expect((await json(clientKey)).error.code).toBe('admin_key_required');
  });

  it('answers this machine only when no admin key is set', async () => {
    const { app } = metricsApp({ apiKey: 'client-key-1' });
    expect((await app.request('/metrics', {}, loopback)).status).toBe(200);
    const refused = await app.request('/metrics', { headers: { authorization: 'Bearer client-key-1' } }, network);
    expect(refused.status).toBe(403);
    const body = await json(refused);
    assertMatchesSpec('ErrorResponse', body);
    expect(body.error.code).toBe('admin_loopback_only');
    expect(body.error.message).toContain('TROSYN_ADMIN_KEY');
  });

  it('is in /openapi.json as an admin route answering Prometheus text', async () => {
    const { app } = metricsApp();
    const document = await json(await app.request('/openapi.json'));
    const operation = document.paths['/metrics'].get;
    expect(operation.security).toEqual([{ adminKey: [] }, {}]);
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/plain; version=0.0.4; charset=utf-8']);
  });

  it('answers 404 naming TROSYN_METRICS when metrics are off', async () => {
    const app = createApp({ model: ModelHost.fromEngine(new FakeEngine()) });
    const response = await app.request('/metrics', {}, loopback);
    expect(response.status).toBe(404);
    expect((await json(response)).error.message).toContain('TROSYN_METRICS=false');
  });
});
