import { useEffect, useState } from 'preact/hooks';

/** The latest result of a polled request, or the error of the last attempt. */
export interface Polled<T> {
  readonly value: T | undefined;
  readonly error: Error | undefined;
  /** Polls again now (after an action changed what the view shows). */
  readonly refresh: () => void;
}

/**
 * Calls `load` now and every `intervalMs` while the view is shown (never two at once), keeping
 * the last value when one attempt fails so a view does not blank during a hiccup.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: readonly unknown[] = []): Polled<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        const next = await load(controller.signal);
        if (controller.signal.aborted) return;
        setValue(next);
        setError(undefined);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught instanceof Error ? caught : new Error(String(caught)));
      }
      timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // `load` is a new closure on every render; `deps` says when what it loads changes.
  }, [tick, intervalMs, ...deps]);
  return { value, error, refresh: () => setTick((count) => count + 1) };
}
