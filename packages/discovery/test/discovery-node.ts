/**
 * Parent side of `fixtures/discovery-node.ts`: starts it inside a {@link LanHost} and
 * collects its JSON-line events.
 */
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import type { LanHost } from './netns.ts';
import type { DiscoveryConfig } from '@trosyn/discovery';

const script = fileURLToPath(new URL('./fixtures/discovery-node.ts', import.meta.url));

/** One JSON line of the child. */
export interface NodeEvent {
  readonly type: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** A discovery node running in its own process inside a namespace. */
export class DiscoveryNode {
  readonly host: LanHost;
  readonly nodeId: string;
  readonly events: NodeEvent[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  readonly #waiters = new Set<() => void>();
  #stderr = '';

  constructor(host: LanHost, config: DiscoveryConfig) {
    this.host = host;
    this.nodeId = config.nodeId;
    this.#child = host.spawn(process.execPath, ['--no-warnings', script], {
      env: { ...process.env, TROSYN_DISCOVERY_NODE: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as NodeEvent);
      } catch {
        this.events.push({ type: 'garbage', at: Date.now(), line });
      }
      for (const wake of this.#waiters) wake();
    });
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        for (const wake of this.#waiters) wake();
        resolve(code);
      });
    });
  }

  /** What the child wrote to stderr (for failure messages). */
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the first event (already received or future) matching `predicate`. */
  waitFor(predicate: (event: NodeEvent) => boolean, timeoutMs: number, what = 'event'): Promise<NodeEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(predicate);
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
          finish();
          reject(new Error(`${this.nodeId} on ${this.host.name} exited before ${what}; stderr: ${this.#stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.nodeId} on ${this.host.name}: no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.map((e) => e.type))}; stderr: ${this.#stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for the first event of `type` about the peer with `nodeId`, after index `from`. */
  waitForPeer(type: string, nodeId: string, timeoutMs: number, from = 0): Promise<NodeEvent> {
    return this.waitFor(
      (event) => this.events.indexOf(event) >= from && event.type === type && (event['peer'] as { nodeId?: string } | undefined)?.nodeId === nodeId,
      timeoutMs,
      `${type} for ${nodeId}`,
    );
  }

  /** Asks the child for its counters. */
  async stats(): Promise<Record<string, number>> {
    const from = this.events.length;
    this.#child.stdin!.write('stats\n');
    const event = await this.waitFor((e) => e.type === 'stats' && this.events.indexOf(e) >= from, 5_000, 'stats');
    return event['stats'] as Record<string, number>;
  }

  /** Sends a signal: SIGTERM stops gracefully with goodbye, SIGKILL is a crash. */
  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }
}
