import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../request-scope.js';

const require = createRequire(import.meta.url);

/** Where the console's built assets are: the `dist` folder of the `@trosyn/console` package. */
export function consoleAssetsDir(): string {
  return join(dirname(require.resolve('@trosyn/console/package.json')), 'dist');
}

const contentTypes: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

// The page may talk to this node only: no script, style, image or connection elsewhere.
const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

// Vite names assets by content hash (`index-B0FQhpiL.js`): a name never serves two contents.
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[a-z0-9]+$/;

/** Options of {@link consoleRoute}. */
export interface ConsoleRouteOptions {
  /** The built console (`index.html`, `assets/`). Default: {@link consoleAssetsDir}. */
  readonly assetsDir?: string;
}

/**
 * The operator console at `/console` (a single page; its views are in the URL's fragment) and
 * its assets under `/console/assets/`, all from the built `@trosyn/console` package: nothing is
 * loaded from the internet. `GET /` redirects to it. The page itself holds no data, so it is
 * public; what it shows comes from the admin and data routes, which check the admin key.
 */
export function consoleRoute(options: ConsoleRouteOptions = {}): Hono<AppEnv> {
  const dir = options.assetsDir ?? consoleAssetsDir();
  const cache = new Map<string, Buffer>();
  const load = async (file: string): Promise<Buffer | undefined> => {
    const cached = cache.get(file);
    if (cached !== undefined) return cached;
    try {
      const content = await readFile(join(dir, file));
      cache.set(file, content);
      return content;
    } catch {
      return undefined;
    }
  };
  const page = async (c: Context<AppEnv>): Promise<Response> => {
    const html = await load('index.html');
    if (html === undefined) {
      return c.text(`The console is not built: ${join(dir, 'index.html')} is missing. Run \`pnpm build\` at the repository root.\n`, 503);
    }
    return c.body(new Uint8Array(html), 200, pageHeaders);
  };
  return new Hono<AppEnv>()
    .get('/', (c) => c.redirect('/console/', 302))
    .get('/console', page)
    .get('/console/', page)
    .get('/console/assets/:name', async (c) => {
      const name = c.req.param('name');
      const type = contentTypes[extname(name)];
      const content = ASSET_NAME.test(name) && type !== undefined ? await load(join('assets', name)) : undefined;
      if (content === undefined) return c.text(`No console asset named ${name}.\n`, 404);
      return c.body(new Uint8Array(content), 200, { 'content-type': type!, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
    });
}
