import { hostname } from 'node:os';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { ModelHost } from '../src/model-host.js';
import { chatCompletionRequestSchema } from '../src/openai/schemas/chat-completion-request-schema.js';
import { assertMatchesSpec } from './openai-spec.js';
import { FakeEngine } from './fake-engine.js';
import { json, testApp } from './test-app.js';

describe('GET /v1/models', () => {
  it('lists the loaded model, owned by this node (its host name by default)', async () => {
    const { app } = testApp();
    const body = await json(await app.request('/v1/models'));
    assertMatchesSpec('ListModelsResponse', body);
    expect(body).toEqual({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 1767323045, owned_by: hostname() }] });
    const named = createApp({ model: ModelHost.fromEngine(new FakeEngine()), config: { nodeName: 'front-desk' } });
    expect(await json(await named.request('/v1/models/fake-model'))).toMatchObject({ id: 'fake-model', owned_by: 'front-desk' });
  });

  it('lists the models LAN peers serve, owned by their node, and names the serving node on generations', async () => {
    const host = ModelHost.fromEngine(new FakeEngine());
    host.attachPool({ choose: (local) => (local === undefined ? undefined : { ...local, servedBy: 'front-desk' }), peerModels: () => [{ id: 'fake-model', ownedBy: 'office-2' }, { id: 'big-model', ownedBy: 'gpu-box' }] });
    const app = createApp({ model: host, config: { sseKeepAliveMs: 1000, nodeName: 'front-desk' }, logger: { log: () => undefined } });
    const body = await json(await app.request('/v1/models'));
    assertMatchesSpec('ListModelsResponse', body);
    expect(body.data.map((model: { id: string; owned_by: string }) => [model.id, model.owned_by])).toEqual([['fake-model', 'front-desk'], ['big-model', 'gpu-box']]);
    expect(await json(await app.request('/v1/models/big-model'))).toMatchObject({ id: 'big-model', owned_by: 'gpu-box' });
    const chat = { method: 'POST', headers: { 'content-type': 'application/json' } };
    const whole = await app.request('/v1/chat/completions', { ...chat, body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }) });
    expect(whole.headers.get('x-trosyn-served-by')).toBe('front-desk');
    const streamed = await app.request('/v1/chat/completions', { ...chat, body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true }) });
    expect(streamed.headers.get('x-trosyn-served-by')).toBe('front-desk');
    await streamed.text();
  });

  it('retrieves the model by id and 404s others', async () => {
    const { app } = testApp();
    const model = await json(await app.request('/v1/models/fake-model'));
    assertMatchesSpec('Model', model);
    expect(model.id).toBe('fake-model');
    const missing = await app.request('/v1/models/gpt-4');
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('model_not_found');
  });

  it('lists nothing while no model is loaded', async () => {
    const model = new ModelHost({ modelPath: '/nowhere/m.gguf', load: () => Promise.reject(new Error('x')) });
    await model.start();
    const body = await json(await createApp({ model }).request('/v1/models'));
    expect(body).toEqual({ object: 'list', data: [] });
  });
});

describe('GET /health', () => {
  it('reports the model, slots, queue and uptime', async () => {
    const { app, engine } = testApp();
    engine.slotsInUse = 1;
    const body = await json(await app.request('/health'));
    expect(body.status).toBe('ok');
    expect(body.model).toMatchObject({
      status: 'loaded', id: 'fake-model', context_size: 512, has_chat_template: true,
      threads: 1, threads_source: 'model-size', batch_size: 512, chat_format: 'JinjaTemplate', chat_format_source: 'gguf',
    });
    expect(body.slots).toEqual({ total: 2, in_use: 1 });
    expect(body.queue).toEqual({ depth: 1, max: 8 });
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
  });

  it('reports a missing model as degraded with the path', async () => {
    const model = new ModelHost({ modelPath: '/nowhere/m.gguf', load: () => Promise.reject(new Error('x')) });
    await model.start();
    const body = await json(await createApp({ model }).request('/health'));
    expect(body).toMatchObject({ status: 'degraded', model: { status: 'missing', path: '/nowhere/m.gguf' } });
    expect(body.model.hint).toContain('pnpm model:pull');
  });

  it('reports loading while the model loads', async () => {
    const model = new ModelHost({ modelPath: '/tmp', load: () => new Promise(() => undefined) });
    void model.start();
    const body = await json(await createApp({ model }).request('/health'));
    expect(body).toMatchObject({ status: 'degraded', model: { status: 'loading', path: '/tmp' } });
  });
});

describe('docs', () => {
  it('serves one OpenAPI document embedding the validation schemas', async () => {
    const { app } = testApp();
    const document = await json(await app.request('/openapi.json'));
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.schemas.CreateChatCompletionRequest).toEqual(JSON.parse(JSON.stringify(chatCompletionRequestSchema)));
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/admin/node', '/api/v1/admin/requests', '/api/v1/changes', '/api/v1/conflicts', '/api/v1/conflicts/acknowledge', '/api/v1/items', '/api/v1/items/{id}', '/api/v1/items/{id}/history', '/api/v1/items/{id}/restore',
      '/api/v1/sync/now', '/api/v1/sync/status', '/health', '/metrics', '/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/models', '/v1/models/{model}',
      '/v1/responses', '/v1/responses/{response_id}', '/v1/responses/{response_id}/input_items',
    ]);
  });

  it('serves Swagger UI and ReDoc with local assets only', async () => {
    const { app } = testApp();
    for (const page of ['/docs', '/redoc']) {
      const html = await (await app.request(page)).text();
      expect(html).toContain('/openapi.json');
      const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) {
        expect(source.startsWith('/')).toBe(true);
        const asset = await app.request(source);
        expect(asset.status).toBe(200);
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
    }
  });

  it('serves ReDoc with no address outside the node that the page would load (its footer logo is local)', async () => {
    const { app } = testApp();
    const bundle = await (await app.request('/redoc/redoc.standalone.js')).text();
    // Images, scripts, styles and fonts the page would fetch: `src` attributes/props and CSS url()s.
    const external = [...bundle.matchAll(/(?:\bsrc\s*[:=]\s*["'`]|url\(\s*["']?)(https?:)?\/\/[^"'`)]+/g)].map((match) => match[0]);
    expect(external).toEqual([]);
    expect(bundle).not.toContain('cdn.redoc.ly');
    expect(bundle).toContain('src:"/redoc/logo-mini.svg"');
    const logo = await app.request('/redoc/logo-mini.svg');
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    expect(await logo.text()).toContain('<svg');
  });
});

describe('GET /favicon.ico', () => {
  it('answers a real 32×32 icon (an ICO holding a PNG), not a JSON 404', async () => {
    const { app } = testApp();
    const response = await app.request('/favicon.ico');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/x-icon');
    const ico = Buffer.from(await response.arrayBuffer());
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 1]);
    const [size, offset] = [ico.readUInt32LE(14), ico.readUInt32LE(18)];
    expect(offset + size).toBe(ico.length);
    const png = ico.subarray(offset);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([32, 32]);
    // The pixels: two colours at least (the glyph on its background), one filter byte per row.
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(32 * (1 + 32 * 4));
    const colours = new Set<string>();
    for (let i = 0; i < raw.length; i += 4) colours.add(raw.subarray(i, i + 4).toString('hex'));
    expect(colours.size).toBeGreaterThan(2);
  });
});
