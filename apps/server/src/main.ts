// First: sets the libuv thread pool's size before anything can start the pool.
import './threadpool-size.js';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig } from './config.js';
import { loadEmbeddingEngine, loadLlmEngine, prepareLlmCpuVariants } from './load-llm-engine.js';
import { createJsonLogger } from './logger.js';
import { startServer } from './start-server.js';
import { UpstreamEngine } from './upstream/upstream-engine.js';

// dist/main.js → apps/server → repository root. Relative LLM_MODEL_PATH values and the .env
// file are resolved against the repository root, because `pnpm start` runs in apps/server.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = process.env['TROSYN_ROOT'] ?? fileURLToPath(new URL('../../..', import.meta.url));

function loadEnvFiles(): void {
  // Variables already in the environment win over the file (process.loadEnvFile keeps them).
  for (const file of [`${process.cwd()}/.env`, `${repoRoot}/.env`]) {
    if (existsSync(file)) process.loadEnvFile(file);
  }
}

async function main(): Promise<void> {
  loadEnvFiles();
  const logger = createJsonLogger();
  let config;
  try {
    config = parseConfig(process.env, { baseDir: repoRoot, hostname: hostname() });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`trosyn: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const version = (JSON.parse(readFileSync(`${packageDir}/package.json`, 'utf8')) as { version: string }).version;
  let server;
  try {
    const upstream = config.upstream;
    const embeddingPath = config.llm.embeddingModelPath;
    if (embeddingPath !== undefined) await prepareLlmCpuVariants(upstream === undefined ? [config.llm.modelPath, embeddingPath] : [embeddingPath], logger);
    server = await startServer({
      config,
      logger,
      version,
      loadEngine:
        upstream === undefined
          ? (path, { onDownloadProgress }) => loadLlmEngine(path, config.llm, logger, onDownloadProgress)
          : (_url, context) => UpstreamEngine.connect(upstream, config.llm, logger, context),
      loadEmbedder: (path) => loadEmbeddingEngine(path, config.llm, logger),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') {
      const reason = code === 'EADDRINUSE' ? `port ${config.port} is already in use (set TROSYN_PORT)` : `address ${config.host} is not on this machine (set TROSYN_HOST)`;
      process.stderr.write(`trosyn: cannot listen on ${config.host}:${config.port}: ${reason}\n`);
    } else {
      // The data store or LAN sync could not start (database, TLS files, sync port): the message names the setting.
      process.stderr.write(`trosyn: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  }
  const stop = (signal: string): void => {
    logger.log('info', 'shutting down', { signal, deadline_ms: config.shutdownTimeoutMs });
    // A second signal means "now": skip the graceful wait.
    process.once(signal, () => process.exit(130));
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.log('error', 'shutdown failed', { error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

await main();
