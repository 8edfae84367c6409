import { PeerSyncer, type PeerLogPosition, type SyncEngine, type SyncRoundReport, type SyncTransport, type SyncTransportRequestOptions } from '@trosyn/sync-core';
import type { Logger } from '../logger.js';
import { LanSyncError } from './errors.js';
import { addressOf, PeerRegistry, type PeerEntry, type PeerSnapshot, type PeerTarget } from './peer-registry.js';
import {
  addPushTargets,
  deferForInbound,
  INBOUND_QUIET_MS,
  pushOnlyPosition,
  receivesPush,
  retriesOnInbound,
  retryDelayMs,
  stateAfterFailure,
  withJitter,
  type PushTargets,
  type RoundReason,
} from './round-policy.js';
import { RoundQueue } from './round-queue.js';
import { systemTimers, type TimerHandle, type TimerPort } from './timer-port.js';

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
  /** Wall clock in ms (`Date.now` by default); injected by tests with {@link SyncSchedulerConfig.timers}. */
  readonly now?: () => number;
  /** Timers of the push debounce, periodic rounds and retries (Node's by default; a `ManualClock` in tests). */
  readonly timers?: TimerPort;
  /** Source of the retry and interval jitter in [0, 1) (`Math.random` by default). */
  readonly random?: () => number;
}

/** What the scheduler keeps per peer: the connection, its rounds and the next round's timer. */
interface PeerLink {
  transport: PeerTransport;
  /** The node a handshake over `transport` found, and the syncer running rounds with it; none before. */
  peer: IdentifiedPeer | undefined;
  /** Created with the first round (it needs the registry entry, which is made after the link). */
  rounds: RoundQueue<RoundOutcome> | undefined;
  timer: TimerHandle | undefined;
}

/** The node behind a link, as its handshake named it. */
interface IdentifiedPeer {
  readonly nodeId: string;
  readonly syncer: PeerSyncer;
}

type Entry = PeerEntry<PeerLink>;

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
  readonly #peers: PeerRegistry<PeerLink>;
  readonly #abort = new AbortController();
  /** A pending push: a debounce timer, or `'microtask'` when one is queued. */
  #pushTimer: TimerHandle | 'microtask' | undefined;
  #pushTo: PushTargets | undefined;
  #unsubscribe: (() => void) | undefined;
  /** When each peer last sent us a sync request (it was running a round with us). */
  readonly #lastInbound = new Map<string, number>();
  #disposed = false;

  constructor(config: SyncSchedulerConfig) {
    this.#config = Object.freeze({ pushDebounceMs: 0, backoffBaseMs: 1000, backoffMaxMs: 60_000, now: Date.now, random: Math.random, timers: systemTimers, ...config });
    this.#peers = new PeerRegistry<PeerLink>(config.engine.nodeId, {
      open: (target, expectedPeerNodeId) => ({ transport: config.createTransport(target, expectedPeerNodeId), peer: undefined, rounds: undefined, timer: undefined }),
      readdress: (link, target, expectedPeerNodeId) => {
        link.transport.close();
        link.transport = config.createTransport(target, expectedPeerNodeId);
        link.peer = undefined;
      },
      close: (link) => link.transport.close(),
    });
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
    if (this.#disposed) return;
    const entry = this.#peers.addStatic(target);
    if (entry !== undefined) void this.#request(entry, 'start');
  }

  /**
   * A discovery `peer-up` or `peer-updated`: a candidate with this node id at `target`. Synced at
   * once when it is new or was offline; a changed address gets a new connection.
   */
  discovered(nodeId: string, name: string, target: PeerTarget): void {
    if (this.#disposed) return;
    const news = this.#peers.discovered(nodeId, name, target);
    if (news === undefined) return;
    if (news.isNew) this.#config.logger.log('info', 'peer discovered', { event: 'peer-discovered', peer_id: nodeId, name, address: addressOf(target), source: 'mdns' });
    void this.#request(news.entry, 'discovered');
  }

  /** A discovery `peer-down`: no more rounds with it until it is discovered again. */
  lost(nodeId: string): void {
    const entry = this.#peers.lost(nodeId);
    if (entry !== undefined) this.#clearTimer(entry);
  }

  /**
   * A peer authenticated to us (it started a handshake). When we do not know it yet, and it told
   * us its sync port, it becomes a candidate too, so our changes reach it at once.
   */
  inbound(nodeId: string, host: string, port: number | undefined, tls: boolean): void {
    if (this.#disposed || port === undefined) return;
    const news = this.#peers.inbound(nodeId, { host, port, tls });
    if (news !== undefined) this.#schedule(news.entry, news.round === 'now' ? 0 : this.#jitter(this.#config.intervalMs));
  }

  /**
   * A peer sent us a sync request: it is running a round with us, which moves changes both ways.
   * Our own scheduled (not live) rounds with it wait until it is done instead of sending the same
   * pages a second time in the other direction.
   */
  inboundActivity(nodeId: string): void {
    this.#lastInbound.set(nodeId, this.#config.now());
    const entry = this.#peers.byNodeId(nodeId);
    if (entry !== undefined && retriesOnInbound(entry, entry.link.rounds?.busy === true)) {
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
    const entries = this.#peers.reachable().filter((entry) => !entry.removed);
    for (const entry of entries) {
      entry.link.transport.resetSession?.();
      if (entry.link.rounds?.busy !== true) this.#schedule(entry, 0);
      else void this.#request(entry, 'clock-step');
    }
    return entries.length;
  }

  /**
   * Runs a round with every peer that is not offline or this node, now, and returns the outcomes;
   * with `peer` (a node id or an address), with that peer only (none when it is not known).
   */
  async syncNow(peer?: string): Promise<RoundOutcome[]> {
    return Promise.all(this.#peers.reachable(peer).map((entry) => this.#request(entry, 'sync-now')));
  }

  /** Every known peer. */
  peers(): PeerSnapshot[] {
    return this.#peers.snapshots();
  }

  /** Stops every timer, aborts running rounds, closes connections. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#unsubscribe?.();
    if (this.#pushTimer !== 'microtask') this.#config.timers.clearTimeout(this.#pushTimer);
    this.#abort.abort(new LanSyncError('closed', 'sync scheduler stopped'));
    const running: Promise<unknown>[] = [];
    for (const entry of this.#peers.values()) {
      this.#clearTimer(entry);
      running.push(...(entry.link.rounds?.pending ?? []));
    }
    await Promise.allSettled(running);
    for (const entry of this.#peers.values()) entry.link.transport.close();
  }

  #schedulePush(from: string | undefined): void {
    if (this.#disposed) return;
    this.#pushTo = addPushTargets(this.#pushTo, from, this.#peers.values());
    if (this.#pushTimer !== undefined) return;
    const flush = (): void => {
      if (this.#disposed) return;
      this.#pushTimer = undefined;
      const targets = this.#pushTo;
      this.#pushTo = undefined;
      for (const entry of this.#peers.values()) {
        if (targets !== 'all' && !targets?.has(entry.key)) continue;
        if (receivesPush(entry.state, entry.source)) void this.#request(entry, 'push');
      }
    };
    if (this.#config.pushDebounceMs > 0) this.#pushTimer = this.#config.timers.setTimeout(flush, this.#config.pushDebounceMs);
    else {
      this.#pushTimer = 'microtask';
      queueMicrotask(flush);
    }
  }

  /** Runs a round now, or — if one is running — exactly one more right after it. */
  #request(entry: Entry, reason: RoundReason): Promise<RoundOutcome> {
    entry.link.rounds ??= new RoundQueue(
      (next) => {
        this.#clearTimer(entry);
        return this.#round(entry, next);
      },
      () => !this.#disposed,
    );
    return entry.link.rounds.request(reason);
  }

  async #round(entry: Entry, reason: RoundReason): Promise<RoundOutcome> {
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
    const link = entry.link;
    try {
      let peer = link.peer;
      if (!link.transport.connected || peer === undefined) {
        if (!entry.authenticated) entry.state = 'connecting';
        peer = this.#identify(entry, await link.transport.connect({ signal }));
      }
      entry.state = 'syncing';
      // A live change to a peer in good standing: push it with one request, from where the
      // peer's last answer put it in our log (see HttpSyncTransport.peerLogPosition).
      const pushOnly = pushOnlyPosition({ reason, failures: entry.failures, lastSyncAt: entry.lastSyncAt }, () => link.transport.peerLogPosition?.());
      let report = pushOnly === undefined ? undefined : await this.#config.engine.syncWith(peer.nodeId, link.transport, { signal, pushOnly });
      const mode = report?.ok === true ? 'push-only' : 'full';
      if (report === undefined || !report.ok) report = await peer.syncer.syncOnce({ signal });
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

  /** Records who answered the handshake over the entry's link; returns the link's identified peer. */
  #identify(entry: Entry, peerId: string): IdentifiedPeer {
    const known = entry.nodeId === peerId ? entry.link.peer : undefined;
    const { absorbed, authenticated } = this.#peers.identify(entry, peerId);
    // The configured address found a node also known from discovery or from its own handshake:
    // the configured entry stays, so the node gets one round at a time.
    if (absorbed !== undefined) this.#clearTimer(absorbed);
    const peer = known ?? { nodeId: peerId, syncer: new PeerSyncer({ engine: this.#config.engine, peerId, transport: entry.link.transport }) };
    entry.link.peer = peer;
    if (authenticated) {
      this.#config.logger.log('info', 'peer authenticated', { event: 'peer-authenticated', direction: 'outbound', peer_id: peerId, address: addressOf(entry.target), source: entry.source });
    }
    return peer;
  }

  #succeeded(entry: Entry): void {
    if (this.#peers.succeeded(entry, this.#config.now())) this.#schedule(entry, this.#jitter(this.#config.intervalMs));
  }

  #failed(entry: Entry, info: { code: string; message: string }, error?: unknown): void {
    const remoteCode = error instanceof LanSyncError ? error.remoteCode : undefined;
    const next = stateAfterFailure({ code: error instanceof LanSyncError ? error.code : undefined, remoteCode, staticPeer: entry.source === 'static' });
    const failures = this.#peers.failed(entry, info, next, this.#config.now());
    if (next === 'self') {
      // The responder refused a hello carrying its own node id: this address is this node.
      this.#config.logger.log('info', 'configured peer is this node; not syncing with it', { event: 'peer-is-self', address: addressOf(entry.target) });
      return;
    }
    this.#config.logger.log('warn', 'sync with peer failed', {
      event: 'sync-failed',
      peer_id: entry.nodeId,
      address: addressOf(entry.target),
      code: info.code,
      ...(remoteCode === undefined ? {} : { remote_code: remoteCode }),
      error: info.message,
      failures,
    });
    if (entry.state === 'offline') return;
    this.#schedule(entry, this.#jitter(retryDelayMs(failures, next === 'refused', this.#config)));
  }

  #schedule(entry: Entry, delayMs: number): void {
    this.#clearTimer(entry);
    if (this.#disposed || entry.removed) return;
    entry.nextAttemptAt = this.#config.now() + delayMs;
    entry.link.timer = this.#config.timers.setTimeout(
      () => {
        entry.link.timer = undefined;
        entry.nextAttemptAt = null;
        void this.#request(entry, entry.failures > 0 ? 'retry' : 'interval');
      },
      delayMs,
      { unref: true },
    );
  }

  #clearTimer(entry: Entry): void {
    this.#config.timers.clearTimeout(entry.link.timer);
    entry.link.timer = undefined;
  }

  #jitter(ms: number): number {
    return withJitter(ms, this.#config.random());
  }
}
