import type { Clock } from './clock.js';
import type { AnnouncedService, ServiceAnnouncement } from './parse-response.js';

/**
 * Another Trosyn node as discovery last saw it. A peer is a *candidate*: nothing here is
 * authenticated until the sync handshake succeeds.
 */
export interface Peer extends AnnouncedService {
  /** Full DNS-SD instance name; a new one on every start of the peer's process. */
  readonly instance: string;
  /** Address the latest packet from this peer came from. */
  readonly source: string;
  /** Clock time of the first packet of this instance, in milliseconds. */
  readonly firstSeen: number;
  /** Clock time of the latest packet of this instance, in milliseconds. */
  readonly lastSeen: number;
}

/**
 * Why a peer went down:
 * - `timeout`: nothing heard for `deviceTimeout`;
 * - `goodbye`: it announced its departure (records with TTL 0);
 * - `restarted`: a new instance with the same node id, port and an address in common replaced it;
 * - `stopped`: this node stopped discovery.
 */
export type PeerDownReason = 'timeout' | 'goodbye' | 'restarted' | 'stopped';

/**
 * Two live instances claim the same node id. They are not merged: the table keeps
 * `current` as the peer and tracks `claimant` separately until one of them goes away.
 */
export interface NodeIdConflict {
  /** The node id claimed twice. */
  readonly nodeId: string;
  /** The instance held as the peer, or `undefined` when the claim is against this node's own id. */
  readonly current: Peer | undefined;
  /** The other instance claiming the id. */
  readonly claimant: Peer;
}

/** A change of the table, in the order it happened. */
export type PeerTableEvent =
  | { readonly type: 'peer-up'; readonly peer: Peer }
  | { readonly type: 'peer-updated'; readonly peer: Peer; readonly previous: Peer }
  | { readonly type: 'peer-down'; readonly peer: Peer; readonly reason: PeerDownReason }
  | { readonly type: 'conflict'; readonly conflict: NodeIdConflict };

/**
 * How {@link PeerTable.observe} treated an announcement:
 * `applied` (refreshed or changed the table), `self` (our own), `unresolved` (an unknown
 * instance without SRV/TXT: ask for them), `full` (table at `maxPeers`), `stale` (a
 * goodbye or partial record for an instance we do not track).
 */
export type ObserveOutcome = 'applied' | 'self' | 'unresolved' | 'full' | 'stale';

/** Construction config of a {@link PeerTable}. */
export interface PeerTableConfig {
  /** This node's id: another instance claiming it is a conflict. */
  readonly selfNodeId: string;
  /** This process's instance name (lower case): its own announcements are ignored. */
  readonly selfInstance: string;
  /** Milliseconds without a packet after which a peer is down. */
  readonly deviceTimeout: number;
  /** Most instances tracked (peers and conflicting claimants); more are refused. */
  readonly maxPeers: number;
  readonly clock: Clock;
}

/** A peer known to the table: mutable bookkeeping behind the immutable {@link Peer} snapshots. */
interface Entry {
  service: AnnouncedService;
  readonly instance: string;
  source: string;
  readonly firstSeen: number;
  lastSeen: number;
  /** TTL the peer gave its records, seconds: used for known-answer lists. */
  ttl: number;
}

/**
 * The set of live peers, keyed by node id, with timeouts measured on an injected clock.
 * Pure bookkeeping: no sockets, no timers; {@link Discovery} feeds it parsed packets and
 * calls {@link PeerTable.expire} on a timer.
 */
export class PeerTable {
  readonly #config: PeerTableConfig;
  /** The instance held as the peer, per node id. */
  readonly #current = new Map<string, Entry>();
  /** Other live instances claiming an id that is already held (or is ours), per instance. */
  readonly #claimants = new Map<string, Entry>();
  /** Instances replaced by a restart, with the time they were replaced. */
  readonly #retired = new Map<string, number>();

  constructor(config: PeerTableConfig) {
    this.#config = Object.freeze({ ...config });
  }

  /** Live peers, one per node id. */
  peers(): Peer[] {
    return [...this.#current.values()].map(snapshot);
  }

  /** The live peer with this node id. */
  get(nodeId: string): Peer | undefined {
    const entry = this.#current.get(nodeId);
    return entry === undefined ? undefined : snapshot(entry);
  }

  /** Instances tracked, peers and claimants together. */
  get size(): number {
    return this.#current.size + this.#claimants.size;
  }

  /** Applies one announcement heard from `source` and returns what changed. */
  observe(announcement: ServiceAnnouncement, source: string): { outcome: ObserveOutcome; events: PeerTableEvent[] } {
    const now = this.#config.clock.now();
    const { instance } = announcement;
    if (instance === this.#config.selfInstance) return { outcome: 'self', events: [] };
    if (announcement.goodbye) return this.#goodbye(instance);

    const known = this.#find(instance);
    const service = announcement.service;
    if (service === undefined) {
      // A PTR alone (or SRV without TXT) refreshes a known instance; an unknown one needs a query.
      if (known === undefined) return { outcome: this.#retired.has(instance) ? 'stale' : 'unresolved', events: [] };
      known.lastSeen = now;
      known.source = source;
      return { outcome: 'applied', events: [] };
    }

    if (known !== undefined) return { outcome: 'applied', events: this.#refresh(known, service, source, now, announcement.ttl) };

    const entry: Entry = { service, instance, source, firstSeen: now, lastSeen: now, ttl: announcement.ttl };
    if (this.size >= this.#config.maxPeers) return { outcome: 'full', events: [] };

    if (service.nodeId === this.#config.selfNodeId) {
      this.#claimants.set(instance, entry);
      return { outcome: 'applied', events: [{ type: 'conflict', conflict: { nodeId: service.nodeId, current: undefined, claimant: snapshot(entry) } }] };
    }

    const current = this.#current.get(service.nodeId);
    if (current === undefined) {
      this.#current.set(service.nodeId, entry);
      return { outcome: 'applied', events: [{ type: 'peer-up', peer: snapshot(entry) }] };
    }
    if (!this.#retired.has(instance) && isRestartOf(current.service, service)) {
      // Same node id on the same port at an address it already had: the process restarted
      // (possibly without a goodbye, e.g. after a crash). A retired instance announcing again
      // is two processes after all, and falls through to the conflict branch.
      this.#retired.set(current.instance, now);
      this.#current.set(service.nodeId, entry);
      return {
        outcome: 'applied',
        events: [
          { type: 'peer-down', peer: snapshot(current), reason: 'restarted' },
          { type: 'peer-up', peer: snapshot(entry) },
        ],
      };
    }
    this.#claimants.set(instance, entry);
    return {
      outcome: 'applied',
      events: [{ type: 'conflict', conflict: { nodeId: service.nodeId, current: snapshot(current), claimant: snapshot(entry) } }],
    };
  }

  /** Removes instances not heard from for `deviceTimeout`; returns the resulting events. */
  expire(): PeerTableEvent[] {
    const now = this.#config.clock.now();
    const deadline = now - this.#config.deviceTimeout;
    const events: PeerTableEvent[] = [];
    for (const [instance, entry] of this.#claimants) {
      if (entry.lastSeen <= deadline) this.#claimants.delete(instance);
    }
    for (const [nodeId, entry] of this.#current) {
      if (entry.lastSeen > deadline) continue;
      this.#current.delete(nodeId);
      events.push({ type: 'peer-down', peer: snapshot(entry), reason: 'timeout' });
      events.push(...this.#promote(nodeId));
    }
    for (const [instance, retiredAt] of this.#retired) {
      if (retiredAt <= deadline) this.#retired.delete(instance);
    }
    return events;
  }

  /** Clock time at which the next instance would expire, if any is tracked. */
  nextExpiry(): number | undefined {
    let earliest: number | undefined;
    for (const entry of [...this.#current.values(), ...this.#claimants.values()]) {
      const at = entry.lastSeen + this.#config.deviceTimeout;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /**
   * Instances heard within `maxAge` milliseconds, with the TTL they have left: the known
   * answers of a query (RFC 6762 §7.1), so peers that know we know them stay quiet.
   */
  knownAnswers(maxAge: number): { instance: string; ttl: number }[] {
    const now = this.#config.clock.now();
    const answers: { instance: string; ttl: number }[] = [];
    for (const entry of [...this.#current.values(), ...this.#claimants.values()]) {
      const age = now - entry.lastSeen;
      if (age >= maxAge) continue;
      const ttl = Math.floor(entry.ttl - age / 1000);
      if (ttl > 0) answers.push({ instance: entry.instance, ttl });
    }
    return answers;
  }

  /** Forgets everything; every live peer goes down with `reason`. */
  clear(reason: PeerDownReason): PeerTableEvent[] {
    const events: PeerTableEvent[] = [...this.#current.values()].map((entry) => ({ type: 'peer-down', peer: snapshot(entry), reason }));
    this.#current.clear();
    this.#claimants.clear();
    this.#retired.clear();
    return events;
  }

  #find(instance: string): Entry | undefined {
    const claimant = this.#claimants.get(instance);
    if (claimant !== undefined) return claimant;
    for (const entry of this.#current.values()) if (entry.instance === instance) return entry;
    return undefined;
  }

  #goodbye(instance: string): { outcome: ObserveOutcome; events: PeerTableEvent[] } {
    if (this.#claimants.delete(instance)) return { outcome: 'applied', events: [] };
    for (const [nodeId, entry] of this.#current) {
      if (entry.instance !== instance) continue;
      this.#current.delete(nodeId);
      return { outcome: 'applied', events: [{ type: 'peer-down', peer: snapshot(entry), reason: 'goodbye' }, ...this.#promote(nodeId)] };
    }
    return { outcome: 'stale', events: [] };
  }

  #refresh(entry: Entry, service: AnnouncedService, source: string, now: number, ttl: number): PeerTableEvent[] {
    entry.lastSeen = now;
    entry.source = source;
    entry.ttl = ttl;
    if (sameService(entry.service, service)) return [];
    const previous = snapshot(entry);
    if (service.nodeId !== entry.service.nodeId) {
      // An instance that changes its node id is a new peer under the new id (and gone under the old one).
      const wasCurrent = this.#current.get(entry.service.nodeId) === entry;
      if (wasCurrent) this.#current.delete(entry.service.nodeId);
      else this.#claimants.delete(entry.instance);
      const events: PeerTableEvent[] = wasCurrent ? [{ type: 'peer-down', peer: previous, reason: 'goodbye' }, ...this.#promote(entry.service.nodeId)] : [];
      const fresh: ServiceAnnouncement = { instance: entry.instance, goodbye: false, ttl, service };
      return [...events, ...this.observe(fresh, source).events];
    }
    entry.service = service;
    const isCurrent = this.#current.get(service.nodeId) === entry;
    return isCurrent ? [{ type: 'peer-updated', peer: snapshot(entry), previous }] : [];
  }

  /** After the peer for `nodeId` left, the freshest claimant of that id becomes the peer. */
  #promote(nodeId: string): PeerTableEvent[] {
    if (nodeId === this.#config.selfNodeId) return [];
    let best: Entry | undefined;
    for (const entry of this.#claimants.values()) {
      if (entry.service.nodeId === nodeId && (best === undefined || entry.lastSeen > best.lastSeen)) best = entry;
    }
    if (best === undefined) return [];
    this.#claimants.delete(best.instance);
    this.#current.set(nodeId, best);
    return [{ type: 'peer-up', peer: snapshot(best) }];
  }
}

function isRestartOf(previous: AnnouncedService, next: AnnouncedService): boolean {
  return previous.port === next.port && next.addresses.some((address) => previous.addresses.includes(address));
}

function sameService(a: AnnouncedService, b: AnnouncedService): boolean {
  return a.nodeId === b.nodeId && a.name === b.name && a.protocolVersion === b.protocolVersion && a.tls === b.tls
    && a.port === b.port && a.host === b.host && sameList(a.addresses, b.addresses)
    && sameList(Object.entries(a.txt).flat(), Object.entries(b.txt).flat());
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function snapshot(entry: Entry): Peer {
  return Object.freeze({
    ...entry.service,
    addresses: Object.freeze([...entry.service.addresses]),
    txt: Object.freeze({ ...entry.service.txt }),
    instance: entry.instance,
    source: entry.source,
    firstSeen: entry.firstSeen,
    lastSeen: entry.lastSeen,
  });
}
