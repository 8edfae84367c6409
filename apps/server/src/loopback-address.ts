import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for an address of this machine's loopback interface: `127.0.0.0/8` and `::1`, in any
 * spelling, including IPv4 in its IPv6-mapped form (`::ffff:127.0.0.1`, what a dual-stack socket
 * reports). Anything that is not an IP address is false.
 */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return loopback.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
