/**
 * The test's hands inside one network namespace: a long-lived process started with
 * `ip netns exec <ns> node agent-main.ts` that performs HTTP requests for the test and can
 * run a recording HTTP proxy. It speaks JSON lines: one request object per stdin line, one
 * reply per stdout line, matched by `id` (see {@link AgentRequest} / {@link AgentReply}).
 *
 * Why a process and not a veth into the test's namespace: the test runs in the root
 * namespace, and DESIGN.md §5 forbids giving it addresses on this LAN or sending anything
 * from it. Everything the test sends therefore starts inside a namespace it created, and a
 * host whose cable is unplugged can still be written to through its own agent.
 *
 * Run by plain `node` (type stripping): erasable TypeScript, node: built-ins only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';

/** One HTTP request to perform. `bodyBase64` wins over `body` (exact bytes, for replays). */
export interface FetchRequest {
  readonly id: number;
  readonly op: 'fetch';
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly bodyBase64?: string;
  /** Abort after this many ms (default 30 000). */
  readonly timeoutMs?: number;
}

/**
 * Start a proxy on `listen` (host:port inside the namespace) that forwards every request to
 * `target` (http://host:port) and records it: method, path, headers and exact body bytes.
 */
export interface ProxyStartRequest {
  readonly id: number;
  readonly op: 'proxy-start';
  readonly listenHost: string;
  readonly listenPort: number;
  readonly target: string;
}

/** Everything the proxy has recorded so far. */
export interface ProxyRecordsRequest {
  readonly id: number;
  readonly op: 'proxy-records';
}

export type AgentRequest = FetchRequest | ProxyStartRequest | ProxyRecordsRequest;

/** A request that went through the recording proxy, and the status the target answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyBase64: string;
  readonly status: number;
}

/** Reply to one {@link AgentRequest}. */
export type AgentReply =
  | { readonly id: number; readonly ok: true; readonly status?: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string; readonly records?: readonly RecordedRequest[] }
  | { readonly id: number; readonly ok: false; readonly error: string };

// Headers that describe one hop, not the request: fetch sets its own.
const hopHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

const records: RecordedRequest[] = [];
let proxy: Server | undefined;

function reply(message: AgentReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function doFetch(request: FetchRequest): Promise<AgentReply> {
  const body = request.bodyBase64 !== undefined ? Buffer.from(request.bodyBase64, 'base64') : request.body;
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers ?? {},
    body: body ?? null,
    signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  return { id: request.id, ok: true, status: response.status, headers: Object.fromEntries(response.headers), body: text };
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function startProxy(request: ProxyStartRequest): Promise<AgentReply> {
  if (proxy !== undefined) return Promise.resolve({ id: request.id, ok: false, error: 'proxy already started' });
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    void (async () => {
      const body = await readBody(incoming);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (typeof value === 'string' && !hopHeaders.has(name)) headers[name] = value;
      }
      try {
        const response = await fetch(`${request.target}${incoming.url ?? '/'}`, {
          method: incoming.method ?? 'GET',
          headers,
          body: incoming.method === 'GET' || incoming.method === 'HEAD' ? null : body,
        });
        const answer = Buffer.from(await response.arrayBuffer());
        records.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers, bodyBase64: body.toString('base64'), status: response.status });
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of response.headers) if (!hopHeaders.has(name) && name !== 'content-encoding') responseHeaders[name] = value;
        outgoing.writeHead(response.status, responseHeaders).end(answer);
      } catch (error) {
        outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
      }
    })();
  });
  proxy = server;
  return new Promise((resolve) => {
    server.once('error', (error) => resolve({ id: request.id, ok: false, error: error.message }));
    server.listen(request.listenPort, request.listenHost, () => resolve({ id: request.id, ok: true }));
  });
}

async function handle(request: AgentRequest): Promise<AgentReply> {
  switch (request.op) {
    case 'fetch':
      return doFetch(request);
    case 'proxy-start':
      return startProxy(request);
    case 'proxy-records':
      return { id: request.id, ok: true, records };
  }
}

// Only when run as a process: the test imports this file for its types.
if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let request: AgentRequest;
    try {
      request = JSON.parse(line) as AgentRequest;
    } catch {
      return;
    }
    handle(request).then(reply, (error: unknown) => reply({ id: request.id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
  });
  // The test went away: nothing left to do here.
  lines.on('close', () => process.exit(0));
}
