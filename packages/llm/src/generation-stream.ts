import { AsyncChannel } from './async-channel.js';
import type { Logger } from './engine-loader.js';
import { LlmError } from './errors.js';
import { StopHoldback } from './stop-holdback.js';
import type { TokenProbabilities } from './token-probabilities.js';
import type { ChatDelta, FinishReason, ToolCall, Usage } from './types.js';

/** What a finished generation reports before it is shaped into a result. */
export interface Generation {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  readonly toolCalls: readonly ToolCall[];
}

/** How {@link streamGeneration} reports and tracks the generation it streams. */
export interface StreamOptions {
  /** Whether the stream ends with the generation's tool calls (chat) or not (completion). */
  readonly withToolCalls: boolean;
  /** The recorder of token log probabilities, when the request asked for them. */
  readonly probabilities: TokenProbabilities | undefined;
  /** Registers the running generation with the engine, so that disposal waits for it. */
  readonly track: (run: Promise<Generation>) => Promise<Generation>;
  readonly log: Logger;
}

/**
 * Streams a generation as deltas: its text as it comes (held back while it could still turn into
 * a stop string), then whatever of the final text was held back, then its tool calls, then one
 * `done` item. `start` begins the generation with a signal and a text callback; an error it
 * throws before any text is thrown by the first `next()`. Leaving the loop early aborts the
 * generation and waits for it to end, so its slot is free when the loop has left.
 */
export async function* streamGeneration(
  request: { readonly signal?: AbortSignal; readonly stop?: readonly string[] },
  start: (signal: AbortSignal, onText: (text: string) => void) => Promise<Generation>,
  options: StreamOptions,
): AsyncGenerator<ChatDelta> {
  const stopper = new AbortController();
  const signal = request.signal === undefined ? stopper.signal : AbortSignal.any([request.signal, stopper.signal]);
  const channel = new AsyncChannel<string>();
  const holdback = new StopHoldback(Array.isArray(request.stop) ? request.stop : []);
  let emitted = '';
  const run = options.track(
    start(signal, (text) => {
      const safe = holdback.push(text);
      if (safe !== '') {
        emitted += safe;
        channel.push(safe);
      }
    }),
  );
  run.then(
    () => channel.end(),
    (error: unknown) => channel.fail(error),
  );
  let finished = false;
  // Each text delta carries the log probabilities of the tokens that begin in it.
  let yielded = 0;
  const probabilities = options.probabilities;
  const textDelta = (text: string): ChatDelta => {
    yielded += text.length;
    return probabilities === undefined ? { type: 'text', text } : { type: 'text', text, logprobs: probabilities.take(yielded) };
  };
  try {
    for (let next = await channel.next(); next !== undefined; next = await channel.next()) {
      yield textDelta(next.item);
    }
    const generation = await run;
    // The final text is authoritative: whatever the holdback kept and was not cut by a stop string.
    if (generation.text.startsWith(emitted)) {
      const rest = generation.text.slice(emitted.length);
      if (rest !== '') yield textDelta(rest);
    } else {
      options.log('warn', 'streamed text diverged from the final text; the final text was not re-sent');
    }
    if (options.withToolCalls) {
      for (const [index, call] of generation.toolCalls.entries()) {
        yield { type: 'tool-call', index, id: call.id, name: call.name, arguments: call.arguments };
      }
    }
    finished = true;
    yield { type: 'done', finishReason: generation.finishReason, usage: generation.usage };
  } finally {
    if (!finished) {
      // The consumer left early (or an error is propagating): stop generating and free the slot.
      stopper.abort(new LlmError('aborted', 'The stream was closed by its consumer.'));
      await run.catch(() => undefined);
    }
  }
}
