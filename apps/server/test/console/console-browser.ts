import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where the console tests save their screenshots (git-ignored). */
export const screenshotDir = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));

/** Starts headless Chromium with no background traffic of its own (updates, sync, QUIC probes). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records the URL of every request it makes, to prove none leaves 127.0.0.1. */
export interface WatchedPage {
  readonly page: Page;
  /** Every requested URL, in order. */
  readonly requests: string[];
  /** Requests whose host is not 127.0.0.1 (`data:` URLs are not requests on the network). */
  offLoopback(): string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens a page in a fresh context (its own sessionStorage) that records its requests. */
export async function openWatchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  mkdirSync(screenshotDir, { recursive: true });
  return {
    page,
    requests,
    offLoopback: () => requests.filter((url) => !url.startsWith('data:') && new URL(url).hostname !== '127.0.0.1'),
    screenshot: async (name) => {
      await page.screenshot({ path: resolve(screenshotDir, `${name}.png`), fullPage: true });
    },
    close: () => context.close(),
  };
}
