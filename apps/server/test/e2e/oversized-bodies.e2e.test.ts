import http from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './server-process.js';

// Regression (issue #20): an unauthenticated POST /sync/v1/handshake/hello with a 64 MiB chunked
// body (no Content-Length) was buffered whole: the node's RSS grew by ~200 MB before a 400, and a
// 600 MiB one ended in a 500. Every route of both ports must stop reading at its limit.
const BODY_MIB = 64;
// The sender stops after this much and waits: past every route's limit (4.25 MiB at most), so a
// node that answers at its limit has answered by then, and one that waits for the whole body
// never answers. Stopping there keeps the test from measuring its own sender: after a 413,
// `@hono/node-server` reads and discards the rest of an unread body (up to 64 MiB or 500 ms) so
// the client can read the answer, and a sender that kept going sent as much as the node read
// before it looked at its socket (all 64 MiB in one CI run, which grew the node by 42 MB of
// dropped chunks).
const SENT_BEFORE_WAITING_MIB = 8;
// How long the sender waits for an answer once it has stopped.
const ANSWER_TIMEOUT_MS = 10_000;
// What a node may grow by while refusing one oversized body: its limit (4 MiB on the API port),
// socket buffers and the garbage of a few requests, far from the 64 MiB announced.
const MAX_RSS_GROWTH_BYTES = 40 * 1024 * 1024;

let server: ServerProcess;
let apiPort: number;
let syncPort: number;

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Starts sending a `mib` MiB body of JSON-looking bytes to `path`, chunked (no Content-Length) or
 * announced, sends {@link SENT_BEFORE_WAITING_MIB} MiB of it and waits for the answer without
 * sending the rest. Resolves with the answer's status and error code; rejects when no answer
 * comes within {@link ANSWER_TIMEOUT_MS}.
 */
function sendLarge(port: number, method: string, path: string, mib: number, framing: 'chunked' | 'content-length'): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (framing === 'content-length') headers['content-length'] = mib * 1024 * 1024;
    const request = http.request({ host: '127.0.0.1', port, path, method, headers });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`no answer from ${method} ${path} within ${ANSWER_TIMEOUT_MS} ms of the first ${sent} MiB of ${mib} MiB (${framing})`));
    }, ANSWER_TIMEOUT_MS);
    request.on('response', (response) => {
      answered = true;
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        clearTimeout(timer);
        let code: string | undefined;
        try {
          code = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        request.destroy();
        resolve({ status: response.statusCode ?? 0, code });
      });
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      if (!answered) reject(error);
    });
    const pump = (): void => {
      while (!answered && sent < Math.min(mib, SENT_BEFORE_WAITING_MIB)) {
        sent += 1;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

beforeAll(async () => {
  server = await startServerProcess({
    env: {
      LAN_SYNC_ENABLED: 'true',
      LAN_SYNC_HOST: '127.0.0.1',
      LAN_SYNC_PORT: '0',
      LAN_SYNC_MDNS: 'false',
      LAN_SYNC_SHARED_SECRET: 'oversized-bodies-test-secret-0123456789abcdef',
      LLM_MODEL_PATH: '/nonexistent/no-model.gguf',
    },
  });
  apiPort = Number(new URL(server.url).port);
  const listening = server.stdout.find((line) => line.includes('"event":"sync-listening"'));
  if (listening === undefined) throw new Error(`the node did not start LAN sync: ${server.stdout.join('\n')}`);
  syncPort = (JSON.parse(listening) as { port: number }).port;
});
afterAll(async () => {
  await server?.stop();
});

describe('oversized request bodies on both ports (real process)', { timeout: 120_000 }, () => {
  const routes: readonly { port: () => number; method: string; path: string; code: string }[] = [
    { port: () => syncPort, method: 'POST', path: '/sync/v1/handshake/hello', code: 'payload-too-large' },
    { port: () => syncPort, method: 'POST', path: '/sync/v1/handshake/proof', code: 'payload-too-large' },
    { port: () => syncPort, method: 'POST', path: '/sync/v1/messages', code: 'payload-too-large' },
    { port: () => apiPort, method: 'POST', path: '/v1/chat/completions', code: 'request_too_large' },
    { port: () => apiPort, method: 'POST', path: '/v1/completions', code: 'request_too_large' },
    { port: () => apiPort, method: 'POST', path: '/api/v1/items', code: 'request_too_large' },
    { port: () => apiPort, method: 'PUT', path: '/api/v1/items/x', code: 'request_too_large' },
    { port: () => apiPort, method: 'POST', path: '/api/v1/conflicts/acknowledge', code: 'request_too_large' },
  ];
  for (const route of routes) {
    for (const framing of ['chunked', 'content-length'] as const) {
      it(`answers 413 to ${BODY_MIB} MiB ${framing} on ${route.method} ${route.path} without buffering it`, async () => {
        const before = rssBytes(server.child.pid!);
        // An answer at all shows the node did not wait for the body: the sender held back all of it
        // but the first SENT_BEFORE_WAITING_MIB MiB.
        const answer = await sendLarge(route.port(), route.method, route.path, BODY_MIB, framing);
        const after = rssBytes(server.child.pid!);
        expect(answer.status).toBe(413);
        expect(answer.code).toBe(route.code);
        expect(after - before).toBeLessThan(MAX_RSS_GROWTH_BYTES);
      });
    }
  }

  it('still answers a handshake of normal size after the oversized ones', async () => {
    const response = await fetch(`http://127.0.0.1:${syncPort}/sync/v1/handshake/hello`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('malformed');
  });
});
