import type { DnsPacket, DnsQuestion, DnsRecord } from './mdns-socket.js';
import { SERVICE_ENUMERATION, SERVICE_TYPE, type LocalService } from './service-records.js';

/** Questions read from one query at most; the rest are ignored (a query cannot make us loop long). */
const MAX_QUESTIONS = 32;

/** What a query asks of this node, from {@link matchQuery}. */
export interface QueryMatch {
  /** The service type's PTR (browsing). */
  readonly wantsService: boolean;
  /** Our instance's SRV/TXT or our host's A/AAAA (resolving). */
  readonly wantsUnique: boolean;
  /** The DNS-SD service type enumeration. */
  readonly wantsEnumeration: boolean;
  /** The questions about us, echoed in a legacy unicast answer. */
  readonly matched: readonly DnsQuestion[];
  /** RFC 6762 §7.1: the querier lists our PTR with at least half its TTL left, so a browse need not be answered. */
  readonly knowsUs: boolean;
}

/**
 * Reads a decoded query (untrusted: any shape) and says which of this node's records it asks
 * for. Names compare case-insensitively, as DNS names do.
 */
export function matchQuery(packet: DnsPacket, service: LocalService): QueryMatch {
  const questions = Array.isArray(packet.questions) ? packet.questions.slice(0, MAX_QUESTIONS) : [];
  const instance = service.instanceName.toLowerCase();
  const host = service.hostName.toLowerCase();
  let wantsService = false;
  let wantsUnique = false;
  let wantsEnumeration = false;
  const matched: DnsQuestion[] = [];
  for (const question of questions as unknown[]) {
    if (typeof question !== 'object' || question === null) continue;
    const { name, type } = question as Partial<DnsQuestion>;
    if (typeof name !== 'string' || typeof type !== 'string') continue;
    const lower = name.toLowerCase();
    if (lower === SERVICE_TYPE && (type === 'PTR' || type === 'ANY')) wantsService = true;
    else if (lower === instance && (type === 'SRV' || type === 'TXT' || type === 'ANY')) wantsUnique = true;
    else if (lower === host && (type === 'A' || type === 'AAAA' || type === 'ANY')) wantsUnique = true;
    else if (lower === SERVICE_ENUMERATION && (type === 'PTR' || type === 'ANY')) wantsEnumeration = true;
    else continue;
    matched.push({ name, type });
  }
  return { wantsService, wantsUnique, wantsEnumeration, matched, knowsUs: wantsService && knowsUs(packet, instance, service.ttl) };
}

/** Whether a query lists our PTR as a known answer with at least half its TTL left (RFC 6762 §7.1). */
function knowsUs(packet: DnsPacket, instance: string, ttl: number): boolean {
  if (!Array.isArray(packet.answers)) return false;
  return (packet.answers as unknown[]).some((answer) => {
    if (typeof answer !== 'object' || answer === null) return false;
    const record = answer as Partial<DnsRecord>;
    return record.type === 'PTR' && typeof record.name === 'string' && record.name.toLowerCase() === SERVICE_TYPE
      && typeof record.data === 'string' && record.data.toLowerCase() === instance
      && typeof record.ttl === 'number' && record.ttl >= ttl / 2;
  });
}
