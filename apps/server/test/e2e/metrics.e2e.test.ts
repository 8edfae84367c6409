import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, promtoolCheck, sampleValue, type Sample } from '../promtool.js';
import { eventually, startServerProcess, syncPortOf, type ServerProcess } from './server-process.js';
import { openAiClientOf, storiesModelEnv } from './stories-model.js';

// Three real nodes on 127.0.0.1 (mDNS off, static peers only): A with the model and both keys,
// B without a model that syncs with A, C with another shared secret that A must refuse.
const API_KEY = 'metrics-client-key';
const ADMIN_KEY = 'metrics-admin-key';
const SECRET = 'metrics-e2e-shared-secret-0123456789';
const MODEL = 'stories260K-chat';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const syncEnv = (nodeId: string, secret = SECRET) => ({
  LAN_SYNC_ENABLED: 'true',
  LAN_SYNC_HOST: '127.0.0.1',
  LAN_SYNC_PORT: '0',
  LAN_SYNC_MDNS: 'false',
  LAN_SYNC_NODE_ID: nodeId,
  LAN_SYNC_SHARED_SECRET: secret,
});

async function scrape(node: ServerProcess, headers: Record<string, string> = {}): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(`${node.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parseExposition(text) };
}

const put = (node: ServerProcess, id: string, data: unknown, headers: Record<string, string> = {}) =>
  fetch(`${node.url}/api/v1/items/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ type: 'memo', data }) });

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('/metrics of real nodes after a known workload', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  const usage = { prompt: 0, completion: 0, perTokenTimed: 0 };

  beforeAll(async () => {
    a = await startServerProcess({
      env: {
        ...storiesModelEnv({ contextSize: 1024, parallel: 1 }),
        TROSYN_API_KEY: API_KEY,
        TROSYN_ADMIN_KEY: ADMIN_KEY,
        ...syncEnv('node-a'),
      },
      waitForModel: true,
    });
    cleanups.push(() => a.stop());
  }, 120_000);

  it('counts generation requests, tokens and their timings, and HTTP requests by route and status', async () => {
    const client = openAiClientOf(a, { apiKey: API_KEY, timeoutMs: 30_000 });
    const messages = [{ role: 'user' as const, content: 'Tell me a story about a dog.' }];
    const count = (prompt: number, completion: number) => {
      usage.prompt += prompt;
      usage.completion += completion;
      if (completion >= 2) usage.perTokenTimed += 1;
    };
    for (let i = 0; i < 2; i++) {
      const answer = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 8, temperature: 0 });
      count(answer.usage!.prompt_tokens, answer.usage!.completion_tokens);
    }
    const chatStream = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 8, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of chatStream) if (chunk.usage) count(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
    const textStream = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 8, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of textStream) if (chunk.usage) count(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
    await expect(client.chat.completions.create({ model: MODEL, messages, temperature: 9 })).rejects.toBeInstanceOf(BadRequestError);

    const { text, samples } = await scrape(a, bearer(ADMIN_KEY));
    expect(await promtoolCheck(text)).toBe('');
    expect(sampleValue(samples, 'trosyn_llm_requests_total', { kind: 'chat', outcome: 'completed' })).toBe(3);
    expect(sampleValue(samples, 'trosyn_llm_requests_total', { kind: 'completion', outcome: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_prompt_tokens_total')).toBe(usage.prompt);
    expect(sampleValue(samples, 'trosyn_llm_completion_tokens_total')).toBe(usage.completion);
    expect(sampleValue(samples, 'trosyn_llm_time_to_first_token_seconds_count')).toBe(4);
    expect(sampleValue(samples, 'trosyn_llm_time_to_first_token_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'trosyn_llm_time_per_output_token_seconds_count')).toBe(usage.perTokenTimed);
    expect(sampleValue(samples, 'trosyn_llm_queue_wait_seconds_count')).toBe(4);
    expect(sampleValue(samples, 'trosyn_llm_slots')).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_slots_busy')).toBe(0);
    expect(sampleValue(samples, 'trosyn_llm_queue_depth')).toBe(0);
    expect(sampleValue(samples, 'trosyn_llm_model_state', { state: 'loaded' })).toBe(1);
    expect(sampleValue(samples, 'trosyn_llm_model_info', { model: 'stories260K-chat' })).toBe(1);
    const http = (method: string, route: string, status: string) => sampleValue(samples, 'trosyn_http_requests_total', { method, route, status });
    expect(http('POST', '/v1/chat/completions', '200')).toBe(3);
    expect(http('POST', '/v1/chat/completions', '400')).toBe(1);
    expect(http('POST', '/v1/completions', '200')).toBe(1);
    expect(sampleValue(samples, 'trosyn_http_request_duration_seconds_count', { method: 'POST', route: '/v1/chat/completions' })).toBe(4);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(sampleValue(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('takes the admin key, refuses the client key with 403 and no key with 401', async () => {
    expect((await fetch(`${a.url}/metrics`, { headers: bearer(API_KEY) })).status).toBe(403);
    expect((await fetch(`${a.url}/metrics`)).status).toBe(401);
    // The admin key opens the client routes too.
    expect((await fetch(`${a.url}/v1/models`, { headers: bearer(ADMIN_KEY) })).status).toBe(200);
  });

  it('counts sync rounds, changes, conflicts, applied pages, pending changes and the last success per peer', async () => {
    // B first writes the memo A also writes, offline: their first round is a conflict on both sides.
    const dirB = mkdtempSync(resolve(tmpdir(), 'trosyn-metrics-b-'));
    cleanups.push(() => rmSync(dirB, { recursive: true, force: true }));
    const noModel = { LLM_MODEL_PATH: resolve(dirB, 'no-model.gguf'), TROSYN_DATA_DIR: dirB };
    const offline = await startServerProcess({ env: { ...noModel, LAN_SYNC_ENABLED: 'false', LAN_SYNC_NODE_ID: 'node-b' } });
    expect((await put(offline, 'memo-shared', { by: 'b' })).status).toBe(200);
    await offline.stop();
    expect((await put(a, 'memo-shared', { by: 'a' }, bearer(API_KEY))).status).toBe(200);

    b = await startServerProcess({ env: { ...noModel, ...syncEnv('node-b'), LAN_SYNC_PEERS: `127.0.0.1:${syncPortOf(a)}` } });
    cleanups.push(() => b.stop());
    const synced = async (node: ServerProcess, peer: string) => {
      const status = (await (await fetch(`${node.url}/api/v1/sync/status`)).json()) as { peers: { peer_id: string; last_sync_at: string | null }[] };
      return status.peers.some((entry) => entry.peer_id === peer && entry.last_sync_at !== null) ? true : undefined;
    };
    await eventually('B to sync with A', () => synced(b, 'node-a'));
    const before = (await scrape(b)).samples;
    const appliedBefore = sampleValue(before, 'trosyn_sync_applied_changes_total', { peer: 'node-a' }) ?? 0;

    for (let i = 0; i < 5; i++) expect((await put(a, `memo-${i}`, { n: i }, bearer(API_KEY))).status).toBe(200);
    await eventually('the five memos on B', async () => ((await fetch(`${b.url}/api/v1/items/memo-4`)).status === 200 ? true : undefined));
    const scrapeA = () => scrape(a, bearer(ADMIN_KEY));
    await eventually("B's acknowledgement of A's log", async () => (sampleValue((await scrapeA()).samples, 'trosyn_sync_pending_changes', { peer: 'node-b' }) === 0 ? true : undefined));

    const onA = await scrapeA();
    const onB = await scrape(b); // loopback, no admin key on B
    expect(await promtoolCheck(onA.text)).toBe('');
    expect(await promtoolCheck(onB.text)).toBe('');
    // One conflict on each side, resolved by last-writer-wins.
    expect(sampleValue(onA.samples, 'trosyn_sync_conflicts_total', { rule: 'lww' })).toBe(1);
    expect(sampleValue(onB.samples, 'trosyn_sync_conflicts_total', { rule: 'lww' })).toBe(1);
    // The five writes were applied on B exactly once, pushed by A.
    expect(sampleValue(onB.samples, 'trosyn_sync_applied_changes_total', { peer: 'node-a' })! - appliedBefore).toBe(5);
    expect(sampleValue(onA.samples, 'trosyn_sync_pushed_changes_total', { peer: 'node-b' })).toBeGreaterThanOrEqual(5);
    expect(sampleValue(onA.samples, 'trosyn_sync_pushed_bytes_total', { peer: 'node-b' })).toBeGreaterThan(5 * 20);
    expect(sampleValue(onB.samples, 'trosyn_sync_pulled_changes_total', { peer: 'node-a' })).toBeGreaterThanOrEqual(1);
    // Writes that arrive while a push is on the wire go together in the next round.
    expect(sampleValue(onA.samples, 'trosyn_sync_rounds_total', { peer: 'node-b', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(onB.samples, 'trosyn_sync_rounds_total', { peer: 'node-a', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    // The first round's page and at least one push.
    expect(sampleValue(onB.samples, 'trosyn_sync_apply_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(onA.samples, 'trosyn_sync_pending_changes', { peer: 'node-b' })).toBe(0);
    expect(sampleValue(onA.samples, 'trosyn_sync_last_success_age_seconds', { peer: 'node-b' })).toBeLessThan(60);
    expect(sampleValue(onB.samples, 'trosyn_sync_peers', { state: 'idle' })).toBe(1);
    // B started the first handshake; A then handshook back to push its writes.
    expect(sampleValue(onB.samples, 'trosyn_sync_handshakes_total', { direction: 'outbound', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(onA.samples, 'trosyn_sync_handshakes_total', { direction: 'inbound', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(onB.samples, 'trosyn_llm_model_state', { state: 'missing' })).toBe(1);
  }, 120_000);

  it('counts the refused handshakes of a node with another secret, and handshakes refused by the rate limit', async () => {
    const c = await startServerProcess({
      env: { LLM_MODEL_PATH: '/nonexistent/none.gguf', TROSYN_METRICS: 'false', ...syncEnv('node-c', 'another-secret-of-another-office-42'), LAN_SYNC_PEERS: `127.0.0.1:${syncPortOf(a)}` },
    });
    cleanups.push(() => c.stop());
    expect((await fetch(`${c.url}/metrics`)).status).toBe(404); // TROSYN_METRICS=false
    const refusals = () => c.stderr.filter((line) => line.includes('"event":"sync-failed"') && line.includes('"remote_code":"authentication-failed"')).length;
    await eventually("A's refusal of C", async () => (refusals() > 0 ? true : undefined));
    let samples = (await scrape(a, bearer(ADMIN_KEY))).samples;
    expect(sampleValue(samples, 'trosyn_sync_authentication_failures_total', { code: 'authentication-failed' })).toBe(refusals());
    expect(sampleValue(samples, 'trosyn_sync_handshakes_total', { direction: 'inbound', outcome: 'authentication-failed' })).toBe(refusals());

    // Handshakes from one address beyond the limiter's allowance (20, then 1 per second): 429.
    const hello = `http://127.0.0.1:${syncPortOf(a)}/sync/v1/handshake/hello`;
    let limited = 0;
    for (let i = 0; i < 40 && limited === 0; i++) {
      const response = await fetch(hello, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (response.status === 429) limited += 1;
    }
    expect(limited).toBe(1);
    samples = (await scrape(a, bearer(ADMIN_KEY))).samples;
    expect(sampleValue(samples, 'trosyn_sync_rate_limited_total', { limit: 'handshakes' })).toBe(1);
  }, 120_000);
});
