import { isIPv6 } from 'node:net';
import { PeerSyncer, type PeerLogPosition, type SyncEngine, type SyncRoundReport, type SyncTransport, type SyncTransportRequestOptions } from '@trosyn/sync-core';
import type { Logger } from '../logger.js';
import { LanSyncError } from './errors.js';
import { addPushTargets, deferForInbound, INBOUND_QUIET_MS, queuedReason, receivesPush, retryDelayMs, stateAfterFailure, withJitter, type PushTargets } from './round-policy.js';

/** Where a peer became known from. */
export type PeerSource = 'mdns' | 'static' | 'inbound';

/**
 * A peer's state in the scheduler:
 * - `candidate`: known (discovered, configured, or it connected to us), not yet authenticated by us;
 * - `connecting`: handshake in progress;
 * - `syncing`: a round is running;
 * - `idle`: authenticated, last round succeeded, waiting for a change or the next interval;
 * - `backoff`: the last attempt failed; retried after an exponentially growing delay;
 * - `refused`: the peer refused our handshake (another shared secret?); retried at the longest backoff;
 * - `offline`: discovery reported it gone; no rounds until it is seen again (its cursor is kept);
 * - `self`: the address is this node; never synced.
 */
export type PeerState = 'candidate' | 'connecting' | 'syncing' | 'idle' | 'backoff' | 'refused' | 'offline' | 'self';

/** Where to reach a peer's sync port. */
export interface PeerTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

/** A transport the scheduler can drive: {@link HttpSyncTransport} in production. */
export interface PeerTransport extends SyncTransport {
  /** Authenticates (if needed) and resolves with the peer's node id. */
  connect(options?: SyncTransportRequestOptions): Promise<string>;
  /** Whether a live session is held. */
  readonly connected: boolean;
  /** Where the peer stands in our log, when known: lets a live change go as a push-only round. */
  peerLogPosition?(): PeerLogPosition | undefined;
  /** Forgets the session: the next request handshakes again. */
  resetSession?(): void;
  close(): void;
}

/** A peer as the status API shows it. */
export interface PeerSnapshot {
  /** Node id once known (discovered peers: announced; others: after the handshake). */
  readonly nodeId: string | undefined;
  readonly name: string | undefined;
  /** `host:port` of the peer's sync port. */
  readonly address: string;
  readonly source: PeerSource;
  readonly state: PeerState;
  /** Whether our handshake with the peer succeeded at least once. */
  readonly authenticated: boolean;
  readonly lastSyncAt: Date | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: Date } | null;
  /** Consecutive failed attempts. */
  readonly failures: number;
  readonly nextAttemptAt: Date | null;
}

/** What one requested round came to. */
export interface RoundOutcome {
  readonly address: string;
  readonly nodeId: string | undefined;
  /** The engine's report, when a round ran (also for failed rounds). */
  readonly report: SyncRoundReport | undefined;
  /** Set when the round did not run or failed. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Construction config of {@link SyncScheduler}. */
export interface SyncSchedulerConfig {
  readonly engine: SyncEngine;
  readonly createTransport: (target: PeerTarget, expectedPeerNodeId: string | undefined) => PeerTransport;
  readonly logger: Logger;
  /** Periodic round per peer (`LAN_SYNC_INTERVAL`). */
  readonly intervalMs: number;
  /**
   * Local changes within this window go out in one push. Default 0: at once, as soon as the
   * code that wrote them yields (the items of one `putMany` go together, and the push leaves
   * before the HTTP answer to the write is sent); a burst arriving while a push is on the wire
   * queues exactly one more round, so bursts coalesce without delaying a lone write.
   */
  readonly pushDebounceMs?: number;
  /** First retry delay after a failure; doubles per failure. Default 1 s. */
  readonly backoffBaseMs?: number;
  /** Longest retry delay. Default 60 s. */
  readonly backoffMaxMs?: number;
  /** Wall clock in ms (`Date.now` by default); injected by tests. Timers still use real time. */
  readonly now?: () => number;
  /** Source of the retry and interval jitter in [0, 1) (`Math.random` by default). */
  readonly random?: () => number;
}

interface Entry {
  readonly key: string;
  target: PeerTarget;
  readonly source: PeerSource;
  nodeId: string | undefined;
  name: string | undefined;
  state: PeerState;
  authenticated: boolean;
  transport: PeerTransport;
  syncer: PeerSyncer | undefined;
  running: Promise<RoundOutcome> | undefined;
  queued: { promise: Promise<RoundOutcome>; resolve: (outcome: Promise<RoundOutcome>) => void; reason: string } | undefined;
  timer: NodeJS.Timeout | undefined;
  nextAttemptAt: number | null;
  failures: number;
  lastSyncAt: number | null;
  lastError: { code: string; message: string; at: number } | null;
  /** Since when scheduled rounds wait for the peer's own round to finish. */
  deferredSince: number | undefined;
  /** Merged into another entry for the same node: no more rounds or timers. */
  removed: boolean;
  /** Whether a request from the peer already brought a retry forward since the last success. */
  retriedOnInbound: boolean;
}

const addressOf = (target: PeerTarget): string => (isIPv6(target.host) ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`);

function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'error', message: error.message };
  }
  return { code: 'error', message: String(error) };
}

/**
 * Drives sync rounds with every known peer (the "peer manager"):
 *
 * - a discovered peer (mDNS `peer-up`), a configured one (`LAN_SYNC_PEERS`) or one that
 *   authenticated to us is a candidate; a round runs at once, starting with our own handshake;
 * - every local change (and every change received from one peer, for the others) is pushed at
 *   once: changes within a few milliseconds are coalesced into one round per peer;
 * - every peer gets a periodic round (`LAN_SYNC_INTERVAL`);
 * - a failure is retried with exponential backoff (capped); a peer that goes down gets no rounds
 *   until it is back, then catches up from its cursor (kept in the engine's database);
 * - a node never syncs with itself, and at most one round per peer runs at a time (a request
 *   during a round queues exactly one more round).
 */
export class SyncScheduler {
  readonly #config: Required<SyncSchedulerConfig>;
  readonly #entries = new Map<string, Entry>();
  readonly #abort = new AbortController();
  /** A pending push: a debounce timer, or `'microtask'` when one is queued. */
  #pushTimer: NodeJS.Timeout | 'microtask' | undefined;
  #pushTo: PushTargets | undefined;
  #unsubscribe: (() => void) | undefined;
  /** When each peer last sent us a sync request (it was running a round with us). */
  readonly #lastInbound = new Map<string, number>();
  #disposed = false;

  constructor(config: SyncSchedulerConfig) {
    this.#config = Object.freeze({ pushDebounceMs: 0, backoffBaseMs: 1000, backoffMaxMs: 60_000, now: Date.now, random: Math.random, ...config });
  }

  /** Starts listening to the engine's changes. */
  start(): void {
    if (this.#disposed || this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.#config.engine.on('item-changed', (event) => {
      if (event.source === 'local') this.#schedulePush('all');
      else this.#schedulePush(event.peerId ?? undefined);
    });
  }

  /** Adds a peer reached by address (`LAN_SYNC_PEERS`) and syncs with it at once. */
  addStaticPeer(target: PeerTarget): void {
    const key = `static:${addressOf(target)}`;
    if (this.#disposed || this.#entries.has(key)) return;
    const entry = this.#createEntry(key, target, 'static', undefined, undefined);
    void this.#request(entry, 'start');
  }

  /**
   * A discovery `peer-up` or `peer-updated`: a candidate with this node id at `target`. Synced at
   * once when it is new or was offline; a changed address gets a new connection.
   */
  discovered(nodeId: string, name: string, target: PeerTarget): void {
    if (this.#disposed || nodeId === this.#config.engine.nodeId) return;
    const existing = this.#byNodeId(nodeId);
    if (existing !== undefined && existing.source !== 'mdns') {
      // Already reached by a configured address (or it connected to us): that entry stays.
      existing.name = name;
      if (existing.state === 'offline') existing.state = 'candidate';
      void this.#request(existing, 'discovered');
      return;
    }
    const key = `mdns:${nodeId}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = this.#createEntry(key, target, 'mdns', nodeId, name);
      this.#config.logger.log('info', 'peer discovered', { event: 'peer-discovered', peer_id: nodeId, name, address: addressOf(target), source: 'mdns' });
    } else {
      entry.name = name;
      if (addressOf(entry.target) !== addressOf(target) || entry.target.tls !== target.tls) {
        entry.target = target;
        this.#replaceTransport(entry);
      }
      if (entry.state !== 'offline' && entry.authenticated) return; // only an update
      if (entry.state === 'offline') entry.state = 'candidate';
    }
    void this.#request(entry, 'discovered');
  }

  /** A discovery `peer-down`: no more rounds with it until it is discovered again. */
  lost(nodeId: string): void {
    const entry = this.#entries.get(`mdns:${nodeId}`);
    if (entry === undefined) return;
    this.#clearTimer(entry);
    entry.state = 'offline';
    entry.nextAttemptAt = null;
  }

  /**
   * A peer authenticated to us (it started a handshake). When we do not know it yet, and it told
   * us its sync port, it becomes a candidate too, so our changes reach it at once.
   */
  inbound(nodeId: string, host: string, port: number | undefined, tls: boolean): void {
    if (this.#disposed || port === undefined || nodeId === this.#config.engine.nodeId) return;
    const target = { host, port, tls };
    const known = this.#byNodeId(nodeId);
    if (known !== undefined) {
      // A node we only know from its own handshakes came back at another address (restart, DHCP).
      if (known.source === 'inbound' && addressOf(known.target) !== addressOf(target)) {
        known.target = target;
        this.#replaceTransport(known);
        if (known.state === 'backoff' || known.state === 'offline') known.state = 'candidate';
        this.#schedule(known, 0);
      }
      return;
    }
    const entry = this.#createEntry(`inbound:${addressOf(target)}`, target, 'inbound', nodeId, undefined);
    this.#schedule(entry, this.#jitter(this.#config.intervalMs));
  }

  /**
   * A peer sent us a sync request: it is running a round with us, which moves changes both ways.
   * Our own scheduled (not live) rounds with it wait until it is done instead of sending the same
   * pages a second time in the other direction.
   */
  inboundActivity(nodeId: string): void {
    this.#lastInbound.set(nodeId, this.#config.now());
    // A peer we back off from reaches us: whatever failed may have healed on its side (its clock
    // was corrected, it restarted). Retried once per run of failures, so two nodes failing
    // each other's rounds do not ping-pong without backoff.
    const entry = this.#byNodeId(nodeId);
    if (entry !== undefined && entry.state === 'backoff' && !entry.retriedOnInbound && entry.running === undefined) {
      entry.retriedOnInbound = true;
      this.#schedule(entry, INBOUND_QUIET_MS);
    }
  }

  /**
   * This node's system clock stepped: a clock far off makes rounds fail both ways (handshakes and
   * envelopes out of the clock window, changes too far ahead) until it is corrected, so every
   * peer (in backoff or not) gets a new handshake, which measures the clock offset again, and a
   * round now (issue #20). Returns how many peers are retried.
   */
  clockStepped(): number {
    let retried = 0;
    for (const entry of this.#entries.values()) {
      if (entry.removed || entry.state === 'self' || entry.state === 'offline') continue;
      retried += 1;
      entry.transport.resetSession?.();
      if (entry.running === undefined) this.#schedule(entry, 0);
      else void this.#request(entry, 'clock-step');
    }
    return retried;
  }

  /**
   * Runs a round with every peer that is not offline or this node, now, and returns the outcomes;
   * with `peer` (a node id or an address), with that peer only (none when it is not known).
   */
  async syncNow(peer?: string): Promise<RoundOutcome[]> {
    const entries = [...this.#entries.values()].filter(
      (entry) => entry.state !== 'self' && entry.state !== 'offline' && (peer === undefined || entry.nodeId === peer || addressOf(entry.target) === peer),
    );
    return Promise.all(entries.map((entry) => this.#request(entry, 'sync-now')));
  }

  /** Every known peer. */
  peers(): PeerSnapshot[] {
    return [...this.#entries.values()].map((entry) => ({
      nodeId: entry.nodeId,
      name: entry.name,
      address: addressOf(entry.target),
      source: entry.source,
      state: entry.state,
      authenticated: entry.authenticated,
      lastSyncAt: entry.lastSyncAt === null ? null : new Date(entry.lastSyncAt),
      lastError: entry.lastError === null ? null : { ...entry.lastError, at: new Date(entry.lastError.at) },
      failures: entry.failures,
      nextAttemptAt: entry.nextAttemptAt === null ? null : new Date(entry.nextAttemptAt),
    }));
  }

  /** Stops every timer, aborts running rounds, closes connections. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#unsubscribe?.();
    if (this.#pushTimer !== 'microtask') clearTimeout(this.#pushTimer);
    this.#abort.abort(new LanSyncError('closed', 'sync scheduler stopped'));
    const running: Promise<unknown>[] = [];
    for (const entry of this.#entries.values()) {
      this.#clearTimer(entry);
      if (entry.running !== undefined) running.push(entry.running);
      if (entry.queued !== undefined) running.push(entry.queued.promise);
    }
    await Promise.allSettled(running);
    for (const entry of this.#entries.values()) entry.transport.close();
  }

  #byNodeId(nodeId: string): Entry | undefined {
    for (const entry of this.#entries.values()) if (entry.nodeId === nodeId) return entry;
    return undefined;
  }

  #createEntry(key: string, target: PeerTarget, source: PeerSource, nodeId: string | undefined, name: string | undefined): Entry {
    const entry: Entry = {
      key,
      target,
      source,
      nodeId,
      name,
      state: 'candidate',
      authenticated: false,
      transport: this.#config.createTransport(target, source === 'static' ? undefined : nodeId),
      syncer: undefined,
      running: undefined,
      queued: undefined,
      timer: undefined,
      nextAttemptAt: null,
      failures: 0,
      lastSyncAt: null,
      lastError: null,
      deferredSince: undefined,
      removed: false,
      retriedOnInbound: false,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  #replaceTransport(entry: Entry): void {
    entry.transport.close();
    entry.transport = this.#config.createTransport(entry.target, entry.source === 'static' ? undefined : entry.nodeId);
    entry.syncer = undefined;
    entry.authenticated = false;
  }

  #schedulePush(from: string | undefined): void {
    if (this.#disposed) return;
    this.#pushTo = addPushTargets(this.#pushTo, from, this.#entries.values());
    if (this.#pushTimer !== undefined) return;
    const flush = (): void => {
      if (this.#disposed) return;
      this.#pushTimer = undefined;
      const targets = this.#pushTo;
      this.#pushTo = undefined;
      for (const entry of this.#entries.values()) {
        if (targets !== 'all' && !targets?.has(entry.key)) continue;
        if (receivesPush(entry.state, entry.source)) void this.#request(entry, 'push');
      }
    };
    if (this.#config.pushDebounceMs > 0) this.#pushTimer = setTimeout(flush, this.#config.pushDebounceMs);
    else {
      this.#pushTimer = 'microtask';
      queueMicrotask(flush);
    }
  }

  /** Runs a round now, or — if one is running — exactly one more right after it. */
  #request(entry: Entry, reason: string): Promise<RoundOutcome> {
    if (entry.running === undefined) return this.#start(entry, reason);
    if (entry.queued === undefined) {
      let resolve!: (outcome: Promise<RoundOutcome>) => void;
      const promise = new Promise<RoundOutcome>((r) => {
        resolve = r;
      });
      entry.queued = { promise, resolve, reason };
    } else {
      entry.queued.reason = queuedReason(entry.queued.reason, reason);
    }
    return entry.queued.promise;
  }

  #start(entry: Entry, reason: string): Promise<RoundOutcome> {
    this.#clearTimer(entry);
    const running = this.#round(entry, reason).finally(() => {
      entry.running = undefined;
      const queued = entry.queued;
      entry.queued = undefined;
      if (queued !== undefined) queued.resolve(this.#disposed ? running : this.#start(entry, queued.reason));
    });
    entry.running = running;
    return running;
  }

  async #round(entry: Entry, reason: string): Promise<RoundOutcome> {
    const address = addressOf(entry.target);
    if (this.#disposed || entry.removed || entry.state === 'self' || entry.state === 'offline') {
      return { address, nodeId: entry.nodeId, report: undefined, error: { code: entry.state === 'self' ? 'self' : 'offline', message: `peer ${address} is ${entry.state}` } };
    }
    const signal = this.#abort.signal;
    const deferral = deferForInbound({
      reason,
      lastInboundAt: entry.nodeId === undefined ? undefined : this.#lastInbound.get(entry.nodeId),
      deferredSince: entry.deferredSince,
      now: this.#config.now(),
      intervalMs: this.#config.intervalMs,
    });
    entry.deferredSince = deferral.deferredSince;
    if (deferral.defer) {
      this.#schedule(entry, INBOUND_QUIET_MS);
      return { address, nodeId: entry.nodeId, report: undefined, error: { code: 'deferred', message: `peer ${entry.nodeId} is running a round with us` } };
    }
    try {
      if (!entry.transport.connected) {
        if (!entry.authenticated) entry.state = 'connecting';
        const peerId = await entry.transport.connect({ signal });
        this.#identify(entry, peerId);
      }
      entry.state = 'syncing';
      // A live change to a peer in good standing: push it with one request, from where the
      // peer's last answer put it in our log (see HttpSyncTransport.peerLogPosition).
      const pushOnly = reason === 'push' && entry.failures === 0 && entry.lastSyncAt !== null ? entry.transport.peerLogPosition?.() : undefined;
      let report = pushOnly === undefined ? undefined : await this.#config.engine.syncWith(entry.nodeId!, entry.transport, { signal, pushOnly });
      const mode = report?.ok === true ? 'push-only' : 'full';
      if (report === undefined || !report.ok) report = await entry.syncer!.syncOnce({ signal });
      this.#config.logger.log(report.ok ? 'info' : 'warn', 'sync round', {
        event: 'sync-round',
        peer_id: report.peerId,
        address,
        reason,
        mode,
        ok: report.ok,
        pulled: report.pulled.changes,
        pushed: report.pushed.changes,
        pulled_bytes: report.pulled.bytes,
        pushed_bytes: report.pushed.bytes,
        conflicts: report.conflicts,
        duration_ms: Math.round(report.durationMs * 100) / 100,
        ...(report.error === null ? {} : { error_code: report.error.code, error: report.error.message }),
      });
      if (report.ok) this.#succeeded(entry);
      else this.#failed(entry, report.error ?? { code: 'error', message: 'round failed' });
      return { address, nodeId: entry.nodeId, report, error: report.error };
    } catch (error) {
      const info = errorInfo(error);
      if (!this.#disposed) this.#failed(entry, info, error);
      return { address, nodeId: entry.nodeId, report: undefined, error: info };
    }
  }

  #identify(entry: Entry, peerId: string): void {
    if (entry.nodeId !== peerId || entry.syncer === undefined) {
      const other = this.#byNodeId(peerId);
      if (other !== undefined && other !== entry && entry.source === 'static') {
        // The configured address found a node also known from discovery or from its own
        // handshake: keep the configured entry, so the node gets one round at a time.
        this.#clearTimer(other);
        other.removed = true;
        other.transport.close();
        this.#entries.delete(other.key);
      }
      entry.nodeId = peerId;
      entry.syncer = new PeerSyncer({ engine: this.#config.engine, peerId, transport: entry.transport });
    }
    if (!entry.authenticated) {
      entry.authenticated = true;
      this.#config.logger.log('info', 'peer authenticated', { event: 'peer-authenticated', direction: 'outbound', peer_id: peerId, address: addressOf(entry.target), source: entry.source });
    }
  }

  #succeeded(entry: Entry): void {
    entry.failures = 0;
    entry.retriedOnInbound = false;
    entry.lastError = null;
    entry.lastSyncAt = this.#config.now();
    if (entry.state === 'syncing' || entry.state === 'connecting') entry.state = 'idle';
    if (entry.state !== 'offline') this.#schedule(entry, this.#jitter(this.#config.intervalMs));
  }

  #failed(entry: Entry, info: { code: string; message: string }, error?: unknown): void {
    entry.failures += 1;
    entry.lastError = { ...info, at: this.#config.now() };
    const remoteCode = error instanceof LanSyncError ? error.remoteCode : undefined;
    const next = stateAfterFailure({ code: error instanceof LanSyncError ? error.code : undefined, remoteCode, staticPeer: entry.source === 'static' });
    if (next === 'self') {
      // The responder refused a hello carrying its own node id: this address is this node.
      entry.state = 'self';
      entry.nextAttemptAt = null;
      this.#config.logger.log('info', 'configured peer is this node; not syncing with it', { event: 'peer-is-self', address: addressOf(entry.target) });
      return;
    }
    const refused = next === 'refused';
    if (entry.state !== 'offline') entry.state = next;
    this.#config.logger.log('warn', 'sync with peer failed', {
      event: 'sync-failed',
      peer_id: entry.nodeId,
      address: addressOf(entry.target),
      code: info.code,
      ...(remoteCode === undefined ? {} : { remote_code: remoteCode }),
      error: info.message,
      failures: entry.failures,
    });
    if (entry.state === 'offline') return;
    this.#schedule(entry, this.#jitter(retryDelayMs(entry.failures, refused, this.#config)));
  }

  #schedule(entry: Entry, delayMs: number): void {
    this.#clearTimer(entry);
    if (this.#disposed || entry.removed) return;
    entry.nextAttemptAt = this.#config.now() + delayMs;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.nextAttemptAt = null;
      void this.#request(entry, entry.failures > 0 ? 'retry' : 'interval');
    }, delayMs);
    entry.timer.unref();
  }

  #clearTimer(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  #jitter(ms: number): number {
    return withJitter(ms, this.#config.random());
  }
}

