import { isIPv4 } from 'node:net';
import { encodeTxt } from './txt-record.js';
import type { DnsRecord } from './mdns-socket.js';

/** The DNS-SD service type every Trosyn node advertises (RFC 6763 §7). */
export const SERVICE_TYPE = '_trosyn._tcp.local';

/** DNS-SD service type enumeration name (RFC 6763 §9). */
export const SERVICE_ENUMERATION = '_services._dns-sd._udp.local';

/** Version of the TXT layout below; bumped only on incompatible changes (RFC 6763 §6.7). */
export const TXT_VERSION = '1';

/**
 * TXT keys of a Trosyn advertisement. Short keys keep the record small (RFC 6763 §6.4
 * recommends at most nine characters).
 */
export const TXT_KEYS = {
  /** Layout version, first as RFC 6763 §6.7 asks. */
  version: 'txtvers',
  /** Node id (`LAN_SYNC_NODE_ID`). */
  nodeId: 'id',
  /** Human-readable node name (`LAN_SYNC_NODE_NAME`). */
  nodeName: 'name',
  /** Sync protocol version the handshake speaks. */
  protocolVersion: 'proto',
  /** `1` when the sync port speaks TLS, `0` for plain HTTP. */
  tls: 'tls',
} as const;

/** What this node advertises, ready to be turned into records. */
export interface LocalService {
  /** Full instance name, `<label>._trosyn._tcp.local`. */
  readonly instanceName: string;
  /** Full host name the SRV record points at, `<label>.local`. */
  readonly hostName: string;
  /** Sync port (SRV). */
  readonly port: number;
  /** Addresses for the host name (A and AAAA). */
  readonly addresses: readonly string[];
  /** TXT pairs, in order. */
  readonly txt: Readonly<Record<string, string>>;
  /** Time to live of the records, in seconds. */
  readonly ttl: number;
}

// A DNS label holds at most 63 bytes (RFC 1035 §2.3.4); dns-packet splits names on '.'.
const MAX_LABEL_BYTES = 63;

/**
 * Builds the instance label `<node name>-<tag>`: readable in service browsers, unique per
 * process start thanks to the random tag, and a valid single DNS label.
 */
export function instanceLabel(nodeName: string, tag: string): string {
  // '.' would split the label; control characters are not allowed in instance names (RFC 6763 §4.1.1).
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  let base = nodeName.replace(/[.\u0000-\u001f\u007f]/g, '-');
  const suffix = `-${tag}`;
  while (Buffer.byteLength(base + suffix) > MAX_LABEL_BYTES) base = [...base].slice(0, -1).join('');
  return base.length > 0 ? base + suffix : `trosyn${suffix}`;
}

/**
 * The full record set of a service: PTR, SRV, TXT and one A/AAAA per address (RFC 6763
 * §12). With `ttl` 0 the same set is a goodbye (RFC 6762 §10.1).
 */
export function serviceRecords(service: LocalService, ttl: number = service.ttl): DnsRecord[] {
  const records: DnsRecord[] = [
    { name: SERVICE_TYPE, type: 'PTR', class: 'IN', ttl, data: service.instanceName },
    // SRV, TXT and address records are unique to this node: set the cache-flush bit (RFC 6762 §10.2).
    {
      name: service.instanceName, type: 'SRV', class: 'IN', ttl, flush: true,
      data: { priority: 0, weight: 0, port: service.port, target: service.hostName },
    },
    { name: service.instanceName, type: 'TXT', class: 'IN', ttl, flush: true, data: encodeTxt(service.txt) },
  ];
  for (const address of service.addresses) {
    records.push({ name: service.hostName, type: isIPv4(address) ? 'A' : 'AAAA', class: 'IN', ttl, flush: true, data: address });
  }
  return records;
}

/** The answer to a service type enumeration query (RFC 6763 §9). */
export function enumerationRecord(ttl: number): DnsRecord {
  return { name: SERVICE_ENUMERATION, type: 'PTR', class: 'IN', ttl, data: SERVICE_TYPE };
}
