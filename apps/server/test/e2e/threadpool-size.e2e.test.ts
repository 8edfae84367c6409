import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServerProcess, testModelsDir } from './server-process.js';

/** How many libuv pool threads the process `pid` has (Linux: the threads' names in /proc). */
function poolThreads(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).filter((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim() === 'libuv-worker';
    } catch {
      return false; // the thread ended meanwhile
    }
  }).length;
}

// #19: node-llama-cpp runs each decode on libuv's pool; the node runs it with one pool thread
// (src/threadpool-size.ts), set before the pool starts, unless the operator chose a size.
describe.runIf(process.platform === 'linux')("the node's libuv thread pool", () => {
  it('has one thread once a model is loaded and has generated, and the size the operator sets', async () => {
    const env = { LLM_MODEL_PATH: `${testModelsDir()}/stories260K.gguf` };
    const node = await startServerProcess({ env, waitForModel: true });
    try {
      const response = await fetch(`${node.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'stories260K', prompt: 'Once upon a time', max_tokens: 8 }),
      });
      expect(response.status).toBe(200);
      expect(poolThreads(node.child.pid!)).toBe(1);
    } finally {
      await node.stop();
    }
    const chosen = await startServerProcess({ env: { ...env, UV_THREADPOOL_SIZE: '3' }, waitForModel: true });
    try {
      expect(poolThreads(chosen.child.pid!)).toBe(3);
    } finally {
      await chosen.stop();
    }
  });
});
