/**
 * An in-memory multicast segment of fake {@link MdnsSocket}s, for driving {@link Discovery}
 * without any network. Packets go through the real DNS wire format (dns-packet), are
 * delivered asynchronously to every socket (loopback included, as multicast-dns does), and
 * undecodable datagrams become `warning` events, like multicast-dns.
 */
import { EventEmitter } from 'node:events';
import dnsPacket from 'dns-packet';
import type { DnsPacket, MdnsFactory, MdnsSocket, MdnsSocketOptions, PacketDestination, PacketSource, SendCallback } from '../src/index.js';

export class FakeSocket extends EventEmitter implements MdnsSocket {
  readonly address: string;
  readonly options: MdnsSocketOptions;
  readonly sent: { kind: 'query' | 'response'; packet: DnsPacket; destination: PacketDestination | null }[] = [];
  destroyed = false;
  readonly #network: FakeNetwork;

  constructor(network: FakeNetwork, address: string, options: MdnsSocketOptions) {
    super();
    this.#network = network;
    this.address = address;
    this.options = options;
  }

  query(packet: DnsPacket, callback: SendCallback): void {
    this.#send('query', packet, null, callback);
  }

  respond(packet: DnsPacket, destination: PacketDestination | null, callback: SendCallback): void {
    this.#send('response', packet, destination, callback);
  }

  destroy(callback?: () => void): void {
    this.destroyed = true;
    this.#network.detach(this);
    setImmediate(() => callback?.());
  }

  #send(kind: 'query' | 'response', packet: DnsPacket, destination: PacketDestination | null, callback: SendCallback): void {
    if (this.destroyed) {
      setImmediate(callback);
      return;
    }
    const bytes = dnsPacket.encode({ ...packet, type: kind, flags: kind === 'response' ? dnsPacket.AUTHORITATIVE_ANSWER : 0 } as dnsPacket.Packet);
    this.sent.push({ kind, packet, destination });
    this.#network.deliver(bytes, { address: this.address, port: 5353, family: 'IPv4' }, destination);
    setImmediate(callback);
  }
}

export class FakeNetwork {
  readonly sockets = new Set<FakeSocket>();
  /** Every datagram put on the segment. */
  readonly wire: Buffer[] = [];
  #next = 1;
  /** When set, sockets fail to bind with this error. */
  bindError: Error | undefined;

  /** A factory handing out sockets with addresses 10.0.0.1, 10.0.0.2, … */
  factory(address?: string): MdnsFactory & { created: FakeSocket[] } {
    const created: FakeSocket[] = [];
    const make = (options: MdnsSocketOptions) => {
      const socket = new FakeSocket(this, address ?? `10.0.0.${this.#next++}`, options);
      created.push(socket);
      setImmediate(() => {
        if (this.bindError !== undefined) socket.emit('error', this.bindError);
        else {
          this.sockets.add(socket);
          socket.emit('ready');
        }
      });
      return socket;
    };
    return Object.assign(make, { created });
  }

  detach(socket: FakeSocket): void {
    this.sockets.delete(socket);
  }

  /** Puts raw bytes on the segment from `source` (to everyone, or to one unicast destination). */
  deliver(bytes: Buffer, source: PacketSource, destination: PacketDestination | null = null): void {
    this.wire.push(bytes);
    setImmediate(() => {
      for (const socket of this.sockets) {
        if (destination !== null && socket.address !== destination.address) continue;
        let packet: dnsPacket.DecodedPacket;
        try {
          packet = dnsPacket.decode(bytes);
        } catch (error) {
          socket.emit('warning', error);
          continue;
        }
        socket.emit('packet', packet, source);
        if (packet.type === 'query') socket.emit('query', packet, source);
        if (packet.type === 'response') socket.emit('response', packet, source);
      }
    });
  }

  /** Encodes and sends a packet as if from a foreign host. */
  inject(packet: dnsPacket.Packet, source: PacketSource = { address: '10.0.0.250', port: 5353 }): void {
    this.deliver(dnsPacket.encode(packet), source);
  }
}
