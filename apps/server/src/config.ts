import { isAbsolute, resolve } from 'node:path';

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
}

/** Settings of LAN sync (`LAN_SYNC_*`), parsed here so a bad value fails at start; used by LAN sync. */
export interface LanSyncSettings {
  readonly enabled: boolean;
  readonly port: number;
  /** Undefined: generated and persisted by the sync service. */
  readonly nodeId: string | undefined;
  readonly nodeName: string;
  readonly discoveryIntervalSeconds: number;
  readonly deviceTimeoutSeconds: number;
}

/** The whole configuration of a Trosyn node, from the environment. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Undefined: no authentication. */
  readonly apiKey: string | undefined;
  /** Extra names accepted as `model` in requests besides the loaded model's id. */
  readonly modelAliases: readonly string[];
  /** Allowed CORS origins; empty: no CORS headers; `*`: any origin. */
  readonly corsOrigins: readonly string[];
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  /** Interval of SSE `: keep-alive` comments while no token has come yet. */
  readonly sseKeepAliveMs: number;
  readonly llm: LlmSettings;
  readonly lanSync: LanSyncSettings;
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
  if (value.startsWith('hf:')) return value;
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

function apiKey(env: Env): string | undefined {
  const value = raw(env, 'TROSYN_API_KEY');
  if (value !== undefined && value.length < 8) throw new ConfigError('TROSYN_API_KEY', 'expected at least 8 characters');
  return value;
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
  const config: ServerConfig = {
    host: host(env),
    port: integer(env, 'TROSYN_PORT', 8000, 0, 65535),
    apiKey: apiKey(env),
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
      parallel: integer(env, 'LLM_PARALLEL', 1, 1, 256),
      maxQueue: integer(env, 'LLM_MAX_QUEUE', 32, 0, 100_000),
    },
    lanSync: {
      enabled: boolean(env, 'LAN_SYNC_ENABLED', true),
      port: integer(env, 'LAN_SYNC_PORT', 5000, 0, 65535),
      nodeId: raw(env, 'LAN_SYNC_NODE_ID'),
      nodeName: raw(env, 'LAN_SYNC_NODE_NAME') ?? options.hostname,
      discoveryIntervalSeconds: integer(env, 'LAN_SYNC_DISCOVERY_INTERVAL', 30, 1, 86_400),
      deviceTimeoutSeconds: integer(env, 'LAN_SYNC_DEVICE_TIMEOUT', 90, 1, 86_400),
    },
  };
  return Object.freeze(config);
}
