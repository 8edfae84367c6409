import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { adminAuth, type AdminAuthOptions } from '../src/admin-auth.js';
import { toErrorResponse } from '../src/error-handler.js';
import type { AppEnv } from '../src/request-scope.js';
import { assertMatchesSpec } from './openai-spec.js';
import { json, testApp } from './test-app.js';

// A guarded route, as `/metrics` and the console are mounted, with the app's error mapping.
function guardedApp(options: AdminAuthOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/admin/*', adminAuth(options));
  app.get('/admin/page', (c) => c.text('admin page'));
  app.onError((error, c) => {
    const response = toErrorResponse(error);
    return c.json(response.body, response.status as 401, response.headers);
  });
  return app;
}

// What @hono/node-server passes as the environment: the Node request, with its socket.
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = await json(response);
  assertMatchesSpec('ErrorResponse', body);
  expect(body.error.code).toBe(code);
  return body.error.message as string;
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('adminAuth without an admin key', () => {
  const app = guardedApp({ adminKey: undefined });

  it('answers clients on this machine (IPv4, IPv6 and IPv4-mapped loopback)', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const response = await app.request('/admin/page', {}, from(address));
      expect(response.status, address).toBe(200);
    }
  });

  it('refuses a client on the network with 403 saying the route is loopback-only and how to open it', async () => {
    const message = await expectError(await app.request('/admin/page', {}, from('192.168.1.20')), 403, 'admin_loopback_only');
    expect(message).toContain('/admin/page is an admin route');
    expect(message).toContain('from this machine only');
    expect(message).toContain('TROSYN_ADMIN_KEY');
  });

  it('refuses a request forwarded by a local proxy, which would make the whole network look local', async () => {
    const forwarded = { 'x-forwarded-for': '192.168.1.20' };
    await expectError(await app.request('/admin/page', { headers: forwarded }, from('127.0.0.1')), 403, 'admin_loopback_only');
    const rfc7239 = { forwarded: 'for=192.168.1.20' };
    await expectError(await app.request('/admin/page', { headers: rfc7239 }, from('127.0.0.1')), 403, 'admin_loopback_only');
  });

  it('refuses a request whose peer address is unknown (no socket)', async () => {
    await expectError(await app.request('/admin/page'), 403, 'admin_loopback_only');
  });

  it('answers a real loopback connection', async () => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/admin/page`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('admin page');
  });
});

describe('adminAuth with an admin key', () => {
  const app = guardedApp({ adminKey: 'admin-key-1', apiKey: 'client-key-1' });

  it('requires the admin key, from the network and from loopback alike', async () => {
    for (const address of ['192.168.1.20', '127.0.0.1']) {
      const message = await expectError(await app.request('/admin/page', {}, from(address)), 401, 'missing_api_key');
      expect(message).toContain('TROSYN_ADMIN_KEY');
      expect((await app.request('/admin/page', { headers: bearer('admin-key-1') }, from(address))).status).toBe(200);
    }
  });

  it('refuses a wrong key with 401 and the client key with 403 naming both variables', async () => {
    await expectError(await app.request('/admin/page', { headers: bearer('admin-key-2') }, from('127.0.0.1')), 401, 'invalid_api_key');
    const response = await app.request('/admin/page', { headers: bearer('client-key-1') }, from('127.0.0.1'));
    const message = await expectError(response, 403, 'admin_key_required');
    expect(message).toContain('TROSYN_API_KEY');
    expect(message).toContain('TROSYN_ADMIN_KEY');
  });

  it('sends WWW-Authenticate with a 401', async () => {
    const response = await app.request('/admin/page', {}, from('127.0.0.1'));
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('the admin key on client routes', () => {
  it('opens /v1 routes alongside the API key', async () => {
    const { app } = testApp({ apiKey: 'client-key-1', adminKey: 'admin-key-1' });
    expect((await app.request('/v1/models', { headers: bearer('client-key-1') })).status).toBe(200);
    expect((await app.request('/v1/models', { headers: bearer('admin-key-1') })).status).toBe(200);
    expect((await app.request('/v1/models', { headers: bearer('other-key-1') })).status).toBe(401);
  });
});
