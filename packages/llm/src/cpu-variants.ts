import { readFile } from 'node:fs/promises';

/** The environment variable the repository's node-llama-cpp patch reads (comma-separated variant names). */
export const SKIP_CPU_VARIANTS_VARIABLE = 'NODE_LLAMA_CPP_SKIP_CPU_VARIANTS';

/**
 * CPU variants of node-llama-cpp's prebuilt binary that compute wrong results for a model
 * architecture, measured in this repository (llm README, "CPU variants"): the Sapphire Rapids
 * variant gives NaN logits for every gemma3n file tried, so greedy decoding returns `<pad>` and a
 * grammar has nothing to accept.
 */
const faultyVariants: Readonly<Record<string, readonly string[]>> = { gemma3n: ['sapphirerapids'] };

/** What {@link avoidFaultyCpuVariants} decided, for the load log and `runtime`. */
export interface CpuVariantChoice {
  /** The variants ggml is kept from picking; empty when none. */
  readonly skipped: readonly string[];
  /** `model-architecture` when this package chose them, `configured` when the variable was already set. */
  readonly source: 'model-architecture' | 'configured' | 'none';
}

/**
 * Keeps ggml from loading a CPU variant known to be wrong for `architecture`, by setting
 * {@link SKIP_CPU_VARIANTS_VARIABLE} before node-llama-cpp loads its backends. Why an environment
 * variable: ggml picks its CPU variant once per process, when the first `getLlama` loads the
 * backends, and node-llama-cpp has no option for it. An operator's own setting is kept. A later
 * model in the same process gets whatever the first one loaded (documented).
 */
export async function avoidFaultyCpuVariants(architecture: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CpuVariantChoice> {
  const configured = env[SKIP_CPU_VARIANTS_VARIABLE];
  if (configured !== undefined) {
    const skipped = configured.split(',').map((name) => name.trim()).filter((name) => name !== '');
    return { skipped, source: skipped.length === 0 ? 'none' : 'configured' };
  }
  const variants = architecture === undefined ? [] : (faultyVariants[architecture] ?? []);
  // Only where the variant could be chosen at all: the CPU has the features it is built for.
  const relevant = variants.length > 0 && (await cpuHasAmx()) ? variants : [];
  if (relevant.length === 0) return { skipped: [], source: 'none' };
  env[SKIP_CPU_VARIANTS_VARIABLE] = relevant.join(',');
  return { skipped: relevant, source: 'model-architecture' };
}

/** Whether this Linux CPU reports AMX (the Sapphire Rapids variant's defining feature). */
async function cpuHasAmx(): Promise<boolean> {
  try {
    return /\bamx_(?:int8|tile)\b/.test(await readFile('/proc/cpuinfo', 'utf8'));
  } catch {
    return false; // not Linux, or no /proc: the variant is Linux x64's only
  }
}
