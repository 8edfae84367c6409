/**
 * The small part of a `multicast-dns` instance this package uses, declared here so that the
 * public API does not depend on `@types/multicast-dns` and tests can inject a fake.
 */

/** A DNS question as `dns-packet` encodes and decodes it. */
export interface DnsQuestion {
  readonly name: string;
  readonly type: string;
  readonly class?: string;
  /** RFC 6762 §5.4 unicast-response bit. */
  readonly qu?: boolean;
}

/** A DNS resource record as `dns-packet` encodes and decodes it. */
export interface DnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly class?: string;
  /** RFC 6762 §10.2 cache-flush bit. */
  readonly flush?: boolean;
  readonly data?: unknown;
}

/** A whole DNS message. Incoming packets come from the network: treat every field as untrusted. */
export interface DnsPacket {
  readonly type?: 'query' | 'response';
  readonly id?: number;
  readonly flags?: number;
  readonly questions?: readonly DnsQuestion[];
  readonly answers?: readonly DnsRecord[];
  readonly authorities?: readonly DnsRecord[];
  readonly additionals?: readonly DnsRecord[];
}

/** Where a packet came from (`dgram`'s `rinfo`). */
export interface PacketSource {
  readonly address: string;
  readonly port: number;
  readonly family?: string;
}

/** A unicast destination for {@link MdnsSocket.respond}. */
export interface PacketDestination {
  readonly address: string;
  readonly port: number;
}

/** Callback of a send: an error if the datagram could not be sent. */
export type SendCallback = (error?: Error | null) => void;

/**
 * One mDNS socket: the subset of the object `multicast-dns` returns that discovery calls.
 * `ready` fires once the socket is bound; `error` when binding fails; `warning` for
 * undecodable packets and transient socket errors; `query` / `response` per decoded packet.
 */
export interface MdnsSocket {
  on(event: 'query' | 'response', listener: (packet: DnsPacket, source: PacketSource) => void): unknown;
  on(event: 'warning' | 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  /** Sends a query to the multicast group. */
  query(packet: DnsPacket, callback: SendCallback): void;
  /** Sends a response, to the multicast group when `destination` is null. */
  respond(packet: DnsPacket, destination: PacketDestination | null, callback: SendCallback): void;
  /** Leaves the group and closes the socket. */
  destroy(callback?: () => void): void;
}

/** Options handed to an {@link MdnsFactory}; the same names as `multicast-dns`'s options. */
export interface MdnsSocketOptions {
  /** `udp4` or `udp6`. */
  readonly type: 'udp4' | 'udp6';
  /** Multicast group: `224.0.0.251` or `ff02::fb`. */
  readonly ip: string;
  /** UDP port, 5353 for mDNS. */
  readonly port: number;
  /** Address of the interface to join the group on and send from; all IPv4 interfaces when absent. */
  readonly interface?: string;
  /** Address to bind the socket to, or `false` not to bind. */
  readonly bind?: string | false;
  /** `SO_REUSEADDR`, so several responders share port 5353 on one host. */
  readonly reuseAddr: boolean;
  /** Whether to receive our own multicast (needed when two nodes share a host). */
  readonly loopback: boolean;
}

/** Creates one mDNS socket. The default imports `multicast-dns` lazily. */
export type MdnsFactory = (options: MdnsSocketOptions) => MdnsSocket | Promise<MdnsSocket>;

/**
 * The default {@link MdnsFactory}: imports `multicast-dns` on first use, so that importing
 * this package opens no socket and loads no network code.
 */
export const createMulticastDns: MdnsFactory = async (options) => {
  const { default: multicastDns } = await import('multicast-dns');
  // The declared shape is a structural subset of multicast-dns's instance; its own typings
  // describe `respond(packet, rinfo?, cb?)` with wider overloads than we use.
  return multicastDns({ ...options }) as unknown as MdnsSocket;
};
