import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, type DownloadProgress } from '../src/index.js';
import { testModel } from './test-models.js';

// A model URL on 127.0.0.1 that sends the file in slices, so a download takes several steps.
let server: Server;
let url: string;
const model = readFileSync(testModel('stories260K-chat.gguf'));
const directory = mkdtempSync(path.join(tmpdir(), 'trosyn-llm-download-'));

beforeAll(async () => {
  server = createServer((request, response) => {
    response.writeHead(200, { 'content-length': model.length, 'content-type': 'application/octet-stream' });
    if (request.method === 'HEAD') return void response.end();
    let offset = 0;
    const timer = setInterval(() => {
      const slice = model.subarray(offset, offset + 256 * 1024);
      offset += slice.length;
      if (slice.length > 0) response.write(slice);
      else {
        clearInterval(timer);
        response.end();
      }
    }, 20);
    response.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}/stories-download.gguf`;
});

afterAll(() => {
  server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('LlmEngine.load with a model URL', () => {
  it('reports the download as it progresses, then loads the downloaded file', async () => {
    const progress: DownloadProgress[] = [];
    const engine = await LlmEngine.load({ modelPath: url, modelsDirectory: directory, onDownloadProgress: (step) => progress.push(step) });
    try {
      expect(progress.length).toBeGreaterThan(2);
      const downloaded = progress.map((step) => step.downloadedBytes);
      expect(downloaded).toEqual([...downloaded].sort((a, b) => a - b));
      expect(downloaded.some((bytes) => bytes > 0 && bytes < model.length)).toBe(true);
      expect(progress.at(-1)).toEqual({ downloadedBytes: model.length, totalBytes: model.length });
      expect(engine.info.fileSizeBytes).toBe(model.length);
      expect(engine.info.path.startsWith(directory)).toBe(true);
    } finally {
      await engine.dispose();
    }
  });

  it('reports nothing for a file already downloaded', async () => {
    const progress: DownloadProgress[] = [];
    const engine = await LlmEngine.load({ modelPath: url, modelsDirectory: directory, onDownloadProgress: (step) => progress.push(step) });
    await engine.dispose();
    expect(progress).toEqual([]);
  });
});
