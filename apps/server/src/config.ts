import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isModelUri } from './model-uri.js';

/** Settings of the model engine (`LLM_*`). */
export interface LlmSettings {
  /** Absolute model path, or an `hf:` URI passed through unchanged. */
  readonly modelPath: string;
  readonly contextSize: number;
  readonly gpuLayers: number;
  /** Undefined: let `@trosyn/llm` choose. */
  readonly threads: number | undefined;
  readonly parallel: number;
  readonly maxQueue: number;
  /** `LLM_BATCH_SIZE`: tokens per decode call; undefined: node-llama-cpp's default. */
  readonly batchSize: number | undefined;
  /** `LLM_EMBEDDING_MODEL_PATH` (absolute): a GGUF for `/v1/embeddings`; undefined: the chat model embeds. */
  readonly embeddingModelPath: string | undefined;
  /** `LLM_CHAT_TEMPLATE`: a Jinja template read from a file, a built-in format name, or undefined (the GGUF's own). */
  readonly chatTemplate: ChatTemplateSetting | undefined;
}

/** The chat format override of `LLM_CHAT_TEMPLATE`. */
export type ChatTemplateSetting = { readonly template: string; readonly path: string } | { readonly builtIn: string };

/** An OpenAI-compatible engine the node forwards generation to (`LLM_UPSTREAM_*`). */
export interface UpstreamSettings {
  /** `LLM_UPSTREAM_URL`: base URL of its OpenAI API, normalised to end in `/v1` when it had no path. */
  readonly url: string;
  /** `LLM_UPSTREAM_API_KEY`: sent as `Authorization: Bearer …`; undefined: none. */
  readonly apiKey: string | undefined;
  /** `LLM_UPSTREAM_MODEL`: the upstream's model id to use; undefined: the first it lists. */
  readonly model: string | undefined;
  /** `LLM_UPSTREAM_TIMEOUT`: milliseconds to wait for its answer to start, and between streamed chunks. */
  readonly timeoutMs: number;
}

/**
 * `LLM_POOL`: whether generation may be served by peers (pooled inference, `src/pool/`).
 * `off`: never; `fallback` (default): only when this node has no such model, or every slot is
 * busy and its queue non-empty while a peer has a free slot; `balance`: also spread
 * conversations over the nodes serving the model, each conversation kept on one node.
 */
export type PoolMode = 'off' | 'fallback' | 'balance';

/** How pooled inference keeps peers' advertisements current (`LLM_POOL_STATUS_*`). */
export interface PoolStatusSettings {
  /** `LLM_POOL_STATUS_INTERVAL_MS`: how often each authenticated peer is asked what it serves. */
  readonly intervalMs: number;
  /** `LLM_POOL_STATUS_STALE_MS`: a peer's advertisement older than this is ignored (the peer stopped answering). */
  readonly staleMs: number;
}

/** Model distribution over the peer channel (`LLM_MODEL_SHARE*`). */
export interface ModelShareSettings {
  /** `LLM_MODEL_SHARE`: give the model file to peers, and fetch it from them when it is missing. */
  readonly enabled: boolean;
  /** `LLM_MODEL_SHARE_MAX_MBPS` (megabytes per second) in bytes per second; undefined: no cap. */
  readonly maxBytesPerSecond: number | undefined;
}

/** A statically configured sync peer (`LAN_SYNC_PEERS`), for networks where multicast is blocked. */
export interface StaticPeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Settings of LAN sync (`LAN_SYNC_*`), parsed here so a bad value fails at start. */
export interface LanSyncSettings {
  readonly enabled: boolean;
  readonly port: number;
  /** Bind address of the sync server (`LAN_SYNC_HOST`). */
  readonly host: string;
  /** Undefined: generated once and persisted in the data directory (`node-id`). */
  readonly nodeId: string | undefined;
  readonly nodeName: string;
  readonly discoveryIntervalSeconds: number;
  readonly deviceTimeoutSeconds: number;
  /**
   * `LAN_SYNC_SHARED_SECRET`, undefined when unset. An empty or default secret does not fail
   * the start: the node refuses to enable sync and logs how to set one.
   */
  readonly sharedSecret: string | undefined;
  /** `LAN_SYNC_PEERS`: peers reached by address, besides (or instead of) mDNS discovery. */
  readonly peers: readonly StaticPeerAddress[];
  /** `LAN_SYNC_MDNS`: advertise and browse with mDNS. */
  readonly mdns: boolean;
  /** `LAN_SYNC_MDNS_INTERFACE`: IPv4 address of the interface mDNS uses; undefined: all. */
  readonly mdnsInterface: string | undefined;
  /** `LAN_SYNC_INTERVAL`: seconds between periodic rounds with each peer. */
  readonly intervalSeconds: number;
  /** `LAN_SYNC_MAX_CLOCK_DRIFT`: seconds a peer's clock may be ahead (HLC) or off (handshake). */
  readonly maxClockDriftSeconds: number;
  /** `LAN_SYNC_TLS_CERT` / `LAN_SYNC_TLS_KEY` (absolute PEM paths), or undefined for plain HTTP. */
  readonly tls: { readonly certPath: string; readonly keyPath: string } | undefined;
  /** `LAN_SYNC_TOMBSTONE_RETENTION_DAYS`: days a deletion is remembered (its tombstone) before it is collected. */
  readonly tombstoneRetentionDays: number;
  /** `LAN_SYNC_HISTORY_MAX_VERSIONS`: superseded versions kept per item. */
  readonly historyMaxVersions: number;
  /** `LAN_SYNC_HISTORY_MAX_AGE_DAYS`: days a superseded version is kept. */
  readonly historyMaxAgeDays: number;
  /** `LAN_SYNC_CONFLICT_RESOLVER`: absolute path of the operator's conflict resolver module, or undefined. */
  readonly conflictResolverPath: string | undefined;
}

/** The whole configuration of a Trosyn node, from the environment. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Undefined: no authentication. */
  readonly apiKey: string | undefined;
  /**
   * `TROSYN_ADMIN_KEY`: opens the admin routes (`/metrics`, the console) and is accepted wherever
   * the API key is. Undefined: admin routes answer loopback clients only.
   */
  readonly adminKey: string | undefined;
  /** `TROSYN_METRICS`: serve `/metrics` (Prometheus text format). */
  readonly metrics: boolean;
  /** Extra names accepted as `model` in requests besides the loaded model's id. */
  readonly modelAliases: readonly string[];
  /** Allowed CORS origins; empty: no CORS headers; `*`: any origin. */
  readonly corsOrigins: readonly string[];
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  /** Interval of SSE `: keep-alive` comments while no token has come yet. */
  readonly sseKeepAliveMs: number;
  readonly llm: LlmSettings;
  /** `LLM_UPSTREAM_URL` and friends; undefined: the node runs its own model (`LLM_MODEL_PATH`). */
  readonly upstream: UpstreamSettings | undefined;
  readonly modelShare: ModelShareSettings;
  readonly pool: PoolMode;
  readonly poolStatus: PoolStatusSettings;
  readonly lanSync: LanSyncSettings;
  /** `TROSYN_DATA_DIR` (absolute): the sync database (`sync.sqlite`) and the generated node id. */
  readonly dataDir: string;
  /**
   * `TROSYN_STORE_URL` (a `postgres://` URL) and `TROSYN_STORE_SCHEMA`: keep the replica in
   * PostgreSQL instead of `sync.sqlite`. Undefined: SQLite.
   */
  readonly store: StoreSettings | undefined;
}

/** Where a hub node keeps its replica in PostgreSQL. */
export interface StoreSettings {
  readonly url: string;
  /** The schema of the `sync_*` tables: one per node sharing a database. */
  readonly schema: string;
}

/** An environment variable with an invalid value. The message names the variable. */
export class ConfigError extends Error {
  /** The variable at fault. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Directory that relative `LLM_MODEL_PATH` values are resolved against (the repository root). */
  readonly baseDir: string;
  /** Default of `LAN_SYNC_NODE_NAME`. */
  readonly hostname: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Default model path of the seed README, relative to the repository root. */
export const DEFAULT_MODEL_PATH = 'models/gemma-3n-e2b.gguf';

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(value)}`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(name, `expected an integer from ${min} to ${max}, got ${parsed}`);
  return parsed;
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  return raw(env, name) === undefined ? undefined : integer(env, name, 0, min, max);
}

// A value naming an existing file is a Jinja template; a bare word is a built-in format name
// (checked against node-llama-cpp's list when the model loads); anything else is a typo.
function chatTemplate(env: Env, baseDir: string): ChatTemplateSetting | undefined {
  const value = raw(env, 'LLM_CHAT_TEMPLATE');
  if (value === undefined) return undefined;
  const path = isAbsolute(value) ? value : resolve(baseDir, value);
  if (statSync(path, { throwIfNoEntry: false })?.isFile() === true) {
    const template = readFileSync(path, 'utf8');
    if (template.trim() === '') throw new ConfigError('LLM_CHAT_TEMPLATE', `the template file ${path} is empty`);
    return { template, path };
  }
  if (/^[A-Za-z][\w.-]*$/.test(value) && !value.endsWith('.jinja')) return { builtIn: value };
  throw new ConfigError('LLM_CHAT_TEMPLATE', `expected a Jinja template file or a built-in chat format name (e.g. gemma, chatML), but ${path} is not a file`);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(value)}`);
}

function list(env: Env, name: string): readonly string[] {
  const value = raw(env, name);
  if (value === undefined) return [];
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function host(env: Env): string {
  const value = raw(env, 'TROSYN_HOST') ?? '127.0.0.1';
  if (/\s|\//.test(value)) throw new ConfigError('TROSYN_HOST', `expected a host name or IP address, got ${JSON.stringify(value)}`);
  return value;
}

function corsOrigins(env: Env): readonly string[] {
  const origins = list(env, 'TROSYN_CORS_ORIGINS');
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('TROSYN_CORS_ORIGINS', `expected "*" or origins like http://host:port, got ${JSON.stringify(origin)}`);
    }
  }
  return origins;
}

function modelPath(env: Env, baseDir: string): string {
  const value = raw(env, 'LLM_MODEL_PATH') ?? DEFAULT_MODEL_PATH;
  if (isModelUri(value)) return value;
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

function embeddingModelPath(env: Env, baseDir: string): string | undefined {
  const value = raw(env, 'LLM_EMBEDDING_MODEL_PATH');
  if (value === undefined) return undefined;
  if (value.startsWith('hf:')) throw new ConfigError('LLM_EMBEDDING_MODEL_PATH', 'expected a GGUF file path (hf: URIs are for LLM_MODEL_PATH only)');
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

function apiKey(env: Env): string | undefined {
  const value = raw(env, 'TROSYN_API_KEY');
  if (value !== undefined && value.length < 8) throw new ConfigError('TROSYN_API_KEY', 'expected at least 8 characters');
  return value;
}

function adminKey(env: Env, apiKey: string | undefined): string | undefined {
  const value = raw(env, 'TROSYN_ADMIN_KEY');
  if (value === undefined) return undefined;
  if (value.length < 8) throw new ConfigError('TROSYN_ADMIN_KEY', 'expected at least 8 characters');
  // One key for both would let every API client into the admin routes.
  if (value === apiKey) throw new ConfigError('TROSYN_ADMIN_KEY', 'must differ from TROSYN_API_KEY (the key given to API clients)');
  return value;
}

// Sync-core's node id rule (the strictest of the three sync packages): ASCII, 1–64 characters.
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function nodeId(env: Env): string | undefined {
  const value = raw(env, 'LAN_SYNC_NODE_ID');
  if (value !== undefined && !NODE_ID_PATTERN.test(value)) {
    throw new ConfigError('LAN_SYNC_NODE_ID', `expected 1-64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit, got ${JSON.stringify(value)}`);
  }
  return value;
}

function staticPeers(env: Env): readonly StaticPeerAddress[] {
  return list(env, 'LAN_SYNC_PEERS').map((entry) => {
    // host:port, or [v6]:port.
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/[\]]+)):(\d{1,5})$/.exec(entry);
    const port = match === null ? NaN : Number(match[3]);
    if (match === null || port < 1 || port > 65535) {
      throw new ConfigError('LAN_SYNC_PEERS', `expected comma-separated host:port entries (e.g. 192.168.1.20:5000), got ${JSON.stringify(entry)}`);
    }
    return { host: match[1] ?? match[2]!, port };
  });
}

function ipv4(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  if (value !== undefined && !/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value)) {
    throw new ConfigError(name, `expected the IPv4 address of a network interface, got ${JSON.stringify(value)}`);
  }
  return value;
}

function tls(env: Env, baseDir: string): LanSyncSettings['tls'] {
  const cert = raw(env, 'LAN_SYNC_TLS_CERT');
  const key = raw(env, 'LAN_SYNC_TLS_KEY');
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined) throw new ConfigError('LAN_SYNC_TLS_KEY', 'is set without LAN_SYNC_TLS_CERT: set both (PEM certificate and private key paths) or neither');
  if (key === undefined) throw new ConfigError('LAN_SYNC_TLS_CERT', 'is set without LAN_SYNC_TLS_KEY: set both (PEM certificate and private key paths) or neither');
  return { certPath: resolve(baseDir, cert), keyPath: resolve(baseDir, key) };
}

function upstream(env: Env): UpstreamSettings | undefined {
  const value = raw(env, 'LLM_UPSTREAM_URL');
  const apiKey = raw(env, 'LLM_UPSTREAM_API_KEY');
  const model = raw(env, 'LLM_UPSTREAM_MODEL');
  if (value === undefined) {
    if (apiKey !== undefined || model !== undefined) {
      throw new ConfigError(apiKey !== undefined ? 'LLM_UPSTREAM_API_KEY' : 'LLM_UPSTREAM_MODEL', 'is set without LLM_UPSTREAM_URL (the upstream engine it belongs to)');
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('LLM_UPSTREAM_URL', `expected the http(s) URL of an OpenAI-compatible API (e.g. http://10.0.0.5:8080/v1), got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('LLM_UPSTREAM_URL', `expected an http:// or https:// URL, got ${JSON.stringify(value)}`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('LLM_UPSTREAM_URL', 'expected a base URL without query, fragment or credentials (put the key in LLM_UPSTREAM_API_KEY)');
  }
  // Like the OpenAI SDKs' baseURL; a bare host:port means the usual `/v1` prefix.
  const path = url.pathname.replace(/\/+$/, '');
  return {
    url: `${url.origin}${path === '' ? '/v1' : path}`,
    apiKey,
    model,
    timeoutMs: integer(env, 'LLM_UPSTREAM_TIMEOUT', 60, 1, 86_400) * 1000,
  };
}

function conflictResolverPath(env: Env, baseDir: string): string | undefined {
  const path = raw(env, 'LAN_SYNC_CONFLICT_RESOLVER');
  // Loaded (and checked) when the store opens: importing a module is asynchronous.
  return path === undefined ? undefined : resolve(baseDir, path);
}

function modelShare(env: Env): ModelShareSettings {
  const value = raw(env, 'LLM_MODEL_SHARE_MAX_MBPS');
  let maxBytesPerSecond: number | undefined;
  if (value !== undefined) {
    const parsed = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || parsed <= 0 || parsed > 100_000) {
      throw new ConfigError('LLM_MODEL_SHARE_MAX_MBPS', `expected megabytes per second above 0 (e.g. 20 or 2.5), got ${JSON.stringify(value)}`);
    }
    maxBytesPerSecond = Math.round(parsed * 1_000_000);
  }
  return { enabled: boolean(env, 'LLM_MODEL_SHARE', true), maxBytesPerSecond };
}

function poolMode(env: Env): PoolMode {
  const value = raw(env, 'LLM_POOL') ?? 'fallback';
  if (value !== 'off' && value !== 'fallback' && value !== 'balance') throw new ConfigError('LLM_POOL', `expected off, fallback or balance, got ${JSON.stringify(value)}`);
  return value;
}

function poolStatus(env: Env): PoolStatusSettings {
  const intervalMs = integer(env, 'LLM_POOL_STATUS_INTERVAL_MS', 1000, 100, 600_000);
  const staleMs = integer(env, 'LLM_POOL_STATUS_STALE_MS', Math.max(5000, intervalMs * 5), 200, 3_600_000);
  // A view must survive at least one missed answer, or every peer would flicker out between polls.
  if (staleMs < intervalMs * 2) {
    throw new ConfigError('LLM_POOL_STATUS_STALE_MS', `must be at least twice LLM_POOL_STATUS_INTERVAL_MS (${intervalMs} ms), got ${staleMs} ms`);
  }
  return { intervalMs, staleMs };
}

function storeSettings(env: Env): StoreSettings | undefined {
  const url = raw(env, 'TROSYN_STORE_URL');
  const schema = raw(env, 'TROSYN_STORE_SCHEMA');
  if (url === undefined) {
    if (schema !== undefined) throw new ConfigError('TROSYN_STORE_SCHEMA', 'is set but TROSYN_STORE_URL is not (the schema is one of a PostgreSQL store)');
    return undefined;
  }
  if (!/^postgres(ql)?:\/\/./.test(url)) throw new ConfigError('TROSYN_STORE_URL', 'expected a postgres:// URL (postgres://user:password@host:port/database)');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('TROSYN_STORE_SCHEMA', `expected a lower-case SQL name ([a-z_][a-z0-9_]*, at most 63 characters), got ${JSON.stringify(schema)}`);
  }
  return { url, schema: schema ?? 'trosyn_sync' };
}

function lanSync(env: Env, options: ParseConfigOptions): LanSyncSettings {
  const discoveryIntervalSeconds = integer(env, 'LAN_SYNC_DISCOVERY_INTERVAL', 30, 1, 86_400);
  const deviceTimeoutSeconds = integer(env, 'LAN_SYNC_DEVICE_TIMEOUT', 90, 1, 86_400);
  if (deviceTimeoutSeconds <= discoveryIntervalSeconds) {
    throw new ConfigError('LAN_SYNC_DEVICE_TIMEOUT', `must be longer than LAN_SYNC_DISCOVERY_INTERVAL (${discoveryIntervalSeconds} s), got ${deviceTimeoutSeconds} s`);
  }
  const host = raw(env, 'LAN_SYNC_HOST') ?? '0.0.0.0';
  if (/\s|\//.test(host)) throw new ConfigError('LAN_SYNC_HOST', `expected a host name or IP address, got ${JSON.stringify(host)}`);
  return {
    enabled: boolean(env, 'LAN_SYNC_ENABLED', true),
    port: integer(env, 'LAN_SYNC_PORT', 5000, 0, 65535),
    host,
    nodeId: nodeId(env),
    nodeName: raw(env, 'LAN_SYNC_NODE_NAME') ?? options.hostname,
    discoveryIntervalSeconds,
    deviceTimeoutSeconds,
    // Not trimmed beyond `raw`: the secret is used exactly as given (crypto NFC-normalises it).
    sharedSecret: raw(env, 'LAN_SYNC_SHARED_SECRET'),
    peers: staticPeers(env),
    mdns: boolean(env, 'LAN_SYNC_MDNS', true),
    mdnsInterface: ipv4(env, 'LAN_SYNC_MDNS_INTERFACE'),
    intervalSeconds: integer(env, 'LAN_SYNC_INTERVAL', 30, 1, 86_400),
    maxClockDriftSeconds: integer(env, 'LAN_SYNC_MAX_CLOCK_DRIFT', 600, 1, 86_400),
    tls: tls(env, options.baseDir),
    tombstoneRetentionDays: integer(env, 'LAN_SYNC_TOMBSTONE_RETENTION_DAYS', 30, 1, 36_500),
    historyMaxVersions: integer(env, 'LAN_SYNC_HISTORY_MAX_VERSIONS', 50, 1, 1_000_000),
    historyMaxAgeDays: integer(env, 'LAN_SYNC_HISTORY_MAX_AGE_DAYS', 90, 1, 36_500),
    conflictResolverPath: conflictResolverPath(env, options.baseDir),
  };
}

/**
 * Reads and checks every setting from `env`. Throws {@link ConfigError} naming the first
 * invalid variable. Unset or empty variables take their defaults.
 *
 * @example
 * ```ts
 * const config = parseConfig(process.env, { baseDir: repoRoot, hostname: os.hostname() });
 * ```
 */
export function parseConfig(env: Env, options: ParseConfigOptions): ServerConfig {
  const clientKey = apiKey(env);
  const upstreamSettings = upstream(env);
  const config: ServerConfig = {
    host: host(env),
    port: integer(env, 'TROSYN_PORT', 8000, 0, 65535),
    apiKey: clientKey,
    adminKey: adminKey(env, clientKey),
    metrics: boolean(env, 'TROSYN_METRICS', true),
    modelAliases: list(env, 'TROSYN_MODEL_ALIASES'),
    corsOrigins: corsOrigins(env),
    bodyLimitBytes: integer(env, 'TROSYN_BODY_LIMIT', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    shutdownTimeoutMs: integer(env, 'TROSYN_SHUTDOWN_TIMEOUT', 10, 0, 3600) * 1000,
    sseKeepAliveMs: integer(env, 'TROSYN_SSE_KEEPALIVE_MS', 2000, 10, 600_000),
    llm: {
      modelPath: modelPath(env, options.baseDir),
      contextSize: integer(env, 'LLM_CONTEXT_SIZE', 2048, 16, 1_048_576),
      gpuLayers: integer(env, 'LLM_N_GPU_LAYERS', 0, 0, 10_000),
      threads: optionalInteger(env, 'LLM_THREADS', 1, 1024),
      // An upstream (vLLM, llama-server) batches many requests; one slot would serialise them.
      parallel: integer(env, 'LLM_PARALLEL', upstreamSettings === undefined ? 1 : 8, 1, 256),
      maxQueue: integer(env, 'LLM_MAX_QUEUE', 32, 0, 100_000),
      batchSize: optionalInteger(env, 'LLM_BATCH_SIZE', 1, 1_048_576),
      embeddingModelPath: embeddingModelPath(env, options.baseDir),
      chatTemplate: chatTemplate(env, options.baseDir),
    },
    upstream: upstreamSettings,
    modelShare: modelShare(env),
    pool: poolMode(env),
    poolStatus: poolStatus(env),
    lanSync: lanSync(env, options),
    dataDir: resolve(options.baseDir, raw(env, 'TROSYN_DATA_DIR') ?? 'data'),
    store: storeSettings(env),
  };
  return Object.freeze(config);
}
