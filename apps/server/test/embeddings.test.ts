import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { EmbeddingHost } from '../src/embedding-host.js';
import { ModelHost } from '../src/model-host.js';
import { FakeEmbedder, FakeEngine, FakeLlmError } from './fake-engine.js';
import { assertMatchesSpec } from './openai-spec.js';
import { json, testApp } from './test-app.js';

const norm = (vector: readonly number[]): number => Math.hypot(...vector);

function decodeBase64(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
}

describe('POST /v1/embeddings (over the chat model)', () => {
  it('embeds one string in OpenAI\'s shape: a list with one unit-length float vector and the usage', async () => {
    const { post, engine } = testApp();
    const response = await post('/v1/embeddings', { input: 'The cat sat', model: 'fake-model' });
    expect(response.status).toBe(200);
    const body = await json(response);
    assertMatchesSpec('CreateEmbeddingResponse', body);
    expect(body).toMatchObject({ object: 'list', model: 'fake-model', usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(body.data[0].embedding).toHaveLength(8);
    expect(norm(body.data[0].embedding)).toBeCloseTo(1, 5);
    expect(engine.embedder.requests[0]!.input).toEqual(['The cat sat']);
    expect(response.headers.get('x-request-id')).not.toBeNull();
  });

  it('embeds a batch of strings in one engine request, index in input order', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/embeddings', { input: ['aaa', 'bbb', 'aaa'] }));
    assertMatchesSpec('CreateEmbeddingResponse', body);
    expect(body.data.map((item: { index: number }) => item.index)).toEqual([0, 1, 2]);
    expect(body.data[2].embedding).toEqual(body.data[0].embedding);
    expect(body.data[1].embedding).not.toEqual(body.data[0].embedding);
    expect(engine.embedder.requests).toHaveLength(1);
    // One embedding context is created over the chat model and kept.
    await post('/v1/embeddings', { input: 'again' });
    expect(engine.embedderCreated).toBe(1);
  });

  it('takes token ids: one array, or an array of arrays', async () => {
    const { post, engine } = testApp();
    const one = await json(await post('/v1/embeddings', { input: [1, 2, 3] }));
    expect(one.data).toHaveLength(1);
    const two = await json(await post('/v1/embeddings', { input: [[1, 2], [3]] }));
    expect(two.data).toHaveLength(2);
    expect(engine.embedder.requests.map((request) => request.input)).toEqual([[[1, 2, 3]], [[1, 2], [3]]]);
  });

  it('sends base64 (little-endian float32) that decodes to the float vector', async () => {
    const { post } = testApp();
    const floats = await json(await post('/v1/embeddings', { input: 'hello world', encoding_format: 'float' }));
    const base64 = await json(await post('/v1/embeddings', { input: 'hello world', encoding_format: 'base64' }));
    expect(typeof base64.data[0].embedding).toBe('string');
    const decoded = decodeBase64(base64.data[0].embedding);
    expect(decoded).toEqual(floats.data[0].embedding);
    assertMatchesSpec('CreateEmbeddingResponse', { ...base64, data: [{ ...base64.data[0], embedding: decoded }] });
  });

  it('passes dimensions to the engine, which shortens and renormalises', async () => {
    const { post, engine } = testApp();
    const body = await json(await post('/v1/embeddings', { input: 'abc', dimensions: 4 }));
    expect(engine.embedder.requests[0]!.dimensions).toBe(4);
    expect(body.data[0].embedding).toHaveLength(4);
  });

  it.each([
    [{}, 'input', 'missing_required_parameter'],
    [{ input: '' }, 'input', 'invalid_type'],
    [{ input: [] }, 'input', 'invalid_type'],
    [{ input: ['ok', ''] }, 'input', 'invalid_type'],
    [{ input: 'x', encoding_format: 'int8' }, 'encoding_format', 'invalid_value'],
    [{ input: 'x', dimensions: 0 }, 'dimensions', 'invalid_value'],
    [{ input: [1, -2] }, 'input', 'invalid_type'],
  ])('rejects %j with a 400 naming %s', async (request, param, code) => {
    const { post } = testApp();
    const response = await post('/v1/embeddings', request);
    expect(response.status).toBe(400);
    const body = await json(response);
    assertMatchesSpec('ErrorResponse', body);
    expect(body.error).toMatchObject({ param, code, type: 'invalid_request_error' });
  });

  it('answers an input longer than the context with 400 context_length_exceeded naming the input', async () => {
    const { post, engine } = testApp();
    engine.embedder.error = new FakeLlmError('context-overflow', 'input[1] has 600 tokens, but an input may have at most 511.', { promptTokens: 600, maxTokens: 0, contextSize: 511, param: 'input[1]', index: 1 });
    const response = await post('/v1/embeddings', { input: ['short', 'long'] });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toMatchObject({ code: 'context_length_exceeded', param: 'input[1]' });
    expect(body.error.message).toContain('600 tokens');
  });

  it('answers dimensions beyond the model with the engine\'s 400', async () => {
    const { post, engine } = testApp();
    engine.embedder.error = new FakeLlmError('invalid-request', 'dimensions must be an integer from 1 to 8', { param: 'dimensions' });
    const body = await json(await post('/v1/embeddings', { input: 'x', dimensions: 9 }));
    expect(body.error).toMatchObject({ param: 'dimensions', code: 'invalid_value' });
  });

  it('refuses another model name with 404 model_not_found, accepts aliases', async () => {
    const { post } = testApp({ modelAliases: ['text-embedding-3-small'] });
    expect((await post('/v1/embeddings', { input: 'x', model: 'text-embedding-3-small' })).status).toBe(200);
    const response = await post('/v1/embeddings', { input: 'x', model: 'bge-m3' });
    expect(response.status).toBe(404);
    expect((await json(response)).error.code).toBe('model_not_found');
  });
});

describe('POST /v1/embeddings with a dedicated embedding model', () => {
  async function dedicatedApp(load: () => Promise<FakeEmbedder>) {
    const engine = new FakeEngine();
    const model = ModelHost.fromEngine(engine);
    const embeddings = new EmbeddingHost({ chat: model, dedicated: { path: '/models/nomic-embed.gguf', load } });
    const app = createApp({ model, embeddings });
    return { app, engine, embeddings };
  }

  it('embeds with it, lists it in /v1/models and serves it by id', async () => {
    const embedder = new FakeEmbedder('nomic-embed', 16);
    const { app, engine, embeddings } = await dedicatedApp(async () => embedder);
    await embeddings.start();
    const body = await json(await app.request('/v1/embeddings', { method: 'POST', body: JSON.stringify({ input: 'x', model: 'nomic-embed' }) }));
    expect(body.model).toBe('nomic-embed');
    expect(body.data[0].embedding).toHaveLength(16);
    expect(engine.embedderCreated).toBe(0);
    const models = await json(await app.request('/v1/models'));
    assertMatchesSpec('ListModelsResponse', models);
    expect(models.data.map((entry: { id: string }) => entry.id)).toEqual(['fake-model', 'nomic-embed']);
    expect((await app.request('/v1/models/nomic-embed')).status).toBe(200);
    expect((await app.request('/v1/embeddings', { method: 'POST', body: JSON.stringify({ input: 'x', model: 'fake-model' }) })).status).toBe(404);
    await embeddings.dispose();
    expect(embedder.disposed).toBe(true);
  });

  it('answers 503 model_loading while it loads, and model_not_loaded (no retry) when it failed', async () => {
    const loading = await dedicatedApp(() => new Promise(() => undefined));
    void loading.embeddings.start();
    const wait = await loading.app.request('/v1/embeddings', { method: 'POST', body: '{"input":"x"}' });
    expect(wait.status).toBe(503);
    expect(wait.headers.get('retry-after')).toBe('5');
    expect((await json(wait)).error.code).toBe('model_loading');

    const failed = await dedicatedApp(() => Promise.reject(new Error('not a GGUF file')));
    await failed.embeddings.start();
    const response = await failed.app.request('/v1/embeddings', { method: 'POST', body: '{"input":"x"}' });
    expect(response.status).toBe(503);
    expect(response.headers.get('x-should-retry')).toBe('false');
    const error = (await json(response)).error;
    expect(error.code).toBe('model_not_loaded');
    expect(error.message).toContain('/models/nomic-embed.gguf');
    expect(error.message).toContain('LLM_EMBEDDING_MODEL_PATH');
  });
});

describe('GET /health with a dedicated embedding model', () => {
  it('reports it loaded (id, dimensions), or failed with the path, which makes the node degraded', async () => {
    const engine = new FakeEngine();
    const model = ModelHost.fromEngine(engine);
    const loaded = new EmbeddingHost({ chat: model, dedicated: { path: '/models/nomic-embed.gguf', load: async () => new FakeEmbedder('nomic-embed', 16) } });
    await loaded.start();
    const ok = await json(await createApp({ model, embeddings: loaded }).request('/health'));
    expect(ok.status).toBe('ok');
    expect(ok.embedding_model).toEqual({ status: 'loaded', path: '/models/nomic-embed.gguf', id: 'nomic-embed', dimensions: 16, context_size: 512 });
    const failed = new EmbeddingHost({ chat: model, dedicated: { path: '/models/broken.gguf', load: () => Promise.reject(new Error('not a GGUF file')) } });
    await failed.start();
    const degraded = await json(await createApp({ model, embeddings: failed }).request('/health'));
    expect(degraded.status).toBe('degraded');
    expect(degraded.embedding_model).toEqual({ status: 'error', path: '/models/broken.gguf', message: 'not a GGUF file' });
    const none = await json(await createApp({ model }).request('/health'));
    expect(none.embedding_model).toBeUndefined();
  });
});

describe('POST /v1/embeddings with pooled inference (LLM_POOL)', () => {
  const request = (model: string | undefined) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'The cat sat', ...(model === undefined ? {} : { model }) }),
  });

  it('goes to a peer serving the named model when this node has no model, naming the peer', async () => {
    const model = new ModelHost({ modelPath: '/models/absent.gguf', load: () => Promise.reject(new FakeLlmError('model-not-found', 'no such file')) });
    await model.start();
    expect(model.state.status).toBe('missing');
    const embeddings = new EmbeddingHost({ chat: model });
    const peer = new FakeEmbedder('big-model', 4);
    const asked: (string | undefined)[] = [];
    embeddings.attachPool({
      nodeName: 'front-desk',
      choose: (requested) => {
        asked.push(requested);
        return requested === 'typo-model' ? undefined : { embedder: peer, servedBy: 'gpu-box' };
      },
    });
    const app = createApp({ model, embeddings });
    for (const name of ['big-model', undefined]) {
      const response = await app.request('/v1/embeddings', request(name));
      expect(response.status).toBe(200);
      expect(response.headers.get('x-trosyn-served-by')).toBe('gpu-box');
      const body = await json(response);
      assertMatchesSpec('CreateEmbeddingResponse', body);
      expect(body).toMatchObject({ model: 'big-model', usage: { prompt_tokens: 3 } });
      expect(body.data[0].embedding).toHaveLength(4);
    }
    expect(asked).toEqual(['big-model', undefined]);
    expect(peer.requests).toHaveLength(2);
    // No peer has it either: this node's own reason (no model).
    const none = await app.request('/v1/embeddings', request('typo-model'));
    expect(none.status).toBe(503);
    expect(none.headers.get('x-trosyn-served-by')).toBeNull();
  });

  it('tells the pool how busy its own embedder is, advertises that load, and embeds where the pool says', async () => {
    const engine = new FakeEngine();
    const model = ModelHost.fromEngine(engine);
    const embeddings = new EmbeddingHost({ chat: model });
    let load = { slots: 1, slotsInUse: 0, queueDepth: 0, maxQueue: 32 };
    Object.assign(engine.embedder, { stats: () => load });
    const peer = new FakeEmbedder('fake-model', 8);
    const asked: unknown[] = [];
    embeddings.attachPool({
      nodeName: 'front-desk',
      choose: (requested, local) => {
        asked.push(local);
        // The pool's rule, as `pooled-inference.ts` applies it: a busy embedder with a queue passes the request on.
        return local?.stats !== undefined && local.stats.queueDepth > 0 ? { embedder: peer, servedBy: 'idle-box' } : undefined;
      },
    });
    const app = createApp({ model, embeddings, config: { modelAliases: ['text-embedding-3-small'] } });
    // Before the first request the embedder over the chat model does not exist yet: no load to advertise.
    expect(embeddings.advertised()).toEqual({ id: 'fake-model', dimensions: null, contextSize: expect.any(Number) });
    const idle = await app.request('/v1/embeddings', request('text-embedding-3-small'));
    expect(idle.headers.get('x-trosyn-served-by')).toBe('front-desk');
    expect(asked.at(-1)).toEqual({ id: 'fake-model', serves: true, stats: load });
    load = { slots: 1, slotsInUse: 1, queueDepth: 2, maxQueue: 32 };
    expect(embeddings.advertised()).toMatchObject({ id: 'fake-model', dimensions: 8, load });
    const busy = await app.request('/v1/embeddings', request('fake-model'));
    expect(busy.status).toBe(200);
    expect(busy.headers.get('x-trosyn-served-by')).toBe('idle-box');
    expect(peer.requests).toHaveLength(1);
    expect(engine.embedder.requests).toHaveLength(1);
  });

  it('embeds here for its own model (or an alias), and on a peer for a model only the peer serves', async () => {
    const engine = new FakeEngine();
    const model = ModelHost.fromEngine(engine);
    const embeddings = new EmbeddingHost({ chat: model });
    const peer = new FakeEmbedder('big-model', 4);
    embeddings.attachPool({ nodeName: 'front-desk', choose: (requested) => (requested === 'big-model' ? { embedder: peer, servedBy: 'gpu-box' } : undefined) });
    const app = createApp({ model, embeddings, config: { modelAliases: ['text-embedding-3-small'] } });
    for (const name of ['fake-model', 'text-embedding-3-small', undefined]) {
      const local = await app.request('/v1/embeddings', request(name));
      expect(local.status).toBe(200);
      expect(local.headers.get('x-trosyn-served-by')).toBe('front-desk');
    }
    expect(engine.embedder.requests).toHaveLength(3);
    const forwarded = await app.request('/v1/embeddings', request('big-model'));
    expect(forwarded.headers.get('x-trosyn-served-by')).toBe('gpu-box');
    expect(await json(forwarded)).toMatchObject({ model: 'big-model' });
    expect(peer.requests).toHaveLength(1);
    const unknown = await app.request('/v1/embeddings', request('typo-model'));
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
  });
});
