import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModelsDir } from '../e2e/server-process.js';
import { ConsoleNode, eventually, freePort } from './console-nodes.js';
import { launchChromium, openWatchedPage, type WatchedPage } from './console-browser.js';

// Three real server processes on 127.0.0.1: A (the console under test: model, admin key, client
// key, static peers B and C), B (same shared secret, no admin key) and C (another secret: it
// refuses A). mDNS is off; sync goes to static peers on 127.0.0.1 only.
const ADMIN_KEY = 'console-admin-key-0123';
const API_KEY = 'client-api-key-4567';
const SECRET = 'console e2e shared secret of the office';

let a: ConsoleNode;
let b: ConsoleNode;
let c: ConsoleNode;
let browser: Browser;
const pages: WatchedPage[] = [];

// Generous polling: the machine running the tests may be loaded (vitest's default is one second).
function poll<T>(probe: () => T | Promise<T>, options: { readonly timeout?: number } = {}) {
  return expect.poll(probe, { timeout: 15_000, ...options });
}

async function open(node: ConsoleNode, options: Parameters<typeof openWatchedPage>[1] = {}): Promise<WatchedPage> {
  const watched = await openWatchedPage(browser, options);
  pages.push(watched);
  await watched.page.goto(`${node.url}/console/`);
  return watched;
}

async function signIn(watched: WatchedPage, key: string): Promise<void> {
  await watched.page.locator('input[name="admin-key"]').fill(key);
  await watched.page.getByRole('button', { name: 'Open the console' }).click();
}

async function openSignedIn(): Promise<WatchedPage> {
  const watched = await open(a);
  await signIn(watched, ADMIN_KEY);
  await watched.page.getByTestId('node-name').waitFor();
  return watched;
}

async function showView(watched: WatchedPage, name: string): Promise<void> {
  await watched.page.getByRole('link', { name, exact: true }).click();
  await watched.page.locator(`main[data-view="${name.toLowerCase()}"]`).waitFor();
}

beforeAll(async () => {
  const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
  b = new ConsoleNode({ name: 'Back office', secret: SECRET, syncPort: portB });
  c = new ConsoleNode({ name: 'Stranger', secret: 'another office entirely, other secret', syncPort: portC });
  a = new ConsoleNode({
    name: 'Front desk',
    secret: SECRET,
    syncPort: portA,
    peers: [portB, portC],
    model: true,
    env: { TROSYN_ADMIN_KEY: ADMIN_KEY, TROSYN_API_KEY: API_KEY },
  });
  await Promise.all([b.start(), c.start()]);
  await a.start();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const watched of pages) await watched.close().catch(() => undefined);
  await browser?.close();
  await Promise.all([a, b, c].map((node) => node?.dispose()));
}, 60_000);

describe('the console', () => {
  it('asks for the admin key, refuses a wrong key and the client key, and opens with the admin key', async () => {
    const watched = await open(a);
    const { page } = watched;
    await page.getByTestId('key-form').waitFor();
    await signIn(watched, 'not-the-admin-key');
    await poll(() => page.getByTestId('key-refused').textContent()).toMatch(/Incorrect admin key/);
    await watched.screenshot('access-key-refused');
    await signIn(watched, API_KEY);
    await poll(() => page.getByTestId('key-refused').textContent()).toMatch(/client key \(TROSYN_API_KEY\) does not open it/);
    await signIn(watched, ADMIN_KEY);
    await poll(() => page.getByTestId('node-name').textContent()).toBe('Front desk');
    // Kept for the session: a reload does not ask again.
    await page.reload();
    await poll(() => page.getByTestId('node-name').textContent()).toBe('Front desk');
    expect(watched.offLoopback()).toEqual([]);
  });

  it('without an admin key opens on loopback only, says so, and refuses a forwarded request', async () => {
    const local = await open(b);
    await local.page.getByTestId('loopback-notice').waitFor();
    expect(await local.page.getByTestId('node-name').textContent()).toBe('Back office');
    const forwarded = await open(b, { extraHTTPHeaders: { 'x-forwarded-for': '192.0.2.7' } });
    await forwarded.page.getByTestId('loopback-only').waitFor();
    expect(await forwarded.page.getByTestId('loopback-only').textContent()).toMatch(/TROSYN_ADMIN_KEY/);
    await forwarded.screenshot('access-loopback-only');
    expect([...local.offLoopback(), ...forwarded.offLoopback()]).toEqual([]);
  });

  it('loads every view with no request leaving 127.0.0.1', async () => {
    const watched = await openSignedIn();
    const { page } = watched;

    await showView(watched, 'Node');
    await poll(() => page.getByTestId('model-card').textContent()).toMatch(/llama/);
    expect(await page.getByTestId('model-card').textContent()).toMatch(/stories260K-chat/);
    expect(await page.getByTestId('model-card').textContent()).toMatch(/JinjaTemplate \(the file's own template\)/);
    expect(await page.getByTestId('model-card').textContent()).toMatch(/batch size\d[\d,]* tokens per decode/);
    expect(await page.getByTestId('slots').textContent()).toMatch(/0 \/ 1/);
    await watched.screenshot('view-node');

    await showView(watched, 'Peers');
    // C has another shared secret: it refuses our handshake, and the console says so.
    await page.locator('[data-testid="peer-row"][data-state="refused"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="peer-row"][data-state="refused"]').textContent()).toMatch(/refuses us/);
    await page.locator('[data-testid="peer-row"][data-state="idle"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('sync-now').click();
    await poll(() => page.getByTestId('sync-report').locator('li').count()).toBe(2);
    expect(await page.getByTestId('sync-report').textContent()).toMatch(/pulled \d+.*handshake-refused/s);
    // One peer's own button: a round with that peer only.
    const bId = (await b.api<{ node_id: string }>('GET', '/api/v1/sync/status')).node_id;
    await page.locator('[data-testid="peer-row"][data-state="idle"]').getByTestId('sync-peer').click();
    await poll(() => page.getByTestId('sync-report').locator('li').count()).toBe(1);
    expect(await page.getByTestId('sync-report').textContent()).toMatch(new RegExp(`${bId}: pulled \\d+`));
    await expect(a.api('POST', '/api/v1/sync/now?peer=nobody', undefined, ADMIN_KEY)).rejects.toThrow(/404 .*peer_not_found/);
    // The pool as A sees it: its mode, and B's advertisement (no model, fresh). C refuses us, so it advertises nothing.
    await poll(() => page.getByTestId('pool-mode').textContent()).toBe('fallback');
    const poolRow = page.locator('[data-testid="pool-peer"]', { hasText: 'Back office' });
    await poolRow.waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="pool-peer"]').count()).toBe(1);
    expect(await poolRow.getAttribute('data-stale')).toBe('false');
    expect(await poolRow.textContent()).toContain(bId);
    expect(await poolRow.getByTestId('pool-models').textContent()).toBe('no chat model');
    expect(await poolRow.getByTestId('pool-age').textContent()).toMatch(/^ \d\.\d s ago$/);
    expect(await page.getByTestId('pool-card').textContent()).toMatch(/every 1000 ms.*older than 5000 ms is stale/);
    await watched.screenshot('view-peers');

    await showView(watched, 'Conflicts');
    await page.locator('[data-testid="no-conflicts"], [data-testid="conflict"]').first().waitFor();
    await showView(watched, 'Items');
    await page.getByTestId('item-search').waitFor();
    await showView(watched, 'Activity');
    await page.getByText('live', { exact: true }).waitFor();
    await page.getByTestId('recent-requests').waitFor();
    await showView(watched, 'Playground');
    await page.getByTestId('chat-input').waitFor();
    await watched.screenshot('view-playground-empty');

    expect(watched.requests.length).toBeGreaterThan(10);
    expect(watched.offLoopback()).toEqual([]);
  });

  it("shows, on a peer's console, what this node advertises to the pool: its model, free slots, queue and embedding load", async () => {
    // A's embedder (over its chat model) has run once, so its load is advertised with real figures.
    const embedded = await fetch(`${a.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ input: 'The pool shows this' }),
    });
    expect(embedded.status).toBe(200);
    const aHealth = await a.api<{ queue: { max: number }; sync: { node_id: string } }>('GET', '/health');
    // B's own console (no admin key: it opens on loopback).
    const watched = await open(b);
    const { page } = watched;
    await page.getByTestId('loopback-notice').waitFor();
    await showView(watched, 'Peers');
    const row = page.locator('[data-testid="pool-peer"]', { hasText: 'Front desk' });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain(aHealth.sync.node_id);
    expect(await row.getByTestId('pool-models').textContent()).toBe(`stories260K-chat: 1 / 1 free, queue 0 / ${aHealth.queue.max}`);
    await poll(() => row.getByTestId('pool-embedding').textContent()).toBe('stories260K-chat: 1 / 1 free, queue 0');
    expect(await row.getAttribute('data-stale')).toBe('false');
    expect(await page.getByTestId('pool-mode').textContent()).toBe('fallback');
    await watched.screenshot('view-peers-pool');
    expect(watched.offLoopback()).toEqual([]);
  });

  it('acknowledges conflicts made by concurrent writes on two real nodes, one and then many', async () => {
    const ids = ['budget-q2', 'budget-q3', 'budget-q4'];
    for (const id of ids) await a.api('POST', '/api/v1/items', { id, type: 'budget', data: { title: id, amount: 1000 } }, ADMIN_KEY);
    for (const id of ids) await eventually(`${id} on B`, () => b.api('GET', `/api/v1/items/${id}`).catch(() => undefined));
    // Partition: B is down while A edits; B edits while it cannot sync; then they meet again.
    await b.stop();
    for (const id of ids) await a.api('PUT', `/api/v1/items/${id}`, { type: 'budget', data: { title: id, amount: 1200, approved_by: 'Ana' } }, ADMIN_KEY);
    await b.start({ syncEnabled: false });
    for (const id of ids) await b.api('PUT', `/api/v1/items/${id}`, { type: 'budget', data: { title: `${id} (revised)`, amount: 950 } });
    await b.stop();
    await b.start();
    type ConflictList = { data: { item_id: string; acknowledged_at: string | null }[] };
    await eventually('the conflicts on A', async () => {
      await a.api('POST', '/api/v1/sync/now', undefined, ADMIN_KEY);
      const list = await a.api<ConflictList>('GET', '/api/v1/conflicts?unacknowledged=true', undefined, ADMIN_KEY);
      return ids.every((id) => list.data.some((conflict) => conflict.item_id === id)) ? true : undefined;
    });

    const watched = await openSignedIn();
    const { page } = watched;
    await showView(watched, 'Conflicts');
    // Filtered by item: only that item's conflicts are listed (how many entries one item gets
    // depends on which side's round met the other's version first, so the test counts them).
    const logged = await a.api<ConflictList>('GET', '/api/v1/conflicts?unacknowledged=true&item_id=budget-q3', undefined, ADMIN_KEY);
    const ofQ3 = logged.data.length;
    expect(ofQ3).toBeGreaterThan(0);
    const filter = page.getByTestId('conflict-item-filter');
    await filter.fill('budget-q3');
    // Regression: the list's next poll re-rendered the controlled input with the applied value,
    // wiping what was typed before Enter. Let a poll land between typing and Enter.
    await page.waitForResponse((response) => response.url().includes('/api/v1/conflicts?'), { timeout: 15_000 });
    expect(await filter.inputValue()).toBe('budget-q3');
    await filter.press('Enter');
    await filter.blur();
    const others = page.locator('[data-testid="conflict"]:not([data-item-id="budget-q3"])');
    await poll(async () => [await others.count(), await page.getByTestId('conflict').count()]).toEqual([0, ofQ3]);
    const entry = page.locator('[data-testid="conflict"][data-item-id="budget-q3"]').first();
    await entry.getByRole('button', { name: /budget-q3/ }).click();
    const diff = entry.getByTestId('version-diff');
    await diff.waitFor();
    // Both versions and the result side by side, the differing leaves marked.
    expect(await diff.textContent()).toMatch(/"Ana"/);
    expect(await diff.textContent()).toMatch(/"budget-q3 \(revised\)"/);
    expect(await diff.locator('tr.differs').count()).toBeGreaterThanOrEqual(3);
    await watched.screenshot('view-conflicts-diff');
    // One acknowledged on its own: it leaves the unacknowledged list.
    await entry.getByTestId('acknowledge-one').click();
    await poll(() => page.getByTestId('conflict').count()).toBe(ofQ3 - 1);

    // The rest, selected together.
    await filter.fill('');
    await filter.press('Enter');
    await filter.blur();
    await poll(async () => (await page.getByTestId('conflict').count()) >= 2).toBe(true);
    await page.getByRole('button', { name: 'Select all shown' }).click();
    await page.getByTestId('acknowledge-selected').click();
    await page.getByTestId('no-conflicts').waitFor();

    const after = await a.api<ConflictList>('GET', '/api/v1/conflicts', undefined, ADMIN_KEY);
    for (const id of ids) {
      const logged = after.data.filter((conflict) => conflict.item_id === id);
      expect(logged.length, id).toBeGreaterThan(0);
      expect(logged.every((conflict) => conflict.acknowledged_at !== null), id).toBe(true);
    }
    expect(watched.offLoopback()).toEqual([]);
  }, 120_000);

  it('recovers a deleted item and restores an older version, both replicated to the peer', async () => {
    await a.api('POST', '/api/v1/items', { id: 'memo-42', type: 'memo', data: { text: 'first draft' } }, ADMIN_KEY);
    await a.api('PUT', '/api/v1/items/memo-42', { type: 'memo', data: { text: 'final text' } }, ADMIN_KEY);
    await a.api('DELETE', '/api/v1/items/memo-42', undefined, ADMIN_KEY);
    await eventually('the deletion on B', async () => ((await b.api<{ deleted: boolean }>('GET', '/api/v1/items/memo-42?include_deleted=true')).deleted ? true : undefined));

    const watched = await openSignedIn();
    const { page } = watched;
    await showView(watched, 'Items');
    // Browsing by type: the memo is listed (deleted, struck through), the budgets are not.
    await page.getByTestId('type-filter').fill('memo');
    await page.getByTestId('type-filter').press('Enter');
    await poll(() => page.getByTestId('item-link').allTextContents()).toEqual(['memo-42']);
    await page.getByTestId('item-search').fill('memo-42');
    await page.getByRole('button', { name: 'Open' }).click();
    const detail = page.getByTestId('item-detail');
    await detail.getByText('deleted', { exact: true }).waitFor();
    await watched.screenshot('view-items-deleted');
    await detail.getByTestId('recover').click();
    await detail.getByTestId('restore-message').waitFor();
    await poll(async () => (await a.api<{ data: unknown }>('GET', '/api/v1/items/memo-42', undefined, ADMIN_KEY)).data).toEqual({ text: 'final text' });
    await poll(async () => (await b.api<{ data: unknown }>('GET', '/api/v1/items/memo-42').catch(() => ({ data: null }))).data, { timeout: 20_000 }).toEqual({
      text: 'final text',
    });
    // The console shows it back, then restores the first draft from the history.
    await poll(() => detail.locator('pre.json').first().textContent()).toMatch(/final text/);
    const firstDraft = detail.getByTestId('history-entry').filter({ hasText: 'first draft' });
    await firstDraft.getByTestId('restore-version').click();
    await poll(async () => (await a.api<{ data: unknown }>('GET', '/api/v1/items/memo-42', undefined, ADMIN_KEY)).data).toEqual({ text: 'first draft' });
    await poll(async () => (await b.api<{ data: unknown }>('GET', '/api/v1/items/memo-42')).data, { timeout: 20_000 }).toEqual({ text: 'first draft' });
    await poll(() => detail.locator('pre.json').first().textContent()).toMatch(/first draft/);
    await watched.screenshot('view-items-restored');
    expect(watched.offLoopback()).toEqual([]);
  }, 120_000);

  it('shows local and replicated writes live in the change feed', async () => {
    const watched = await openSignedIn();
    const { page } = watched;
    await showView(watched, 'Activity');
    await page.getByText('live', { exact: true }).waitFor();
    const bId = (await b.api<{ node_id: string }>('GET', '/api/v1/sync/status')).node_id;
    await b.api('POST', '/api/v1/items', { id: 'note-from-b', type: 'note', data: { text: 'written on B' } });
    await a.api('POST', '/api/v1/items', { id: 'note-from-a', type: 'note', data: { text: 'written on A' } }, ADMIN_KEY);
    const feed = page.getByTestId('change-feed');
    await poll(() => feed.getByTestId('change').filter({ hasText: 'note-from-b' }).textContent(), { timeout: 20_000 }).toContain(`from ${bId}`);
    await poll(() => feed.getByTestId('change').filter({ hasText: 'note-from-a' }).textContent()).toContain('local');
    expect(watched.offLoopback()).toEqual([]);
  }, 60_000);

  it('streams a chat in the playground, then lists the request with its tokens', async () => {
    const watched = await openSignedIn();
    const { page } = watched;
    await showView(watched, 'Playground');
    await page.getByTestId('system-prompt').fill('You tell short stories.');
    await page.getByTestId('max-tokens').fill('200');
    // Temperature 0: the tiny model's answer is the same every run (at 0.7 it may stop at once).
    await page.getByTestId('temperature').fill('0');
    // Every length the reply takes while it streams: more than one proves it arrives in pieces.
    // (Browser code as text: this package's TypeScript has no DOM types.)
    await page.evaluate(`
      window.replyLengths = new Set();
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="streaming-reply"]')?.textContent;
        if (text) window.replyLengths.add(text.length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);
    const request = page.waitForRequest((req) => req.url().endsWith('/v1/chat/completions'));
    await page.getByTestId('chat-input').fill('Once upon a time');
    await page.getByTestId('chat-send').click();
    const body = (await request).postDataJSON() as { stream: boolean; max_tokens: number; temperature: number; messages: { role: string; content: string }[] };
    expect(body).toMatchObject({ stream: true, max_tokens: 200, temperature: 0, messages: [{ role: 'system', content: 'You tell short stories.' }, { role: 'user', content: 'Once upon a time' }] });
    const reply = page.getByTestId('turn-assistant');
    await reply.waitFor({ timeout: 60_000 });
    expect((await reply.textContent())!.trim().length).toBeGreaterThan(0);
    await poll(() => page.getByTestId('chat-stats').textContent()).toMatch(/\d+ prompt \+ 200 completion tokens.*finish: length/);
    const lengths = (await page.evaluate('[...window.replyLengths]')) as number[];
    expect(lengths.filter((length) => length > 1).length).toBeGreaterThan(1);
    await watched.screenshot('view-playground');

    await showView(watched, 'Activity');
    const row = page.getByTestId('recent-requests').locator('tr', { hasText: 'POST /v1/chat/completions' }).first();
    await poll(() => row.textContent()).toMatch(/200.*completed.*\d+ → \d+/);
    await watched.screenshot('view-activity');
    expect(watched.offLoopback()).toEqual([]);
  }, 120_000);

  it('shows a model download in progress, then the model loaded', async () => {
    // The model comes from a URL on 127.0.0.1 that sends 40 % of the file, then waits for the test.
    const model = readFileSync(resolve(testModelsDir(), 'stories260K-chat.gguf'));
    const held = Math.floor(model.length * 0.4);
    let release!: () => void;
    const released = new Promise<void>((done) => (release = done));
    const modelServer = createServer((request, response) => {
      response.writeHead(200, { 'content-length': model.length, 'content-type': 'application/octet-stream' });
      if (request.method === 'HEAD') return void response.end();
      response.write(model.subarray(0, held));
      void released.then(() => response.end(model.subarray(held)));
    });
    await new Promise<void>((done) => modelServer.listen(0, '127.0.0.1', done));
    const home = mkdtempSync(resolve(tmpdir(), 'trosyn-console-home-'));
    const address = modelServer.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    // HOME: node-llama-cpp downloads into ~/.node-llama-cpp/models, here a temporary folder.
    const d = new ConsoleNode({
      name: 'New machine',
      secret: SECRET,
      syncPort: await freePort(),
      syncEnabled: false,
      env: { HOME: home, LLM_MODEL_PATH: `http://127.0.0.1:${address.port}/stories260K-chat.gguf` },
    });
    try {
      await d.start();
      const watched = await open(d);
      const { page } = watched;
      const download = page.getByTestId('model-download');
      await download.waitFor({ timeout: 30_000 });
      expect(await download.textContent()).toMatch(/downloaded 474.2 kB of 1\.19 MB\s*40 %/);
      expect(await page.getByTestId('model-card').textContent()).toMatch(/downloading/);
      await watched.screenshot('view-node-model-downloading');
      release();
      await poll(() => page.getByTestId('model-card').textContent(), { timeout: 30_000 }).toMatch(/loaded.*llama/);
      expect(watched.offLoopback()).toEqual([]);
    } finally {
      release();
      await d.dispose();
      modelServer.close();
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('asks for the key again when the node no longer takes it (its admin key was changed)', async () => {
    const port = await freePort();
    const e = new ConsoleNode({ name: 'Rekeyed', secret: SECRET, syncPort: await freePort(), syncEnabled: false, env: { TROSYN_PORT: String(port) } });
    try {
      await e.start({ env: { TROSYN_ADMIN_KEY: 'first-admin-key-1' } });
      const watched = await open(e);
      await signIn(watched, 'first-admin-key-1');
      await watched.page.getByTestId('node-name').waitFor();
      await e.stop();
      await e.start({ env: { TROSYN_ADMIN_KEY: 'second-admin-key-2' } });
      // The Node view's next read of an admin route gets 401: back to the key form, saying why.
      await poll(() => watched.page.getByTestId('key-refused').textContent(), { timeout: 20_000 }).toMatch(/Incorrect admin key/);
      await signIn(watched, 'second-admin-key-2');
      await poll(() => watched.page.getByTestId('node-name').textContent()).toBe('Rekeyed');
      expect(watched.offLoopback()).toEqual([]);
    } finally {
      await e.dispose();
    }
  }, 90_000);

  // Last: it stops B.
  it('marks a peer whose advertisement has gone stale (the peer stopped answering)', async () => {
    const watched = await openSignedIn();
    const { page } = watched;
    await showView(watched, 'Peers');
    const row = page.locator('[data-testid="pool-peer"]', { hasText: 'Back office' });
    await poll(() => row.getAttribute('data-stale')).toBe('false');
    await b.stop();
    // A asks every second; after 5 s without an answer the advertisement is stale, and kept with its age.
    await poll(() => row.getAttribute('data-stale'), { timeout: 30_000 }).toBe('true');
    expect(await row.getByTestId('pool-age').textContent()).toMatch(/^stale \d+(\.\d)? s ago \(stale after 5\.0 s\)$/);
    await watched.screenshot('view-peers-pool-stale');
    expect(watched.offLoopback()).toEqual([]);
  }, 60_000);
});
