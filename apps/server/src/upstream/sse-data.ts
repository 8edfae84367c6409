/** Options of {@link readSseData}. */
export interface ReadSseDataOptions {
  /** Longest silence between two reads before the stream counts as stalled. */
  readonly idleTimeoutMs: number;
  /** Builds the error thrown on a stall (after the body is cancelled). */
  readonly onStall: () => Error;
}

/**
 * The `data:` payloads of a server-sent event stream, one per event, until `[DONE]` or the end
 * of the body. Comments (`: keep-alive`) and other fields are skipped; a keep-alive comment
 * still counts as activity, so a slow first token behind keep-alives is not a stall.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>, options: ReadSseDataOptions): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => {
        timer = setTimeout(() => resolve('stalled'), options.idleTimeoutMs);
      });
      const next = await Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
      if (next === 'stalled') {
        void reader.cancel().catch(() => undefined);
        throw options.onStall();
      }
      if (next.done) break;
      buffer += decoder.decode(next.value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length > 0) {
            const payload = data.join('\n');
            data = [];
            if (payload.trim() === '[DONE]') return;
            yield payload;
          }
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
    }
    if (data.length > 0 && data.join('\n').trim() !== '[DONE]') yield data.join('\n');
  } finally {
    // Cancelling the body closes the connection, which is how the upstream learns the client left.
    void reader.cancel().catch(() => undefined);
  }
}
