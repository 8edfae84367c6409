import { isIPv6 } from 'node:net';

// Who the peers are, how each is keyed, at which address it is reached, and what its last
// rounds made of it. No I/O and no clock of its own: the scheduler passes every time in and opens
// and closes the connections (the "links") the registry asks for.

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

/** `host:port` of a target, IPv6 hosts in brackets. */
export const addressOf = (target: PeerTarget): string => (isIPv6(target.host) ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`);

/** One known peer. `L` is what the scheduler keeps per peer (its connection and rounds). */
export interface PeerEntry<L> {
  readonly key: string;
  readonly target: PeerTarget;
  readonly source: PeerSource;
  readonly nodeId: string | undefined;
  readonly name: string | undefined;
  state: PeerState;
  readonly authenticated: boolean;
  readonly link: L;
  nextAttemptAt: number | null;
  readonly failures: number;
  readonly lastSyncAt: number | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: number } | null;
  /** Since when scheduled rounds wait for the peer's own round to finish. */
  deferredSince: number | undefined;
  /** Merged into another entry for the same node: no more rounds or timers. */
  readonly removed: boolean;
  /** Whether a request from the peer already brought a retry forward since the last success. */
  retriedOnInbound: boolean;
}

type MutableEntry<L> = { -readonly [K in keyof PeerEntry<L>]: PeerEntry<L>[K] };

/** How the registry has the scheduler open, re-point and close a peer's link. */
export interface PeerLinks<L> {
  /** A new peer: `expectedPeerNodeId` is set when a handshake answered by another node must fail. */
  open(target: PeerTarget, expectedPeerNodeId: string | undefined): L;
  /** The peer moved to `target`: drop the old connection (and its session) for a new one. */
  readdress(link: L, target: PeerTarget, expectedPeerNodeId: string | undefined): void;
  /** The peer is forgotten (merged into another entry for the same node). */
  close(link: L): void;
}

/** What a discovery or an inbound handshake asks of the scheduler. */
export interface PeerNews<L> {
  readonly entry: PeerEntry<L>;
  /** `now`: a round at once; `interval`: the first round after one (jittered) interval. */
  readonly round: 'now' | 'interval';
  /** The peer was not known before (the scheduler logs it). */
  readonly isNew: boolean;
}

/**
 * The scheduler's peer table, one entry per node: a discovered peer (`mdns:<node id>`), a
 * configured address (`static:<address>`) or a node that authenticated to us
 * (`inbound:<address>`). A configured address that turns out to be a node known otherwise
 * absorbs that entry, so every node gets one round at a time.
 */
export class PeerRegistry<L> {
  readonly #entries = new Map<string, MutableEntry<L>>();
  readonly #selfNodeId: string;
  readonly #links: PeerLinks<L>;

  constructor(selfNodeId: string, links: PeerLinks<L>) {
    this.#selfNodeId = selfNodeId;
    this.#links = links;
  }

  /** Every entry, in the order they became known. */
  values(): IterableIterator<PeerEntry<L>> {
    return this.#entries.values();
  }

  /** The entry of a node id, if any. */
  byNodeId(nodeId: string): PeerEntry<L> | undefined {
    for (const entry of this.#entries.values()) if (entry.nodeId === nodeId) return entry;
    return undefined;
  }

  /** Peers a round can run with (not offline, not this node); with `peer`, only the one of that node id or address. */
  reachable(peer?: string): PeerEntry<L>[] {
    return [...this.#entries.values()].filter(
      (entry) => entry.state !== 'self' && entry.state !== 'offline' && (peer === undefined || entry.nodeId === peer || addressOf(entry.target) === peer),
    );
  }

  /** A configured address (`LAN_SYNC_PEERS`): the new entry, or `undefined` when it is already known. */
  addStatic(target: PeerTarget): PeerEntry<L> | undefined {
    const key = `static:${addressOf(target)}`;
    if (this.#entries.has(key)) return undefined;
    return this.#create(key, target, 'static', undefined, undefined);
  }

  /**
   * A discovery `peer-up` or `peer-updated`. A round is due when the peer is new, was offline, or
   * is known from a configured address or its own handshakes; a changed address re-points its
   * link. `undefined`: nothing to do (this node, or only an update of a peer in good standing).
   */
  discovered(nodeId: string, name: string, target: PeerTarget): PeerNews<L> | undefined {
    if (nodeId === this.#selfNodeId) return undefined;
    const existing = this.#mutable(this.byNodeId(nodeId));
    if (existing !== undefined && existing.source !== 'mdns') {
      // Already reached by a configured address (or it connected to us): that entry stays.
      existing.name = name;
      if (existing.state === 'offline') existing.state = 'candidate';
      return { entry: existing, round: 'now', isNew: false };
    }
    const entry = this.#entries.get(`mdns:${nodeId}`);
    if (entry === undefined) return { entry: this.#create(`mdns:${nodeId}`, target, 'mdns', nodeId, name), round: 'now', isNew: true };
    entry.name = name;
    if (addressOf(entry.target) !== addressOf(target) || entry.target.tls !== target.tls) this.#readdress(entry, target);
    if (entry.state !== 'offline' && entry.authenticated) return undefined;
    if (entry.state === 'offline') entry.state = 'candidate';
    return { entry, round: 'now', isNew: false };
  }

  /** A discovery `peer-down`: the entry goes offline (its timer is the scheduler's to clear). */
  lost(nodeId: string): PeerEntry<L> | undefined {
    const entry = this.#entries.get(`mdns:${nodeId}`);
    if (entry === undefined) return undefined;
    entry.state = 'offline';
    entry.nextAttemptAt = null;
    return entry;
  }

  /**
   * A node authenticated to us and told us its sync port. Unknown, it becomes a candidate (first
   * round after an interval: it just synced with us); known only from its own handshakes at another
   * address (restart, DHCP), it is followed there with a round now.
   */
  inbound(nodeId: string, target: PeerTarget): PeerNews<L> | undefined {
    if (nodeId === this.#selfNodeId) return undefined;
    const known = this.#mutable(this.byNodeId(nodeId));
    if (known === undefined) return { entry: this.#create(`inbound:${addressOf(target)}`, target, 'inbound', nodeId, undefined), round: 'interval', isNew: true };
    if (known.source !== 'inbound' || addressOf(known.target) === addressOf(target)) return undefined;
    this.#readdress(known, target);
    if (known.state === 'backoff' || known.state === 'offline') known.state = 'candidate';
    return { entry: known, round: 'now', isNew: false };
  }

  /**
   * Our handshake at the entry's address was answered by `peerId`. A configured address that
   * reached a node known otherwise absorbs that entry, which is returned (closed and removed: the
   * scheduler stops its timer). Returns `authenticated: true` the first time this entry authenticates.
   */
  identify(entry: PeerEntry<L>, peerId: string): { readonly absorbed: PeerEntry<L> | undefined; readonly authenticated: boolean } {
    const own = this.#own(entry);
    const other = this.#mutable(this.byNodeId(peerId));
    let absorbed: PeerEntry<L> | undefined;
    if (other !== undefined && other !== own && own.source === 'static') {
      other.removed = true;
      this.#links.close(other.link);
      this.#entries.delete(other.key);
      absorbed = other;
    }
    own.nodeId = peerId;
    const authenticated = !own.authenticated;
    own.authenticated = true;
    return { absorbed, authenticated };
  }

  /** A round succeeded at `now`: failures cleared; returns whether the next periodic round is due (not offline). */
  succeeded(entry: PeerEntry<L>, now: number): boolean {
    const own = this.#own(entry);
    own.failures = 0;
    own.retriedOnInbound = false;
    own.lastError = null;
    own.lastSyncAt = now;
    if (own.state === 'syncing' || own.state === 'connecting') own.state = 'idle';
    return own.state !== 'offline';
  }

  /**
   * A round failed at `now` and `next` is what that makes of the peer (see `stateAfterFailure`);
   * an offline peer stays offline. Returns the failure count.
   */
  failed(entry: PeerEntry<L>, error: { readonly code: string; readonly message: string }, next: 'self' | 'refused' | 'backoff', now: number): number {
    const own = this.#own(entry);
    own.failures += 1;
    own.lastError = { code: error.code, message: error.message, at: now };
    if (next === 'self') {
      own.state = 'self';
      own.nextAttemptAt = null;
    } else if (own.state !== 'offline') {
      own.state = next;
    }
    return own.failures;
  }

  /** Every entry as the status API shows it. */
  snapshots(): PeerSnapshot[] {
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

  #create(key: string, target: PeerTarget, source: PeerSource, nodeId: string | undefined, name: string | undefined): MutableEntry<L> {
    const entry: MutableEntry<L> = {
      key,
      target,
      source,
      nodeId,
      name,
      state: 'candidate',
      authenticated: false,
      link: this.#links.open(target, source === 'static' ? undefined : nodeId),
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

  #readdress(entry: MutableEntry<L>, target: PeerTarget): void {
    entry.target = target;
    entry.authenticated = false;
    this.#links.readdress(entry.link, target, entry.source === 'static' ? undefined : entry.nodeId);
  }

  /** The stored (mutable) entry behind one handed out. */
  #own(entry: PeerEntry<L>): MutableEntry<L> {
    return entry as MutableEntry<L>;
  }

  #mutable(entry: PeerEntry<L> | undefined): MutableEntry<L> | undefined {
    return entry as MutableEntry<L> | undefined;
  }
}
