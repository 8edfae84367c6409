import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { startServerProcess, testModelsDir, type ServerProcess } from '../e2e/server-process.js';

/** A free TCP port on 127.0.0.1 (a node's sync port must stay the same across its restarts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Settings of one test node. */
export interface ConsoleNodeOptions {
  readonly name: string;
  readonly secret: string;
  readonly syncPort: number;
  readonly peers?: readonly number[];
  readonly syncEnabled?: boolean;
  readonly model?: boolean;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A real server process on 127.0.0.1 with its own data directory, which survives restarts
 * (`restart`) so a node keeps its id and items, as an office machine does.
 */
export class ConsoleNode {
  readonly dataDir = mkdtempSync(resolve(tmpdir(), 'trosyn-console-node-'));
  #process: ServerProcess | undefined;

  constructor(readonly options: ConsoleNodeOptions) {}

  get url(): string {
    if (this.#process === undefined) throw new Error(`${this.options.name} is not running`);
    return this.#process.url;
  }

  /** Starts the process; `syncEnabled` and `env` override the node's settings for this run. */
  async start(overrides: { readonly syncEnabled?: boolean; readonly env?: Readonly<Record<string, string>> } = {}): Promise<void> {
    const { options } = this;
    const models = testModelsDir();
    this.#process = await startServerProcess({
      env: {
        LAN_SYNC_NODE_NAME: options.name,
        LAN_SYNC_ENABLED: String(overrides.syncEnabled ?? options.syncEnabled ?? true),
        LAN_SYNC_MDNS: 'false',
        LAN_SYNC_HOST: '127.0.0.1',
        LAN_SYNC_PORT: String(options.syncPort),
        LAN_SYNC_SHARED_SECRET: options.secret,
        LAN_SYNC_PEERS: (options.peers ?? []).map((port) => `127.0.0.1:${port}`).join(','),
        TROSYN_DATA_DIR: this.dataDir,
        LLM_MODEL_PATH: options.model === true ? resolve(models, 'stories260K-chat.gguf') : resolve(this.dataDir, 'no-model.gguf'),
        ...options.env,
        ...overrides.env,
      },
      waitForModel: options.model === true,
    });
  }

  async stop(): Promise<void> {
    await this.#process?.stop();
    this.#process = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** A JSON request to the node; throws with the body on a non-2xx answer. */
  async api<T>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== undefined) headers['authorization'] = `Bearer ${key}`;
    const response = await fetch(`${this.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} on ${this.options.name}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}
