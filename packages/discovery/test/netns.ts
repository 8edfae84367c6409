/**
 * A throw-away LAN made of Linux network namespaces, for tests that need real multicast
 * without touching the machine's real interfaces (DESIGN.md §5, network safety).
 *
 * Layout: one namespace holds a bridge; each host is its own namespace with an `eth0` veth
 * whose peer is a bridge port. Hosts get 10.213.<subnet>.<n>/24 (and optionally
 * fd00:213:<subnet>::<n>/64), loopback up and a 224.0.0.0/4 route on `eth0`. Nothing is
 * created in the root namespace: both veth ends are created directly inside their namespaces.
 *
 * Cleanup: `destroy()` kills every process started in the LAN and deletes its namespaces.
 * It also runs on process exit and on SIGINT/SIGTERM/SIGHUP, and `createLan` removes LANs
 * left behind by earlier test processes that died (namespace names carry the owner's pid).
 *
 * Needs root and iproute2; without them {@link createLan} throws {@link NetnsError} — tests
 * must fail, never fall back to the host network. Self-contained: only node: built-ins.
 * Written in erasable TypeScript so plain `node` (type stripping) can run it.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Options of {@link createLan}. */
export interface LanOptions {
  /** Number of hosts, 1–200. */
  readonly hosts: number;
  /** Third octet of the hosts' IPv4 subnet (10.213.<subnet>.0/24); default 1. LANs are isolated, so reuse is fine. */
  readonly subnet?: number;
  /**
   * Give each host an IPv6 unique-local address (without duplicate address detection delay).
   * Without it IPv6 is disabled in the hosts, so the only packets on the wire are the test's.
   */
  readonly ipv6?: boolean;
  /** Namespace name prefix; default `trosyn`. Names are `<prefix>-<pid>-<lan>-<host>`. */
  readonly prefix?: string;
}

/** One host of a {@link Lan}: a network namespace with one interface on the bridge. */
export interface LanHost {
  /** Short name, `h1`, `h2`, … */
  readonly name: string;
  /** The network namespace's name. */
  readonly namespace: string;
  /** The interface inside the namespace (`eth0`). */
  readonly interfaceName: string;
  /** IPv4 address of `eth0`. */
  readonly ipv4: string;
  /** IPv6 address of `eth0`, when the LAN was created with `ipv6`. */
  readonly ipv6: string | undefined;
  /** Starts a process inside the namespace; it is killed by {@link Lan.destroy}. */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the namespace and returns its stdout. */
  run(command: string, args: readonly string[]): string;
  /** Unplugs the host's cable: its bridge port goes down, its own interface stays up. */
  linkDown(): void;
  /** Plugs the cable back in. */
  linkUp(): void;
  /** Packets the host has put on the wire (received by its bridge port) since creation. */
  packetsSent(): number;
  /**
   * Plugs a second interface (`eth1`, 10.213.<subnet>.<n + 100>/24) into the same bridge, for
   * multi-homed hosts. Hosts 1–99 only; once per host.
   */
  addInterface(): { readonly name: string; readonly ipv4: string };
}

/** A bridge and its hosts. */
export interface Lan {
  /** Common prefix of this LAN's namespace names. */
  readonly id: string;
  /** Namespace holding the bridge. */
  readonly bridgeNamespace: string;
  readonly hosts: readonly LanHost[];
  /** Kills the LAN's processes and deletes its namespaces. Idempotent and synchronous. */
  destroy(): void;
}

/** Namespaces cannot be created or managed. */
export class NetnsError extends Error {
  override readonly name = 'NetnsError';
}

const live = new Set<Lan>();
let lanSequence = 0;
let handlersInstalled = false;

/**
 * Creates a LAN of `hosts` namespaces on a bridge.
 *
 * @throws {NetnsError} with instructions when namespaces cannot be created (not root, no iproute2).
 */
export function createLan(options: LanOptions): Lan {
  const hostCount = options.hosts;
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > 200) throw new RangeError(`hosts must be 1–200, got ${hostCount}`);
  const subnet = options.subnet ?? 1;
  const prefix = options.prefix ?? 'trosyn';
  installExitHandlers();
  removeOrphans(prefix);

  const id = `${prefix}-${process.pid}-${++lanSequence}`;
  const bridgeNamespace = `${id}-br`;
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  let destroyed = false;

  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    live.delete(lan);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const namespace of created.reverse()) deleteNamespace(namespace);
  };

  const hosts: LanHost[] = [];
  const lan: Lan = { id, bridgeNamespace, hosts, destroy };
  live.add(lan);

  try {
    try {
      ip(['netns', 'add', bridgeNamespace]);
    } catch (error) {
      throw new NetnsError(
        `Cannot create network namespaces (\`ip netns add ${bridgeNamespace}\` failed: ${(error as Error).message.trim()}). ` +
        'The multicast tests need root and iproute2 (CI runs as root); they never fall back to the host network.',
      );
    }
    created.push(bridgeNamespace);
    ip(['-n', bridgeNamespace, 'link', 'set', 'lo', 'up']);
    // Snooping off: with no IGMP querier on this bridge, a snooping bridge may stop forwarding groups.
    ip(['-n', bridgeNamespace, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    ip(['-n', bridgeNamespace, 'link', 'set', 'br0', 'up']);

    for (let n = 1; n <= hostCount; n++) {
      const name = `h${n}`;
      const namespace = `${id}-${name}`;
      ip(['netns', 'add', namespace]);
      created.push(namespace);
      // /proc/sys/net is per namespace: this touches the new host only.
      const ipv6Off = options.ipv6 ? '0' : '1';
      execFileSync('ip', ['netns', 'exec', namespace, 'sh', '-c',
        `echo ${ipv6Off} > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo ${ipv6Off} > /proc/sys/net/ipv6/conf/default/disable_ipv6`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      // Both ends are born in their namespaces: nothing ever appears in the root namespace.
      ip(['-n', namespace, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', name, 'netns', bridgeNamespace]);
      ip(['-n', bridgeNamespace, 'link', 'set', name, 'master', 'br0']);
      ip(['-n', bridgeNamespace, 'link', 'set', name, 'up']);
      const ipv4 = `10.213.${subnet}.${n}`;
      const ipv6 = options.ipv6 ? `fd00:213:${subnet}::${n}` : undefined;
      ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
      ip(['-n', namespace, 'addr', 'add', `${ipv4}/24`, 'dev', 'eth0']);
      if (ipv6 !== undefined) ip(['-n', namespace, 'addr', 'add', `${ipv6}/64`, 'dev', 'eth0', 'nodad']);
      ip(['-n', namespace, 'link', 'set', 'eth0', 'up']);
      ip(['-n', namespace, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);

      hosts.push({
        name,
        namespace,
        interfaceName: 'eth0',
        ipv4,
        ipv6,
        spawn(command, args, spawnOptions = {}) {
          if (destroyed) throw new NetnsError(`LAN ${id} is destroyed`);
          const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], spawnOptions);
          children.add(child);
          child.once('exit', () => children.delete(child));
          return child;
        },
        run(command, args) {
          return execFileSync('ip', ['netns', 'exec', namespace, command, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        },
        linkDown() {
          ip(['-n', bridgeNamespace, 'link', 'set', name, 'down']);
        },
        linkUp() {
          ip(['-n', bridgeNamespace, 'link', 'set', name, 'up']);
        },
        addInterface() {
          if (n >= 100) throw new RangeError('addInterface supports hosts h1–h99');
          const port = `${name}b`;
          ip(['-n', namespace, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNamespace]);
          ip(['-n', bridgeNamespace, 'link', 'set', port, 'master', 'br0']);
          ip(['-n', bridgeNamespace, 'link', 'set', port, 'up']);
          const second = `10.213.${subnet}.${n + 100}`;
          ip(['-n', namespace, 'addr', 'add', `${second}/24`, 'dev', 'eth1']);
          ip(['-n', namespace, 'link', 'set', 'eth1', 'up']);
          return { name: 'eth1', ipv4: second };
        },
        packetsSent() {
          const text = execFileSync('ip', ['netns', 'exec', bridgeNamespace, 'cat', `/sys/class/net/${name}/statistics/rx_packets`], { encoding: 'utf8' });
          return Number(text.trim());
        },
      });
    }
  } catch (error) {
    destroy();
    throw error;
  }
  return lan;
}

/** Names of all network namespaces on the machine (`ip netns list`). */
export function listNamespaces(): string[] {
  const output = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return output.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.length > 0);
}

/** Namespaces this process created and has not deleted yet (should be empty after `destroy`). */
export function namespacesOfThisProcess(prefix = 'trosyn'): string[] {
  return listNamespaces().filter((name) => name.startsWith(`${prefix}-${process.pid}-`));
}

/** Destroys every LAN of this process. */
export function destroyAllLans(): void {
  for (const lan of [...live]) lan.destroy();
}

function ip(args: readonly string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Deletes namespaces left by earlier runs whose process is gone (killed with SIGKILL, say). */
function removeOrphans(prefix: string): void {
  let names: string[];
  try {
    names = listNamespaces();
  } catch {
    return; // createLan reports the real problem right after
  }
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-\\d+-(br|h\\d+)$`);
  for (const name of names) {
    const owner = pattern.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || isAlive(Number(owner))) continue;
    deleteNamespace(name);
  }
}

/**
 * Kills whatever still runs inside the namespace (grandchildren included: `ip netns pids`
 * lists exactly the processes in it), then deletes it. Errors mean it is already gone.
 */
function deleteNamespace(namespace: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split('\n').map(Number).filter((pid) => Number.isInteger(pid) && pid > 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  } catch {
    // No such namespace.
  }
  try {
    ip(['netns', 'delete', namespace]);
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllLans);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      destroyAllLans();
      // Re-raise with our handler gone, so the default action (or other handlers) still apply.
      process.off(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
