import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

/** What `os.networkInterfaces()` returns; injectable for tests. */
export type InterfaceTable = ReturnType<typeof networkInterfaces>;

/**
 * Addresses to advertise in A/AAAA records. With no interface given: every non-loopback
 * address of the host. With interface addresses (`10.0.0.5`, or `::%eth0` for IPv6): every
 * address of the network interfaces those designate, so peers learn both the IPv4 and the
 * IPv6 address of the link they share with us. IPv6 link-local addresses are left out: they
 * are meaningless without a zone, which differs on every receiver.
 */
export function localAddresses(interfaces: readonly string[], table: InterfaceTable = networkInterfaces()): string[] {
  const result = new Set<string>();
  const usable = (address: string, internal: boolean) => !internal && !address.toLowerCase().startsWith('fe80:');
  if (interfaces.length === 0) {
    for (const entries of Object.values(table)) {
      for (const entry of entries ?? []) if (usable(entry.address, entry.internal)) result.add(entry.address);
    }
    return [...result];
  }
  for (const spec of interfaces) {
    const zone = spec.includes('%') ? spec.slice(spec.indexOf('%') + 1) : undefined;
    const name = zone ?? Object.keys(table).find((key) => table[key]?.some((entry) => entry.address === spec));
    const entries = name === undefined ? undefined : table[name];
    if (entries === undefined) {
      // Not a local interface we can list (a test double, or an address about to appear): advertise it as given.
      if (isIP(spec) !== 0 && spec !== '0.0.0.0' && spec !== '::') result.add(spec);
      continue;
    }
    for (const entry of entries) if (usable(entry.address, false)) result.add(entry.address);
  }
  return [...result];
}
