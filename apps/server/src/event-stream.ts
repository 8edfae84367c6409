import type { ServerResponse } from 'node:http';

/**
 * What every server-sent-events response of the node shares: the OpenAI streams
 * (`openai/sse-response.ts`) and the data API's change feed (`routes/data-api/change-feed-stream.ts`).
 */

/** Response headers of an event stream. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Tells reverse proxies (nginx) not to buffer the stream.
  'x-accel-buffering': 'no',
};

/** A comment line that keeps an idle stream (and the proxies on its way) from timing out. */
export const KEEP_ALIVE_COMMENT: Uint8Array = new TextEncoder().encode(': keep-alive\n\n');

/**
 * Lets each chunk written to an event stream leave at once. Node's HTTP layer corks the socket
 * on every `write` and uncorks it in a `process.nextTick`, and a tick runs only after every
 * pending promise continuation of the process: an event would wait for unrelated work (on a node
 * that just applied a peer's page, the rest of that sync request: 0.1 ms on the path from a
 * write on one node to another node's change feed). Streams write whole events, so there is
 * nothing to batch. Does nothing without a Node response (`app.request()` in tests).
 */
export function writeEventsPromptly(outgoing: ServerResponse | undefined): void {
  if (outgoing === undefined) return;
  const write = outgoing.write;
  outgoing.write = function writeAndUncork(this: ServerResponse, ...args: Parameters<ServerResponse['write']>): boolean {
    const accepted = (write as (...a: Parameters<ServerResponse['write']>) => boolean).apply(this, args);
    // Only the cork that write just set: Node's own uncork in the next tick then finds none.
    if (this.socket !== null && this.socket.writableCorked > 0) this.socket.uncork();
    return accepted;
  } as ServerResponse['write'];
}
