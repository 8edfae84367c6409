/**
 * Find Trosyn nodes on the LAN with mDNS / DNS-SD (`_trosyn._tcp.local`): advertise this
 * node, browse for others, and report `peer-up` / `peer-updated` / `peer-down` / `conflict`.
 *
 * Importing this module opens no socket: `multicast-dns` is loaded by {@link Discovery.start}.
 * Discovery is not trust — a peer is a candidate until the sync handshake authenticates it.
 *
 * @packageDocumentation
 */
export { Discovery } from './discovery.js';
export type { DiscoveryEvents, DiscoveryStats } from './discovery-events.js';
export { PROTOCOL_VERSION, DEFAULT_DISCOVERY_INTERVAL, DEFAULT_DEVICE_TIMEOUT, type DiscoveryConfig } from './discovery-config.js';
export { DiscoveryError, type DiscoveryErrorCode } from './errors.js';
export type { Peer, PeerDownReason, NodeIdConflict } from './peer-table.js';
export type { AnnouncedService } from './parse-response.js';
export type { Clock } from './clock.js';
export type {
  MdnsSocket, MdnsFactory, MdnsSocketOptions, DnsPacket, DnsQuestion, DnsRecord, PacketSource, PacketDestination, SendCallback,
} from './mdns-socket.js';
export { SERVICE_TYPE, TXT_KEYS, TXT_VERSION } from './service-records.js';
