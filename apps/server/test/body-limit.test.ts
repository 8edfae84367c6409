import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './test-app.js';

// Over a real HTTP server: @hono/node-server's requests are not the WHATWG Requests of
// app.request(), and a body announced by Content-Length takes another path than a chunked one.
const LIMIT = 1024;
let server: http.Server;
let port: number;

beforeAll(async () => {
  const { app } = testApp({ bodyLimitBytes: LIMIT });
  server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** POSTs `body` to the chat route, with Content-Length or chunked; resolves with status and JSON. */
function post(body: string, framing: 'content-length' | 'chunked'): Promise<{ status: number; json: { error?: { code?: string; message?: string } } }> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body);
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (framing === 'content-length') headers['content-length'] = bytes.length;
    const request = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', headers });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never }));
    });
    if (framing === 'chunked') {
      // Two writes without a length: Node sends Transfer-Encoding: chunked.
      request.write(bytes.subarray(0, bytes.length >> 1));
      request.end(bytes.subarray(bytes.length >> 1));
    } else request.end(bytes);
  });
}

const chat = (padding: number): string => JSON.stringify({ messages: [{ role: 'user', content: `hi${' '.repeat(padding)}` }] });

describe('request body limit (TROSYN_BODY_LIMIT) over HTTP', () => {
  for (const framing of ['content-length', 'chunked'] as const) {
    it(`accepts a body within the limit and refuses a larger one with 413 (${framing})`, async () => {
      const small = await post(chat(100), framing);
      expect(small.status).toBe(200);
      const large = await post(chat(2 * LIMIT), framing);
      expect(large.status).toBe(413);
      expect(large.json.error?.code).toBe('request_too_large');
      expect(large.json.error?.message).toContain(`${LIMIT} bytes`);
    });
  }

  it('leaves bodiless requests alone', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/v1/models' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });
});
