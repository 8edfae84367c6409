import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CryptoError, deriveNetworkKey, type NetworkKey, type NetworkKeyOptions } from '@trosyn/crypto';
import { SyncEngine, type ConflictResolverFunction, type SyncRoundReport, type SyncStore } from '@trosyn/sync-core';
import type { LanSyncSettings, StoreSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClockHealth, ClockReport } from './clock-health.js';
import { startGarbageCollection } from './garbage-collection.js';
import type { HttpSyncTransport } from './http-sync-transport.js';
import { loadConflictResolver } from './load-conflict-resolver.js';
import { loadOrCreateNodeId } from './node-identity.js';
import { openStore } from './open-store.js';
import type { StreamRequestHandler } from './sealed-stream-route.js';
import { SyncRuntime, type PeerRequestHandler } from './sync-runtime.js';
import { SyncRuntimeEvents } from './sync-runtime-events.js';
import { watchClockHealth } from './watch-clock-health.js';
import type { PeerSnapshot } from './peer-registry.js';
import type { RoundOutcome } from './sync-scheduler.js';
import type { TimerPort } from './timer-port.js';

/** File name of the sync database in the data directory. */
export const SYNC_DATABASE_FILE = 'sync.sqlite';

// Pages of at most 500 changes or 2 MiB: large enough that per-request costs (sealing, HTTP)
// are amortised, small enough that a node's memory stays bounded during a large sync. Measured
// (LAN bench, 1 KB items): 1000-change pages synced no faster and raised each node's peak RSS by
// about 25 MB, every page being alive in several forms at once (frame, plaintext, parsed objects).
const PAGE_MAX_CHANGES = 500;
const PAGE_MAX_BYTES = 2 * 1024 * 1024;
const MAX_ITEM_BYTES = 1024 * 1024;
// SQLite page cache of the store: 16 MiB instead of the engine's default 32 MiB keeps a node
// under 150 MB during a large sync; the bench measured no slower sync with it.
const CACHE_SIZE_KIB = 16 * 1024;
// A sealed page is JSON (the estimate above counts the changes only) plus a 16-byte tag.
const MAX_MESSAGE_BYTES = 2 * PAGE_MAX_BYTES + 256 * 1024;
const DAY_MS = 86_400_000;

/** Options of {@link LanSyncService.start}. */
export interface LanSyncServiceOptions {
  readonly settings: LanSyncSettings;
  /** `TROSYN_DATA_DIR`: the database and the generated node id live here. */
  readonly dataDir: string;
  /** `TROSYN_STORE_URL`/`TROSYN_STORE_SCHEMA`: the replica in PostgreSQL instead of `<dataDir>/sync.sqlite`. */
  readonly store?: StoreSettings | undefined;
  readonly logger: Logger;
  /** Argon2id cost of the network key (tests lower it; every node must use the same). */
  readonly keyOptions?: NetworkKeyOptions;
  /** mDNS UDP port (tests only). */
  readonly mdnsPort?: number;
  /**
   * The conflict resolver, for apps that start the node themselves (it wins over
   * `LAN_SYNC_CONFLICT_RESOLVER`): `@trosyn/sync-core`'s `resolveConflict` function option.
   */
  readonly resolveConflict?: ConflictResolverFunction;
  /** How often tombstones and history are collected (tests lower it). Default one hour. */
  readonly garbageCollectionIntervalMs?: number;
  /**
   * Requests of the peer channel that are not sync-core's (model sharing): answered here,
   * sealed like sync messages, instead of by the sync engine.
   */
  readonly peerRequests?: PeerRequestHandler;
  /** Sealed requests that are not part of a sync round (pool status polls): they do not defer this node's rounds. */
  readonly isQuietRequest?: (request: unknown) => boolean;
  /** Streamed requests of the peer channel (`POST /sync/v1/pool/generate`): pooled inference, `src/pool/`. */
  readonly streamRequests?: StreamRequestHandler;
  /** `model_transfer` of {@link LanSyncService.status}: a model fetched from peers (`src/peer-models/`). */
  readonly modelTransfer?: () => object | null;
  /**
   * The clock of the peer scheduler in ms (`Date.now` by default): when rounds are due
   * (`next_attempt_at`), how long a peer that syncs with us defers our rounds. Pass a
   * `ManualClock`'s `now` with its `timers` to drive a node's periodic rounds and retry backoff
   * in virtual time in tests. Handshakes, sessions and the clock-health checks keep the system clock:
   * they are judged against the peers' clocks.
   */
  readonly now?: () => number;
  /**
   * The timers of the peer scheduler (Node's by default): periodic rounds, retries after a
   * failure, the push debounce. A `ManualClock` (with its `now`) fires them only when advanced.
   */
  readonly timers?: TimerPort;
}

/** Why sync is off, when it is. */
export type SyncDisabledReason = 'disabled' | 'weak-secret';

/** `/health`'s view of sync. */
export interface SyncHealth {
  readonly enabled: boolean;
  readonly node_id: string;
  readonly node_name: string;
  readonly port: number | null;
  readonly peers: number;
  readonly authenticated_peers: number;
  readonly reason?: string;
  /** This node's clock against its peers' (see README, Clocks). */
  readonly clock: ClockReport;
}

/** One peer in the sync status (`GET /api/v1/sync/status`). */
export interface PeerSyncStatus {
  readonly peer_id: string | null;
  readonly name: string | null;
  readonly address: string | null;
  readonly state: string;
  readonly source: 'mdns' | 'static' | 'inbound';
  readonly authenticated: boolean;
  readonly cursor: number;
  readonly pending_changes: number;
  readonly last_sync_at: string | null;
  readonly last_error: { readonly code: string; readonly message: string; readonly at: string } | null;
  readonly next_attempt_at: string | null;
  /** This node's clock minus the peer's, ms, as measured at the last handshake (null: not measured lately). */
  readonly clock_offset_ms: number | null;
}

/** The sync status of this node. */
export interface SyncStatusReport {
  readonly object: 'sync.status';
  readonly node_id: string;
  readonly node_name: string;
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly epoch: string;
  readonly last_seq: number;
  readonly port: number | null;
  readonly clock: ClockReport;
  readonly peers: readonly PeerSyncStatus[];
  /** The model file fetched from a peer over the peer channel (progress, rate, ETA); null when none was. */
  readonly model_transfer?: object | null;
}

const iso = (date: Date | null | undefined): string | null => (date == null ? null : date.toISOString());

/**
 * The node's data store and LAN sync runtime: opens the `SyncEngine` on `<dataDir>/sync.sqlite`
 * (always: the data API works without sync) and, when sync is enabled with a proper shared
 * secret, derives the network key, listens on `LAN_SYNC_PORT`, starts the peer scheduler with
 * the static peers, and advertises and browses with mDNS.
 *
 * @example
 * ```ts
 * const sync = await LanSyncService.start({ settings: config.lanSync, dataDir: config.dataDir, logger });
 * await sync.engine.put({ type: 'note', data: { text: 'hello' } }); // replicated to every peer
 * await sync.close();
 * ```
 */
export class LanSyncService {
  readonly engine: SyncEngine;
  readonly nodeName: string;
  /** Handshakes, failed authentications and rate-limit refusals of the sync runtime (none while sync is off). */
  readonly events: SyncRuntimeEvents;
  readonly #logger: Logger;
  readonly #disabledReason: SyncDisabledReason | undefined;
  readonly #disabledMessage: string | undefined;
  readonly #runtime: SyncRuntime | undefined;
  /** The PostgreSQL store (`TROSYN_STORE_URL`), closed after the engine; SQLite's closes with the engine. */
  readonly #store: SyncStore | undefined;
  readonly #clock: ClockHealth;
  readonly #stopGarbageCollection: () => void;
  #stopping: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #modelTransfer: (() => object | null) | undefined;

  private constructor(
    engine: SyncEngine,
    store: SyncStore | undefined,
    nodeName: string,
    logger: Logger,
    events: SyncRuntimeEvents,
    clock: ClockHealth,
    stopGarbageCollection: () => void,
    runtime: SyncRuntime | undefined,
    disabled?: { reason: SyncDisabledReason; message: string },
  ) {
    this.engine = engine;
    this.#store = store;
    this.nodeName = nodeName;
    this.events = events;
    this.#logger = logger;
    this.#clock = clock;
    this.#stopGarbageCollection = stopGarbageCollection;
    this.#runtime = runtime;
    this.#disabledReason = disabled?.reason;
    this.#disabledMessage = disabled?.message;
  }

  /**
   * Opens the database and starts sync as configured. Fails (with a message naming the setting)
   * when the database, the TLS files or the sync port cannot be used. An empty or default
   * shared secret does not fail: sync stays off and an error line says how to set one.
   */
  static async start(options: LanSyncServiceOptions): Promise<LanSyncService> {
    const { settings, logger } = options;
    mkdirSync(options.dataDir, { recursive: true });
    const identity = loadOrCreateNodeId(options.dataDir, settings.nodeId);
    if (identity.origin === 'generated') logger.log('info', 'generated a node id', { event: 'node-id-generated', node_id: identity.nodeId, file: join(options.dataDir, 'node-id') });
    const resolveConflict = options.resolveConflict ?? (settings.conflictResolverPath === undefined ? undefined : await loadConflictResolver(settings.conflictResolverPath));
    if (resolveConflict !== undefined) {
      const source = options.resolveConflict !== undefined ? 'the resolveConflict option' : settings.conflictResolverPath;
      logger.log('info', 'custom conflict resolver', { event: 'conflict-resolver', source, name: resolveConflict.name || 'anonymous' });
    }
    const common = {
      nodeId: identity.nodeId,
      maxClockDriftMs: settings.maxClockDriftSeconds * 1000,
      pageMaxChanges: PAGE_MAX_CHANGES,
      pageMaxBytes: PAGE_MAX_BYTES,
      maxItemBytes: MAX_ITEM_BYTES,
      // A peer whose clock ran ahead rejoins at once: its changes are applied, their timestamps
      // not adopted (the README's Clocks section says why and what it costs).
      futureTimestamps: 'accept',
      tombstoneRetentionMs: settings.tombstoneRetentionDays * DAY_MS,
      historyMaxVersions: settings.historyMaxVersions,
      historyMaxAgeMs: settings.historyMaxAgeDays * DAY_MS,
      ...(resolveConflict === undefined ? {} : { resolveConflict }),
    } as const;
    const store = options.store === undefined ? undefined : await openStore(options.store, logger);
    let engine: SyncEngine;
    try {
      engine = new SyncEngine(store === undefined ? { ...common, database: join(options.dataDir, SYNC_DATABASE_FILE), cacheSizeKiB: CACHE_SIZE_KIB } : { ...common, store });
    } catch (error) {
      await store?.close();
      throw error;
    }
    const events = new SyncRuntimeEvents();
    const clock = watchClockHealth(engine, settings, logger);
    const stopGarbageCollection = startGarbageCollection(engine, logger, options.garbageCollectionIntervalMs);
    try {
      if (!settings.enabled) {
        logger.log('info', 'LAN sync disabled (LAN_SYNC_ENABLED=false); the data API works locally', { event: 'sync-disabled', node_id: engine.nodeId });
        return new LanSyncService(engine, store, settings.nodeName, logger, events, clock, stopGarbageCollection, undefined, { reason: 'disabled', message: 'LAN_SYNC_ENABLED is false' });
      }
      let networkKey: NetworkKey;
      try {
        networkKey = await deriveNetworkKey(settings.sharedSecret ?? '', options.keyOptions);
      } catch (error) {
        if (!(error instanceof CryptoError) || error.code !== 'weak-secret') throw error;
        const message =
          `LAN sync is NOT enabled: LAN_SYNC_SHARED_SECRET is ${settings.sharedSecret === undefined ? 'not set' : 'empty or the documented default'}. ` +
          'Set the same long random secret on every node, e.g. LAN_SYNC_SHARED_SECRET="$(openssl rand -base64 32)" in the environment or the .env file, and restart ' +
          '(or set LAN_SYNC_ENABLED=false to silence this).';
        logger.log('error', message, { event: 'sync-disabled', reason: 'weak-secret', node_id: engine.nodeId });
        return new LanSyncService(engine, store, settings.nodeName, logger, events, clock, stopGarbageCollection, undefined, { reason: 'weak-secret', message });
      }
      const runtime = await SyncRuntime.start(engine, networkKey, events, { ...options, maxMessageBytes: MAX_MESSAGE_BYTES }, clock);
      const service = new LanSyncService(engine, store, settings.nodeName, logger, events, clock, stopGarbageCollection, runtime);
      service.#modelTransfer = options.modelTransfer;
      return service;
    } catch (error) {
      stopGarbageCollection();
      await engine.dispose();
      await store?.close();
      throw error;
    }
  }

  /** This node's id. */
  get nodeId(): string {
    return this.engine.nodeId;
  }

  /** Whether sync runs (sync port listening, peers synced). */
  get enabled(): boolean {
    return this.#runtime !== undefined;
  }

  /** The bound sync port, when sync runs. */
  get syncPort(): number | undefined {
    return this.#runtime?.server.port;
  }

  /** The sync server's URL, when sync runs. */
  get syncUrl(): string | undefined {
    return this.#runtime?.server.url;
  }

  /**
   * A sealed channel of its own (own handshake and session) to the peer at `address`
   * (`host:port` of its sync port, as {@link peers} lists it), for requests beside sync
   * (model transfer); undefined when sync is off. Close it when done.
   */
  openPeerChannel(address: string, expectedPeerNodeId: string | undefined): HttpSyncTransport | undefined {
    return this.#runtime?.openChannel(address, expectedPeerNodeId);
  }

  /** Known peers (empty when sync is off). */
  peers(): PeerSnapshot[] {
    return this.#runtime?.scheduler.peers() ?? [];
  }

  /** A compact view for `/health`. */
  health(): SyncHealth {
    const peers = this.peers();
    return {
      enabled: this.enabled,
      node_id: this.nodeId,
      node_name: this.nodeName,
      port: this.syncPort ?? null,
      peers: peers.filter((peer) => peer.state !== 'self').length,
      authenticated_peers: peers.filter((peer) => peer.authenticated && peer.state !== 'offline').length,
      ...(this.#disabledMessage === undefined ? {} : { reason: this.#disabledMessage }),
      clock: this.#clock.report(Date.now()),
    };
  }

  /** Per-peer status: the scheduler's state joined with the engine's cursors and counters. */
  async status(): Promise<SyncStatusReport> {
    const engineStatus = await this.engine.status();
    const byId = new Map(engineStatus.peers.map((peer) => [peer.peerId, peer]));
    const listed = new Set<string>();
    const peers: PeerSyncStatus[] = this.peers().map((peer) => {
      const stored = peer.nodeId === undefined ? undefined : byId.get(peer.nodeId);
      if (peer.nodeId !== undefined) listed.add(peer.nodeId);
      const lastSync = [peer.lastSyncAt, stored?.lastSuccessAt ?? null].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];
      const lastError = peer.lastError ?? (stored?.lastError ? { ...stored.lastError } : null);
      return {
        peer_id: peer.nodeId ?? null,
        name: peer.name ?? null,
        address: peer.address,
        state: peer.state,
        source: peer.source,
        authenticated: peer.authenticated,
        cursor: stored?.cursor ?? 0,
        pending_changes: stored?.pendingChanges ?? engineStatus.lastSeq,
        last_sync_at: iso(lastSync),
        last_error: lastError === null ? null : { code: lastError.code, message: lastError.message, at: lastError.at.toISOString() },
        next_attempt_at: iso(peer.nextAttemptAt),
        clock_offset_ms: this.#clockOffset(peer.nodeId ?? peer.address),
      };
    });
    // Peers that only ever synced with us (they started every round), or that are no longer announced.
    for (const stored of engineStatus.peers) {
      if (listed.has(stored.peerId)) continue;
      peers.push({
        peer_id: stored.peerId,
        name: null,
        address: null,
        state: 'inbound-only',
        source: 'inbound',
        authenticated: false,
        cursor: stored.cursor,
        pending_changes: stored.pendingChanges,
        last_sync_at: iso(stored.lastSuccessAt),
        last_error: stored.lastError === null ? null : { code: stored.lastError.code, message: stored.lastError.message, at: stored.lastError.at.toISOString() },
        next_attempt_at: null,
        clock_offset_ms: this.#clockOffset(stored.peerId),
      });
    }
    return {
      object: 'sync.status',
      node_id: this.nodeId,
      node_name: this.nodeName,
      enabled: this.enabled,
      disabled_reason: this.#disabledMessage ?? null,
      epoch: engineStatus.epoch,
      last_seq: engineStatus.lastSeq,
      port: this.syncPort ?? null,
      clock: this.#clock.report(Date.now()),
      peers,
      model_transfer: this.#modelTransfer?.() ?? null,
    };
  }

  #clockOffset(peer: string): number | null {
    const offset = this.#clock.offsetWith(peer, Date.now());
    return offset === undefined ? null : Math.round(offset);
  }

  /** Runs a round with every known peer now (nothing when sync is off). */
  async syncNow(peer?: string): Promise<RoundOutcome[]> {
    return this.#runtime?.scheduler.syncNow(peer) ?? [];
  }

  /**
   * Stops the network side: mDNS goodbye, the scheduler (aborting rounds), the sync server.
   * The engine stays open for in-flight data API requests. Idempotent.
   */
  stopSync(): Promise<void> {
    return (this.#stopping ??= this.#runtime?.stop() ?? Promise.resolve());
  }

  /** {@link stopSync}, then closes the database. Idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.stopSync();
      this.#stopGarbageCollection();
      await this.engine.dispose();
      await this.#store?.close();
      this.#logger.log('info', 'sync database closed', { event: 'sync-closed' });
    })());
  }

  /** Why sync is off, when it is. */
  get disabledReason(): SyncDisabledReason | undefined {
    return this.#disabledReason;
  }
}

export type { PeerRequestHandler, SyncRoundReport };
