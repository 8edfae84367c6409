import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CryptoError, deriveNetworkKey } from '@trosyn/crypto';
import { ConfigError, parseConfig, type StaticPeerAddress } from './config.js';
import type { Logger } from './logger.js';
import type { ModelLoadContext } from './model-host.js';
import { ModelFetcher, type ModelPeer } from './peer-models/model-fetcher.js';
import { HttpSyncTransport } from './sync/http-sync-transport.js';
import { loadOrCreateNodeId } from './sync/node-identity.js';

// `pnpm model:pull --from-lan [--peer host:port]… [--wait SECONDS]`: fetches this node's model
// file (LLM_MODEL_PATH) from a LAN peer over the sealed peer channel, with a progress bar, the
// way a node does at start. Peers: LAN_SYNC_PEERS and --peer (no mDNS here).

const repoRoot = process.env['TROSYN_ROOT'] ?? fileURLToPath(new URL('../../..', import.meta.url));
const usage = 'Usage: pnpm model:pull --from-lan [--peer host:port]... [--wait SECONDS] | --where\n' +
  'Fetches the file of LLM_MODEL_PATH from a LAN peer (LAN_SYNC_PEERS and --peer) with LAN_SYNC_SHARED_SECRET.';

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parseArgs(argv: readonly string[]): { peers: StaticPeerAddress[]; waitSeconds: number; where: boolean } {
  const peers: StaticPeerAddress[] = [];
  let waitSeconds = 30;
  let where = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else if (arg === '--where') {
      where = true;
    } else if (arg === '--peer') {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/[\]]+)):(\d{1,5})$/.exec(argv[++i] ?? '');
      if (match === null) fail(`--peer: expected host:port, got ${JSON.stringify(argv[i] ?? '')}\n${usage}`, 2);
      peers.push({ host: match[1] ?? match[2]!, port: Number(match[3]) });
    } else if (arg === '--wait') {
      waitSeconds = Number(argv[++i]);
      if (!Number.isInteger(waitSeconds) || waitSeconds < 1) fail(`--wait: expected whole seconds, got ${JSON.stringify(argv[i] ?? '')}`, 2);
    } else {
      fail(`Unknown argument ${JSON.stringify(arg)}\n${usage}`, 2);
    }
  }
  return { peers, waitSeconds, where };
}

function progressBar(bytes: number, total: number, startedAt: number, startBytes: number): string {
  const width = 30;
  const done = Math.round((bytes / total) * width);
  const seconds = (performance.now() - startedAt) / 1000;
  const rate = seconds > 0 ? (bytes - startBytes) / seconds : 0;
  const eta = rate > 0 ? `${Math.ceil((total - bytes) / rate)} s` : '?';
  return `\r[${'#'.repeat(done)}${' '.repeat(width - done)}] ${((bytes / total) * 100).toFixed(0).padStart(3)}% ` +
    `${(bytes / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB  ${(rate / 1e6).toFixed(1)} MB/s  ETA ${eta}   `;
}

async function main(): Promise<void> {
  for (const file of [`${process.env['INIT_CWD'] ?? process.cwd()}/.env`, `${repoRoot}/.env`]) if (existsSync(file)) process.loadEnvFile(file);
  const args = parseArgs(process.argv.slice(2));
  let config;
  try {
    config = parseConfig(process.env, { baseDir: repoRoot, hostname: hostname() });
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`, 2);
    throw error;
  }
  const modelPath = config.llm.modelPath;
  if (args.where) {
    // `run_api.sh` says, before the node starts, where its model will come from.
    const lan = config.lanSync.enabled && config.modelShare.enabled && config.lanSync.sharedSecret !== undefined;
    if (config.upstream !== undefined) process.stdout.write(`Model: served by the upstream engine at ${config.upstream.url} (LLM_UPSTREAM_URL).\n`);
    else if (existsSync(modelPath) || /^(hf:|huggingface:|https?:\/\/)/i.test(modelPath)) process.stdout.write(`Model: ${modelPath}\n`);
    else if (lan) process.stdout.write(`No model file at ${modelPath}: the node will fetch it from a LAN peer that has it (same file name, same LAN_SYNC_SHARED_SECRET) as soon as one offers it, and load it; /health shows the progress. Or download it now with \`pnpm model:pull\`.\n`);
    else process.stdout.write(`No model file at ${modelPath}: download it with \`pnpm model:pull\` (or set LLM_MODEL_PATH). Until then the API answers 503 model_not_loaded.\n`);
    return;
  }
  if (existsSync(modelPath)) {
    process.stdout.write(`The model is already here: ${modelPath}\n`);
    return;
  }
  const peers = [...config.lanSync.peers, ...args.peers];
  if (peers.length === 0) fail('No peer to ask: set LAN_SYNC_PEERS or pass --peer host:port (the sync port of a node that has the model).', 2);
  let networkKey;
  try {
    networkKey = await deriveNetworkKey(config.lanSync.sharedSecret ?? '');
  } catch (error) {
    if (error instanceof CryptoError && error.code === 'weak-secret') fail('LAN_SYNC_SHARED_SECRET is not set (or is the default): set the office\'s secret to fetch from its nodes.', 2);
    throw error;
  }
  // An id of its own beside the node's: a running node on this machine keeps its sessions.
  const nodeId = `${loadOrCreateNodeId(config.dataDir, config.lanSync.nodeId).nodeId}.model-pull`.slice(0, 64);
  const tls = config.lanSync.tls !== undefined;
  const openChannel = (peer: ModelPeer): HttpSyncTransport =>
    new HttpSyncTransport({ url: `${tls ? 'https' : 'http'}://${peer.address}`, networkKey, nodeId, expectedPeerNodeId: peer.nodeId, maxClockSkewMs: config.lanSync.maxClockDriftSeconds * 1000 });
  // The peers' node ids come from a handshake with each.
  const reachable: ModelPeer[] = [];
  for (const peer of peers) {
    const address = peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
    const probe = new HttpSyncTransport({ url: `${tls ? 'https' : 'http'}://${address}`, networkKey, nodeId, maxClockSkewMs: config.lanSync.maxClockDriftSeconds * 1000 });
    try {
      reachable.push({ nodeId: await probe.connect({ signal: AbortSignal.timeout(10_000) }), name: undefined, address });
    } catch (error) {
      process.stderr.write(`${address}: ${error instanceof Error ? error.message : String(error)}\n`);
    } finally {
      probe.close();
    }
  }
  if (reachable.length === 0) fail('No peer could be reached and authenticated (check the addresses and LAN_SYNC_SHARED_SECRET).');

  // --wait bounds every stretch without progress, not only the wait for an offer: a peer that
  // keeps serving a chunk that fails its check would otherwise be asked again forever.
  const stop = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const rearm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => stop.abort(), args.waitSeconds * 1000);
  };
  rearm();
  let bar: { startedAt: number; startBytes: number } | undefined;
  let offered = false;
  let lastFailure: string | undefined;
  const context: ModelLoadContext = {
    signal: stop.signal,
    report: () => undefined,
    onDownloadProgress: ({ downloadedBytes, totalBytes }) => {
      rearm();
      bar ??= { startedAt: performance.now(), startBytes: downloadedBytes };
      process.stderr.write(progressBar(downloadedBytes, totalBytes, bar.startedAt, bar.startBytes));
    },
  };
  process.stdout.write(`Asking ${reachable.map((peer) => peer.address).join(', ')} for ${modelPath}\n`);
  // The fetcher's log stays silent; only why a transfer failed is kept, to say it when giving up.
  const logger: Logger = {
    log: (_level, _message, fields) => {
      if (fields?.['event'] === 'model-transfer-failed') lastFailure = String(fields['error']);
    },
  };
  const fetcher = new ModelFetcher({ peers: () => reachable, openChannel, logger, retryMs: 2000 });
  const fetched = await fetcher.fetch(modelPath, context, () => {
    if (!offered) rearm();
    offered = true;
  });
  clearTimeout(idle);
  networkKey.dispose();
  process.stderr.write('\n');
  if (!fetched && !offered) fail(`No peer offered ${modelPath} within ${args.waitSeconds} s (a peer shares its own LLM_MODEL_PATH file of the same name, unless LLM_MODEL_SHARE=false).`);
  if (!fetched) fail(`Gave up on ${modelPath}: no progress for ${args.waitSeconds} s${lastFailure === undefined ? '' : `; the last transfer failed: ${lastFailure}`}. The partial file is kept; run it again to continue.`);
  const status = fetcher.status;
  process.stdout.write(`Model ready: ${modelPath} (sha256 ${status?.sha256 ?? '?'}, from ${status?.peer_name ?? status?.peer_id ?? 'a peer'})\n`);
}

await main();
