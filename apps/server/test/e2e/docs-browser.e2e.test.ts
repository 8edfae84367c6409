import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ModelHost } from '../../src/model-host.js';
import { launchChromium, openWatchedPage, type WatchedPage } from '../console/console-browser.js';
import { FakeEngine } from '../fake-engine.js';

// The docs pages in real Chromium, served by the app on 127.0.0.1 around a test double of the
// engine (these tests are about the pages, not the model). A request leaving 127.0.0.1 is
// recorded and aborted, never sent.
let server: Server;
let url: string;
let browser: Browser;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  server = createAdaptorServer({ fetch: createApp({ model: ModelHost.fromEngine(new FakeEngine()) }).fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  for (const watched of pages) await watched.close();
  await browser?.close();
  server?.close();
});

async function open(path: string): Promise<WatchedPage> {
  const watched = await openWatchedPage(browser);
  pages.push(watched);
  await watched.page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  await watched.page.goto(`${url}${path}`);
  return watched;
}

describe('the API docs in Chromium', () => {
  // Regression (issue 15): ReDoc's footer showed Redocly's logo from cdn.redoc.ly.
  it('renders /redoc, its footer logo included, without a request outside the node', async () => {
    const watched = await open('/redoc');
    await watched.page.locator('img[alt="redocly logo"]').waitFor({ timeout: 30_000 });
    // Evaluated in the page (scripts as text: this project compiles without the DOM types).
    await expect.poll(() => watched.page.evaluate('(() => { const image = document.querySelector(\'img[alt="redocly logo"]\'); return image.complete && image.naturalWidth > 0; })()'), { timeout: 15_000 }).toBe(true);
    await watched.page.getByText('Create embeddings').first().waitFor({ state: 'attached' });
    expect(watched.offLoopback()).toEqual([]);
    expect(watched.requests.some((request) => request.endsWith('/redoc/logo-mini.svg'))).toBe(true);
  });

  // Regression (issue 15): "Try it out" on POST /v1/chat/completions sent Swagger UI's
  // schema-generated body (`model: "string"`, `logit_bias` placeholders) and got a 400.
  it.each([
    ['post_v1_chat_completions', 'chat.completion'],
    ['post_v1_completions', 'text_completion'],
    ['post_v1_embeddings', '"embedding"'],
  ])('executes the pre-filled example of %s in Swagger UI with a 200', async (operation, expected) => {
    const watched = await open('/docs');
    const block = watched.page.locator(`#operations-OpenAI-${operation}`);
    await block.locator('.opblock-summary').click({ timeout: 30_000 });
    await block.getByRole('button', { name: 'Try it out' }).click();
    await block.getByRole('button', { name: 'Execute' }).click();
    const status = block.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('200');
    expect(await block.locator('.live-responses-table .microlight').first().textContent()).toContain(expected);
    expect(watched.offLoopback()).toEqual([]);
  });

  it('serves the icon browsers ask for', async () => {
    const watched = await open('/redoc');
    // Playwright's request interception does not pass favicon requests through (they fail as
    // "Failed to fetch"); this page only asks the node for its icon from here on.
    await watched.page.unroute('**/*');
    const size = await watched.page.evaluate(
      "(async () => { const image = new Image(); image.src = '/favicon.ico'; await image.decode(); return [image.naturalWidth, image.naturalHeight]; })()",
    );
    expect(size).toEqual([32, 32]);
  });
});
