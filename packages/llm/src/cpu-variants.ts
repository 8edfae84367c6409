import { readFile } from 'node:fs/promises';
import { LlmError } from './errors.js';
import { readModelInfo } from './model-info.js';

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

/**
 * The choice in force in this process, and the model(s) it was made for: made by the first engine
 * (or {@link prepareCpuVariants}), then fixed. A promise, so that engines loading at the same time
 * wait for the one decision instead of each making their own.
 */
let processChoice: Promise<{ readonly choice: CpuVariantChoice; readonly decidedBy: string }> | undefined;

/**
 * The CPU-variant choice for an engine about to load `modelPath` (of `architecture`) in this
 * process. The first call decides, with {@link avoidFaultyCpuVariants}, and every later call gets
 * that same choice, because ggml keeps the variant it loaded first. A later model that needs a
 * variant skipped which the first choice kept fails with `model-invalid` naming the variable, as
 * its output would be NaN: loading it anyway would answer with garbage, not with an error.
 */
export async function cpuVariantsForEngine(modelPath: string, architecture: string, env: NodeJS.ProcessEnv = process.env): Promise<CpuVariantChoice> {
  if (processChoice === undefined) {
    processChoice = avoidFaultyCpuVariants(architecture, env).then((choice) => ({ choice, decidedBy: modelPath }));
    return (await processChoice).choice;
  }
  const { choice, decidedBy } = await processChoice;
  if (choice.source === 'configured') return choice;
  const needed = await avoidFaultyCpuVariants(architecture, {});
  const missing = needed.skipped.filter((variant) => !choice.skipped.includes(variant));
  if (missing.length > 0) {
    throw new LlmError(
      'model-invalid',
      `${modelPath} (${architecture}) computes NaN on ggml's CPU variant(s) ${missing.join(', ')}, which this process ` +
        `already loaded for ${decidedBy}: ggml picks its CPU variant once per process. Set ` +
        `${SKIP_CPU_VARIANTS_VARIABLE}=${[...choice.skipped, ...missing].join(',')} before starting it, or load ${modelPath} first.`,
      { path: modelPath, architecture, variants: missing },
    );
  }
  return choice;
}

/**
 * Decides this process's CPU variants from every model file it will load, before any engine
 * loads: call it first when an application loads several models (a chat model and a dedicated
 * embedding model), so that the first engine to load does not choose for the others. Files that
 * cannot be read yet (missing, not a GGUF, an `hf:` URI) are left out; an engine loading one of
 * them later fails with a clear `model-invalid` if the choice is wrong for it. Returns the
 * choice; a second call returns the first one's.
 *
 * @example
 * ```ts
 * await prepareCpuVariants(['models/gemma-3n-e2b.gguf', 'models/embed.gguf']);
 * const chat = await LlmEngine.load({ modelPath: 'models/gemma-3n-e2b.gguf' });
 * ```
 */
export async function prepareCpuVariants(modelPaths: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CpuVariantChoice> {
  processChoice ??= decideForFiles(modelPaths, env);
  return (await processChoice).choice;
}

async function decideForFiles(modelPaths: readonly string[], env: NodeJS.ProcessEnv): Promise<{ readonly choice: CpuVariantChoice; readonly decidedBy: string }> {
  const models = (await Promise.all(modelPaths.map(async (modelPath) => ({ modelPath, info: await readModelInfo(modelPath).catch(() => undefined) }))))
    .filter((model) => model.info !== undefined);
  const decidedBy = models.map((model) => model.modelPath).join(' and ') || 'prepareCpuVariants';
  if (env[SKIP_CPU_VARIANTS_VARIABLE] !== undefined) return { choice: await avoidFaultyCpuVariants(undefined, env), decidedBy };
  const choices = await Promise.all(models.map((model) => avoidFaultyCpuVariants(model.info?.architecture, {})));
  const skipped = [...new Set(choices.flatMap((choice) => choice.skipped))];
  if (skipped.length === 0) return { choice: { skipped: [], source: 'none' }, decidedBy };
  env[SKIP_CPU_VARIANTS_VARIABLE] = skipped.join(',');
  return { choice: { skipped, source: 'model-architecture' }, decidedBy };
}
