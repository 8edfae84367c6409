import { EventEmitter } from 'node:events';
import { randomBytes, randomInt } from 'node:crypto';
import { DiscoveryError } from './errors.js';
import { resolveDiscoveryConfig, txtPairsOf, type DiscoveryConfig, type ResolvedDiscoveryConfig } from './discovery-config.js';
import type { DnsPacket, DnsRecord, MdnsSocket, PacketSource } from './mdns-socket.js';
import { localAddresses } from './local-addresses.js';
import { destroySocket, flushWithin, openMdnsSocket } from './mdns-transport.js';
import { parseResponse } from './parse-response.js';
import type { DiscoveryEvents, DiscoveryStats } from './discovery-events.js';
import { PeerTable, type Peer, type PeerTableEvent } from './peer-table.js';
import { matchQuery } from './query-match.js';
import { SERVICE_TYPE, enumerationRecord, instanceLabel, serviceRecords, type LocalService } from './service-records.js';

/**
 * RFC 6762 §6: a record is multicast on an interface at most once per second. Configs with
 * a sub-second interval (tests) shrink the gap to half an interval, or peers would time out.
 */
const MIN_MULTICAST_GAP = 1_000;
/** RFC 6762 §8.3: announce at least twice, one second apart; we also query twice (§5.2). */
const SECOND_ANNOUNCEMENT_DELAY = 1_000;
/** RFC 6762 §6.7: legacy unicast answers carry a TTL of at most 10 s. */
const LEGACY_UNICAST_TTL = 10;
/**
 * Unicast replies per second and socket. A spoofed one-shot query makes us send a larger
 * packet to an address of the sender's choosing; the cap bounds that reflection.
 */
const MAX_UNICAST_REPLIES_PER_SECOND = 20;
const MAX_PENDING_RESOLVES = 64;

type MutableStats = { -readonly [K in keyof DiscoveryStats]: DiscoveryStats[K] };

interface Transport {
  readonly socket: MdnsSocket;
  /** Clock time of our latest multicast of the full record set on this socket. */
  lastMulticast: number;
  pendingResponse: NodeJS.Timeout | undefined;
  /** What the pending response carries: our record set, the service type enumeration, or both. */
  pendingRecords: boolean;
  pendingEnumeration: boolean;
  /** Start of the current one-second window of unicast replies, and replies sent in it. */
  unicastWindow: number;
  unicastReplies: number;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'disposed';

/**
 * Advertises this node as `_trosyn._tcp.local` and reports the other Trosyn nodes on the
 * LAN. Constructing it opens no socket; {@link Discovery.start} does.
 *
 * Discovery is not trust: a peer is a candidate address until the sync handshake
 * authenticates it.
 *
 * @example
 * ```ts
 * import { Discovery } from '@trosyn/discovery';
 *
 * const discovery = new Discovery({ nodeId: 'node-a', nodeName: 'Front desk', port: 5000 });
 * discovery.on('peer-up', (peer) => console.log('candidate', peer.nodeId, peer.addresses, peer.port));
 * discovery.on('peer-down', (peer, reason) => console.log('gone', peer.nodeId, reason));
 * await discovery.start();
 * // … later
 * await discovery.dispose();
 * ```
 */
export class Discovery extends EventEmitter<DiscoveryEvents> {
  readonly #config: ResolvedDiscoveryConfig;
  readonly #stats: MutableStats = {
    packetsSent: 0, sendErrors: 0, queriesReceived: 0, responsesReceived: 0, queriesAnswered: 0,
    answersSuppressed: 0, unicastRepliesDropped: 0, ownPacketsIgnored: 0, malformedPackets: 0, invalidRecords: 0, peersRefused: 0, conflicts: 0,
  };
  #state: State = 'idle';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #transports: Transport[] = [];
  #service: LocalService | undefined;
  #table: PeerTable | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #queryTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** Ids of our recent queries, to recognise them when multicast loops them back. */
  #ownQueryIds = new Set<number>();
  /** Instances we recently asked SRV/TXT for, with the time we asked. */
  #resolving = new Map<string, number>();

  constructor(config: DiscoveryConfig) {
    super();
    this.#config = Object.freeze(resolveDiscoveryConfig(config));
    // Fail at construction, not at the first announcement, when the TXT record cannot be built.
    txtPairsOf(this.#config);
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#config.nodeId;
  }

  /** Our instance name while running (a new one on every start). */
  get instance(): string | undefined {
    return this.#service?.instanceName;
  }

  /** Whether the sockets are open and we are advertising. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Live peers, one per node id (empty when not running). */
  peers(): Peer[] {
    return this.#table?.peers() ?? [];
  }

  /** Counters since construction. */
  stats(): DiscoveryStats {
    return { ...this.#stats };
  }

  /**
   * Opens the mDNS sockets, announces this node and starts browsing. Each start is a new
   * instance (a fresh random instance name), so peers see a restart as such.
   *
   * @throws {DiscoveryError} `socket-failed` if a socket cannot be bound; `disposed` after {@link Discovery.dispose}.
   */
  start(): Promise<void> {
    if (this.#state === 'disposed') return Promise.reject(new DiscoveryError('disposed', 'This Discovery was disposed; create a new one.'));
    if (this.#state === 'starting' || this.#state === 'running') return this.#starting ?? Promise.resolve();
    if (this.#state === 'stopping') return (this.#stopping ?? Promise.resolve()).then(() => this.start());
    this.#state = 'starting';
    this.#starting = this.#start().catch((error: unknown) => {
      this.#state = 'idle';
      throw error;
    });
    return this.#starting;
  }

  /**
   * Sends goodbye records (TTL 0) so peers drop us at once, closes the sockets and reports
   * every peer down with reason `stopped`. Safe to call when not running.
   */
  stop(): Promise<void> {
    if (this.#state === 'starting') return (this.#starting ?? Promise.resolve()).catch(() => undefined).then(() => this.stop());
    if (this.#state !== 'running') return this.#stopping ?? Promise.resolve();
    this.#state = 'stopping';
    this.#stopping = this.#stop().finally(() => {
      if (this.#state === 'stopping') this.#state = 'idle';
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /** Stops (with goodbye) and forbids restarting. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#state === 'disposed') return;
    await this.stop();
    this.#state = 'disposed';
  }

  /** `await using discovery = new Discovery(…)` disposes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  async #start(): Promise<void> {
    const config = this.#config;
    const tag = randomBytes(4).toString('hex');
    const label = instanceLabel(config.nodeName, tag);
    this.#service = {
      instanceName: `${label}.${SERVICE_TYPE}`,
      hostName: `trosyn-${tag}.local`,
      port: config.port,
      addresses: config.addresses ?? localAddresses(config.interfaces),
      txt: txtPairsOf(config),
      ttl: Math.max(1, Math.ceil(config.deviceTimeout / 1000)),
    };
    this.#table = new PeerTable({
      selfNodeId: config.nodeId,
      selfInstance: this.#service.instanceName.toLowerCase(),
      deviceTimeout: config.deviceTimeout,
      maxPeers: config.maxPeers,
      clock: config.clock,
    });

    const specs: (string | undefined)[] = config.interfaces.length > 0 ? [...config.interfaces] : [undefined];
    const transports: Transport[] = [];
    try {
      for (const spec of specs) transports.push(await this.#open(spec));
    } catch (error) {
      await Promise.all(transports.map((transport) => destroySocket(transport.socket)));
      this.#service = undefined;
      this.#table = undefined;
      throw error;
    }
    this.#transports = transports;
    this.#state = 'running';

    // RFC 6762 §8.3: announce, then again a second later; query alongside (§5.2) so a
    // starting node learns the others within one round trip instead of one interval.
    for (const transport of transports) {
      this.#multicastRecords(transport, true);
      this.#sendQuery(transport);
    }
    this.#later(SECOND_ANNOUNCEMENT_DELAY, () => {
      for (const transport of this.#transports) {
        this.#multicastRecords(transport, true);
        this.#sendQuery(transport);
      }
    });
    this.#queryTimer = setInterval(() => {
      for (const transport of this.#transports) this.#sendQuery(transport);
    }, config.discoveryInterval);
    this.#queryTimer.unref();
  }

  async #open(spec: string | undefined): Promise<Transport> {
    const socket = await openMdnsSocket(this.#config, spec);
    const transport: Transport = { socket, lastMulticast: -Infinity, pendingResponse: undefined, pendingRecords: false, pendingEnumeration: false, unicastWindow: 0, unicastReplies: 0 };
    // After binding, multicast-dns reports only transient trouble; none of it may stop discovery.
    socket.on('error', (error) => this.#warn(error));
    socket.on('warning', (error) => {
      // multicast-dns reports both undecodable datagrams and socket errors as warnings;
      // only the latter come from a system call.
      if ((error as NodeJS.ErrnoException).syscall === undefined) this.#stats.malformedPackets++;
      else this.#warn(error);
    });
    socket.on('query', (packet, source) => this.#guard(() => this.#onQuery(transport, packet, source)));
    socket.on('response', (packet, source) => this.#guard(() => this.#onResponse(transport, packet, source)));
    return transport;
  }

  async #stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    clearInterval(this.#queryTimer);
    clearTimeout(this.#expiryTimer);
    const transports = this.#transports;
    this.#transports = [];
    await Promise.all(transports.map(async (transport) => {
      clearTimeout(transport.pendingResponse);
      const service = this.#service;
      // RFC 6762 §10.1: records with TTL 0 tell every cache to drop us now, not after the timeout.
      if (service !== undefined) {
        await flushWithin(new Promise<void>((resolve) => {
          this.#send(transport, 'respond', { answers: serviceRecords(service, 0) }, null, resolve);
        }));
      }
      await destroySocket(transport.socket);
    }));
    this.#ownQueryIds.clear();
    this.#resolving.clear();
    const events = this.#table?.clear('stopped') ?? [];
    this.#table = undefined;
    this.#service = undefined;
    this.#emitAll(events);
  }

  #onQuery(transport: Transport, packet: DnsPacket, source: PacketSource): void {
    this.#stats.queriesReceived++;
    const service = this.#service;
    if (service === undefined || this.#state !== 'running') return;
    if (typeof packet.id === 'number' && this.#ownQueryIds.has(packet.id) && source.port === this.#config.mdnsPort) {
      this.#stats.ownPacketsIgnored++;
      return;
    }
    const { wantsService, wantsUnique, wantsEnumeration, matched, knowsUs } = matchQuery(packet, service);
    if (!wantsService && !wantsUnique && !wantsEnumeration) return;
    // RFC 6762 §7.1: a querier that lists our PTR with at least half its TTL left already
    // knows us; answering would only add traffic.
    if (knowsUs && !wantsUnique && !wantsEnumeration) {
      this.#stats.answersSuppressed++;
      return;
    }
    if (source.port !== this.#config.mdnsPort) {
      const now = this.#config.clock.now();
      if (now - transport.unicastWindow >= 1_000) {
        transport.unicastWindow = now;
        transport.unicastReplies = 0;
      }
      if (++transport.unicastReplies > MAX_UNICAST_REPLIES_PER_SECOND) {
        this.#stats.unicastRepliesDropped++;
        return;
      }
      this.#stats.queriesAnswered++;
      // RFC 6762 §6.7: a legacy resolver (one-shot query from an ephemeral port) gets a
      // unicast reply echoing its id and question, with short TTLs. Only the questions about
      // us are echoed, so a query cannot make us send back arbitrary bulk.
      const ttl = Math.min(service.ttl, LEGACY_UNICAST_TTL);
      const answers: DnsRecord[] = [...(wantsService || wantsUnique ? serviceRecords(service, ttl) : [])];
      if (wantsEnumeration) answers.push(enumerationRecord(ttl));
      this.#send(transport, 'respond', { id: typeof packet.id === 'number' ? packet.id : 0, questions: matched, answers }, { address: source.address, port: source.port });
      return;
    }
    this.#stats.queriesAnswered++;
    if (wantsEnumeration) transport.pendingEnumeration = true;
    if (wantsService || wantsUnique) transport.pendingRecords = true;
    this.#scheduleResponse(transport);
  }

  #onResponse(transport: Transport, packet: DnsPacket, source: PacketSource): void {
    this.#stats.responsesReceived++;
    const table = this.#table;
    if (table === undefined || this.#state !== 'running') return;
    const { announcements, invalid } = parseResponse(packet, source);
    this.#stats.invalidRecords += invalid;
    const events: PeerTableEvent[] = [];
    let own = false;
    for (const announcement of announcements) {
      const result = table.observe(announcement, source.address);
      if (result.outcome === 'self') own = true;
      else if (result.outcome === 'full') this.#stats.peersRefused++;
      else if (result.outcome === 'unresolved') this.#resolve(transport, announcement.instance);
      events.push(...result.events);
    }
    if (own) this.#stats.ownPacketsIgnored++;
    this.#emitAll(events);
    this.#scheduleExpiry();
  }

  /** Asks for the SRV and TXT of an instance we only saw a PTR of, at most once a second each. */
  #resolve(transport: Transport, instance: string): void {
    const now = this.#config.clock.now();
    const asked = this.#resolving.get(instance);
    if (asked !== undefined && now - asked < MIN_MULTICAST_GAP) return;
    if (asked === undefined && this.#resolving.size >= MAX_PENDING_RESOLVES) {
      for (const [name, at] of this.#resolving) if (now - at >= MIN_MULTICAST_GAP) this.#resolving.delete(name);
      if (this.#resolving.size >= MAX_PENDING_RESOLVES) return;
    }
    this.#resolving.set(instance, now);
    this.#send(transport, 'query', { questions: [{ name: instance, type: 'SRV' }, { name: instance, type: 'TXT' }] }, null);
  }

  #sendQuery(transport: Transport): void {
    const table = this.#table;
    if (table === undefined) return;
    // Known answers: peers heard within half an interval need not answer this round. Older
    // ones must, so each peer is heard at least every ~1.5 intervals, well inside the timeout.
    const answers: DnsRecord[] = table.knownAnswers(this.#config.discoveryInterval / 2)
      .map(({ instance, ttl }) => ({ name: SERVICE_TYPE, type: 'PTR', class: 'IN', ttl, data: instance }));
    // Multicast queries normally carry id 0 and receivers must ignore the id (RFC 6762
    // §18.1), so a random id costs nobody anything and lets us spot our own looped-back query.
    const id = randomInt(1, 0x10000);
    this.#ownQueryIds.add(id);
    this.#later(5_000, () => this.#ownQueryIds.delete(id));
    this.#send(transport, 'query', { id, questions: [{ name: SERVICE_TYPE, type: 'PTR' }], answers }, null);
  }

  /**
   * Multicasts the full record set once, after the 20–120 ms delay RFC 6762 §6 asks for
   * shared records (so simultaneous responders spread out), and never sooner than one second
   * after our previous multicast on this socket; queries arriving meanwhile share the answer.
   */
  #scheduleResponse(transport: Transport): void {
    if (transport.pendingResponse !== undefined) return;
    const now = this.#config.clock.now();
    const gap = Math.min(MIN_MULTICAST_GAP, this.#config.discoveryInterval / 2);
    const delay = Math.max(randomInt(20, 121), transport.lastMulticast + gap - now);
    transport.pendingResponse = this.#later(delay, () => {
      transport.pendingResponse = undefined;
      this.#multicastRecords(transport, transport.pendingRecords);
    });
  }

  /** Multicasts our record set (when `records`) plus a pending enumeration answer. */
  #multicastRecords(transport: Transport, records: boolean): void {
    const service = this.#service;
    if (service === undefined || this.#state !== 'running') return;
    const answers: DnsRecord[] = records ? serviceRecords(service) : [];
    if (transport.pendingEnumeration) answers.push(enumerationRecord(service.ttl));
    transport.pendingEnumeration = false;
    if (records) {
      transport.pendingRecords = false;
      transport.lastMulticast = this.#config.clock.now();
    }
    if (answers.length === 0) return;
    this.#send(transport, 'respond', { answers }, null);
  }

  #send(
    transport: Transport,
    kind: 'query' | 'respond',
    packet: DnsPacket,
    destination: { address: string; port: number } | null,
    done?: () => void,
  ): void {
    const callback = (error?: Error | null) => {
      if (error) {
        this.#stats.sendErrors++;
        this.#warn(error);
      } else {
        this.#stats.packetsSent++;
      }
      done?.();
    };
    try {
      if (kind === 'query') transport.socket.query(packet, callback);
      else transport.socket.respond(packet, destination, callback);
    } catch (error) {
      // dns-packet throws synchronously on unencodable input; nothing we build should be, but
      // a send must never take the process down.
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #scheduleExpiry(): void {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    const at = this.#table?.nextExpiry();
    if (at === undefined || this.#state !== 'running') return;
    // Timers are real even with an injected clock; a few ms late is fine for a 90 s timeout.
    const delay = Math.max(0, at - this.#config.clock.now()) + 5;
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined;
      this.#guard(() => this.#emitAll(this.#table?.expire() ?? []));
      this.#scheduleExpiry();
    }, delay);
    this.#expiryTimer.unref();
  }

  #later(delay: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, delay);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }

  #emitAll(events: readonly PeerTableEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'peer-up': this.emit('peer-up', event.peer); break;
        case 'peer-updated': this.emit('peer-updated', event.peer, event.previous); break;
        case 'peer-down': this.emit('peer-down', event.peer, event.reason); break;
        case 'conflict':
          this.#stats.conflicts++;
          this.emit('conflict', event.conflict);
          break;
      }
    }
  }

  /**
   * Packet handling and timers never throw into the event loop: an exception (a bug, or a
   * throwing event listener) becomes a `warning` instead of crashing the process.
   */
  #guard(handle: () => void): void {
    try {
      handle();
    } catch (error) {
      this.#warn(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #warn(error: Error): void {
    this.emit('warning', error);
  }
}
