import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import type { AgentReply, AgentRequest, RecordedRequest } from './agent-main.js';
import type { LanHost } from './netns-lan.js';

const agentScript = fileURLToPath(new URL('./agent-main.ts', import.meta.url));

/** Distributes `Omit` over a union, so each request kind keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** An HTTP response seen from inside a namespace. */
export interface AgentResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options of {@link NamespaceAgent.fetch}. */
export interface AgentFetchOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON value, sent as `application/json`. */
  readonly json?: unknown;
  /** Exact body bytes (a replay). */
  readonly rawBody?: Buffer;
  readonly timeoutMs?: number;
}

/**
 * The test-side handle of an `agent-main.ts` process running inside one host's namespace:
 * every request the test makes to a node is performed by this process, so nothing is ever
 * sent from the root namespace (see agent-main.ts for why).
 */
export class NamespaceAgent {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (reply: AgentReply) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #exited = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as AgentReply;
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      waiter?.resolve(message);
    });
    child.once('exit', (code, signal) => {
      this.#exited = true;
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`namespace agent exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  /** Starts an agent inside `host`'s namespace (killed with the LAN). */
  static start(host: LanHost): NamespaceAgent {
    const child = host.spawn(process.execPath, [agentScript], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new NamespaceAgent(child);
  }

  async #call(request: WithoutId<AgentRequest>): Promise<AgentReply & { ok: true }> {
    if (this.#exited) throw new Error('namespace agent has exited');
    const id = this.#nextId++;
    const reply = await new Promise<AgentReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.stdin!.write(`${JSON.stringify({ ...request, id })}\n`);
    });
    if (!reply.ok) throw new Error(`namespace agent: ${reply.error}`);
    return reply;
  }

  /** Performs an HTTP request from inside the namespace. Network errors reject. */
  async fetch(url: string, options: AgentFetchOptions = {}): Promise<AgentResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const reply = await this.#call({
      op: 'fetch',
      url,
      method: options.method ?? (options.json !== undefined || options.rawBody !== undefined ? 'POST' : 'GET'),
      headers,
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
      ...(options.rawBody !== undefined ? { bodyBase64: options.rawBody.toString('base64') } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    return { status: reply.status ?? 0, headers: reply.headers ?? {}, body: reply.body ?? '' };
  }

  /** Starts the agent's recording proxy on `listenHost:listenPort`, forwarding to `target` (http://host:port). */
  async startProxy(listenHost: string, listenPort: number, target: string): Promise<void> {
    await this.#call({ op: 'proxy-start', listenHost, listenPort, target });
  }

  /** Requests that went through the proxy so far, oldest first. */
  async proxyRecords(): Promise<readonly RecordedRequest[]> {
    return (await this.#call({ op: 'proxy-records' })).records ?? [];
  }

  /** Ends the agent (closing stdin makes it exit). Idempotent. */
  dispose(): void {
    if (!this.#exited) this.#child.stdin!.end();
  }
}
