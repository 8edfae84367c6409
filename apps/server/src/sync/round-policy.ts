import { isIPv4 } from 'node:net';
import type { PeerSource, PeerState } from './peer-registry.js';

// The scheduler's decisions that depend only on numbers and times: when to retry, whether a
// scheduled round waits for the peer's own, what a failure makes of a peer. Pure: every time
// is passed in, so they are tested without timers or a real clock.

/**
 * Why a round runs (the `reason` of the `sync-round` log line): `start` (a configured peer was
 * added), `discovered`, `push` (a live change), `interval` (the periodic round), `retry` (after a
 * failure), `sync-now` (asked through the API), `clock-step` (this node's clock stepped), `queued`
 * (several of these requested during a running round).
 */
export type RoundReason = 'start' | 'discovered' | 'push' | 'interval' | 'retry' | 'sync-now' | 'clock-step' | 'queued';

/** A peer that sent a request this recently is considered to be in a round with us. */
export const INBOUND_QUIET_MS = 250;

/** The retry delays of {@link retryDelayMs}. */
export interface BackoffSettings {
  /** First retry delay after a failure; doubles per failure. */
  readonly backoffBaseMs: number;
  /** Longest retry delay. */
  readonly backoffMaxMs: number;
}

/**
 * How long to wait before retrying a peer after its `failures`-th failure in a row: doubling from
 * the base, capped; a peer that refused us (wrong secret, rate limit) waits the longest at once.
 */
export function retryDelayMs(failures: number, refused: boolean, settings: BackoffSettings): number {
  if (refused) return settings.backoffMaxMs;
  return Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
}

/** ±10 %: peers started together do not keep syncing in lockstep. `random` in [0, 1). */
export function withJitter(ms: number, random: number): number {
  return Math.round(ms * (0.9 + random * 0.2));
}

/** Whether a requested round waits, and since when rounds with this peer have been waiting. */
export interface Deferral {
  readonly defer: boolean;
  readonly deferredSince: number | undefined;
}

/**
 * Whether a round for `reason` waits because the peer is running a round with us (it sent a
 * request within {@link INBOUND_QUIET_MS}): that round moves changes both ways, so ours would
 * send the same pages again. Live pushes, queued rounds and explicit "sync now" never wait, and
 * no round waits longer than one interval (a peer that keeps syncing with us still gets ours).
 */
export function deferForInbound(input: {
  readonly reason: RoundReason;
  readonly lastInboundAt: number | undefined;
  readonly deferredSince: number | undefined;
  readonly now: number;
  readonly intervalMs: number;
}): Deferral {
  const { reason, lastInboundAt, now } = input;
  const urgent = reason === 'push' || reason === 'queued' || reason === 'sync-now';
  if (urgent || lastInboundAt === undefined || now - lastInboundAt >= INBOUND_QUIET_MS) return { defer: false, deferredSince: undefined };
  const deferredSince = input.deferredSince ?? now;
  if (now - deferredSince < input.intervalMs) return { defer: true, deferredSince };
  return { defer: false, deferredSince: undefined };
}

/**
 * What a failed round makes of a peer: `self` when a configured address refused a hello carrying
 * its own node id (the address is this node), `refused` when it refused our credentials or rate
 * limited us, else `backoff`.
 */
export function stateAfterFailure(failure: { readonly code: string | undefined; readonly remoteCode: string | undefined; readonly staticPeer: boolean }): 'self' | 'refused' | 'backoff' {
  if (failure.remoteCode === 'unexpected-peer' && failure.code === 'handshake-refused' && failure.staticPeer) return 'self';
  return failure.remoteCode === 'authentication-failed' || failure.remoteCode === 'rate-limited' ? 'refused' : 'backoff';
}

/** Peers a coalesced push goes to: every peer, or these entry keys. */
export type PushTargets = 'all' | ReadonlySet<string>;

/**
 * Adds a change to the pending push: a local change (`from` undefined) goes to every peer; one
 * received from a peer goes to every other peer (`peers`: entry key and node id of each).
 */
export function addPushTargets(pending: PushTargets | undefined, from: string | undefined, peers: Iterable<{ readonly key: string; readonly nodeId: string | undefined }>): PushTargets {
  if (from === undefined || pending === 'all') return 'all';
  const targets = new Set(pending ?? []);
  for (const peer of peers) if (peer.nodeId !== from) targets.add(peer.key);
  return targets;
}

/**
 * Whether a peer gets a live push now: only one we can reach (in a round, idle, connecting, or
 * a candidate that reached us); a refused or backing-off peer gets the change with its next attempt.
 */
export function receivesPush(state: PeerState, source: PeerSource): boolean {
  return state === 'idle' || state === 'syncing' || state === 'connecting' || (state === 'candidate' && source === 'inbound');
}

/** The reason of the one round queued behind a running one: mixed requests (a push and a periodic round) run a full round. */
export function queuedReason(queued: RoundReason | undefined, reason: RoundReason): RoundReason {
  return queued === undefined || queued === reason ? reason : 'queued';
}

/** Picks the address to reach a discovered peer: the packet's IPv4 source, else an announced one. */
export function pickPeerHost(source: string, addresses: readonly string[]): string {
  if (isIPv4(source)) return source;
  return addresses.find((address) => isIPv4(address)) ?? addresses[0] ?? source;
}

/** What {@link pushOnlyPosition} knows of a peer. */
export interface PushCandidate {
  readonly reason: RoundReason;
  /** Consecutive failed rounds. */
  readonly failures: number;
  /** When the last round succeeded, if ever. */
  readonly lastSyncAt: number | null;
}

/**
 * The round to run: a live change to a peer in good standing (its last round succeeded, none
 * failed since) goes as a push-only round from where the peer's last answer put it in our log
 * (`position()`, the transport's view, read only then); anything else — or an unknown position —
 * runs a full pull-then-push round (`undefined`).
 */
export function pushOnlyPosition<P>(peer: PushCandidate, position: () => P | undefined): P | undefined {
  return peer.reason === 'push' && peer.failures === 0 && peer.lastSyncAt !== null ? position() : undefined;
}

/**
 * Whether a request from a peer we back off from brings its retry forward: whatever failed may
 * have healed on its side (its clock was corrected, it restarted). Once per run of failures, and
 * never during a round, so two nodes failing each other's rounds do not ping-pong without backoff.
 */
export function retriesOnInbound(peer: { readonly state: PeerState; readonly retriedOnInbound: boolean }, roundRunning: boolean): boolean {
  return peer.state === 'backoff' && !peer.retriedOnInbound && !roundRunning;
}
