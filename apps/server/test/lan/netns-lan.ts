/**
 * A throw-away office LAN made of Linux network namespaces, for the multi-node sync tests
 * (DESIGN.md §5, network safety: nothing is ever sent on the machine's real interfaces).
 *
 * Layout: one namespace holds a bridge `br0`; each host is its own namespace with an `eth0`
 * veth whose other end is a bridge port named after the host. Hosts get 10.214.<subnet>.<n>/24,
 * loopback up, IPv6 off (so the only packets on the wire are the servers'), and a
 * 224.0.0.0/4 route on `eth0` for mDNS. Both veth ends are created directly inside their
 * namespaces: the root namespace never sees an interface or an address of this LAN.
 *
 * Same design as packages/discovery/test/netns.ts (a separate copy because a test helper of
 * one package is not an export of another), plus what the server tests need: the bridge port
 * of a host can be unplugged, and every process started in a host dies with the LAN.
 *
 * Cleanup: {@link Lan.destroy} kills every process inside the LAN's namespaces (`ip netns
 * pids`, so grandchildren too) and deletes them. It also runs on process exit and on
 * SIGINT/SIGTERM/SIGHUP. A process killed outright (vitest kills its workers with SIGKILL when
 * it is interrupted) runs no handler: for that, a detached watchdog process holds a pipe from
 * the test process and deletes its namespaces as soon as the pipe closes. {@link createLan} also
 * removes LANs left behind by test processes that died (namespace names carry the owner's pid).
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Socket } from 'node:net';

/** Options of {@link createLan}. */
export interface LanOptions {
  /** Number of hosts, 1–50. */
  readonly hosts: number;
  /** Third octet of the hosts' subnet (10.214.<subnet>.0/24); default 1. LANs are isolated, so reuse is fine. */
  readonly subnet?: number;
}

/** One host of a {@link Lan}: a network namespace with one interface on the bridge. */
export interface LanHost {
  /** `h1`, `h2`, … (also the name of its bridge port). */
  readonly name: string;
  /** The network namespace's name. */
  readonly namespace: string;
  /** IPv4 address of the host's `eth0`. */
  readonly ipv4: string;
  /** Starts `command` inside the namespace; it is killed by {@link Lan.destroy}. */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Unplugs the host's cable: its bridge port goes down, the host's own interface stays up. */
  linkDown(): void;
  /** Plugs the cable back in. */
  linkUp(): void;
}

/** A bridge and its hosts. */
export interface Lan {
  /** Common prefix of this LAN's namespace names. */
  readonly id: string;
  /** Namespace holding the bridge (where a capture sees every host's traffic). */
  readonly bridgeNamespace: string;
  readonly hosts: readonly LanHost[];
  /** Starts `command` inside the bridge namespace; it is killed by {@link Lan.destroy}. */
  spawnInBridge(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Kills the LAN's processes and deletes its namespaces. Idempotent and synchronous. */
  destroy(): void;
}

/** Namespaces cannot be created or managed (not root, no iproute2). */
export class NetnsError extends Error {
  override readonly name = 'NetnsError';
}

/** Prefix of every namespace these tests create; names are `<prefix>-<pid>-<lan>-<host|br>`. */
export const LAN_PREFIX = 'trosyn-srv';

const live = new Set<Lan>();
let lanSequence = 0;
let handlersInstalled = false;
let watchdog: ChildProcess | undefined;

/**
 * Creates a LAN of `hosts` namespaces on a bridge.
 *
 * @throws {NetnsError} with instructions when namespaces cannot be created.
 */
export function createLan(options: LanOptions): Lan {
  const hostCount = options.hosts;
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > 50) throw new RangeError(`hosts must be 1–50, got ${hostCount}`);
  const subnet = options.subnet ?? 1;
  installExitHandlers();
  removeOrphans();
  startWatchdog();

  const id = `${LAN_PREFIX}-${process.pid}-${++lanSequence}`;
  const bridgeNamespace = `${id}-br`;
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  let destroyed = false;

  const spawnIn = (namespace: string, command: string, args: readonly string[], spawnOptions: SpawnOptions = {}): ChildProcess => {
    if (destroyed) throw new NetnsError(`LAN ${id} is destroyed`);
    // `ip netns exec` execs the command in place: the child's pid is the command's own.
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], spawnOptions);
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    live.delete(lan);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const namespace of created.reverse()) deleteNamespace(namespace);
  };

  const hosts: LanHost[] = [];
  const lan: Lan = {
    id,
    bridgeNamespace,
    hosts,
    spawnInBridge: (command, args, spawnOptions) => spawnIn(bridgeNamespace, command, args, spawnOptions),
    destroy,
  };
  live.add(lan);

  try {
    try {
      ip(['netns', 'add', bridgeNamespace]);
    } catch (error) {
      throw new NetnsError(
        `Cannot create network namespaces (\`ip netns add ${bridgeNamespace}\` failed: ${(error as Error).message.trim()}). ` +
          'The multi-node LAN tests need root and iproute2 (CI runs as root); they never fall back to the host network.',
      );
    }
    created.push(bridgeNamespace);
    ip(['-n', bridgeNamespace, 'link', 'set', 'lo', 'up']);
    // Snooping off: with no IGMP querier on this bridge, a snooping bridge may stop forwarding mDNS.
    ip(['-n', bridgeNamespace, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    ip(['-n', bridgeNamespace, 'link', 'set', 'br0', 'up']);

    for (let n = 1; n <= hostCount; n++) {
      const name = `h${n}`;
      const namespace = `${id}-${name}`;
      ip(['netns', 'add', namespace]);
      created.push(namespace);
      // /proc/sys/net is per namespace: this touches the new host only.
      execFileSync('ip', ['netns', 'exec', namespace, 'sh', '-c',
        'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      ip(['-n', namespace, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', name, 'netns', bridgeNamespace]);
      ip(['-n', bridgeNamespace, 'link', 'set', name, 'master', 'br0']);
      ip(['-n', bridgeNamespace, 'link', 'set', name, 'up']);
      const ipv4 = `10.214.${subnet}.${n}`;
      ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
      ip(['-n', namespace, 'addr', 'add', `${ipv4}/24`, 'dev', 'eth0']);
      ip(['-n', namespace, 'link', 'set', 'eth0', 'up']);
      ip(['-n', namespace, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);

      hosts.push({
        name,
        namespace,
        ipv4,
        spawn: (command, args, spawnOptions) => spawnIn(namespace, command, args, spawnOptions),
        linkDown: () => ip(['-n', bridgeNamespace, 'link', 'set', name, 'down']),
        linkUp: () => ip(['-n', bridgeNamespace, 'link', 'set', name, 'up']),
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

/** Namespaces this process created and has not deleted yet (empty after every `destroy`). */
export function namespacesOfThisProcess(): string[] {
  return listNamespaces().filter((name) => name.startsWith(`${LAN_PREFIX}-${process.pid}-`));
}

/** Destroys every LAN of this process. */
export function destroyAllLans(): void {
  for (const lan of [...live]) lan.destroy();
}

function ip(args: readonly string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Deletes namespaces left by earlier runs whose process is gone (killed with SIGKILL, say). */
function removeOrphans(): void {
  let names: string[];
  try {
    names = listNamespaces();
  } catch {
    return; // createLan reports the real problem right after
  }
  const pattern = new RegExp(`^${LAN_PREFIX}-(\\d+)-\\d+-(br|h\\d+)$`);
  for (const name of names) {
    const owner = pattern.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || isAlive(Number(owner))) continue;
    deleteNamespace(name);
  }
}

/** Kills whatever still runs inside the namespace, then deletes it. Errors mean it is already gone. */
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

// The watchdog's program (node: built-ins only): wait for the owner's end of the pipe to close,
// however the owner ended, then delete whatever namespaces of the owner are left.
const watchdogProgram = `
const { execFileSync } = require('node:child_process');
const prefix = process.argv[1];
process.stdin.resume();
process.stdin.on('close', () => {
  let names = [];
  try { names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\\n').map((line) => line.split(' ')[0]).filter((name) => name.startsWith(prefix)); } catch {}
  for (const name of names) {
    try {
      const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split('\\n').map(Number).filter((pid) => pid > 0);
      for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    } catch {}
    try { execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' }); } catch {}
  }
  process.exit(0);
});
`;

/** Starts this process's watchdog once (see the file comment). */
function startWatchdog(): void {
  if (watchdog !== undefined) return;
  // Detached: its own process group, so whatever kills the test process's group spares it.
  watchdog = spawn(process.execPath, ['-e', watchdogProgram, `${LAN_PREFIX}-${process.pid}-`], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  // The pipe must not keep the test process alive either.
  (watchdog.stdin as Socket).unref();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllLans);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      destroyAllLans();
      // Re-raise with our handler gone, so the default action (or other handlers) still apply.
      process.off(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
