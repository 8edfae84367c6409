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
