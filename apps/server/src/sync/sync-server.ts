import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createServer as createHttpsServer } from 'node:https';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { CryptoError, type CryptoErrorCode, type RateLimiter, type Responder, type SealedFramePieces, type SessionStore } from '@trosyn/crypto';
import { SYNC_PROTOCOL_VERSION, type SyncResponder, type SyncResponse } from '@trosyn/sync-core';
import type { Logger } from '../logger.js';
import { limitRequestBody } from '../body-limit.js';
import { LanSyncError } from './errors.js';
import type { SyncRuntimeEventSink } from './sync-runtime-events.js';
import { LentBytes } from './lent-bytes.js';
import type { Refused, RefusalStatus, SealedAnswer } from './sealed-answer.js';
import { SyncStreamServer } from './sync-stream-server.js';
import { createSealedStreamRoute, type StreamRequestHandler } from './sealed-stream-route.js';
import { REQUEST_ASSOCIATED_DATA, responseAssociatedData, SEALED_FRAME_MEDIA_TYPE, SYNC_CLOCK_HEADER, SYNC_PATHS, SYNC_PORT_HEADER } from './sync-paths.js';

/** A peer that completed a handshake with this node (it initiated). */
export interface InboundPeer {
  readonly nodeId: string;
  /** Address the handshake came from. */
  readonly address: string;
  /** The sync port the peer says it listens on (`x-trosyn-sync-port`), if it sent one. */
  readonly port: number | undefined;
}

/** What the sync server is built from. */
export interface SyncServerDependencies {
  /** Answers sync requests: the node's `SyncEngine`. */
  readonly responder: SyncResponder;
  /** The crypto responder that answers handshakes. */
  readonly handshake: Responder;
  /** Sessions created by handshakes; sealed messages are opened with them. */
  readonly sessions: SessionStore;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly logger: Logger;
  /** Handshake attempts per address. */
  readonly handshakeLimiter: RateLimiter;
  /**
   * Failed authentications per address (bad proofs, tampered or replayed envelopes). An
   * address with an empty bucket is refused handshakes until it refills, and logged as `suspicious`.
   */
  readonly failureLimiter: RateLimiter;
  /** Largest sealed request body, bytes. */
  readonly maxMessageBytes: number;
  /** Called when a peer completes a handshake (it started it). */
  readonly onInboundPeer?: (peer: InboundPeer) => void;
  /** Called for every authenticated sync request, with the peer's id. */
  readonly onInboundRequest?: (peerId: string) => void;
  /** Receives handshakes, failed authentications and rate-limit refusals (metrics). */
  readonly onEvent?: SyncRuntimeEventSink;
  /**
   * Called with each hello's clock offset (this node minus the peer, ms), before the handshake
   * is judged: a hello refused for its timestamp still tells how far the clocks are apart.
   */
  readonly onPeerClock?: (sample: { readonly peer: string; readonly offsetMs: number }) => void;
  /**
   * This node's wall clock in ms (`Date.now` by default), sent to peers (`x-trosyn-clock-ms`) and
   * compared with their hellos' timestamps; inject it with the handshake's `clock` in tests.
   */
  readonly now?: () => number;
  /** Sealed requests that are not part of a sync round (pool status polls): not reported to `onInboundRequest`. */
  readonly isQuietRequest?: (request: unknown) => boolean;
  /** Answers `POST /sync/v1/pool/generate` (pooled inference, `src/pool/`); the route answers 404 without it. */
  readonly streamRequests?: StreamRequestHandler;
}

const MAX_HANDSHAKE_BYTES = 16 * 1024;

interface Refusal {
  readonly status: RefusalStatus;
  /** Whether the failure counts against the address (a wrong key, a forgery, a replay). */
  readonly countsAsFailure: boolean;
}

// The one table of sync-port statuses for crypto refusals.
const refusals: Partial<Record<CryptoErrorCode, Refusal>> = {
  malformed: { status: 400, countsAsFailure: false },
  'unsupported-version': { status: 400, countsAsFailure: false },
  'timestamp-skew': { status: 400, countsAsFailure: false },
  'unexpected-peer': { status: 400, countsAsFailure: false },
  'unknown-handshake': { status: 400, countsAsFailure: false },
  'handshake-expired': { status: 400, countsAsFailure: false },
  'handshake-capacity': { status: 503, countsAsFailure: false },
  'authentication-failed': { status: 401, countsAsFailure: true },
  'unknown-session': { status: 401, countsAsFailure: false },
  'session-expired': { status: 401, countsAsFailure: false },
  'wrong-session': { status: 401, countsAsFailure: true },
  tampered: { status: 400, countsAsFailure: true },
  replayed: { status: 409, countsAsFailure: true },
  'outside-window': { status: 409, countsAsFailure: true },
};

function errorBody(code: string, message: string): object {
  return { error: { message, type: 'sync_error', param: null, code } };
}

/**
 * The sync port's app: Hono routes for `GET /sync/v1/info`, the two handshake routes driving
 * `@trosyn/crypto`'s responder, and `POST /sync/v1/messages`, where every body is a sealed
 * frame whose plaintext is a `@trosyn/sync-core` request, answered by a sealed response; and the
 * sync stream server answering the same sealed requests on upgraded connections.
 *
 * Refusals are 4xx JSON bodies `{ error: { message, type, param, code } }` and nothing is
 * applied. A request the engine rejects (`{ type: 'error' }`) travels sealed with status 422,
 * so the requester can read it. Handshakes are rate-limited per address; failed
 * authentications are counted per address and logged (`auth-failed`, then `suspicious`).
 */
export function createSyncApp(deps: SyncServerDependencies): SyncApp {
  const now = deps.now ?? Date.now;
  const { logger } = deps;
  const emit: SyncRuntimeEventSink = deps.onEvent ?? (() => undefined);
  const app = new Hono();

  const addressOf = (c: Context): string => {
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'unknown'; // app.request() in tests has no socket
    }
  };

  // Logs a refused request, counts it against the address when it is a failed authentication,
  // and says what to answer. Anything but our own refusals is a bug, rethrown.
  const refusal = (address: string, error: unknown, route: string): Refused => {
    if (error instanceof LanSyncError) {
      logger.log('warn', 'sync request rejected', { event: 'sync-request-rejected', address, route, code: error.code, reason: error.message });
      return { kind: 'refused', status: 400, code: error.code, message: error.message, countsAsFailure: false };
    }
    if (!(error instanceof CryptoError)) throw error;
    const { status, countsAsFailure } = refusals[error.code] ?? { status: 400, countsAsFailure: false };
    if (countsAsFailure) {
      logger.log('warn', 'authentication failed', { event: 'auth-failed', address, route, code: error.code });
      emit({ type: 'authentication-failed', code: error.code });
      const decision = deps.failureLimiter.take(address);
      // Logged once the address has used up its allowance: from now on its handshakes are refused.
      if (!decision.allowed || decision.remaining < 1) {
        logger.log('warn', 'repeated authentication failures from one address; refusing its handshakes for a while', { event: 'suspicious', address, route, code: error.code });
      }
    } else if (error.code !== 'unknown-session' && error.code !== 'session-expired') {
      logger.log('warn', 'sync request rejected', { event: 'sync-request-rejected', address, route, code: error.code, reason: error.message });
    }
    return { kind: 'refused', status, code: error.code, message: error.message, countsAsFailure };
  };

  const refuse = (c: Context, address: string, error: unknown, route: 'hello' | 'proof'): Response => {
    const refused = refusal(address, error, route);
    emit({ type: 'handshake', direction: 'inbound', outcome: refused.code });
    return c.json(errorBody(refused.code, refused.message), refused.status);
  };

  // One sealed request (the messages route's body, or a sync stream's frame) → its answer.
  const answerSealed = async (frame: Uint8Array, address: string, route: 'messages' | 'stream'): Promise<SealedAnswer> => {
    let opened;
    try {
      opened = deps.sessions.openFrame(frame);
    } catch (error) {
      return refusal(address, error, route);
    }
    const { session, message } = opened;
    if (message.associatedData?.toString('utf8') !== REQUEST_ASSOCIATED_DATA) {
      return refusal(address, new CryptoError('tampered', 'sealed request is bound to another purpose'), route);
    }
    let response: SyncResponse;
    let request: unknown;
    try {
      request = JSON.parse(message.plaintext.toString('utf8'));
    } catch {
      request = undefined;
    }
    if (deps.isQuietRequest?.(request) !== true) deps.onInboundRequest?.(session.peerNodeId);
    if (request === undefined) {
      response = { type: 'error', protocol: SYNC_PROTOCOL_VERSION, code: 'invalid-message', message: 'sealed request is not JSON' };
    } else {
      response = await deps.responder.handleSyncRequest(request, { peerId: session.peerNodeId });
    }
    if (response.type === 'error') {
      logger.log('warn', 'sync request rejected', { event: 'sync-request-rejected', address, route, peer_id: session.peerNodeId, code: response.code, reason: response.message });
    }
    // The answer is sealed and sent once the rest of this event-loop turn is done, so that what
    // the request just applied reaches this node's change feeds first: Node's HTTP layer writes
    // their events in a nextTick, after every pending promise continuation (sealing this answer
    // included). A reader waits for those events; only the peer's bookkeeping waits for the
    // answer. Each socket write costs the writer the reader's wake-up: in interleaved runs on
    // the benchmark's 2-vCPU VM, a write on A reached B's feed 0.5 ms sooner.
    await new Promise((resolve) => setImmediate(resolve));
    let body: SealedFramePieces;
    try {
      // A binary answer (a model chunk, see `src/peer-models/`) is sealed as is: no JSON, no base64.
      const plaintext = response instanceof Uint8Array ? response : response instanceof LentBytes ? response.bytes : JSON.stringify(response);
      body = session.sealFramePieces(plaintext, responseAssociatedData(message.sequence));
    } catch (error) {
      // The session expired or was removed meanwhile (purged, or the server is stopping): refused
      // as an unknown session, so the requester runs a new handshake and asks again. What was
      // applied stays applied; the same page again changes nothing.
      const gone = error instanceof CryptoError && error.code === 'disposed' ? new CryptoError('unknown-session', 'The session ended while its request was answered; run a new handshake.') : error;
      return refusal(address, gone, route);
    } finally {
      // Sealing copied the bytes into the ciphertext (or failed): the handler may reuse them.
      if (response instanceof LentBytes) response.giveBack();
    }
    return { kind: 'sealed', status: response.type === 'error' ? 422 : 200, body };
  };

  const blocked = (c: Context, address: string): Response | undefined => {
    if (deps.failureLimiter.available(address) >= 1) return undefined;
    emit({ type: 'rate-limited', limit: 'failed-authentications' });
    const retryAfter = Math.max(1, Math.ceil(1 / deps.failureLimiter.refillPerSecond));
    c.header('retry-after', String(retryAfter));
    return c.json(errorBody('rate-limited', `Too many failed authentications from ${address}; try again in ${retryAfter} s. Check that LAN_SYNC_SHARED_SECRET is the same on every node.`), 429);
  };

  // Every route's body stops being read at its limit, announced (Content-Length) or chunked: an
  // unauthenticated peer must not make the node buffer what it sends (issue #20).
  const limitFor = (route: string, limit: number) =>
    limitRequestBody(limit, () => {
      throw new LanSyncError('payload-too-large', `The body of a request to ${route} is larger than its limit of ${limit} bytes.`);
    });
  const bodyLimits = new Map<string, MiddlewareHandler>([
    [SYNC_PATHS.hello, limitFor(SYNC_PATHS.hello, MAX_HANDSHAKE_BYTES)],
    [SYNC_PATHS.proof, limitFor(SYNC_PATHS.proof, MAX_HANDSHAKE_BYTES)],
    [SYNC_PATHS.messages, limitFor(SYNC_PATHS.messages, deps.maxMessageBytes)],
    [SYNC_PATHS.poolGenerate, limitFor(SYNC_PATHS.poolGenerate, deps.maxMessageBytes)],
  ]);
  // Other routes take no body: whatever a request to them carries is refused past a handshake's size.
  const otherRoutesLimit = limitFor('this route', MAX_HANDSHAKE_BYTES);
  app.use(function limitSyncRequestBody(c, next) {
    return (bodyLimits.get(c.req.path) ?? otherRoutesLimit)(c, next);
  });

  const readHandshakeBody = async (c: Context): Promise<unknown> => {
    const text = await c.req.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new LanSyncError('malformed-frame', 'handshake body is not JSON');
    }
  };

  // Every answer says this node's time (ms): an initiator measures its offset from it, even when
  // the handshake is refused for its timestamp.
  app.use(async function stampClock(c, next) {
    await next();
    c.res.headers.set(SYNC_CLOCK_HEADER, String(now()));
  });

  app.get(SYNC_PATHS.info, (c) =>
    c.json({ object: 'trosyn.sync.info', node_id: deps.nodeId, node_name: deps.nodeName, sync_protocol: SYNC_PROTOCOL_VERSION, handshake_protocol: 1 }),
  );

  app.post(SYNC_PATHS.hello, async (c) => {
    const address = addressOf(c);
    const refused = blocked(c, address);
    if (refused !== undefined) return refused;
    const decision = deps.handshakeLimiter.take(address);
    if (!decision.allowed) {
      logger.log('warn', 'handshake rate limit', { event: 'handshake-rate-limited', address });
      emit({ type: 'rate-limited', limit: 'handshakes' });
      c.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
      return c.json(errorBody('rate-limited', `Too many handshakes from ${address}; retry later.`), 429);
    }
    try {
      const hello = await readHandshakeBody(c);
      const { nodeId, timestamp } = (typeof hello === 'object' && hello !== null ? hello : {}) as { nodeId?: unknown; timestamp?: unknown };
      if (typeof nodeId === 'string' && typeof timestamp === 'number' && Number.isFinite(timestamp)) deps.onPeerClock?.({ peer: nodeId, offsetMs: now() - timestamp });
      return c.json(deps.handshake.handleHello(hello));
    } catch (error) {
      return refuse(c, address, error, 'hello');
    }
  });

  app.post(SYNC_PATHS.proof, async (c) => {
    const address = addressOf(c);
    const refused = blocked(c, address);
    if (refused !== undefined) return refused;
    try {
      const { confirm, session } = deps.handshake.handleProof(await readHandshakeBody(c));
      deps.sessions.add(session);
      const portHeader = Number(c.req.header(SYNC_PORT_HEADER));
      const port = Number.isInteger(portHeader) && portHeader > 0 && portHeader < 65536 ? portHeader : undefined;
      logger.log('info', 'peer authenticated', { event: 'peer-authenticated', direction: 'inbound', peer_id: session.peerNodeId, address });
      emit({ type: 'handshake', direction: 'inbound', outcome: 'ok' });
      deps.onInboundPeer?.({ nodeId: session.peerNodeId, address, port });
      return c.json(confirm);
    } catch (error) {
      return refuse(c, address, error, 'proof');
    }
  });

  app.post(SYNC_PATHS.messages, async (c) => {
    const address = addressOf(c);
    const answer = await answerSealed(new Uint8Array(await c.req.arrayBuffer()), address, 'messages');
    if (answer.kind === 'refused') return c.json(errorBody(answer.code, answer.message), answer.status);
    return new Response(Buffer.concat([answer.body.head, answer.body.ciphertext]), { status: answer.status, headers: { 'content-type': SEALED_FRAME_MEDIA_TYPE } });
  });

  if (deps.streamRequests !== undefined) {
    const streamed = createSealedStreamRoute({
      sessions: deps.sessions,
      handler: deps.streamRequests,
      logger,
      refused: (address, error) => refusal(address, error, 'pool'),
    });
    app.post(SYNC_PATHS.poolGenerate, (c) => streamed(c, addressOf(c)));
  }

  app.notFound((c) => c.json(errorBody('route-not-found', `No sync route ${c.req.method} ${c.req.path}.`), 404));
  app.onError((error, c) => {
    if (error instanceof LanSyncError && error.code === 'payload-too-large') {
      logger.log('warn', 'sync request rejected', { event: 'sync-request-rejected', address: addressOf(c), path: c.req.path, code: error.code, reason: error.message });
      // What the peer still sends is discarded by @hono/node-server (bounded), never buffered.
      return c.json(errorBody(error.code, error.message), 413);
    }
    logger.log('error', 'sync server error', { event: 'sync-server-error', path: c.req.path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return c.json(errorBody('internal-error', 'The sync server had an internal error; it has been logged.'), 500);
  });
  const streams = new SyncStreamServer({
    answer: (frame, address) => answerSealed(frame, address, 'stream'),
    logger,
    failureLimiter: deps.failureLimiter,
    maxMessageBytes: deps.maxMessageBytes,
    onEvent: emit,
  });
  return { routes: app, streams };
}

/** The sync port's two ways in, made by {@link createSyncApp}, served by {@link listenSyncServer}. */
export interface SyncApp {
  /** The HTTP routes: info, handshake, sealed messages, streamed answers (`app.request()` in tests). */
  readonly routes: Hono;
  /** The sync streams: a `GET /sync/v1/stream` upgrade leaves Hono and is answered here, outside any route. */
  readonly streams: SyncStreamServer;
}

/** Options of {@link listenSyncServer}. */
export interface ListenSyncServerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM certificate and key: the server speaks HTTPS. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/** A listening sync server. */
export interface ListeningSyncServer {
  readonly server: Server;
  readonly port: number;
  /** `http(s)://host:port` with the bound port. */
  readonly url: string;
  /** Stops accepting and closes every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens with the sync app on `host:port` (HTTP, or HTTPS with `tls`): its routes, and its sync
 * streams (`GET /sync/v1/stream` upgrades, see `sync-stream.ts`), which are closed with the server.
 */
export async function listenSyncServer(app: SyncApp, options: ListenSyncServerOptions): Promise<ListeningSyncServer> {
  const { routes, streams } = app;
  const server = (
    options.tls === undefined
      ? createAdaptorServer({ fetch: routes.fetch })
      : createAdaptorServer({ fetch: routes.fetch, createServer: createHttpsServer, serverOptions: { cert: options.tls.cert, key: options.tls.key } })
  ) as Server;
  // Peers keep connections open between rounds; a round every LAN_SYNC_INTERVAL reuses them.
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => streams.accept(request, socket, head));
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: address.port,
    url: `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        // Upgraded connections are no longer the HTTP server's.
        streams.closeAll();
      })),
  };
}
