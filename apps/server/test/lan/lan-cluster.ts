import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanNode } from './lan-node.js';
import { NamespaceAgent } from './namespace-agent.js';
import { createLan, namespacesOfThisProcess, type Lan } from './netns-lan.js';

/** One node of a {@link LanCluster}. */
export interface ClusterNodeOptions {
  /** Default: the cluster's shared secret. */
  readonly secret?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** libfaketime offset of the node's clock, e.g. `+3m`. */
  readonly clockOffset?: string;
  /** The node's clock can be stepped while it runs (`LanNode.stepClock`). */
  readonly steppableClock?: boolean;
}

/** Options of {@link LanCluster.create}. */
export interface LanClusterOptions {
  /** One entry per host: `h1` runs node `node-1`, and so on. */
  readonly nodes: readonly ClusterNodeOptions[];
  /** Third octet of the LAN's subnet. */
  readonly subnet?: number;
  /** Start every node (default true). */
  readonly start?: boolean;
}

/**
 * A test LAN with one agent and one server node per host, each node with its own temporary
 * data directory. {@link dispose} kills everything, deletes the namespaces and the data, and
 * checks that no namespace of this process is left.
 */
export class LanCluster {
  readonly lan: Lan;
  readonly nodes: readonly LanNode[];
  /** The secret every node gets unless its options say otherwise (random, never the default). */
  readonly secret: string;
  readonly #dataRoot: string;
  #disposed = false;

  private constructor(lan: Lan, nodes: readonly LanNode[], secret: string, dataRoot: string) {
    this.lan = lan;
    this.nodes = nodes;
    this.secret = secret;
    this.#dataRoot = dataRoot;
  }

  /** Creates the LAN and (unless told not to) starts every node, in parallel. */
  static async create(options: LanClusterOptions): Promise<LanCluster> {
    const lan = createLan({ hosts: options.nodes.length, ...(options.subnet !== undefined ? { subnet: options.subnet } : {}) });
    const dataRoot = mkdtempSync(join(tmpdir(), 'trosyn-lan-'));
    const secret = `lan-test-${randomBytes(16).toString('hex')}`;
    const nodes = options.nodes.map((nodeOptions, index) => {
      const host = lan.hosts[index]!;
      const dataDir = join(dataRoot, host.name);
      mkdirSync(dataDir);
      return new LanNode({
        host,
        agent: NamespaceAgent.start(host),
        name: `node-${index + 1}`,
        secret: nodeOptions.secret ?? secret,
        dataDir,
        ...(nodeOptions.env !== undefined ? { env: nodeOptions.env } : {}),
        ...(nodeOptions.clockOffset !== undefined ? { clockOffset: nodeOptions.clockOffset } : {}),
        ...(nodeOptions.steppableClock !== undefined ? { steppableClock: nodeOptions.steppableClock } : {}),
      });
    });
    const cluster = new LanCluster(lan, nodes, secret, dataRoot);
    if (options.start ?? true) {
      try {
        await Promise.all(nodes.map((node) => node.start()));
      } catch (error) {
        await cluster.dispose();
        throw error;
      }
    }
    return cluster;
  }

  /**
   * Kills the nodes and agents, deletes the namespaces and the data directories. Idempotent.
   *
   * @throws when a namespace of this process is still there afterwards.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.all(this.nodes.map((node) => node.kill()));
    for (const node of this.nodes) node.config.agent.dispose();
    this.lan.destroy();
    rmSync(this.#dataRoot, { recursive: true, force: true });
    const left = namespacesOfThisProcess();
    if (left.length > 0) throw new Error(`namespaces left behind: ${left.join(', ')}`);
  }
}
