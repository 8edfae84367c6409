import { availableParallelism } from 'node:os';

/** Where the engine's thread count came from. */
export type ThreadsSource = 'configured' | 'model-size' | 'measured';

/** The thread count for a model, and why. */
export interface ThreadChoice {
  readonly threads: number;
  readonly source: ThreadsSource;
  /** One line for the load log and `/health`, e.g. `2 (model-size: 3.3 GB file ≥ 1 GiB)`. */
  readonly reason: string;
}

/** Model files from this size up decode faster with several threads (README, "Threads"). */
export const MULTI_THREAD_MIN_FILE_BYTES = 1024 ** 3;
/**
 * Model files under this size decode faster on one thread on every CPU measured; between it and
 * {@link MULTI_THREAD_MIN_FILE_BYTES} the faster count depended on the CPU, so it is measured at load.
 */
export const SINGLE_THREAD_MAX_FILE_BYTES = 64 * 1024 ** 2;
/** The most threads the size rule picks; more was never measured faster here. */
export const MAX_DEFAULT_THREADS = 4;

/** What the size rule cannot decide: measure these thread counts at load ({@link measureThreads}). */
export interface ThreadMeasurement {
  readonly measure: readonly number[];
  /** The file size, for the reason line. */
  readonly size: string;
}

/**
 * Picks the CPU threads for a model when the caller did not: 1 for files under 64 MiB, the
 * machine's cores (at most {@link MAX_DEFAULT_THREADS}) from 1 GiB up, and for the files between,
 * the counts to measure at load.
 *
 * Why by size at the ends: node-llama-cpp's prebuilt binary starts a worker thread per evaluated
 * token, a fixed cost per token. For a tiny model that cost is far larger than the second core's
 * share of the work, for a large one it is much smaller, on every CPU measured (figures in the
 * README). In between, the answer changed with the CPU (a 270M model: 1 thread faster on an AMD
 * EPYC, 2 threads on a Sapphire Rapids Xeon), so only a measurement on the machine can tell.
 */
export function chooseThreads(configured: number | undefined, fileSizeBytes: number, cores = availableParallelism()): ThreadChoice | ThreadMeasurement {
  if (configured !== undefined) return { threads: configured, source: 'configured', reason: `${configured} (configured)` };
  const size = `${(fileSizeBytes / 1e9).toFixed(fileSizeBytes < 1e8 ? 3 : 1)} GB file`;
  const most = Math.max(1, Math.min(cores, MAX_DEFAULT_THREADS));
  if (most === 1) return { threads: 1, source: 'model-size', reason: `1 (model-size: ${size}, 1 core)` };
  if (fileSizeBytes < SINGLE_THREAD_MAX_FILE_BYTES) return { threads: 1, source: 'model-size', reason: `1 (model-size: ${size} < 64 MiB)` };
  if (fileSizeBytes >= MULTI_THREAD_MIN_FILE_BYTES) {
    return { threads: most, source: 'model-size', reason: `${most} (model-size: ${size} ≥ 1 GiB, ${cores} cores)` };
  }
  return { measure: [1, most], size };
}
