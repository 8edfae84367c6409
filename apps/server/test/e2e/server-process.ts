import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = fileURLToPath(new URL('../..', import.meta.url));
const repoRoot = resolve(serverDir, '../..');
const mainJs = resolve(serverDir, 'dist/main.js');

/**
 * The directory with the real test models: `TROSYN_TEST_MODELS_DIR` (set by run_tests.sh),
 * else `models/` or `../shared/models` beside the repository. Fails loudly when there is none:
 * these tests must not pass silently without a model.
 */
export function testModelsDir(): string {
  const candidates = [process.env['TROSYN_TEST_MODELS_DIR'], resolve(repoRoot, 'models'), resolve(repoRoot, '../shared/models')];
  for (const dir of candidates) if (dir !== undefined && existsSync(resolve(dir, 'stories260K.gguf'))) return dir;
  throw new Error('No test models: set TROSYN_TEST_MODELS_DIR to a folder holding stories260K.gguf and stories260K-chat.gguf.');
}

/** A server started as a real process (`node dist/main.js`) on 127.0.0.1 and a free port. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every stdout line so far (JSON logs). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options of {@link startServerProcess}. */
export interface StartOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Wait until `/health` reports the model loaded. */
  readonly waitForModel?: boolean;
}

function run(env: Readonly<Record<string, string>>, cwd: string): { child: ChildProcess; stdout: string[]; stderr: string[]; exited: Promise<number | null> } {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`pnpm --filter @trosyn/server build\` first.`);
  // Only what the server needs: no inherited LLM_*/TROSYN_* settings leak into the test. LAN
  // sync stays off (these tests are about the OpenAI API; nothing may reach the real LAN) and
  // the data store lives in a temporary directory removed when the process exits.
  const dataDir = mkdtempSync(resolve(tmpdir(), 'trosyn-e2e-data-'));
  const child = spawn(process.execPath, [mainJs], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TROSYN_ROOT: repoRoot, LAN_SYNC_ENABLED: 'false', TROSYN_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (lines: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    };
  };
  child.stdout!.on('data', collect(stdout));
  child.stderr!.on('data', collect(stderr));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => setTimeout(() => done(code), 20)));
  return { child, stdout, stderr, exited };
}

/** Runs the server to completion (for configurations that must refuse to start). */
export async function runServerToExit(env: Readonly<Record<string, string>>): Promise<{ code: number | null; stderr: string }> {
  const { child, stderr, exited } = run(env, serverDir);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, stderr: stderr.join('\n') };
}

/** Polls `probe` until it returns a value, failing with `timed out waiting for <what>` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the server process and waits until it listens (and, optionally, has loaded its model). */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const { child, stdout, stderr, exited } = run({ TROSYN_HOST: '127.0.0.1', TROSYN_PORT: '0', ...options.env }, options.cwd ?? serverDir);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (exitCode === undefined) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const url = await eventually('the server to listen', () => {
      if (exitCode !== undefined) throw new Error(`server exited with ${exitCode}: ${stderr.join('\n')}`);
      for (const line of stdout) {
        if (line.includes('"msg":"listening"')) return (JSON.parse(line) as { url: string }).url;
      }
      return undefined;
    }, 20_000);
    if (options.waitForModel === true) {
      await eventually('the model to load', async () => {
        const health = (await (await fetch(`${url}/health`)).json()) as { model: { status: string; message?: string } };
        if (health.model.status === 'error' || health.model.status === 'missing') throw new Error(`model ${health.model.status}: ${health.model.message ?? ''}`);
        return health.model.status === 'loaded' ? true : undefined;
      }, 60_000);
    }
    return { url, child, stdout, stderr, exited, stop };
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
}

/** The LAN sync port a node logged in its `sync-listening` line (the node listens on port 0). */
export function syncPortOf(node: ServerProcess): number {
  const line = node.stdout.find((entry) => entry.includes('"event":"sync-listening"'));
  if (line === undefined) throw new Error(`no sync-listening line: ${node.stderr.join('\n')}`);
  return (JSON.parse(line) as { port: number }).port;
}
