import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NamespaceAgent } from './namespace-agent.js';
import type { LanHost } from './netns-lan.js';
import { libfaketimePath } from './required-tools.js';

const mainJs = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Main API port of every node: each host is its own namespace, so they can all use it. */
export const API_PORT = 8000;
/** Sync port of every node. */
export const SYNC_PORT = 5000;

/** One JSON log line of a node, with the run (start) it came from. */
export interface LogLine {
  readonly run: number;
  readonly level?: string;
  readonly msg?: string;
  readonly event?: string;
  readonly [field: string]: unknown;
}

/** Item JSON of the data API (the contract of issue 7). */
export interface ApiItem {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly version: number;
  readonly hlc: string;
  readonly node_id: string;
  readonly deleted: boolean;
  readonly updated_at: string;
}

/** A conflict log entry of the data API; only the fields the tests read are typed. */
export interface ApiConflict {
  readonly id: string | number;
  readonly item_id?: string;
  readonly [field: string]: unknown;
}

/** One peer in `GET /api/v1/sync/status`. */
export interface ApiPeerStatus {
  readonly peer_id: string;
  readonly name: string;
  readonly address: string;
  readonly state: string;
  readonly cursor: unknown;
  readonly pending_changes: number;
  readonly last_sync_at: string | null;
  readonly last_error: unknown;
  readonly source: string;
  readonly clock_offset_ms: number | null;
}

/** The `clock` section of `/health`'s sync and of the sync status. */
export interface ApiClockReport {
  readonly status: 'unknown' | 'ok' | 'ahead' | 'behind' | 'hlc-ahead';
  readonly offset_ms: number | null;
  readonly peers_compared: number;
  readonly hlc_ahead_ms: number;
  readonly future_changes_accepted: number;
  readonly message: string | null;
}

/** `GET /api/v1/sync/status`. */
export interface ApiSyncStatus {
  readonly node_id: string;
  readonly node_name: string;
  readonly enabled: boolean;
  readonly epoch: string;
  readonly clock: ApiClockReport;
  readonly peers: readonly ApiPeerStatus[];
}

/** An HTTP answer of a node's data API. */
export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
}

/** Configuration of {@link LanNode}. */
export interface LanNodeConfig {
  readonly host: LanHost;
  /** The agent in the same namespace, through which the test talks to the node. */
  readonly agent: NamespaceAgent;
  /** `LAN_SYNC_NODE_NAME`. */
  readonly name: string;
  /** `LAN_SYNC_SHARED_SECRET`. */
  readonly secret: string;
  /** `TROSYN_DATA_DIR` (kept across restarts). */
  readonly dataDir: string;
  /** More variables, or overrides of the defaults below. */
  readonly env?: Readonly<Record<string, string>>;
  /** A libfaketime offset such as `+3m`: the node's clock (wall and monotonic) runs that far off. */
  readonly clockOffset?: string;
  /**
   * The node's system clock can be stepped while it runs ({@link LanNode.stepClock}), as NTP or a
   * resumed laptop steps it: libfaketime reads the offset (initially `clockOffset`, else `+0`)
   * from a file, and leaves the monotonic clock alone as a real step does.
   */
  readonly steppableClock?: boolean;
}

/**
 * A real server process (`node dist/main.js`) inside one namespace of the test LAN, started
 * with `ip netns exec`. Its JSON log lines (stdout and stderr) are kept so tests can wait for
 * events; its data API is reached through the namespace's {@link NamespaceAgent}. It can be
 * killed with SIGKILL and started again on the same data directory.
 */
export class LanNode {
  readonly config: LanNodeConfig;
  readonly #logs: LogLine[] = [];
  readonly #logWaiters = new Set<() => void>();
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #run = 0;

  constructor(config: LanNodeConfig) {
    this.config = config;
  }

  /** `LAN_SYNC_NODE_NAME`. */
  get name(): string {
    return this.config.name;
  }

  /** The host's address on the LAN. */
  get address(): string {
    return this.config.host.ipv4;
  }

  /** Base URL of the main API (only reachable from inside the LAN). */
  get apiUrl(): string {
    return `http://${this.address}:${API_PORT}`;
  }

  /** Every log line so far, all runs. */
  get logs(): readonly LogLine[] {
    return this.#logs;
  }

  /** The number of the current (or last) run: 1 for the first start, one more at each start. */
  get run(): number {
    return this.#run;
  }

  /** The process id of the current run (`undefined` before the first start). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The environment the process gets: only what the server needs, nothing inherited. */
  environment(): Record<string, string> {
    const { host, name, secret, dataDir } = this.config;
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      // No .env of the developer's checkout: the node reads only what the test gives it.
      TROSYN_ROOT: dataDir,
      TROSYN_HOST: host.ipv4,
      TROSYN_PORT: String(API_PORT),
      TROSYN_DATA_DIR: dataDir,
      // The server starts without a model; a path that cannot exist keeps it from loading one.
      LLM_MODEL_PATH: `${dataDir}/no-model.gguf`,
      LAN_SYNC_ENABLED: 'true',
      LAN_SYNC_PORT: String(SYNC_PORT),
      LAN_SYNC_NODE_NAME: name,
      LAN_SYNC_SHARED_SECRET: secret,
      LAN_SYNC_MDNS_INTERFACE: host.ipv4,
      LAN_SYNC_DISCOVERY_INTERVAL: '1',
      LAN_SYNC_DEVICE_TIMEOUT: '4',
      LAN_SYNC_INTERVAL: '2',
      ...this.config.env,
    };
    if (this.config.steppableClock === true) {
      env['LD_PRELOAD'] = libfaketimePath();
      env['FAKETIME_TIMESTAMP_FILE'] = this.#clockFile();
      // Read the file at most once a second (without a cache, every clock read would read it).
      env['FAKETIME_CACHE_DURATION'] = '1';
      // A step moves the system clock only; Node also aborts when its monotonic clock goes back.
      env['DONT_FAKE_MONOTONIC'] = '1';
      if (!existsSync(this.#clockFile())) writeFileSync(this.#clockFile(), `${this.config.clockOffset ?? '+0'}\n`);
    } else if (this.config.clockOffset !== undefined) {
      // The library directly, not the `faketime` wrapper: that one forks, and a SIGKILL of the
      // wrapper would leave the node running.
      env['LD_PRELOAD'] = libfaketimePath();
      env['FAKETIME'] = this.config.clockOffset;
    }
    return env;
  }

  #clockFile(): string {
    return join(this.config.dataDir, 'faketime-offset');
  }

  /**
   * Steps the running node's system clock to `offset` from the real time (libfaketime syntax:
   * `+0`, `-700s`, `+1d`). Takes effect within about a second (libfaketime's cache).
   */
  stepClock(offset: string): void {
    if (this.config.steppableClock !== true) throw new Error(`${this.name} was not started with a steppable clock`);
    writeFileSync(this.#clockFile(), `${offset}\n`);
  }

  /**
   * Starts the process and waits until both its main API and its sync server listen.
   *
   * @throws when it exits or does not listen within `timeoutMs`.
   */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`pnpm --filter @trosyn/server build\` first.`);
    const run = ++this.#run;
    const child = this.config.host.spawn(process.execPath, [mainJs], {
      cwd: this.config.dataDir,
      env: this.environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.#addLog(run, line));
    }
    const failed = this.#exited.then(() => {
      throw new Error(`${this.name} exited during start: ${this.#tail(run)}`);
    });
    // Handled by the race below; a later exit (a kill) must not become an unhandled rejection.
    failed.catch(() => undefined);
    try {
      await Promise.race([
        failed,
        (async () => {
          await this.waitForLog((line) => line.msg === 'listening', { timeoutMs, sinceRun: run });
          await this.waitForLog((line) => line.event === 'sync-listening', { timeoutMs, sinceRun: run });
        })(),
      ]);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** SIGKILL: no shutdown, no flush. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.#child!.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (graceful), then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#child!.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  #addLog(run: number, text: string): void {
    let line: LogLine;
    try {
      const parsed = JSON.parse(text) as unknown;
      line = typeof parsed === 'object' && parsed !== null ? { ...(parsed as Record<string, unknown>), run } : { run, msg: text };
    } catch {
      line = { run, msg: text };
    }
    this.#logs.push(line);
    for (const wake of this.#logWaiters) wake();
    if (process.env['LAN_TEST_VERBOSE'] === '1') process.stderr.write(`[${this.name}] ${text}\n`);
  }

  #tail(run: number): string {
    return this.#logs.filter((line) => line.run === run).slice(-10).map((line) => JSON.stringify(line)).join('\n');
  }

  /** Log lines matching `predicate` (optionally only from run `sinceRun` on). */
  logsWhere(predicate: (line: LogLine) => boolean, sinceRun = 0): LogLine[] {
    return this.#logs.filter((line) => line.run >= sinceRun && predicate(line));
  }

  /**
   * Resolves with the first log line (from index `fromIndex`, and run `sinceRun` on) matching
   * `predicate`; rejects after `timeoutMs` with the node's last lines.
   */
  waitForLog(predicate: (line: LogLine) => boolean, options: { readonly timeoutMs?: number; readonly sinceRun?: number; readonly fromIndex?: number } = {}): Promise<LogLine> {
    const { timeoutMs = 15_000, sinceRun = 0, fromIndex = 0 } = options;
    return new Promise((resolve, reject) => {
      let checked = fromIndex;
      const check = (): boolean => {
        for (; checked < this.#logs.length; checked++) {
          const line = this.#logs[checked]!;
          if (line.run >= sinceRun && predicate(line)) {
            resolve(line);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const wake = (): void => {
        if (check()) done();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms; last lines:\n${this.#tail(this.#run)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#logWaiters.delete(wake);
      };
      this.#logWaiters.add(wake);
    });
  }

  /** Calls the data API from inside the namespace; the body is parsed as JSON when it is. */
  async api<T = unknown>(method: string, path: string, json?: unknown): Promise<ApiResponse<T>> {
    const response = await this.config.agent.fetch(`${this.apiUrl}${path}`, { method, ...(json !== undefined ? { json } : {}) });
    let body: unknown = response.body;
    try {
      body = JSON.parse(response.body) as unknown;
    } catch {
      // Not JSON: kept as text for the failure message.
    }
    return { status: response.status, body: body as T };
  }

  /** Like {@link api} but throws unless the status is `expected`. */
  async apiOk<T>(method: string, path: string, json?: unknown, expected = 200): Promise<T> {
    const response = await this.api<T>(method, path, json);
    if (response.status !== expected) throw new Error(`${this.name}: ${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** `POST /api/v1/items`. */
  createItem(item: { readonly id?: string; readonly type: string; readonly data: unknown }): Promise<ApiItem> {
    return this.apiOk<ApiItem>('POST', '/api/v1/items', item, 201);
  }

  /** `PUT /api/v1/items/{id}`. */
  updateItem(id: string, item: { readonly type: string; readonly data: unknown }): Promise<ApiItem> {
    return this.apiOk<ApiItem>('PUT', `/api/v1/items/${encodeURIComponent(id)}`, item);
  }

  /** `DELETE /api/v1/items/{id}`: the tombstone. */
  deleteItem(id: string): Promise<ApiItem> {
    return this.apiOk<ApiItem>('DELETE', `/api/v1/items/${encodeURIComponent(id)}`);
  }

  /** `GET /api/v1/items/{id}`; `undefined` on 404. */
  async getItem(id: string): Promise<ApiItem | undefined> {
    const response = await this.api<ApiItem>('GET', `/api/v1/items/${encodeURIComponent(id)}`);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`${this.name}: GET item ${id} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Every item (tombstones included unless told otherwise), following `next_cursor`. */
  async listAll(options: { readonly type?: string; readonly includeDeleted?: boolean } = {}): Promise<ApiItem[]> {
    const items: ApiItem[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '500', include_deleted: String(options.includeDeleted ?? true) });
      if (options.type !== undefined) query.set('type', options.type);
      if (cursor !== null) query.set('cursor', cursor);
      const page: { data: ApiItem[]; next_cursor: string | null } = await this.apiOk('GET', `/api/v1/items?${query.toString()}`);
      items.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return items;
  }

  /** `GET /api/v1/conflicts`. */
  async conflicts(): Promise<ApiConflict[]> {
    return (await this.apiOk<{ data: ApiConflict[] }>('GET', '/api/v1/conflicts')).data;
  }

  /** `GET /api/v1/items/{id}/history` entries. */
  async history(id: string): Promise<Record<string, unknown>[]> {
    return (await this.apiOk<{ data: Record<string, unknown>[] }>('GET', `/api/v1/items/${encodeURIComponent(id)}/history`)).data;
  }

  /** `GET /api/v1/sync/status`. */
  syncStatus(): Promise<ApiSyncStatus> {
    return this.apiOk<ApiSyncStatus>('GET', '/api/v1/sync/status');
  }

  /** The `clock` section of `/health`. */
  async clockHealth(): Promise<ApiClockReport> {
    return (await this.apiOk<{ sync: { clock: ApiClockReport } }>('GET', '/health')).sync.clock;
  }

  /** `POST /api/v1/sync/now`. */
  syncNow(): Promise<unknown> {
    return this.apiOk<unknown>('POST', '/api/v1/sync/now');
  }
}
