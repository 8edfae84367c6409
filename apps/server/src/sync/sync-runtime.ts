import type { StreamRequestHandler } from './sealed-stream-route.js';
import { readFileSync } from 'node:fs';
import { createRateLimiter, createResponder, createSessionStore, type NetworkKey, type Responder, type SessionStore } from '@trosyn/crypto';
import { Discovery, type Peer } from '@trosyn/discovery';
import type { SyncEngine, SyncResponder, SyncResponse } from '@trosyn/sync-core';
import type { LanSyncSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClockHealth } from './clock-health.js';
import { ClockStepWatch } from './clock-step-watch.js';
import { HttpSyncTransport } from './http-sync-transport.js';
import { InboundPeerFeed } from './inbound-peer-feed.js';
import { pickPeerHost } from './round-policy.js';
import type { SyncRuntimeEvents } from './sync-runtime-events.js';
import { SyncScheduler } from './sync-scheduler.js';
import { createSyncApp, listenSyncServer, type ListeningSyncServer } from './sync-server.js';
import type { TimerPort } from './timer-port.js';

const MAINTENANCE_INTERVAL_MS = 60_000;

/** Answers requests of other kinds than sync on the sealed peer channel (see `src/peer-models/`). */
export interface PeerRequestHandler {
  /** Whether the (authenticated, opened) request is one of this handler's. */
  handles(request: unknown): boolean;
  /**
   * The answer to seal: JSON, or bytes (a `Uint8Array`, or `LentBytes` given back once
   * sealed, `lent-bytes.ts`); an `{ type: 'error' }` answer is sent with status 422, like sync's.
   */
  answer(request: unknown, peerId: string): Promise<object>;
}

/** What {@link SyncRuntime.start} needs besides the engine and the key. */
export interface SyncRuntimeOptions {
  readonly settings: LanSyncSettings;
  readonly logger: Logger;
  /** Largest sealed message the sync port reads (a page and its sealing). */
  readonly maxMessageBytes: number;
  /** Requests of other kinds than sync on the sealed peer channel. */
  readonly peerRequests?: PeerRequestHandler | undefined;
  /** Sealed requests that are not part of a sync round (pool status polls): not counted as a peer syncing with us. */
  readonly isQuietRequest?: ((request: unknown) => boolean) | undefined;
  /** Streamed requests of the peer channel (`POST /sync/v1/pool/generate`, `src/pool/`). */
  readonly streamRequests?: StreamRequestHandler | undefined;
  /** mDNS UDP port (tests only). */
  readonly mdnsPort?: number | undefined;
  /** The scheduler's clock in ms (`Date.now` by default): see `LanSyncServiceOptions.now`. */
  readonly now?: (() => number) | undefined;
  /** The scheduler's timers (Node's by default): see `LanSyncServiceOptions.timers`. */
  readonly timers?: TimerPort | undefined;
}

/**
 * The running network side of a node's sync: the sync port (handshakes, sealed requests, rate
 * limits), the scheduler with its transports, mDNS discovery, the clock-step watch and the
 * periodic purge of expired sessions. Started by {@link LanSyncService} once the engine and
 * the network key are ready.
 */
export class SyncRuntime {
  readonly server: ListeningSyncServer;
  readonly scheduler: SyncScheduler;
  readonly #discovery: Discovery | undefined;
  readonly #networkKey: NetworkKey;
  readonly #handshake: Responder;
  readonly #sessions: SessionStore;
  readonly #timers: NodeJS.Timeout[];
  readonly #clockWatch: ClockStepWatch;
  readonly #stopInboundNews: () => void;
  readonly #logger: Logger;
  /** A new sealed channel to a peer, beside the scheduler's. */
  readonly openChannel: (address: string, expectedPeerNodeId: string | undefined) => HttpSyncTransport;

  private constructor(parts: {
    server: ListeningSyncServer;
    scheduler: SyncScheduler;
    discovery: Discovery | undefined;
    networkKey: NetworkKey;
    handshake: Responder;
    sessions: SessionStore;
    timers: NodeJS.Timeout[];
    clockWatch: ClockStepWatch;
    stopInboundNews: () => void;
    logger: Logger;
    openChannel: (address: string, expectedPeerNodeId: string | undefined) => HttpSyncTransport;
  }) {
    this.openChannel = parts.openChannel;
    this.server = parts.server;
    this.scheduler = parts.scheduler;
    this.#discovery = parts.discovery;
    this.#networkKey = parts.networkKey;
    this.#handshake = parts.handshake;
    this.#sessions = parts.sessions;
    this.#timers = parts.timers;
    this.#clockWatch = parts.clockWatch;
    this.#stopInboundNews = parts.stopInboundNews;
    this.#logger = parts.logger;
  }

  static async start(engine: SyncEngine, networkKey: NetworkKey, events: SyncRuntimeEvents, options: SyncRuntimeOptions, clock: ClockHealth): Promise<SyncRuntime> {
    const { settings, logger } = options;
    const maxClockSkewMs = settings.maxClockDriftSeconds * 1000;
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (settings.tls !== undefined) {
      const read = (path: string, variable: string): Buffer => {
        try {
          return readFileSync(path);
        } catch (error) {
          throw new Error(`${variable}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
        }
      };
      tls = { cert: read(settings.tls.certPath, 'LAN_SYNC_TLS_CERT'), key: read(settings.tls.keyPath, 'LAN_SYNC_TLS_KEY') };
    }
    const handshake = createResponder({ networkKey, nodeId: engine.nodeId, maxClockSkewMs });
    const sessions = createSessionStore();
    // A peer handshakes once per session (10 min) or after a restart: 20 at once, then 1 per second.
    const handshakeLimiter = createRateLimiter({ capacity: 20, refillPerSecond: 1 });
    // 5 failed authentications, then one more per 30 s: a wrong secret is reported, guessing is slow.
    const failureLimiter = createRateLimiter({ capacity: 5, refillPerSecond: 1 / 30 });
    // The scheduler's transports tell peers the bound port, so the server is bound first and
    // publishes its inbound peers on a feed the scheduler subscribes to once it exists.
    const inbound = new InboundPeerFeed();
    const extra = options.peerRequests;
    const responder: SyncResponder =
      extra === undefined
        ? engine
        : {
            handleSyncRequest: async (request, context) =>
              extra.handles(request) ? ((await extra.answer(request, context.peerId)) as SyncResponse) : engine.handleSyncRequest(request, context),
          };
    const app = createSyncApp({
      responder,
      handshake,
      sessions,
      nodeId: engine.nodeId,
      nodeName: settings.nodeName,
      logger,
      handshakeLimiter,
      failureLimiter,
      maxMessageBytes: options.maxMessageBytes,
      onInboundPeer: inbound.publishPeer,
      onInboundRequest: inbound.publishRequest,
      onEvent: events.emit,
      onPeerClock: (sample) => clock.record(sample, Date.now()),
      ...(options.streamRequests === undefined ? {} : { streamRequests: options.streamRequests }),
      ...(options.isQuietRequest === undefined ? {} : { isQuietRequest: options.isQuietRequest }),
    });
    let server: ListeningSyncServer;
    try {
      server = await listenSyncServer(app, { host: settings.host, port: settings.port, tls });
    } catch (error) {
      handshake.dispose();
      sessions.dispose();
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'EADDRINUSE' ? `port ${settings.port} is already in use (set LAN_SYNC_PORT)` : code === 'EADDRNOTAVAIL' ? `address ${settings.host} is not on this machine (set LAN_SYNC_HOST)` : (error as Error).message;
      throw new Error(`cannot listen for LAN sync on ${settings.host}:${settings.port}: ${reason}`, { cause: error });
    }
    logger.log('info', 'LAN sync listening', { event: 'sync-listening', url: server.url, port: server.port, node_id: engine.nodeId, node_name: settings.nodeName, tls: tls !== undefined, mdns: settings.mdns, static_peers: settings.peers.length });

    const scheduler = new SyncScheduler({
      engine,
      logger,
      intervalMs: settings.intervalSeconds * 1000,
      createTransport: (target, expectedPeerNodeId) =>
        new HttpSyncTransport({
          url: `${target.tls ? 'https' : 'http'}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`,
          networkKey,
          nodeId: engine.nodeId,
          expectedPeerNodeId,
          maxClockSkewMs,
          localSyncPort: server.port,
          onEvent: events.emit,
          onPeerClock: (offsetMs) => clock.record({ peer: expectedPeerNodeId ?? `${target.host}:${target.port}`, offsetMs }, Date.now()),
        }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    // Subscribed in the same turn of the event loop as the port was bound: no request was read yet.
    const stopInboundNews = inbound.subscribe({
      peerAuthenticated: (peer) => scheduler.inbound(peer.nodeId, peer.address.replace(/^::ffff:/, ''), peer.port, tls !== undefined),
      peerRequested: (peerId) => scheduler.inboundActivity(peerId),
    });
    scheduler.start();
    for (const peer of settings.peers) scheduler.addStaticPeer({ host: peer.host, port: peer.port, tls: tls !== undefined });

    let discovery: Discovery | undefined;
    if (settings.mdns) {
      discovery = new Discovery({
        nodeId: engine.nodeId,
        nodeName: settings.nodeName,
        port: server.port,
        tls: tls !== undefined,
        discoveryInterval: settings.discoveryIntervalSeconds * 1000,
        deviceTimeout: settings.deviceTimeoutSeconds * 1000,
        ...(settings.mdnsInterface === undefined ? {} : { interface: settings.mdnsInterface }),
        ...(options.mdnsPort === undefined ? {} : { mdnsPort: options.mdnsPort }),
      });
      const target = (peer: Peer) => ({ host: pickPeerHost(peer.source, peer.addresses), port: peer.port, tls: peer.tls });
      discovery.on('peer-up', (peer) => scheduler.discovered(peer.nodeId, peer.name, target(peer)));
      discovery.on('peer-updated', (peer) => scheduler.discovered(peer.nodeId, peer.name, target(peer)));
      discovery.on('peer-down', (peer, reason) => {
        logger.log('info', 'peer down', { event: 'peer-down', peer_id: peer.nodeId, reason });
        scheduler.lost(peer.nodeId);
      });
      discovery.on('conflict', (conflict) => logger.log('warn', 'two nodes claim one node id', { event: 'node-id-conflict', node_id: conflict.nodeId, claimant: conflict.claimant.source }));
      discovery.on('warning', (error) => logger.log('warn', 'discovery warning', { event: 'discovery-warning', error: error.message }));
      try {
        await discovery.start();
        logger.log('info', 'mDNS discovery started', { event: 'discovery-started', interface: settings.mdnsInterface ?? 'all', instance: discovery.instance });
      } catch (error) {
        // Static peers still work; say why discovery does not.
        logger.log('error', 'mDNS discovery could not start; only LAN_SYNC_PEERS are synced', { event: 'discovery-failed', error: (error as Error).message });
        discovery = undefined;
      }
    }

    // The HLC follows a stepped system clock by itself; peers backed off from while the clock was
    // wrong (handshakes out of the clock window) are retried at once, and the new handshakes
    // measure the clocks' offsets again.
    const clockWatch = new ClockStepWatch({
      onStep: (stepMs) => {
        const retried = scheduler.clockStepped();
        logger.log('warn', 'the system clock stepped; handshaking again with every peer', { event: 'clock-stepped', step_ms: Math.round(stepMs), peers_retried: retried });
      },
    });
    clockWatch.start();

    const timers = [
      setInterval(() => {
        sessions.purgeExpired();
        handshake.purgeExpired();
        handshakeLimiter.prune();
        failureLimiter.prune();
      }, MAINTENANCE_INTERVAL_MS),
    ];
    for (const timer of timers) timer.unref();
    const openChannel = (address: string, expectedPeerNodeId: string | undefined): HttpSyncTransport =>
      new HttpSyncTransport({ url: `${tls === undefined ? 'http' : 'https'}://${address}`, networkKey, nodeId: engine.nodeId, expectedPeerNodeId, maxClockSkewMs, localSyncPort: server.port });
    return new SyncRuntime({ server, scheduler, discovery, networkKey, handshake, sessions, timers, clockWatch, stopInboundNews, logger, openChannel });
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#clockWatch.stop();
    this.#stopInboundNews();
    // Goodbye first, so peers drop us at once rather than after LAN_SYNC_DEVICE_TIMEOUT.
    await Promise.allSettled([this.#discovery?.dispose(), this.scheduler.dispose()]);
    await this.server.close();
    this.#sessions.dispose();
    this.#handshake.dispose();
    this.#networkKey.dispose();
    this.#logger.log('info', 'LAN sync stopped', { event: 'sync-stopped' });
  }
}
