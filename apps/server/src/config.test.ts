import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const options = { baseDir: '/repo', hostname: 'office-pc' };

describe('parseConfig', () => {
  it('applies the seed README defaults', () => {
    const config = parseConfig({}, options);
    expect(config).toMatchObject({
      host: '127.0.0.1', port: 8000, apiKey: undefined, adminKey: undefined, metrics: true, corsOrigins: [], bodyLimitBytes: 4194304, shutdownTimeoutMs: 10000,
      llm: { modelPath: '/repo/models/gemma-3n-e2b.gguf', contextSize: 2048, gpuLayers: 0, threads: undefined, parallel: 1, maxQueue: 32, batchSize: undefined },
      lanSync: {
        enabled: true, port: 5000, host: '0.0.0.0', nodeId: undefined, nodeName: 'office-pc', discoveryIntervalSeconds: 30, deviceTimeoutSeconds: 90,
        sharedSecret: undefined, peers: [], mdns: true, mdnsInterface: undefined, intervalSeconds: 30, maxClockDriftSeconds: 600, tls: undefined,
        tombstoneRetentionDays: 30, historyMaxVersions: 50, historyMaxAgeDays: 90, conflictResolverPath: undefined,
      },
      dataDir: '/repo/data',
    });
  });

  it('reads every variable', () => {
    const config = parseConfig({
      TROSYN_HOST: '0.0.0.0', TROSYN_PORT: '9000', TROSYN_API_KEY: 'secret-key', TROSYN_ADMIN_KEY: 'admin-secret', TROSYN_METRICS: 'off', TROSYN_CORS_ORIGINS: 'http://a.lan:3000, http://b.lan',
      TROSYN_MODEL_ALIASES: 'gpt-4o,gpt-4o-mini', TROSYN_BODY_LIMIT: '2048', TROSYN_SHUTDOWN_TIMEOUT: '3', TROSYN_SSE_KEEPALIVE_MS: '500',
      LLM_MODEL_PATH: '/abs/model.gguf', LLM_CONTEXT_SIZE: '4096', LLM_N_GPU_LAYERS: '10', LLM_THREADS: '2', LLM_PARALLEL: '4', LLM_MAX_QUEUE: '0', LLM_BATCH_SIZE: '32', LLM_CHAT_TEMPLATE: 'chatML',
      LAN_SYNC_ENABLED: 'false', LAN_SYNC_PORT: '5001', LAN_SYNC_NODE_ID: 'node-1', LAN_SYNC_NODE_NAME: 'Front desk', LAN_SYNC_DISCOVERY_INTERVAL: '10', LAN_SYNC_DEVICE_TIMEOUT: '30',
      LAN_SYNC_HOST: '10.0.0.2', LAN_SYNC_SHARED_SECRET: 's3cret-for-tests', LAN_SYNC_PEERS: '10.0.0.3:5000, pc-b.lan:5001,[fe80::1]:5002',
      LAN_SYNC_MDNS: 'false', LAN_SYNC_MDNS_INTERFACE: '10.0.0.2', LAN_SYNC_INTERVAL: '5', LAN_SYNC_MAX_CLOCK_DRIFT: '120',
      LAN_SYNC_TLS_CERT: 'certs/node.pem', LAN_SYNC_TLS_KEY: '/etc/trosyn/node.key', TROSYN_DATA_DIR: '/var/lib/trosyn',
      LAN_SYNC_TOMBSTONE_RETENTION_DAYS: '60', LAN_SYNC_HISTORY_MAX_VERSIONS: '5', LAN_SYNC_HISTORY_MAX_AGE_DAYS: '365', LAN_SYNC_CONFLICT_RESOLVER: 'resolvers/merge.mjs',
    }, options);
    expect(config).toEqual({
      host: '0.0.0.0', port: 9000, apiKey: 'secret-key', adminKey: 'admin-secret', metrics: false, corsOrigins: ['http://a.lan:3000', 'http://b.lan'], modelAliases: ['gpt-4o', 'gpt-4o-mini'],
      bodyLimitBytes: 2048, shutdownTimeoutMs: 3000, sseKeepAliveMs: 500,
      llm: { modelPath: '/abs/model.gguf', contextSize: 4096, gpuLayers: 10, threads: 2, parallel: 4, maxQueue: 0, batchSize: 32, chatTemplate: { builtIn: 'chatML' } },
      lanSync: {
        enabled: false, port: 5001, host: '10.0.0.2', nodeId: 'node-1', nodeName: 'Front desk', discoveryIntervalSeconds: 10, deviceTimeoutSeconds: 30,
        sharedSecret: 's3cret-for-tests', peers: [{ host: '10.0.0.3', port: 5000 }, { host: 'pc-b.lan', port: 5001 }, { host: 'fe80::1', port: 5002 }],
        mdns: false, mdnsInterface: '10.0.0.2', intervalSeconds: 5, maxClockDriftSeconds: 120,
        tls: { certPath: '/repo/certs/node.pem', keyPath: '/etc/trosyn/node.key' },
        tombstoneRetentionDays: 60, historyMaxVersions: 5, historyMaxAgeDays: 365, conflictResolverPath: '/repo/resolvers/merge.mjs',
      },
      upstream: undefined,
      modelShare: { enabled: true, maxBytesPerSecond: undefined },
      pool: 'fallback',
      poolStatus: { intervalMs: 1000, staleMs: 5000 },
      dataDir: '/var/lib/trosyn',
    });
  });

  it('reads LLM_CHAT_TEMPLATE as a Jinja template file, relative to the base directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trosyn-template-'));
    try {
      writeFileSync(join(dir, 'chat.jinja'), '{{ messages[0].content }}');
      expect(parseConfig({ LLM_CHAT_TEMPLATE: 'chat.jinja' }, { ...options, baseDir: dir }).llm.chatTemplate).toEqual({
        template: '{{ messages[0].content }}',
        path: join(dir, 'chat.jinja'),
      });
      writeFileSync(join(dir, 'empty.jinja'), ' \n');
      expect(() => parseConfig({ LLM_CHAT_TEMPLATE: join(dir, 'empty.jinja') }, options)).toThrow(/^LLM_CHAT_TEMPLATE: .*empty/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads LLM_POOL', () => {
    for (const mode of ['off', 'fallback', 'balance']) expect(parseConfig({ LLM_POOL: mode }, options).pool).toBe(mode);
  });

  it('reads LLM_POOL_STATUS_INTERVAL_MS and LLM_POOL_STATUS_STALE_MS, and refuses bad values naming the variable', () => {
    expect(parseConfig({}, options).poolStatus).toEqual({ intervalMs: 1000, staleMs: 5000 });
    expect(parseConfig({ LLM_POOL_STATUS_INTERVAL_MS: '250', LLM_POOL_STATUS_STALE_MS: '1500' }, options).poolStatus).toEqual({ intervalMs: 250, staleMs: 1500 });
    // The stale age follows a longer interval unless it is set.
    expect(parseConfig({ LLM_POOL_STATUS_INTERVAL_MS: '3000' }, options).poolStatus).toEqual({ intervalMs: 3000, staleMs: 15_000 });
    expect(() => parseConfig({ LLM_POOL_STATUS_INTERVAL_MS: 'fast' }, options)).toThrow(/^LLM_POOL_STATUS_INTERVAL_MS: expected an integer, got "fast"/);
    expect(() => parseConfig({ LLM_POOL_STATUS_INTERVAL_MS: '10' }, options)).toThrow(/^LLM_POOL_STATUS_INTERVAL_MS: expected an integer from 100 to 600000, got 10/);
    expect(() => parseConfig({ LLM_POOL_STATUS_STALE_MS: '1500' }, options)).toThrow(/^LLM_POOL_STATUS_STALE_MS: must be at least twice LLM_POOL_STATUS_INTERVAL_MS \(1000 ms\), got 1500 ms/);
  });

  it('reads the model sharing settings', () => {
    expect(parseConfig({ LLM_MODEL_SHARE: 'false', LLM_MODEL_SHARE_MAX_MBPS: '2.5' }, options).modelShare).toEqual({ enabled: false, maxBytesPerSecond: 2_500_000 });
  });

  it('reads the upstream engine, adds /v1 to a bare host:port, and forwards 8 requests at once by default', () => {
    const config = parseConfig({ LLM_UPSTREAM_URL: 'http://10.0.0.5:8080', LLM_UPSTREAM_API_KEY: 'up-key', LLM_UPSTREAM_MODEL: 'qwen', LLM_UPSTREAM_TIMEOUT: '30' }, options);
    expect(config.upstream).toEqual({ url: 'http://10.0.0.5:8080/v1', apiKey: 'up-key', model: 'qwen', timeoutMs: 30_000 });
    expect(config.llm.parallel).toBe(8);
    expect(parseConfig({ LLM_UPSTREAM_URL: 'https://gpu.lan/api/v1/' }, options).upstream).toEqual({ url: 'https://gpu.lan/api/v1', apiKey: undefined, model: undefined, timeoutMs: 60_000 });
    expect(parseConfig({ LLM_UPSTREAM_URL: 'http://gpu.lan:11434/v1', LLM_PARALLEL: '2' }, options).llm.parallel).toBe(2);
  });

  it('resolves a relative model path against the base directory and keeps hf: URIs', () => {
    expect(parseConfig({ LLM_MODEL_PATH: 'models/x.gguf' }, options).llm.modelPath).toBe('/repo/models/x.gguf');
    expect(parseConfig({ LLM_MODEL_PATH: 'hf:user/repo:Q4_K_M' }, options).llm.modelPath).toBe('hf:user/repo:Q4_K_M');
    // Regression: a URL was resolved as a relative path (/repo/https:/host/x.gguf) and reported missing.
    expect(parseConfig({ LLM_MODEL_PATH: 'https://models.example/x.gguf' }, options).llm.modelPath).toBe('https://models.example/x.gguf');
    expect(parseConfig({ LLM_MODEL_PATH: 'http://127.0.0.1:8080/x.gguf' }, options).llm.modelPath).toBe('http://127.0.0.1:8080/x.gguf');
  });

  it.each([
    ['TROSYN_PORT', 'eighty'], ['TROSYN_PORT', '70000'], ['LLM_CONTEXT_SIZE', '2k'], ['LLM_N_GPU_LAYERS', '-1'],
    ['LLM_PARALLEL', '0'], ['LLM_BATCH_SIZE', '0'], ['LLM_BATCH_SIZE', '32 tokens'], ['LLM_BATCH_SIZE', '-64'], ['LAN_SYNC_ENABLED', 'maybe'], ['TROSYN_CORS_ORIGINS', 'office.lan'], ['TROSYN_API_KEY', 'short'], ['TROSYN_ADMIN_KEY', 'short'], ['TROSYN_METRICS', 'maybe'],
    ['TROSYN_HOST', 'http://x'], ['LAN_SYNC_PORT', '1.5'], ['LAN_SYNC_NODE_ID', 'has space'], ['LAN_SYNC_NODE_ID', 'x'.repeat(65)],
    ['LAN_SYNC_PEERS', '10.0.0.3'], ['LAN_SYNC_PEERS', '10.0.0.3:99999'], ['LAN_SYNC_MDNS_INTERFACE', 'eth0'], ['LAN_SYNC_INTERVAL', '0'],
    ['LAN_SYNC_TLS_CERT', 'cert.pem'], ['LAN_SYNC_TLS_KEY', 'key.pem'], ['LAN_SYNC_DEVICE_TIMEOUT', '20'], ['LAN_SYNC_MAX_CLOCK_DRIFT', 'ten'],
    ['LLM_CHAT_TEMPLATE', 'templates/absent.jinja'], ['LLM_CHAT_TEMPLATE', '/no/such/file'],
    ['LLM_UPSTREAM_URL', 'gpu.lan:8080'], ['LLM_UPSTREAM_URL', 'ftp://gpu.lan'], ['LLM_UPSTREAM_URL', 'http://user:pw@gpu.lan'], ['LLM_UPSTREAM_API_KEY', 'key-without-url'],
    ['LLM_UPSTREAM_MODEL', 'model-without-url'], ['LLM_MODEL_SHARE', 'maybe'], ['LLM_MODEL_SHARE_MAX_MBPS', '0'], ['LLM_MODEL_SHARE_MAX_MBPS', 'fast'], ['LLM_POOL', 'always'],
    ['LAN_SYNC_TOMBSTONE_RETENTION_DAYS', '0'], ['LAN_SYNC_HISTORY_MAX_VERSIONS', 'all'], ['LAN_SYNC_HISTORY_MAX_AGE_DAYS', '-1'],
  ])('rejects %s=%s with an error naming the variable', (variable, value) => {
    expect(() => parseConfig({ [variable]: value }, options)).toThrow(ConfigError);
    expect(() => parseConfig({ [variable]: value }, options)).toThrow(new RegExp(`^${variable}: `));
  });

  it('refuses an admin key equal to the API key, which would let every API client into the admin routes', () => {
    expect(() => parseConfig({ TROSYN_API_KEY: 'same-key-1', TROSYN_ADMIN_KEY: 'same-key-1' }, options)).toThrow(/^TROSYN_ADMIN_KEY: must differ from TROSYN_API_KEY/);
  });
});
