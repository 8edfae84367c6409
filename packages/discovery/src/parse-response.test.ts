import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { parseResponse } from './parse-response.js';
import { SERVICE_TYPE, instanceLabel, serviceRecords, type LocalService } from './service-records.js';
import type { DnsPacket } from './mdns-socket.js';

const source = { address: '10.213.1.7', port: 5353, family: 'IPv4' };

const service: LocalService = {
  instanceName: `${instanceLabel('Front Desk', '0badcafe')}.${SERVICE_TYPE}`,
  hostName: 'trosyn-0badcafe.local',
  port: 5000,
  addresses: ['10.213.1.7', 'fd00:213:1::7'],
  txt: { txtvers: '1', id: 'node-a', name: 'Front Desk', proto: '1', tls: '1', fp: 'sha256:abc' },
  ttl: 90,
};

/** Through the real wire format, as a peer would receive it. */
function overTheWire(packet: DnsPacket): unknown {
  return dnsPacket.decode(dnsPacket.encode({ type: 'response', ...packet } as dnsPacket.Packet));
}

describe('serviceRecords + parseResponse', () => {
  it('round-trips our advertisement through the DNS wire format', () => {
    const { announcements, invalid } = parseResponse(overTheWire({ answers: serviceRecords(service) }), source);
    expect(invalid).toBe(0);
    expect(announcements).toEqual([{
      instance: 'front desk-0badcafe._trosyn._tcp.local',
      goodbye: false,
      ttl: 90,
      service: {
        nodeId: 'node-a', name: 'Front Desk', protocolVersion: 1, tls: true, port: 5000,
        host: 'trosyn-0badcafe.local', addresses: ['10.213.1.7', 'fd00:213:1::7'],
        txt: { txtvers: '1', id: 'node-a', name: 'Front Desk', proto: '1', tls: '1', fp: 'sha256:abc' },
      },
    }]);
  });

  it('encodes PTR, SRV, TXT and one A/AAAA per address, unique records with cache-flush', () => {
    const records = serviceRecords(service);
    expect(records.map((r) => r.type)).toEqual(['PTR', 'SRV', 'TXT', 'A', 'AAAA']);
    expect(records.filter((r) => r.flush).map((r) => r.type)).toEqual(['SRV', 'TXT', 'A', 'AAAA']);
    expect(records[1]!.data).toEqual({ priority: 0, weight: 0, port: 5000, target: 'trosyn-0badcafe.local' });
  });

  it('reads records with TTL 0 as a goodbye', () => {
    const { announcements } = parseResponse(overTheWire({ answers: serviceRecords(service, 0) }), source);
    expect(announcements).toEqual([{ instance: 'front desk-0badcafe._trosyn._tcp.local', goodbye: true, ttl: 0 }]);
  });

  it('finds SRV/TXT/addresses in the additional section (RFC 6763 §12.1)', () => {
    const [ptr, ...rest] = serviceRecords(service);
    const { announcements } = parseResponse(overTheWire({ answers: [ptr!], additionals: rest }), source);
    expect(announcements[0]!.service?.addresses).toEqual(['10.213.1.7', 'fd00:213:1::7']);
  });

  it('uses the source address when the packet has no address records', () => {
    const records = serviceRecords({ ...service, addresses: [] });
    const { announcements } = parseResponse(overTheWire({ answers: records }), source);
    expect(announcements[0]!.service?.addresses).toEqual(['10.213.1.7']);
  });

  it('reports a PTR alone as an instance to resolve, without a service', () => {
    const [ptr] = serviceRecords(service);
    const { announcements } = parseResponse(overTheWire({ answers: [ptr!] }), source);
    expect(announcements).toEqual([{ instance: 'front desk-0badcafe._trosyn._tcp.local', goodbye: false, ttl: 90 }]);
  });

  it('ignores other services and unrelated records', () => {
    const packet = overTheWire({
      answers: [
        { name: '_http._tcp.local', type: 'PTR', ttl: 120, data: 'printer._http._tcp.local' },
        { name: 'printer._http._tcp.local', type: 'SRV', ttl: 120, data: { port: 80, target: 'printer.local' } },
        { name: 'printer.local', type: 'A', ttl: 120, data: '10.213.1.9' },
      ],
    });
    expect(parseResponse(packet, source)).toEqual({ announcements: [], invalid: 0 });
  });

  it('counts instances with invalid SRV or TXT and never throws on hostile shapes', () => {
    const instance = `evil.${SERVICE_TYPE}`;
    const cases: DnsPacket[] = [
      { answers: [{ name: instance, type: 'SRV', ttl: 9, data: { port: 0, target: 'x.local' } }, { name: instance, type: 'TXT', ttl: 9, data: [Buffer.from('id=a'), Buffer.from('name=a'), Buffer.from('proto=1')] }] },
      { answers: [{ name: instance, type: 'SRV', ttl: 9, data: { port: 80, target: 'x.local' } }, { name: instance, type: 'TXT', ttl: 9, data: [Buffer.from('id=has space'), Buffer.from('name=a'), Buffer.from('proto=1')] }] },
      { answers: [{ name: instance, type: 'SRV', ttl: 9, data: { port: 80, target: 'x.local' } }, { name: instance, type: 'TXT', ttl: 9, data: [Buffer.from('id=a'), Buffer.from('name=bell\u0007'), Buffer.from('proto=1')] }] },
      { answers: [{ name: instance, type: 'SRV', ttl: 9, data: { port: 80, target: 'x.local' } }, { name: instance, type: 'TXT', ttl: 9, data: [Buffer.from('id=a'), Buffer.from('name=a'), Buffer.from('proto=one')] }] },
      { answers: [{ name: instance, type: 'SRV', ttl: 9, data: { port: 80, target: 'x.local' } }, { name: instance, type: 'TXT', ttl: 9, data: [Buffer.from('name=a'), Buffer.from('proto=1')] }] },
    ];
    for (const packet of cases) expect(parseResponse(overTheWire(packet), source)).toEqual({ announcements: [], invalid: 1 });

    // Shapes no decoder produces, in case a future one does: still no throw.
    const weird: unknown[] = [
      null, 42, 'x', { answers: 'nope' }, { answers: [null, 1, { name: 5 }, { name: instance, type: 'SRV', ttl: -1 }] },
      { answers: [{ name: instance, type: 'SRV', ttl: 1, data: null }, { name: instance, type: 'TXT', ttl: 1, data: null }] },
      { answers: [{ name: SERVICE_TYPE, type: 'PTR', ttl: 1, data: { toLowerCase: 1 } }] },
    ];
    for (const packet of weird) expect(() => parseResponse(packet, source)).not.toThrow();
  });

  it('fits a long name, 16 addresses and a fingerprint into one Ethernet-sized datagram', () => {
    const big: LocalService = {
      ...service,
      instanceName: `${instanceLabel('N'.repeat(200), 'ffffffff')}.${SERVICE_TYPE}`,
      addresses: Array.from({ length: 16 }, (_, i) => `fd00:213:1:2:3:4:5:${i + 1}`),
      txt: { ...service.txt, name: 'N'.repeat(200), fp: 'sha256:' + 'a'.repeat(64) },
    };
    const bytes = dnsPacket.encode({ type: 'response', answers: serviceRecords(big) } as dnsPacket.Packet);
    expect(bytes.length).toBeLessThanOrEqual(1_452); // 1500-byte MTU minus IPv6 (40) and UDP (8) headers
    expect(parseResponse(dnsPacket.decode(bytes), source).announcements[0]!.service?.addresses).toHaveLength(16);
  });

  it('caps how much of a huge packet it looks at', () => {
    const answers = Array.from({ length: 500 }, (_, i) => ({ name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: `n${i}.${SERVICE_TYPE}` }));
    const { announcements } = parseResponse(overTheWire({ answers }), source);
    expect(announcements.length).toBe(32);
  });
});

describe('instanceLabel', () => {
  it('makes one DNS label of at most 63 bytes, unique by tag', () => {
    expect(instanceLabel('a.b\u0000c', '01234567')).toBe('a-b-c-01234567');
    const long = instanceLabel('é'.repeat(100), '01234567');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long.endsWith('-01234567')).toBe(true);
  });
});
