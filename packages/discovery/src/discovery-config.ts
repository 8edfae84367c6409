import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { systemClock, type Clock } from './clock.js';
import { DiscoveryError } from './errors.js';
import { createMulticastDns, type MdnsFactory } from './mdns-socket.js';
import { TXT_KEYS, TXT_VERSION } from './service-records.js';
import { encodeTxt } from './txt-record.js';

/** Sync protocol version advertised when the config does not say. */
export const PROTOCOL_VERSION = 1;

/** Seed default of `LAN_SYNC_DISCOVERY_INTERVAL` (30 s), in milliseconds. */
export const DEFAULT_DISCOVERY_INTERVAL = 30_000;
/** Seed default of `LAN_SYNC_DEVICE_TIMEOUT` (90 s), in milliseconds. */
export const DEFAULT_DEVICE_TIMEOUT = 90_000;

const MDNS_PORT = 5353;
const IPV4_GROUP = '224.0.0.251';
const NODE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const RESERVED_TXT_KEYS: ReadonlySet<string> = new Set(Object.values(TXT_KEYS));

/** Construction config of {@link Discovery}. Copied and frozen by the constructor. */
export interface DiscoveryConfig {
  /** This node's id (`LAN_SYNC_NODE_ID`): printable ASCII without spaces, at most 128 characters. */
  readonly nodeId: string;
  /** Human-readable name (`LAN_SYNC_NODE_NAME`); defaults to the host name. */
  readonly nodeName?: string;
  /** Port of this node's sync server (`LAN_SYNC_PORT`), advertised in SRV. */
  readonly port: number;
  /** Sync protocol version the handshake speaks; defaults to {@link PROTOCOL_VERSION}. */
  readonly protocolVersion?: number;
  /** Whether the sync port speaks TLS (TXT `tls=1`); defaults to `false`. */
  readonly tls?: boolean;
  /**
   * Further TXT pairs a peer needs before its handshake (e.g. a key fingerprint). Keys are
   * printable ASCII without `=`, at most nine characters recommended (RFC 6763 §6.4); the
   * keys `txtvers`, `id`, `name`, `proto` and `tls` are reserved.
   */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Milliseconds between queries (`LAN_SYNC_DISCOVERY_INTERVAL` × 1000); default 30 000. */
  readonly discoveryInterval?: number;
  /**
   * Milliseconds without a packet after which a peer is down (`LAN_SYNC_DEVICE_TIMEOUT` ×
   * 1000); default 90 000; must exceed `discoveryInterval`. Also the TTL of our records.
   */
  readonly deviceTimeout?: number;
  /**
   * Address of the network interface to use (multicast-dns's `interface`): the socket joins
   * the group and sends there only. An IPv6 interface is given as `::%<ifname>`. Several
   * entries open one socket each. Default: join on every IPv4 interface, send on the default.
   */
  readonly interface?: string | readonly string[];
  /**
   * Address to bind the socket to (multicast-dns's `bind`), or `false` not to bind. Default
   * with `interface`: the wildcard (`0.0.0.0` / `::`), because Linux delivers no multicast to
   * a socket bound to a unicast address; without `interface`: multicast-dns's default.
   */
  readonly bind?: string | false;
  /** Addresses advertised in A/AAAA records; default: those of the chosen interfaces. */
  readonly addresses?: readonly string[];
  /** UDP port of mDNS; default 5353. Only tests and isolated setups change it. */
  readonly mdnsPort?: number;
  /** IPv4 multicast group; default `224.0.0.251`. */
  readonly multicastGroup?: string;
  /** `SO_REUSEADDR` on the socket, so other responders can share the port; default `true`. */
  readonly reuseAddr?: boolean;
  /** Receive our own multicast, needed when two nodes share a host; default `true`. */
  readonly loopback?: boolean;
  /** Most instances tracked; announcements beyond are refused and counted. Default 256. */
  readonly maxPeers?: number;
  /** Time source of the peer table; default monotonic wall-clock milliseconds. */
  readonly clock?: Clock;
  /** Creates the mDNS sockets; default imports multicast-dns lazily. Inject a fake in tests. */
  readonly createMdns?: MdnsFactory;
}

/** A {@link DiscoveryConfig} checked, with every default filled in. */
export interface ResolvedDiscoveryConfig {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly port: number;
  readonly protocolVersion: number;
  readonly tls: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly discoveryInterval: number;
  readonly deviceTimeout: number;
  /** One socket per entry; empty: one socket on multicast-dns's default interface. */
  readonly interfaces: readonly string[];
  readonly bind: string | false | undefined;
  /** Undefined: advertise the chosen interfaces' own addresses. */
  readonly addresses: readonly string[] | undefined;
  readonly mdnsPort: number;
  readonly multicastGroup: string;
  readonly reuseAddr: boolean;
  readonly loopback: boolean;
  readonly maxPeers: number;
  readonly clock: Clock;
  readonly createMdns: MdnsFactory;
}

/**
 * Checks a {@link DiscoveryConfig} and fills in its defaults.
 *
 * @throws {DiscoveryError} `invalid-config`, naming the field and the value it got.
 */
export function resolveDiscoveryConfig(config: DiscoveryConfig): ResolvedDiscoveryConfig {
  const fail = (message: string): never => {
    throw new DiscoveryError('invalid-config', message);
  };
  if (typeof config !== 'object' || config === null) fail('config must be an object');
  if (typeof config.nodeId !== 'string' || !NODE_ID_PATTERN.test(config.nodeId)) {
    fail(`nodeId must be 1–128 printable ASCII characters without spaces, got ${JSON.stringify(config.nodeId)}`);
  }
  const nodeName = config.nodeName ?? hostname();
  if (typeof nodeName !== 'string' || nodeName.length === 0 || CONTROL_CHARACTERS.test(nodeName) || Buffer.byteLength(nodeName) > 200) {
    fail(`nodeName must be 1–200 bytes without control characters, got ${JSON.stringify(nodeName)}`);
  }
  const port = config.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`port must be an integer in 1–65535, got ${String(port)}`);
  const protocolVersion = config.protocolVersion ?? PROTOCOL_VERSION;
  if (!Number.isInteger(protocolVersion) || protocolVersion < 0 || protocolVersion > 999_999_999) {
    fail(`protocolVersion must be a non-negative integer, got ${String(protocolVersion)}`);
  }
  const discoveryInterval = config.discoveryInterval ?? DEFAULT_DISCOVERY_INTERVAL;
  const deviceTimeout = config.deviceTimeout ?? DEFAULT_DEVICE_TIMEOUT;
  // Node's timers hold at most 2^31-1 ms.
  if (!Number.isFinite(discoveryInterval) || discoveryInterval < 10 || discoveryInterval > 2 ** 31 - 1) {
    fail(`discoveryInterval must be 10–2147483647 milliseconds, got ${String(discoveryInterval)}`);
  }
  if (!Number.isFinite(deviceTimeout) || deviceTimeout <= discoveryInterval || deviceTimeout > 2 ** 31 - 1) {
    fail(`deviceTimeout must be greater than discoveryInterval (${discoveryInterval} ms), got ${String(deviceTimeout)}`);
  }
  const interfaces = config.interface === undefined ? [] : typeof config.interface === 'string' ? [config.interface] : [...config.interface];
  if (interfaces.some((spec) => typeof spec !== 'string' || spec.length === 0)) fail('interface entries must be non-empty address strings');
  const mdnsPort = config.mdnsPort ?? MDNS_PORT;
  if (!Number.isInteger(mdnsPort) || mdnsPort < 1 || mdnsPort > 65535) fail(`mdnsPort must be an integer in 1–65535, got ${String(mdnsPort)}`);
  const maxPeers = config.maxPeers ?? 256;
  if (!Number.isInteger(maxPeers) || maxPeers < 1) fail(`maxPeers must be a positive integer, got ${String(maxPeers)}`);
  if (config.addresses !== undefined && (!Array.isArray(config.addresses) || config.addresses.some((address) => isIP(address) === 0))) {
    fail(`addresses must be IPv4 or IPv6 addresses, got ${JSON.stringify(config.addresses)}`);
  }
  const metadata = { ...(config.metadata ?? {}) };
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(`metadata "${key}" must be a string`);
  }
  return {
    nodeId: config.nodeId,
    nodeName,
    port,
    protocolVersion,
    tls: config.tls ?? false,
    metadata: Object.freeze(metadata),
    discoveryInterval,
    deviceTimeout,
    interfaces: Object.freeze(interfaces),
    bind: config.bind,
    addresses: config.addresses === undefined ? undefined : Object.freeze([...config.addresses]),
    mdnsPort,
    multicastGroup: config.multicastGroup ?? IPV4_GROUP,
    reuseAddr: config.reuseAddr ?? true,
    loopback: config.loopback ?? true,
    maxPeers,
    clock: config.clock ?? systemClock,
    createMdns: config.createMdns ?? createMulticastDns,
  };
}

/**
 * The TXT pairs this node advertises: the reserved keys from the config, then its metadata.
 *
 * @throws {DiscoveryError} `invalid-config` for a reserved metadata key or a record that cannot be encoded.
 */
export function txtPairsOf(config: ResolvedDiscoveryConfig): Record<string, string> {
  const pairs: Record<string, string> = {
    [TXT_KEYS.version]: TXT_VERSION,
    [TXT_KEYS.nodeId]: config.nodeId,
    [TXT_KEYS.nodeName]: config.nodeName,
    [TXT_KEYS.protocolVersion]: String(config.protocolVersion),
    [TXT_KEYS.tls]: config.tls ? '1' : '0',
  };
  for (const [key, value] of Object.entries(config.metadata)) {
    if (RESERVED_TXT_KEYS.has(key.toLowerCase())) throw new DiscoveryError('invalid-config', `metadata key "${key}" is reserved`);
    pairs[key] = value;
  }
  try {
    encodeTxt(pairs);
  } catch (cause) {
    throw new DiscoveryError('invalid-config', `The TXT record cannot be encoded: ${(cause as Error).message}`, { cause });
  }
  return pairs;
}
