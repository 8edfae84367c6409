/**
 * Runs `count` generations with at most `concurrency` at a time (the engine's slots: more would
 * only wait in its queue, and could fill it for other clients) and returns their results in
 * index order. The first failure aborts the others (through `abort`) and is the one thrown.
 */
export async function runChoices<R>(count: number, concurrency: number, run: (index: number) => Promise<R>, abort: () => void): Promise<R[]> {
  const results: R[] = new Array<R>(count);
  let next = 0;
  let firstError: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (firstError === undefined && next < count) {
      const index = next++;
      try {
        results[index] = await run(index);
      } catch (error) {
        if (firstError === undefined) {
          firstError = { error };
          abort();
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  if (firstError !== undefined) throw firstError.error;
  return results;
}
