import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { consoleAssetsDir, consoleRoute } from '../src/routes/console.js';
import { createApp } from '../src/app.js';
import { ModelHost } from '../src/model-host.js';
import type { AppEnv } from '../src/request-scope.js';
import { FakeEngine } from './fake-engine.js';
import { assertSchema } from './sync/published-schema.js';
import { json, testApp } from './test-app.js';

const built = mkdtempSync(join(tmpdir(), 'trosyn-console-dist-'));
mkdirSync(join(built, 'assets'));
writeFileSync(join(built, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/index-Ab12.js"></script>');
writeFileSync(join(built, 'assets', 'index-Ab12.js'), 'console.log("console")');
afterAll(() => rmSync(built, { recursive: true, force: true }));

function consoleApp(assetsDir: string): Hono<AppEnv> {
  return new Hono<AppEnv>().route('/', consoleRoute({ assetsDir }));
}

describe('consoleRoute', () => {
  it('redirects / to the console and serves its page with a policy that keeps it on this node', async () => {
    const app = consoleApp(built);
    const root = await app.request('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    for (const path of ['/console', '/console/']) {
      const page = await app.request(path);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*connect-src 'self'/);
      expect(await page.text()).toContain('/console/assets/index-Ab12.js');
    }
  });

  it('serves hashed assets for a year and refuses other names', async () => {
    const app = consoleApp(built);
    const script = await app.request('/console/assets/index-Ab12.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    for (const name of ['missing-1.js', '..%2Findex.html', 'index-Ab12.exe', '.hidden.js']) {
      expect((await app.request(`/console/assets/${name}`)).status, name).toBe(404);
    }
  });

  it('answers 503 naming the missing file when the console is not built', async () => {
    const response = await consoleApp(join(built, 'nowhere')).request('/console/');
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/nowhere\/index\.html is missing\. Run `pnpm build`/);
  });

  it("finds the built @trosyn/console package's dist", () => {
    expect(consoleAssetsDir()).toMatch(/console[/\\]dist$/);
  });
});

describe('admin routes', () => {
  const adminKey = 'admin-key-for-tests';
  const bearer = { authorization: `Bearer ${adminKey}` };

  it('GET /api/v1/admin/node says what /health does not: version, start, chat format, access', async () => {
    const engine = Object.assign(new FakeEngine(), { runtime: { chatWrapper: 'JinjaTemplate' } });
    const app = createApp({ model: ModelHost.fromEngine(engine), config: { adminKey }, version: '1.2.3', startedAt: performance.now() - 5000 });
    const body = await json(await app.request('/api/v1/admin/node', { headers: bearer }));
    expect(body).toMatchObject({
      object: 'node',
      version: '1.2.3',
      model: { status: 'loaded', chat_format: 'JinjaTemplate' },
      access: { admin_key_configured: true, api_key_configured: false },
    });
    assertSchema('AdminNode', body);
    expect(Date.now() - Date.parse(body.started_at)).toBeGreaterThanOrEqual(4900);
    expect((await app.request('/api/v1/admin/node')).status).toBe(401);
  });

  it('GET /api/v1/admin/requests lists finished requests with status and tokens, console reads hidden', async () => {
    const { app, post } = testApp({ adminKey });
    await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }] }, bearer);
    await app.request('/health', { headers: { 'x-trosyn-client': 'console' } });
    await app.request('/v1/nowhere', { headers: bearer });
    const body = await json(await app.request('/api/v1/admin/requests', { headers: bearer }));
    assertSchema('RecentRequestList', body);
    const listed = body.data.map((entry: { method: string; path: string; status: number }) => `${entry.method} ${entry.path} ${entry.status}`);
    expect(listed).toEqual(['GET /v1/nowhere 404', 'POST /v1/chat/completions 200']);
    expect(body.data[1]).toMatchObject({ object: 'request', outcome: null, prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    const all = await json(await app.request('/api/v1/admin/requests?include_console=true&limit=2', { headers: bearer }));
    expect(all.data.map((entry: { path: string }) => entry.path)).toEqual(['/api/v1/admin/requests', '/v1/nowhere']);
    expect((await app.request('/api/v1/admin/requests?limit=0', { headers: bearer })).status).toBe(400);
  });
});
