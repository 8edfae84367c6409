import { availableParallelism } from 'node:os';

/** Where the engine's thread count came from. */
export type ThreadsSource = 'configured' | 'model-size';

/** The thread count for a model, and why. */
export interface ThreadChoice {
  readonly threads: number;
  readonly source: ThreadsSource;
  /** One line for the load log and `/health`, e.g. `2 (model-size: 3.3 GB file ≥ 1 GiB)`. */
  readonly reason: string;
}

/** Model files from this size up decode faster with several threads (README, "Threads"). */
export const MULTI_THREAD_MIN_FILE_BYTES = 1024 ** 3;
/** The most threads the size rule picks; more was never measured faster here. */
export const MAX_DEFAULT_THREADS = 4;

/**
 * Picks the CPU threads for a model when the caller did not: 1 for files under 1 GiB, the
 * machine's cores (at most {@link MAX_DEFAULT_THREADS}) from there up.
 *
 * Why by size: node-llama-cpp's prebuilt binary starts a worker thread per evaluated token, a
 * fixed cost per token. For a small model that cost is larger than the second core's share of
 * the work, for a large one it is much smaller (figures in the README). Deciding by size keeps
 * the load fast and the choice reproducible, where a measurement at load would time a shared,
 * noisy machine.
 */
export function chooseThreads(configured: number | undefined, fileSizeBytes: number, cores = availableParallelism()): ThreadChoice {
  if (configured !== undefined) return { threads: configured, source: 'configured', reason: `${configured} (configured)` };
  const size = `${(fileSizeBytes / 1e9).toFixed(fileSizeBytes < 1e8 ? 3 : 1)} GB file`;
  if (fileSizeBytes < MULTI_THREAD_MIN_FILE_BYTES) {
    return { threads: 1, source: 'model-size', reason: `1 (model-size: ${size} < 1 GiB)` };
  }
  const threads = Math.max(1, Math.min(cores, MAX_DEFAULT_THREADS));
  return { threads, source: 'model-size', reason: `${threads} (model-size: ${size} ≥ 1 GiB, ${cores} cores)` };
}
