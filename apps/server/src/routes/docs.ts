import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../request-scope.js';

const require = createRequire(import.meta.url);

interface Asset {
  readonly file: string;
  readonly type: string;
  /** Rewrites the file's text once, when it is first served. */
  readonly rewrite?: (text: string) => string;
}

// ReDoc's footer shows a logo from Redocly's CDN: a request leaving the office LAN (and a
// broken image offline). The bundle is served with that address pointing at a local image.
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const LOCAL_LOGO = '/redoc/logo-mini.svg';
const localLogo = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
<rect width="16" height="16" rx="3" fill="#0f766e"/><path d="M4 4h8v2H9v7H7V6H4z" fill="#fff"/></svg>
`;

// Served from the npm packages themselves: the docs work on an offline LAN, with no CDN.
const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'));
const assets: Readonly<Record<string, Asset>> = {
  '/docs/swagger-ui.css': { file: join(swaggerDir, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  '/docs/swagger-ui-bundle.js': { file: join(swaggerDir, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
  '/docs/favicon-32x32.png': { file: join(swaggerDir, 'favicon-32x32.png'), type: 'image/png' },
  '/redoc/redoc.standalone.js': {
    file: require.resolve('redoc/bundles/redoc.standalone.js'),
    type: 'text/javascript; charset=utf-8',
    rewrite: (text) => text.replaceAll(REDOC_CDN_LOGO, LOCAL_LOGO),
  },
};

const swaggerPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Trosyn API — Swagger UI</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true });
</script>
</body>
</html>
`;

const redocPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Trosyn API — ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="/redoc/redoc.standalone.js"></script>
</body>
</html>
`;

/**
 * `/openapi.json` (the one OpenAPI document), `/docs` (Swagger UI) and `/redoc` (ReDoc), with
 * their scripts served from `swagger-ui-dist` and `redoc` — nothing is fetched from outside the node.
 */
export function docsRoute(openApiDocument: object): Hono<AppEnv> {
  const cache = new Map<string, Buffer>();
  const app = new Hono<AppEnv>()
    .get('/openapi.json', (c) => c.json(openApiDocument))
    .get('/docs', (c) => c.html(swaggerPage))
    .get('/redoc', (c) => c.html(redocPage))
    .get(LOCAL_LOGO, (c) => c.body(localLogo, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }));
  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, async (c) => {
      let content = cache.get(path);
      if (content === undefined) {
        content = await readFile(asset.file);
        if (asset.rewrite !== undefined) content = Buffer.from(asset.rewrite(content.toString('utf8')), 'utf8');
        cache.set(path, content);
      }
      return c.body(new Uint8Array(content), 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' });
    });
  }
  return app;
}
