import type { Usage } from '../engine.js';

/** What the engine's streams yield: deltas, the last of which (`done`) carries the usage. */
export type EngineStreamDelta = { readonly type: string; readonly usage?: Usage };

/** One item of a merged stream: a choice's delta, then, once every choice is done, the summed usage. */
export type ChoiceStreamItem<D> =
  | { readonly type: 'choice'; readonly index: number; readonly delta: D }
  | { readonly type: 'done'; readonly usage: Usage };

/** Options of {@link mergeChoiceStreams}. */
export interface MergeChoiceStreamsOptions<D> {
  readonly count: number;
  /** Streams open at once (the engine's slots); the next opens when one ends. */
  readonly concurrency: number;
  /** Opens choice `index`'s engine stream (lazily: an engine stream starts on its first `next()`). */
  readonly open: (index: number) => AsyncIterable<D>;
  /** The request's usage from each choice's (`usages[i]` is choice `i`'s). */
  readonly sumUsage: (usages: readonly Usage[]) => Usage;
  /** Stops the generations still running when the merged stream ends early or fails. */
  readonly abort: () => void;
}

interface Open<D> {
  readonly iterator: AsyncIterator<D>;
  pending: Promise<{ readonly index: number; readonly result: IteratorResult<D> }>;
}

/**
 * Interleaves the streams of several choices as their deltas come (each tagged with its
 * choice's index), then yields one `done` item with the summed usage. Pull-based like each
 * engine stream: nothing is read ahead of the consumer. A failure of any choice aborts the
 * others and is thrown; leaving the loop early aborts them too.
 */
export async function* mergeChoiceStreams<D extends EngineStreamDelta>(options: MergeChoiceStreamsOptions<D>): AsyncGenerator<ChoiceStreamItem<D>> {
  const open = new Map<number, Open<D>>();
  const usages: Usage[] = new Array<Usage>(options.count);
  let opened = 0;
  const pull = (index: number, iterator: AsyncIterator<D>) => iterator.next().then((result) => ({ index, result }));
  const openNext = (): void => {
    const index = opened++;
    const iterator = options.open(index)[Symbol.asyncIterator]();
    open.set(index, { iterator, pending: pull(index, iterator) });
  };
  while (opened < Math.min(Math.max(1, options.concurrency), options.count)) openNext();
  let completed = false;
  try {
    while (open.size > 0) {
      const { index, result } = await Promise.race([...open.values()].map((stream) => stream.pending));
      const stream = open.get(index)!;
      if (result.done === true) {
        open.delete(index);
        if (opened < options.count) openNext();
        continue;
      }
      if (result.value.type === 'done' && result.value.usage !== undefined) usages[index] = result.value.usage;
      yield { type: 'choice', index, delta: result.value };
      stream.pending = pull(index, stream.iterator);
    }
    completed = true;
  } finally {
    if (!completed) {
      options.abort();
      for (const stream of open.values()) {
        stream.pending.catch(() => undefined);
        void stream.iterator.return?.()?.catch(() => undefined);
      }
    }
  }
  yield { type: 'done', usage: options.sumUsage(usages) };
}
