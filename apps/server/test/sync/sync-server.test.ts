import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInitiator, createRateLimiter, createResponder, createSessionStore, deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT, SEALED_FRAME_HEADER_BYTES, type NetworkKey } from '@trosyn/crypto';
import { SyncEngine } from '@trosyn/sync-core';
import type { LogFields, Logger, LogLevel } from '../../src/logger.js';
import { LanSyncError } from '../../src/sync/errors.js';
import { HttpSyncTransport } from '../../src/sync/http-sync-transport.js';
import { REQUEST_ASSOCIATED_DATA, SEALED_FRAME_MEDIA_TYPE, SYNC_PATHS } from '../../src/sync/sync-paths.js';
import { createSyncApp, listenSyncServer } from '../../src/sync/sync-server.js';
import { decodeRefusal, encodeStreamFrame, STREAM_FRAME_REFUSAL, STREAM_FRAME_SEALED, StreamFrameReader, SYNC_STREAM_PATH, SYNC_STREAM_PROTOCOL, type StreamFrame } from '../../src/sync/sync-stream.js';

const keyOptions = { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT };
const networkKey = await deriveNetworkKey('the office secret', keyOptions);
const wrongKey = await deriveNetworkKey('another secret', keyOptions);

interface Line {
  readonly level: LogLevel;
  readonly fields: LogFields;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(
  options: { engine?: SyncEngine; port?: number; tls?: { cert: Buffer; key: Buffer }; clock?: () => number; sessionTtlMs?: number; onPeerClock?: (sample: { peer: string; offsetMs: number }) => void } = {},
) {
  const engine = options.engine ?? new SyncEngine({ database: ':memory:', nodeId: 'server-node' });
  const logs: Line[] = [];
  const logger: Logger = { log: (level, _message, fields = {}) => logs.push({ level, fields }) };
  const handshake = createResponder({ networkKey, nodeId: engine.nodeId, ...(options.clock === undefined ? {} : { clock: options.clock }), ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }) });
  const sessions = createSessionStore();
  const app = createSyncApp({
    responder: engine,
    handshake,
    sessions,
    nodeId: engine.nodeId,
    nodeName: 'Server',
    logger,
    handshakeLimiter: createRateLimiter({ capacity: 50, refillPerSecond: 50 }),
    failureLimiter: createRateLimiter({ capacity: 3, refillPerSecond: 0.01 }),
    maxMessageBytes: 64 * 1024,
    ...(options.clock === undefined ? {} : { now: options.clock }),
    ...(options.onPeerClock === undefined ? {} : { onPeerClock: options.onPeerClock }),
  });
  const server = await listenSyncServer(app, { host: '127.0.0.1', port: options.port ?? 0, tls: options.tls });
  const stop = async (): Promise<void> => {
    await server.close();
    sessions.dispose();
    handshake.dispose();
  };
  cleanups.push(async () => {
    await stop();
    await engine.dispose();
  });
  const events = (name: string) => logs.filter((line) => line.fields['event'] === name);
  return { engine, server, logs, events, stop };
}

function client(url: string, key: NetworkKey = networkKey, nodeId = 'client-node') {
  const transport = new HttpSyncTransport({ url, networkKey: key, nodeId });
  cleanups.push(() => transport.close());
  return transport;
}

/** The requesting node's store, disposed after the test. */
function newRequester(): SyncEngine {
  const engine = new SyncEngine({ database: ':memory:', nodeId: 'client-node' });
  cleanups.push(() => engine.dispose());
  return engine;
}

/** A session of our own with the server (a real handshake), to seal frames by hand. */
async function ownSession(url: string) {
  const initiator = createInitiator({ networkKey, nodeId: 'client-node' });
  const challenge = await (await post(`${url}${SYNC_PATHS.hello}`, JSON.stringify(initiator.hello()), 'application/json')).json();
  const confirm = await (await post(`${url}${SYNC_PATHS.proof}`, JSON.stringify(initiator.handleChallenge(challenge)), 'application/json')).json();
  return initiator.handleConfirm(confirm);
}

/** Counts the requests to the messages route (sync messages sent as HTTP requests, not on a stream). */
function countMessageRequests(server: { readonly server: { on(event: 'request', listener: (request: { url?: string }) => void): unknown } }): () => number {
  let count = 0;
  server.server.on('request', (request) => {
    if (request.url === SYNC_PATHS.messages) count++;
  });
  return () => count;
}

const errorOf = async (response: Response): Promise<{ code: string; message: string }> => ((await response.json()) as { error: { code: string; message: string } }).error;

const post = (url: string, body: Uint8Array | string, contentType = SEALED_FRAME_MEDIA_TYPE) =>
  fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('sync server', () => {
  it('refuses an answer whose session expired while the request was applied; the requester renews it and the change is applied once', async () => {
    // The answer is sealed after the rest of the event-loop turn: a session that expires in
    // between must be refused like any expired session, not turn into a 500.
    let now = Date.now();
    let expireNow = false;
    class SlowEngine extends SyncEngine {
      override async handleSyncRequest(...args: Parameters<SyncEngine['handleSyncRequest']>): ReturnType<SyncEngine['handleSyncRequest']> {
        const response = await super.handleSyncRequest(...args);
        if (expireNow) {
          expireNow = false;
          now += 1_001; // past the session's 1 s lifetime, well within the allowed clock skew
        }
        return response;
      }
    }
    const { server, engine, events } = await node({ engine: new SlowEngine({ database: ':memory:', nodeId: 'server-node' }), clock: () => now, sessionTtlMs: 1_000 });
    for (const streams of [true, false]) {
      const transport = new HttpSyncTransport({ url: server.url, networkKey, nodeId: `client-${streams}`, streams });
      cleanups.push(() => transport.close());
      const requester = new SyncEngine({ database: ':memory:', nodeId: `client-${streams}` });
      cleanups.push(() => requester.dispose());
      expect((await requester.syncWith(engine.nodeId, transport)).ok).toBe(true);
      await requester.put({ id: `written-${streams}`, type: 'note', data: 'once' });
      expireNow = true;
      const report = await requester.syncWith(engine.nodeId, transport);
      expect(report.ok, JSON.stringify(report.error)).toBe(true);
      expect(expireNow).toBe(false);
      expect(await engine.get(`written-${streams}`)).toMatchObject({ version: 1, data: 'once' });
    }
    expect(events('sync-server-error')).toEqual([]);
  });

  it("reads the time from its injected clock: the clock header it sends, and each hello's offset", async () => {
    const samples: { peer: string; offsetMs: number }[] = [];
    // This node's clock runs 10 s behind the real one (within the handshake's allowed skew).
    const { server } = await node({ clock: () => Date.now() - 10_000, onPeerClock: (sample) => samples.push(sample) });
    const measured: number[] = [];
    const transport = new HttpSyncTransport({ url: server.url, networkKey, nodeId: 'client-node', onPeerClock: (offsetMs) => measured.push(offsetMs) });
    cleanups.push(() => transport.close());
    expect(await transport.connect()).toBe('server-node');
    expect(samples).toHaveLength(1);
    expect(samples[0]!.peer).toBe('client-node');
    expect(Math.abs(samples[0]!.offsetMs + 10_000)).toBeLessThan(2_000);
    // The client, on the real clock, sees the server 10 s behind: itself 10 s ahead of it.
    expect(measured.length).toBeGreaterThan(0);
    for (const offset of measured) expect(Math.abs(offset - 10_000)).toBeLessThan(2_000);
  });

  it('tells who it is without authentication, and nothing secret', async () => {
    const { server } = await node();
    const info = await (await fetch(`${server.url}${SYNC_PATHS.info}`)).json();
    expect(info).toEqual({ object: 'trosyn.sync.info', node_id: 'server-node', node_name: 'Server', sync_protocol: 1, handshake_protocol: 1 });
  });

  it('answers garbage on the messages route with a 4xx, applies nothing and logs it', async () => {
    const { server, engine, events } = await node();
    const pushLike = JSON.stringify({ type: 'push', protocol: 1, page: { nodeId: 'client-node', changes: [{ id: 'evil' }] } });
    for (const body of [pushLike, Buffer.alloc(64, 7), '']) {
      const response = await post(`${server.url}${SYNC_PATHS.messages}`, body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect((await errorOf(response)).code).toEqual(expect.any(String));
    }
    expect((await engine.list()).items).toEqual([]);
    expect(events('sync-request-rejected').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a sealed request larger than its limit with 413', async () => {
    const { server } = await node();
    const response = await post(`${server.url}${SYNC_PATHS.messages}`, Buffer.alloc(65 * 1024));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('payload-too-large');
  });

  it('syncs an authenticated peer, and rejects a captured request sent again (replay) without applying it twice', async () => {
    const { server, engine, events } = await node();
    const transport = client(server.url);
    const peerId = await transport.connect();
    expect(peerId).toBe('server-node');
    expect(events('peer-authenticated')).toHaveLength(1);
    const requester = newRequester();
    await requester.put({ id: 'note', type: 'note', data: { v: 1 } });
    const report = await requester.syncWith('server-node', transport);
    expect(report.ok).toBe(true);
    expect((await engine.get('note'))?.data).toEqual({ v: 1 });
    // A replay needs the exact bytes on the wire: seal one through a session of our own and send it twice.
    const own = await ownSession(server.url);
    const pull = { type: 'pull', protocol: 1, nodeId: 'client-node', epoch: requester.epoch, cursor: { epoch: null, seq: 0, resyncing: false }, limits: { maxChanges: 10, maxBytes: 100_000 } };
    const frame = own.sealFrame(JSON.stringify(pull), REQUEST_ASSOCIATED_DATA);
    expect((await post(`${server.url}${SYNC_PATHS.messages}`, frame)).status).toBe(200);
    const replay = await post(`${server.url}${SYNC_PATHS.messages}`, frame);
    expect(replay.status).toBe(409);
    expect((await errorOf(replay)).code).toBe('replayed');
    expect(events('auth-failed').map((line) => line.fields['code'])).toContain('replayed');
  });

  it("learns where the peer stands in our log from its answers, so a live change costs one request", async () => {
    const { server, engine } = await node();
    const transport = new HttpSyncTransport({ url: server.url, networkKey, nodeId: 'client-node', streams: false });
    cleanups.push(() => transport.close());
    const messages = countMessageRequests(server);
    const requester = newRequester();
    expect(transport.peerLogPosition()).toBeUndefined();
    await requester.put({ id: 'first', type: 'note', data: 1 });
    expect((await requester.syncWith('server-node', transport)).ok).toBe(true);
    // The pull page said the server had nothing of ours; the push's acknowledgement moved that.
    expect(transport.peerLogPosition()).toEqual({ yourCursor: { epoch: requester.epoch, seq: 1, resyncing: false }, limits: { maxChanges: expect.any(Number), maxBytes: expect.any(Number) } });

    await requester.put({ id: 'live', type: 'note', data: 2 });
    const before = messages();
    const report = await requester.syncWith('server-node', transport, { pushOnly: transport.peerLogPosition() });
    expect(report).toMatchObject({ ok: true, pulled: { pages: 0 }, pushed: { changes: 1 } });
    expect(messages() - before).toBe(1);
    expect((await engine.get('live'))?.data).toBe(2);
    expect(transport.peerLogPosition()?.yourCursor.seq).toBe(2);
  });

  it('refuses a node with another secret, counts the failures and logs the address as suspicious', async () => {
    const { server, engine, events } = await node();
    await engine.put({ id: 'private', type: 'note', data: 'not for intruders' });
    const intruder = client(server.url, wrongKey, 'intruder');
    for (let attempt = 0; attempt < 4; attempt++) {
      const error = await intruder.connect().then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(LanSyncError);
      expect((error as LanSyncError).code).toBe('handshake-refused');
      expect([401, 429]).toContain((error as LanSyncError).status);
    }
    expect(events('auth-failed').length).toBeGreaterThanOrEqual(3);
    expect(events('suspicious').length).toBeGreaterThanOrEqual(1);
    expect(events('suspicious')[0]!.fields['address']).toMatch(/127\.0\.0\.1/);
    // Now refused before any cryptography: too many failures from this address.
    const blocked = await post(`${server.url}${SYNC_PATHS.hello}`, '{}', 'application/json');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).not.toBeNull();
    expect(events('peer-authenticated')).toHaveLength(0);
  });

  it('asks for a new handshake when the session is unknown, and the transport does it by itself', async () => {
    const engine = new SyncEngine({ database: ':memory:', nodeId: 'server-node' });
    const first = await node({ engine });
    const transport = client(first.server.url);
    const requester = newRequester();
    await engine.put({ id: 'a', type: 't', data: 1 });
    expect((await requester.syncWith('server-node', transport)).ok).toBe(true);
    // A session id the server never issued is `unknown-session`, 401.
    // A well-formed frame (see @trosyn/crypto's layout) naming session 0x0101…: 16-byte tag, 8 bytes of ciphertext.
    const stranger = Buffer.alloc(SEALED_FRAME_HEADER_BYTES + 16 + 8);
    stranger.writeUInt16BE(0x5453, 0);
    stranger.writeUInt8(1, 2);
    stranger.fill(1, 3, 19);
    stranger.writeUInt32BE(Math.floor(Date.now() / 2 ** 32), 27);
    stranger.writeUInt32BE(Date.now() >>> 0, 31);
    stranger.writeUInt8(16, SEALED_FRAME_HEADER_BYTES - 1);
    const unknown = await post(`${first.server.url}${SYNC_PATHS.messages}`, stranger);
    expect(unknown.status).toBe(401);
    expect((await errorOf(unknown)).code).toBe('unknown-session');
    // The sync server restarts on the same port and forgets every session; the transport keeps its own.
    await first.stop();
    const second = await node({ engine, port: first.server.port });
    await engine.put({ id: 'b', type: 't', data: 2 });
    const again = await requester.syncWith('server-node', transport);
    expect(again.error).toBeNull();
    expect((await requester.get('b'))?.data).toBe(2);
    expect(second.events('peer-authenticated')).toHaveLength(1);
  });
});

/** A sync stream opened by hand: sends raw frames, reads answers (`'closed'` once the server closed it). */
async function rawStream(port: number, options: { path?: string; protocol?: string } = {}) {
  const socket = net.connect({ host: '127.0.0.1', port });
  cleanups.push(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET ${options.path ?? SYNC_STREAM_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: ${options.protocol ?? SYNC_STREAM_PROTOCOL}\r\n\r\n`);
  let head = Buffer.alloc(0);
  const reader = new StreamFrameReader(1024 * 1024);
  const frames: (StreamFrame | 'closed')[] = [];
  let wake: (() => void) | undefined;
  const status = await new Promise<number>((resolve) => {
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const code = Number(head.subarray(9, 12).toString());
      resolve(code);
      const rest = head.subarray(end + 4);
      socket.on('data', (more: Buffer) => {
        frames.push(...reader.push(more));
        wake?.();
      });
      if (code === 101 && rest.length > 0) frames.push(...reader.push(rest));
    };
    socket.on('data', onData);
  });
  socket.once('close', () => {
    frames.push('closed');
    wake?.();
  });
  const next = async (): Promise<StreamFrame | 'closed'> => {
    while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return frames.shift()!;
  };
  return { status, socket, next, send: (kind: number, payload: Uint8Array) => socket.write(encodeStreamFrame(kind, payload)) };
}

const refusalOf = (frame: StreamFrame | 'closed') => {
  expect(frame).not.toBe('closed');
  expect((frame as StreamFrame).kind).toBe(STREAM_FRAME_REFUSAL);
  return decodeRefusal((frame as StreamFrame).payload)!;
};

describe('sync streams', () => {
  it('carry a peer\'s requests on one upgraded connection, without an HTTP request each', async () => {
    const { server, engine } = await node();
    const messageRequests = countMessageRequests(server);
    const transport = client(server.url);
    const requester = newRequester();
    for (let round = 0; round < 4; round++) {
      await requester.put({ id: `note-${round}`, type: 'note', data: { round } });
      expect((await requester.syncWith('server-node', transport)).ok).toBe(true);
      expect(transport.streaming).toBe(true);
    }
    expect(messageRequests()).toBe(0);
    expect((await engine.list()).items.map((item) => item.id)).toEqual(['note-0', 'note-1', 'note-2', 'note-3']);
    expect(transport.bytes.sent).toBeGreaterThan(0);
  });

  it('work over HTTPS too', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures');
    const { server, engine } = await node({ tls: { cert: readFileSync(join(fixtures, 'b.pem')), key: readFileSync(join(fixtures, 'b.key')) } });
    expect(server.url).toMatch(/^https:/);
    const transport = client(server.url);
    const requester = newRequester();
    await requester.put({ id: 'over-tls', type: 'note', data: 1 });
    expect((await requester.syncWith('server-node', transport)).ok).toBe(true);
    expect(transport.streaming).toBe(true);
    expect((await engine.get('over-tls'))?.data).toBe(1);
  });

  it('fall back to HTTP requests when the peer offers no stream (an older node)', async () => {
    const { server, engine } = await node();
    server.server.removeAllListeners('upgrade');
    server.server.on('upgrade', (_request: unknown, socket: net.Socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    const messageRequests = countMessageRequests(server);
    const transport = client(server.url);
    const requester = newRequester();
    await requester.put({ id: 'note', type: 'note', data: 1 });
    expect((await requester.syncWith('server-node', transport)).ok).toBe(true);
    expect(transport.streaming).toBe(false);
    expect(messageRequests()).toBeGreaterThanOrEqual(2); // the pull and the push
    expect((await engine.get('note'))?.data).toBe(1);
  });

  it('refuse an unknown upgrade, and close a stream that sends a bad frame or an oversized one', async () => {
    const { server, engine, events } = await node();
    expect((await rawStream(server.port, { path: '/sync/v1/other' })).status).toBe(404);
    expect((await rawStream(server.port, { protocol: 'websocket' })).status).toBe(400);

    const badKind = await rawStream(server.port);
    expect(badKind.status).toBe(101);
    badKind.send(9, Buffer.from('{"type":"push"}'));
    expect(refusalOf(await badKind.next())).toMatchObject({ status: 400, code: 'malformed-frame' });
    expect(await badKind.next()).toBe('closed');

    const oversized = await rawStream(server.port);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1024 * 1024, 0); // announces 1 MiB against a 64 KiB limit
    header[4] = STREAM_FRAME_SEALED;
    oversized.socket.write(header);
    expect(refusalOf(await oversized.next())).toMatchObject({ status: 413, code: 'malformed-frame' });
    expect(await oversized.next()).toBe('closed');

    expect(events('sync-request-rejected').filter((line) => line.fields['route'] === 'stream').length).toBeGreaterThanOrEqual(2);
    expect((await engine.list()).items).toEqual([]);
  });

  it('are limited per address, and refused to an address that used up its failed authentications', async () => {
    const { server, events } = await node();
    const open = [];
    for (let i = 0; i < 4; i++) open.push(await rawStream(server.port));
    expect(open.map((stream) => stream.status)).toEqual([101, 101, 101, 101]);
    expect((await rawStream(server.port)).status).toBe(429);
    expect(events('sync-request-rejected').map((line) => line.fields['code'])).toContain('too-many-streams');
    // A peer closing one makes room for another (the server closes its half of the connection too).
    open[0]!.socket.end();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 101; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await rawStream(server.port)).status;
    }
    expect(status).toBe(101);
    // Three forged handshakes use up this address's allowance (the test server allows 3).
    const intruder = client(server.url, wrongKey, 'intruder');
    for (let attempt = 0; attempt < 3; attempt++) await intruder.connect().catch(() => undefined);
    expect((await rawStream(server.port)).status).toBe(429);
  });

  it('answer an unknown session with a refusal and go on, and close a stream that replays a frame', async () => {
    const { server, engine, events } = await node();
    const session = await ownSession(server.url);
    const stream = await rawStream(server.port);
    // Random bytes in a sealed frame's place: not a frame, refused, the stream stays.
    stream.send(STREAM_FRAME_SEALED, Buffer.alloc(80, 3));
    expect(refusalOf(await stream.next())).toMatchObject({ status: 400, code: 'malformed' });
    const pull = { type: 'pull', protocol: 1, nodeId: 'client-node', epoch: 'e1', cursor: { epoch: null, seq: 0, resyncing: false }, limits: { maxChanges: 10, maxBytes: 100_000 } };
    const frame = session.sealFrame(JSON.stringify(pull), REQUEST_ASSOCIATED_DATA);
    stream.send(STREAM_FRAME_SEALED, frame);
    const answer = await stream.next();
    expect(answer).toMatchObject({ kind: STREAM_FRAME_SEALED });
    expect(JSON.parse(session.openFrame((answer as StreamFrame).payload).plaintext.toString('utf8'))).toMatchObject({ type: 'pull-page' });
    // The same bytes again: a replay. Refused, counted, and the stream is closed.
    stream.send(STREAM_FRAME_SEALED, frame);
    expect(refusalOf(await stream.next())).toMatchObject({ status: 409, code: 'replayed' });
    expect(await stream.next()).toBe('closed');
    expect(events('auth-failed').map((line) => line.fields['code'])).toContain('replayed');
    expect((await engine.list()).items).toEqual([]);
  });

  it('are closed when the server stops; the transport then opens a new one to the restarted node', async () => {
    const engine = new SyncEngine({ database: ':memory:', nodeId: 'server-node' });
    const first = await node({ engine });
    const transport = client(first.server.url);
    const requester = newRequester();
    expect((await requester.syncWith('server-node', transport)).ok).toBe(true);
    expect(transport.streaming).toBe(true);
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(transport.streaming).toBe(false);
    await node({ engine, port: first.server.port });
    await engine.put({ id: 'after-restart', type: 'note', data: 2 });
    expect((await requester.syncWith('server-node', transport)).error).toBeNull();
    expect(transport.streaming).toBe(true);
    expect((await requester.get('after-restart'))?.data).toBe(2);
  });
});

