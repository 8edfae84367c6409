import { DiscoveryError } from './errors.js';
import type { ResolvedDiscoveryConfig } from './discovery-config.js';
import type { MdnsSocket, MdnsSocketOptions } from './mdns-socket.js';

const IPV6_GROUP = 'ff02::fb';
/** How long stopping waits for goodbyes to be sent and sockets to close. */
const GOODBYE_FLUSH_TIMEOUT = 500;
/** Binding a UDP socket takes microseconds; a socket not ready after this never will be. */
const READY_TIMEOUT = 5_000;

/**
 * Opens one mDNS socket as the config says, on the interface `spec` (an address; IPv6 as
 * `::%<ifname>`) or multicast-dns's default, and waits until it is bound.
 *
 * @throws {DiscoveryError} `socket-failed` naming the port and interface.
 */
export async function openMdnsSocket(config: ResolvedDiscoveryConfig, spec: string | undefined): Promise<MdnsSocket> {
  const ipv6 = spec?.includes(':') ?? false;
  const options: MdnsSocketOptions = {
    type: ipv6 ? 'udp6' : 'udp4',
    ip: ipv6 ? IPV6_GROUP : config.multicastGroup,
    port: config.mdnsPort,
    reuseAddr: config.reuseAddr,
    loopback: config.loopback,
    ...(spec === undefined ? {} : { interface: spec }),
    ...(config.bind !== undefined ? { bind: config.bind } : spec === undefined ? {} : { bind: ipv6 ? '::' : '0.0.0.0' }),
  };
  let socket: MdnsSocket;
  try {
    socket = await config.createMdns(options);
  } catch (cause) {
    throw new DiscoveryError('socket-failed', `Could not open the mDNS socket${spec === undefined ? '' : ` on ${spec}`}: ${String(cause)}`, { cause });
  }
  const where = `port ${config.mdnsPort}${spec === undefined ? '' : `, interface ${spec}`}`;
  await new Promise<void>((resolve, reject) => {
    // multicast-dns emits 'ready' synchronously while it is constructed when it does not
    // bind (`bind: false`), i.e. before we can listen: nothing to wait for then.
    if (options.bind === false) return resolve();
    const timer = setTimeout(() => reject(new DiscoveryError('socket-failed', `The mDNS socket did not become ready (${where}) within ${READY_TIMEOUT} ms`)), READY_TIMEOUT);
    socket.on('ready', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', (cause) => {
      clearTimeout(timer);
      reject(new DiscoveryError('socket-failed', `Could not bind the mDNS socket (${where}): ${cause.message}`, { cause }));
    });
  }).catch(async (error: unknown) => {
    await destroySocket(socket);
    throw error;
  });
  return socket;
}

/** Closes a socket, giving up waiting after the goodbye flush timeout; never rejects. */
export function destroySocket(socket: MdnsSocket): Promise<void> {
  return flushWithin(new Promise<void>((resolve) => {
    try {
      socket.destroy(() => resolve());
    } catch {
      resolve();
    }
  }));
}

/** Waits for `promise` (a goodbye being sent, a socket closing) at most the flush timeout, then moves on. */
export function flushWithin(promise: Promise<void>, ms = GOODBYE_FLUSH_TIMEOUT): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
