// `pnpm --filter @trosyn/server bench:pool` (after `pnpm build`): the same streamed chat served by
// a node itself against the same chat sent to a second node without a model (LLM_POOL=fallback),
// which forwards it over the sealed peer channel. Two real server processes on 127.0.0.1,
// alternating requests; prints the median time to first token and tokens/s of each side by side,
// the added time to first token (target < 5 ms) and the throughput ratio (target within 5 %).
// Asserts nothing. Every process started here is killed.
//
//   BENCH_POOL_MODEL   the GGUF (default: stories260K-chat of the test models)
//   BENCH_POOL_REPS    requests per side (default 8)
//   BENCH_POOL_TOKENS  max_tokens per request (default 128)
//   BENCH_POOL_BURST   streams sent at once, to each side, after the alternating runs (default 24): all
//                      forwarded ones share one sealed session, so none may be refused; wall time side by side
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const serverDir = path.resolve(import.meta.dirname, '..');
const modelsDir = process.env['TROSYN_TEST_MODELS_DIR'] ?? path.resolve(serverDir, '../../../shared/models');
const MODEL = process.env['BENCH_POOL_MODEL'] ?? path.join(modelsDir, 'stories260K-chat.gguf');
const REPS = Number(process.env['BENCH_POOL_REPS'] ?? 8);
const TOKENS = Number(process.env['BENCH_POOL_TOKENS'] ?? 128);
const BURST = Number(process.env['BENCH_POOL_BURST'] ?? 24);

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

interface Node {
  readonly url: string;
  readonly child: ChildProcess;
}

async function startNode(name: string, env: Record<string, string>, dir: string): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(serverDir, 'dist/main.js')], {
    cwd: serverDir,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TROSYN_DATA_DIR: path.join(dir, name), TROSYN_HOST: '127.0.0.1', TROSYN_PORT: String(port), LAN_SYNC_NODE_NAME: name, LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_MDNS: 'false', LLM_THREADS: '1', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One streamed chat: time to the first content delta, and completion tokens per second after it. */
async function streamOnce(url: string): Promise<{ ttftMs: number; tokensPerSecond: number; servedBy: string | null }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Tell me a story about a dog.' }], max_tokens: TOKENS, temperature: 0, logit_bias: { '2': -100 }, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  let first: number | undefined;
  let tokens = 0;
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    if (first === undefined && text.includes('"content":"')) first = performance.now();
    const usage = /"completion_tokens":(\d+)/.exec(text);
    if (usage !== null) tokens = Number(usage[1]);
  }
  const ended = performance.now();
  return { ttftMs: first! - started, tokensPerSecond: (tokens - 1) / ((ended - first!) / 1000), servedBy: response.headers.get('x-trosyn-served-by') };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const dir = mkdtempSync(path.join(tmpdir(), 'trosyn-bench-pool-'));
const secret = `bench-${randomBytes(16).toString('hex')}`;
const nodes: Node[] = [];
try {
  const syncPort = await freePort();
  const serving = await startNode('serving', { LLM_MODEL_PATH: MODEL, LAN_SYNC_SHARED_SECRET: secret, LAN_SYNC_PORT: String(syncPort), LLM_POOL: 'fallback' }, dir);
  nodes.push(serving);
  const forwarding = await startNode('forwarding', { LLM_MODEL_PATH: path.join(dir, 'none.gguf'), LLM_MODEL_SHARE: 'false', LLM_POOL: 'fallback', LAN_SYNC_SHARED_SECRET: secret, LAN_SYNC_PORT: String(await freePort()), LAN_SYNC_PEERS: `127.0.0.1:${syncPort}` }, dir);
  nodes.push(forwarding);
  await until('the serving node to load its model', async () => ((await (await fetch(`${serving.url}/health`)).json()) as { model: { status: string } }).model.status === 'loaded');
  await until('the forwarding node to list the model', async () => ((await (await fetch(`${forwarding.url}/v1/models`)).json()) as { data: unknown[] }).data.length > 0);
  // Warm-up: the channel's handshake and the prompt cache, on both paths.
  await streamOnce(serving.url);
  await streamOnce(forwarding.url);
  const local: { ttftMs: number; tokensPerSecond: number }[] = [];
  const forwarded: { ttftMs: number; tokensPerSecond: number }[] = [];
  for (let rep = 0; rep < REPS; rep += 1) {
    local.push(await streamOnce(serving.url));
    const through = await streamOnce(forwarding.url);
    if (through.servedBy !== 'serving') throw new Error(`the forwarded request was served by ${through.servedBy}`);
    forwarded.push(through);
  }
  const row = (name: string, runs: { ttftMs: number; tokensPerSecond: number }[]) =>
    `${name.padEnd(22)} ${median(runs.map((run) => run.ttftMs)).toFixed(2).padStart(10)} ms ${median(runs.map((run) => run.tokensPerSecond)).toFixed(0).padStart(8)} tok/s`;
  console.log(`pooled inference: ${path.basename(MODEL)}, ${TOKENS} tokens streamed, ${REPS} alternating requests per side (medians)`);
  console.log(`${''.padEnd(22)} ${'TTFT'.padStart(13)} ${'throughput'.padStart(14)}`);
  console.log(row('local (node itself)', local));
  console.log(row('forwarded (via peer)', forwarded));
  const addedTtft = median(forwarded.map((run) => run.ttftMs)) - median(local.map((run) => run.ttftMs));
  const ratio = median(forwarded.map((run) => run.tokensPerSecond)) / median(local.map((run) => run.tokensPerSecond));
  console.log(`added time to first token: ${addedTtft.toFixed(2)} ms (target < 5 ms); forwarded throughput: ${(ratio * 100).toFixed(1)} % of local (target ≥ 95 %)`);
  // A burst: BURST streams at once to each side (the serving node queues them behind its slot).
  const burst = async (url: string): Promise<{ wallMs: number; served: number }> => {
    const started = performance.now();
    const runs = await Promise.allSettled(Array.from({ length: BURST }, () => streamOnce(url)));
    return { wallMs: performance.now() - started, served: runs.filter((run) => run.status === 'fulfilled' && run.value.servedBy === 'serving').length };
  };
  const localBurst = await burst(serving.url);
  const forwardedBurst = await burst(forwarding.url);
  console.log(`${BURST} streams at once: local ${localBurst.served}/${BURST} answered in ${(localBurst.wallMs / 1000).toFixed(2)} s; forwarded ${forwardedBurst.served}/${BURST} in ${(forwardedBurst.wallMs / 1000).toFixed(2)} s (${((forwardedBurst.wallMs / localBurst.wallMs) * 100).toFixed(1)} % of local's time)`);
} finally {
  for (const node of nodes) node.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
