import { isIP, isIPv4, isIPv6 } from 'node:net';
import { decodeTxt } from './txt-record.js';
import { SERVICE_TYPE, TXT_KEYS } from './service-records.js';
import type { PacketSource } from './mdns-socket.js';

/** A Trosyn service as another node describes it in SRV, TXT and address records. */
export interface AnnouncedService {
  /** Node id from TXT `id`. */
  readonly nodeId: string;
  /** Node name from TXT `name`. */
  readonly name: string;
  /** Sync protocol version from TXT `proto`. */
  readonly protocolVersion: number;
  /** Whether the sync port speaks TLS (TXT `tls=1`). */
  readonly tls: boolean;
  /** Sync port from SRV. */
  readonly port: number;
  /** SRV target host name. */
  readonly host: string;
  /** A and AAAA addresses of the host, sorted; the packet's source address when it had none. */
  readonly addresses: readonly string[];
  /** Every TXT pair, keys lower-cased. */
  readonly txt: Readonly<Record<string, string>>;
}

/** What one response packet says about one service instance. */
export interface ServiceAnnouncement {
  /** Full instance name, lower-cased (DNS names compare case-insensitively). */
  readonly instance: string;
  /** TTL 0 on its PTR or SRV: the instance is leaving (RFC 6762 §10.1). */
  readonly goodbye: boolean;
  /** Time to live the sender gave its records, in seconds (the smallest of PTR and SRV). */
  readonly ttl: number;
  /** The complete description, when the packet carried valid SRV and TXT records. */
  readonly service?: AnnouncedService;
}

/** Result of {@link parseResponse}. */
export interface ParsedResponse {
  readonly announcements: readonly ServiceAnnouncement[];
  /** Instances whose SRV/TXT were present but invalid (hostile or broken senders). */
  readonly invalid: number;
}

/** Records looked at per section: a full-size datagram holds thousands, a node sends a handful. */
const MAX_RECORDS_PER_SECTION = 128;
/** Instances accepted from one packet. */
const MAX_INSTANCES_PER_PACKET = 32;
/** Addresses kept per host. */
const MAX_ADDRESSES = 16;
const MAX_NAME_LENGTH = 255;
/** Printable ASCII without space: ids are identifiers, not prose. */
const NODE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const SERVICE_SUFFIX = `.${SERVICE_TYPE}`;

interface RawRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: unknown;
}

/**
 * Extracts the Trosyn service announcements from a decoded mDNS response. Pure: the packet
 * is untrusted input from the network, so every field is checked, and a malformed record
 * makes its instance invalid instead of throwing.
 */
export function parseResponse(packet: unknown, source: PacketSource): ParsedResponse {
  const records = collectRecords(packet);
  const instances = new Map<string, { ptrTtl?: number; srv?: RawRecord; txt?: RawRecord }>();
  const instanceEntry = (name: string) => {
    let entry = instances.get(name);
    if (entry === undefined && instances.size < MAX_INSTANCES_PER_PACKET) {
      entry = {};
      instances.set(name, entry);
    }
    return entry;
  };

  for (const record of records) {
    if (record.type === 'PTR' && record.name === SERVICE_TYPE && typeof record.data === 'string') {
      const instance = record.data.toLowerCase();
      if (!isInstanceName(instance)) continue;
      const entry = instanceEntry(instance);
      if (entry !== undefined) entry.ptrTtl = Math.min(entry.ptrTtl ?? Infinity, record.ttl);
    } else if ((record.type === 'SRV' || record.type === 'TXT') && isInstanceName(record.name)) {
      const entry = instanceEntry(record.name);
      if (entry === undefined) continue;
      // Keep the first of each: a second SRV for one instance in one packet is not something we send.
      if (record.type === 'SRV') entry.srv ??= record;
      else entry.txt ??= record;
    }
  }

  const announcements: ServiceAnnouncement[] = [];
  let invalid = 0;
  for (const [instance, entry] of instances) {
    const goodbye = entry.ptrTtl === 0 || entry.srv?.ttl === 0;
    const ttl = Math.min(entry.ptrTtl ?? Infinity, entry.srv?.ttl ?? Infinity, entry.txt?.ttl ?? Infinity);
    if (goodbye) {
      announcements.push({ instance, goodbye: true, ttl: 0 });
      continue;
    }
    if (entry.srv === undefined && entry.txt === undefined) {
      announcements.push({ instance, goodbye: false, ttl });
      continue;
    }
    const service = entry.srv !== undefined && entry.txt !== undefined
      ? describeService(entry.srv, entry.txt, records, source)
      : undefined;
    if (entry.srv !== undefined && entry.txt !== undefined && service === undefined) {
      invalid++;
      continue;
    }
    announcements.push(service === undefined ? { instance, goodbye: false, ttl } : { instance, goodbye: false, ttl, service });
  }
  return { announcements, invalid };
}

function describeService(
  srv: RawRecord,
  txtRecord: RawRecord,
  records: readonly RawRecord[],
  source: PacketSource,
): AnnouncedService | undefined {
  const srvData = srv.data as { port?: unknown; target?: unknown } | null;
  if (typeof srvData !== 'object' || srvData === null) return undefined;
  const { port, target } = srvData;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (typeof target !== 'string' || target.length === 0 || target.length > MAX_NAME_LENGTH) return undefined;

  const txt = decodeTxt(txtRecord.data);
  if (txt === undefined) return undefined;
  const nodeId = txt[TXT_KEYS.nodeId];
  const name = txt[TXT_KEYS.nodeName];
  const proto = txt[TXT_KEYS.protocolVersion];
  if (nodeId === undefined || !NODE_ID_PATTERN.test(nodeId)) return undefined;
  if (name === undefined || name.length === 0 || CONTROL_CHARACTERS.test(name)) return undefined;
  if (proto === undefined || !/^\d{1,9}$/.test(proto)) return undefined;

  const host = target.toLowerCase();
  const addresses = new Set<string>();
  for (const record of records) {
    if (addresses.size >= MAX_ADDRESSES) break;
    if (record.name !== host || record.ttl === 0 || typeof record.data !== 'string') continue;
    if ((record.type === 'A' && isIPv4(record.data)) || (record.type === 'AAAA' && isIPv6(record.data))) {
      addresses.add(record.data);
    }
  }
  if (addresses.size === 0 && isIP(source.address) !== 0) addresses.add(source.address);

  return {
    nodeId,
    name,
    protocolVersion: Number(proto),
    tls: txt[TXT_KEYS.tls] === '1',
    port,
    host,
    addresses: [...addresses].sort(),
    txt,
  };
}

function isInstanceName(name: string): boolean {
  return name.length > SERVICE_SUFFIX.length && name.length <= MAX_NAME_LENGTH && name.endsWith(SERVICE_SUFFIX);
}

/** Answers and additionals, lower-cased names, with anything not record-shaped dropped. */
function collectRecords(packet: unknown): RawRecord[] {
  if (typeof packet !== 'object' || packet === null) return [];
  const { answers, additionals } = packet as { answers?: unknown; additionals?: unknown };
  const records: RawRecord[] = [];
  for (const section of [answers, additionals]) {
    if (!Array.isArray(section)) continue;
    for (const record of section.slice(0, MAX_RECORDS_PER_SECTION) as unknown[]) {
      if (typeof record !== 'object' || record === null) continue;
      const { name, type, ttl, data } = record as { name?: unknown; type?: unknown; ttl?: unknown; data?: unknown };
      if (typeof name !== 'string' || typeof type !== 'string') continue;
      if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) continue;
      records.push({ name: name.toLowerCase(), type, ttl, data });
    }
  }
  return records;
}
