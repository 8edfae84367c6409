import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivityTracker } from '../../src/activity-tracker.js';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { LogFields, Logger } from '../../src/logger.js';
import { ModelHost } from '../../src/model-host.js';
import { requestScope, type AppEnv } from '../../src/request-scope.js';
import { changesRoute } from '../../src/routes/data-api/changes-route.js';
import { LanSyncService } from '../../src/sync/lan-sync-service.js';
import { FakeEngine } from '../fake-engine.js';
import { assertSchema } from './published-schema.js';

// Real HTTP servers on 127.0.0.1, read as a browser's EventSource would: a streamed fetch body.
const keyOptions = { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trosyn-changes-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function listen(app: Hono<AppEnv>): Promise<string> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

/** A node's data store (sync off unless `env` turns it on), and its HTTP API on 127.0.0.1. */
async function startNode(env: Record<string, string> = {}, options: { apiKey?: string } = {}) {
  const dataDir = tempDir();
  const config = parseConfig(
    { LAN_SYNC_ENABLED: 'false', LAN_SYNC_MDNS: 'false', LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_PORT: '0', LAN_SYNC_SHARED_SECRET: 'change feed test secret', TROSYN_DATA_DIR: dataDir, ...env },
    { baseDir: dataDir, hostname: 'h' },
  );
  const logs: LogFields[] = [];
  const logger: Logger = { log: (level, msg, fields = {}) => logs.push({ level, msg, ...fields }) };
  const sync = await LanSyncService.start({ settings: config.lanSync, dataDir, logger, keyOptions });
  cleanups.push(() => sync.close());
  const tracker = new ActivityTracker();
  const app = createApp({ model: ModelHost.fromEngine(new FakeEngine()), data: sync, tracker, logger, config: options.apiKey === undefined ? {} : { apiKey: options.apiKey } });
  const url = await listen(app);
  const post = async (body: object): Promise<void> => {
    const response = await fetch(`${url}/api/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(201);
  };
  return { sync, engine: sync.engine, url, post, tracker, logs };
}

interface SseEvent {
  readonly event?: string;
  readonly id?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked against the published schemas
  readonly data?: any;
  readonly comment?: string;
}

/** Reads server-sent events one at a time from a streamed response. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  constructor(readonly response: Response) {
    this.#reader = response.body!.getReader();
  }

  /** The next event or comment; `undefined` when the server ended the stream. */
  async next(timeoutMs = 5000): Promise<SseEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return parseEvent(block);
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), Math.max(1, deadline - Date.now()));
      });
      const chunk = await Promise.race([this.#reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (chunk.done) return undefined;
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next `n` events that are not comments. */
  async events(n: number): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    while (out.length < n) {
      const event = await this.next();
      if (event === undefined) throw new Error(`the stream ended after ${out.length} of ${n} events`);
      if (event.comment === undefined) out.push(event);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

function parseEvent(block: string): SseEvent {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) return { comment: line.slice(1).trim() };
    const colon = line.indexOf(': ');
    if (colon < 0) throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
    fields[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return {
    ...(fields['event'] === undefined ? {} : { event: fields['event'] }),
    ...(fields['id'] === undefined ? {} : { id: fields['id'] }),
    ...(fields['data'] === undefined ? {} : { data: JSON.parse(fields['data']) as unknown }),
  };
}

async function openFeed(url: string, query = '', headers: Record<string, string> = {}): Promise<EventReader> {
  const response = await fetch(`${url}/api/v1/changes${query}`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = new EventReader(response);
  cleanups.push(() => reader.close());
  return reader;
}

const changedIds = (events: readonly SseEvent[]): string[] => events.map((event) => event.data.item.id as string);

describe('GET /api/v1/changes (the change feed)', () => {
  it('opens with its position, then sends every later write once, each with its position as id', async () => {
    const node = await startNode();
    await node.post({ id: 'before', type: 'memo', data: 'written before the feed opened' });
    const feed = await openFeed(node.url);
    const [ready] = await feed.events(1);
    assertSchema('ChangeFeedReady', ready!.data);
    expect(ready).toMatchObject({ event: 'ready', id: `${node.engine.epoch}:1`, data: { object: 'changes.ready', position: `${node.engine.epoch}:1` } });

    await node.post({ id: 'memo-1', type: 'memo', data: { text: 'Agenda' } });
    await node.post({ id: 'memo-2', type: 'memo', data: { text: 'Budget' } });
    await node.engine.delete('memo-1');
    const changes = await feed.events(3);
    for (const change of changes) assertSchema('ItemChange', change.data);
    expect(changes.map((change) => [change.event, change.id, change.data.item.id, change.data.item.deleted, change.data.peer_id])).toEqual([
      ['change', `${node.engine.epoch}:2`, 'memo-1', false, null],
      ['change', `${node.engine.epoch}:3`, 'memo-2', false, null],
      ['change', `${node.engine.epoch}:4`, 'memo-1', true, null],
    ]);
    expect(changes[1]!.data).toMatchObject({ object: 'item.change', position: changes[1]!.id, item: { object: 'item', type: 'memo', data: { text: 'Budget' }, version: 1 } });
  });

  it('replays the store with since=0 and resumes after Last-Event-ID with nothing lost or repeated', async () => {
    const node = await startNode();
    for (let n = 1; n <= 5; n++) await node.post({ id: `n${n}`, type: 'memo', data: n });
    const first = await openFeed(node.url, '?since=0');
    const [, ...replayed] = await first.events(4);
    expect(changedIds(replayed)).toEqual(['n1', 'n2', 'n3']);
    const lastSeen = replayed[2]!.id!;
    await first.close();

    // Written while disconnected; n2 twice: it comes once, at its latest version.
    await node.post({ id: 'n6', type: 'memo', data: 6 });
    await node.engine.put({ id: 'n2', type: 'memo', data: 'n2 edited' });
    // As an EventSource reconnects: the original URL, plus the last id it saw.
    const resumed = await openFeed(node.url, '?since=0', { 'Last-Event-ID': lastSeen });
    const [ready, ...rest] = await resumed.events(5);
    expect(ready!.id).toBe(lastSeen);
    expect(changedIds(rest)).toEqual(['n4', 'n5', 'n6', 'n2']);
    expect(rest[3]!.data.item).toMatchObject({ data: 'n2 edited', version: 2 });
    const later = await openFeed(node.url, `?since=${encodeURIComponent(rest[2]!.id!)}`);
    expect(changedIds((await later.events(2)).slice(1))).toEqual(['n2']);
  });

  it('filters by type', async () => {
    const node = await startNode();
    const feed = await openFeed(node.url, '?type=task');
    await feed.events(1);
    await node.post({ id: 'memo', type: 'memo', data: 1 });
    await node.post({ id: 'task', type: 'task', data: 2 });
    await node.post({ id: 'memo-2', type: 'memo', data: 3 });
    await node.post({ id: 'task-2', type: 'task', data: 4 });
    expect(changedIds(await feed.events(2))).toEqual(['task', 'task-2']);
  });

  it('sends every change of a batch, or of writes racing each other, in log order', async () => {
    const node = await startNode();
    const feed = await openFeed(node.url);
    await feed.events(1);
    const filtered = await openFeed(node.url, '?type=task');
    await filtered.events(1);
    await node.engine.put({ id: 'single', type: 'task', data: 0 });
    await node.engine.putMany([
      { id: 'batch-1', type: 'task', data: 1 },
      { id: 'batch-2', type: 'memo', data: 2 },
      { id: 'batch-3', type: 'task', data: 3 },
    ]);
    await Promise.all(['race-1', 'race-2', 'race-3'].map((id, n) => node.engine.put({ id, type: n === 1 ? 'memo' : 'task', data: n })));
    await node.engine.put({ id: 'last', type: 'memo', data: 'one more' });
    const all = await feed.events(8);
    expect(all.map((change) => [change.id, change.data.item.id])).toEqual(
      ['single', 'batch-1', 'batch-2', 'batch-3', 'race-1', 'race-2', 'race-3', 'last'].map((id, n) => [`${node.engine.epoch}:${n + 1}`, id]),
    );
    expect(changedIds(await filtered.events(5))).toEqual(['single', 'batch-1', 'batch-3', 'race-1', 'race-3']);
    await node.engine.put({ id: 'after', type: 'task', data: 'after a memo' });
    const [after] = await filtered.events(1);
    expect([after!.id, after!.data.item.id]).toEqual([`${node.engine.epoch}:9`, 'after']);
  });

  it('says reset and replays from the start for a position of another database', async () => {
    const node = await startNode();
    await node.post({ id: 'only', type: 'memo', data: 1 });
    const feed = await openFeed(node.url, '?since=some-other-epoch:12');
    const [ready, reset, change] = await feed.events(3);
    expect(ready!.event).toBe('ready');
    expect(reset!.event).toBe('reset');
    assertSchema('ChangeFeedReset', reset!.data);
    expect(change!.data.item.id).toBe('only');
  });

  it('refuses a malformed position or type with a 400 naming it', async () => {
    const node = await startNode();
    const cases: [string, Record<string, string>, string][] = [
      ['?since=yesterday', {}, 'since'],
      ['?since=epoch:-1', {}, 'since'],
      ['', { 'Last-Event-ID': 'not a position' }, 'Last-Event-ID'],
      [`?type=${'t'.repeat(200)}`, {}, 'type'],
    ];
    for (const [query, headers, param] of cases) {
      const response = await fetch(`${node.url}/api/v1/changes${query}`, { headers });
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
    }
  });

  it('requires the API key when one is set', async () => {
    const node = await startNode({}, { apiKey: 'sk-feed' });
    expect((await fetch(`${node.url}/api/v1/changes`)).status).toBe(401);
    const feed = await openFeed(node.url, '', { authorization: 'Bearer sk-feed' });
    expect((await feed.events(1))[0]!.event).toBe('ready');
  });

  it('shows a change replicated from a peer, naming the peer', async () => {
    const b = await startNode({ LAN_SYNC_ENABLED: 'true' });
    const a = await startNode({ LAN_SYNC_ENABLED: 'true', LAN_SYNC_PEERS: `127.0.0.1:${b.sync.syncPort}` });
    const feed = await openFeed(b.url, '?type=memo');
    await feed.events(1);
    await a.post({ id: 'from-a', type: 'memo', data: { text: 'written on A' } });
    const [change] = await feed.events(1);
    expect(change!.data).toMatchObject({ peer_id: a.sync.nodeId, item: { id: 'from-a', node_id: a.sync.nodeId, data: { text: 'written on A' } } });
  });

  it('ends open feeds when the server starts shutting down, and logs each as one request', async () => {
    const node = await startNode();
    const feed = await openFeed(node.url);
    await feed.events(1);
    expect(node.tracker.active).toBe(1);
    node.tracker.drain();
    expect(await feed.next()).toBeUndefined();
    await node.tracker.whenIdle();
    expect(node.logs.find((line) => line['path'] === '/api/v1/changes')).toMatchObject({ msg: 'request', status: 200, outcome: 'stopped' });
  });

  it('notices a client that went away', async () => {
    const node = await startNode();
    const feed = await openFeed(node.url);
    await feed.events(1);
    await feed.close();
    await node.tracker.whenIdle();
    expect(node.logs.find((line) => line['path'] === '/api/v1/changes')).toMatchObject({ outcome: 'client-disconnected' });
  });

  it('sends keep-alive comments while nothing changes, and holds a slow reader back rather than buffering', async () => {
    const node = await startNode();
    const tracker = new ActivityTracker();
    const app = new Hono<AppEnv>().use(requestScope({ logger: { log: () => undefined }, tracker })).route('/', changesRoute(node.sync, { keepAliveMs: 50, stopSignal: tracker.drainSignal, logger: { log: () => undefined } }));
    const url = await listen(app);
    const feed = await openFeed(url);
    await feed.events(1);
    expect(await feed.next()).toEqual({ comment: 'keep-alive' });

    // 5,000 items of 16 KB replayed to a reader that does not read: the server stops reading
    // the log once the socket's buffers are full, far short of the 80 MB there is.
    for (let batch = 0; batch < 5; batch++) {
      await node.engine.putMany(Array.from({ length: 1000 }, (_, n) => ({ id: `bulk-${batch}-${n}`, type: 'bulk', data: 'x'.repeat(16_000) })));
    }
    const reads: number[] = [];
    const original = node.engine.changeFeed.bind(node.engine);
    node.engine.changeFeed = async (options) => {
      const page = await original(options);
      reads.push(page.entries.length);
      return page;
    };
    const stalled = await openFeed(url, '?since=0');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const entriesRead = reads.reduce((sum, n) => sum + n, 0);
    expect(entriesRead).toBeGreaterThan(0);
    expect(entriesRead).toBeLessThan(2_500);
    // And it all arrives once read.
    let received = 0;
    while (received < 5_000) {
      const event = await stalled.next();
      if (event === undefined) break;
      if (event.event === 'change') received += 1;
    }
    expect(received).toBe(5_000);
  });
});
