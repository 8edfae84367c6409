import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, testModelsDir, type ServerProcess } from './server-process.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({
    env: { LLM_MODEL_PATH: resolve(testModelsDir(), 'stories260K-chat.gguf'), LLM_THREADS: '1', LLM_CONTEXT_SIZE: '512' },
    waitForModel: true,
  });
});

afterAll(async () => {
  await server?.stop();
});

interface Operation {
  readonly parameters?: readonly { readonly name: string; readonly in: string }[];
  readonly requestBody?: { readonly content: Record<string, { readonly example?: unknown }> };
}

describe("the API docs' pre-filled examples on a real server", () => {
  // Regression (issue 15): Swagger UI's "Try it out" on POST /v1/chat/completions sent the body it
  // built from the schema (`model: "string"`, `logit_bias: {"additionalProp1": 0}`, …) and got a 400.
  it('gives every POST route a request example that succeeds as sent', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, { post?: Operation }> };
    const posts = Object.entries(document.paths).filter(([, item]) => item.post !== undefined);
    expect(posts.map(([path]) => path)).toContain('/v1/chat/completions');
    // Routes on one item need an item that exists and has a history: make one, edit it once.
    const created = (await (await fetch(`${server.url}/api/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"note","data":"v1"}' })).json()) as { id: string };
    await fetch(`${server.url}/api/v1/items/${created.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"type":"note","data":"v2"}' });
    for (const [path, item] of posts) {
      const operation = item.post!;
      const content = operation.requestBody?.content['application/json'];
      if (operation.requestBody !== undefined) expect(content?.example, `${path} has no request example`).toBeDefined();
      const url = `${server.url}${path.replace('{id}', encodeURIComponent(created.id))}`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(content?.example === undefined ? {} : { body: JSON.stringify(content.example) }),
      });
      const text = await response.text();
      expect(response.status, `${path}: ${text}`).toBeGreaterThanOrEqual(200);
      expect(response.status, `${path}: ${text}`).toBeLessThan(300);
    }
  });
});
