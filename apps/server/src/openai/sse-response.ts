import { EVENT_STREAM_HEADERS, KEEP_ALIVE_COMMENT } from '../event-stream.js';

/** Options of {@link createSseResponse}. */
export interface SseResponseOptions<T> {
  /** The engine's stream; its typed errors (queue full, context overflow) come from the first `next()`. */
  readonly source: AsyncIterable<T>;
  /** OpenAI chunk objects for one engine item. */
  readonly encode: (item: T) => readonly object[];
  /** The `{"error": …}` payload for a failure after the 200 status was sent. */
  readonly errorPayload: (error: unknown) => object;
  /**
   * How long to wait for the first item before committing to a 200 and sending `: keep-alive`
   * comments (and the interval between them) while the prompt is still processed.
   */
  readonly keepAliveMs: number;
  /** The client went away: abort the generation. */
  readonly onCancel: () => void;
  /** The stream ended (normally, by error or by cancel). */
  readonly onEnd: (error: unknown) => void;
  /**
   * Write each chunk as a named event (`event: <chunk.type>` before its `data:` line) and end
   * without `data: [DONE]`, as OpenAI's Responses API streams. Default: `data:` lines and `[DONE]`.
   */
  readonly namedEvents?: boolean;
}

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]\n\n');

function data(chunks: readonly object[], namedEvents: boolean): Uint8Array {
  let text = '';
  for (const chunk of chunks) {
    const type = (chunk as { type?: unknown }).type;
    if (namedEvents && typeof type === 'string') text += `event: ${type}\n`;
    text += `data: ${JSON.stringify(chunk)}\n\n`;
  }
  return encoder.encode(text);
}

/** Resolves true once `promise` settles (either way), false after `ms`; never rejects. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}

/**
 * Streams an engine iterable as OpenAI server-sent events: `data: {chunk}` per chunk, then
 * `data: [DONE]`. The first item is awaited before the status is sent, for up to `keepAliveMs`:
 * an error there (queue full, context overflow) rejects this function, so the caller answers
 * with a real status code. If the first item takes longer (a long prompt, a wait for a slot),
 * the 200 goes out with `: keep-alive` comments until it comes; a later error becomes a
 * `data: {"error": …}` event, which OpenAI clients raise as an API error. Pull-based: the
 * engine is never ahead of a slow client by more than one chunk.
 */
export async function createSseResponse<T>(options: SseResponseOptions<T>): Promise<Response> {
  const iterator = options.source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined = iterator.next();
  if (await settlesWithin(pending, options.keepAliveMs)) {
    await pending; // rethrows an early typed error for the error handler
  }

  const namedEvents = options.namedEvents === true;
  let receivedFirst = false;
  let finished = false;
  const finish = (error: unknown): void => {
    if (finished) return;
    finished = true;
    options.onEnd(error);
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Each pull enqueues something: the stream does not pull again after a pull that enqueued
      // nothing, so items that encode to no chunk are skipped here.
      for (;;) {
        if (finished) return;
        const next: Promise<IteratorResult<T>> = pending ?? iterator.next();
        pending = next;
        if (!receivedFirst && !(await settlesWithin(next, options.keepAliveMs))) {
          controller.enqueue(KEEP_ALIVE_COMMENT);
          return;
        }
        pending = undefined;
        try {
          const result = await next;
          receivedFirst = true;
          if (finished) return;
          if (result.done === true) {
            if (!namedEvents) controller.enqueue(DONE);
            controller.close();
            finish(undefined);
            return;
          }
          const chunks = options.encode(result.value);
          if (chunks.length > 0) {
            controller.enqueue(data(chunks, namedEvents));
            return;
          }
        } catch (error) {
          if (finished) return;
          controller.enqueue(data([options.errorPayload(error)], namedEvents));
          controller.close();
          finish(error);
          return;
        }
      }
    },
    cancel() {
      if (finished) return;
      options.onCancel();
      finish(new Error('client disconnected'));
      // Lets the engine's generator run its cleanup once the abort has settled its pending step.
      void iterator.return?.()?.catch(() => undefined);
    },
  });

  return new Response(body, {
    status: 200,
    headers: EVENT_STREAM_HEADERS,
  });
}
