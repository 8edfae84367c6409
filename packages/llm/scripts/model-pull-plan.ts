import path from 'node:path';

/** The model `pnpm model:pull` fetches by default: Gemma 3n E2B instruct, Q4_K_M, from Hugging Face. */
export const defaultModelUri = 'hf:unsloth/gemma-3n-E2B-it-GGUF:Q4_K_M';

/** Where the default model goes, relative to the repository root: the server's default `LLM_MODEL_PATH`. */
export const defaultModelFile = path.join('models', 'gemma-3n-e2b.gguf');

/** What one `model:pull` run does. */
export type ModelPullPlan =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'pull';
      /** The URI given to node-llama-cpp's `resolveModelFile`. */
      readonly uri: string;
      /** Directory the file is resolved in and downloaded to. */
      readonly directory: string;
      /** File name inside `directory`; undefined lets node-llama-cpp name it after the remote file. */
      readonly fileName: string | undefined;
    };

/** Usage text of the command. */
export const modelPullUsage = `Usage: pnpm model:pull [URI] [FILE]   (or: [URI] --output FILE)

Downloads a GGUF model with node-llama-cpp (progress bar; an existing complete file is kept).

  URI            hf:<user>/<repo>:<quant> or https://…/file.gguf
                 (default: ${defaultModelUri} → ${defaultModelFile})
  FILE           target: a bare file name goes into models/, a path is taken as given
                 (default: models/gemma-3n-e2b.gguf for the default model,
                 models/<remote file name> for another URI)
  -o, --output   same as FILE
  -h, --help     this text
`;

/**
 * Turns the command's arguments into a plan. Relative `--output` paths are resolved against
 * `cwd` (where the user ran the command); the models folder is `<repoRoot>/models`.
 * Throws an Error with a usage hint on bad arguments.
 */
export function planModelPull(args: readonly string[], repoRoot: string, cwd: string): ModelPullPlan {
  let uri: string | undefined;
  let output: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--') continue;
    if (arg === '-o' || arg === '--output') {
      const value = args[++index];
      if (value === undefined || value === '') throw new Error(`${arg} needs a file path.\n\n${modelPullUsage}`);
      output = value;
    } else if (arg.startsWith('--output=')) {
      output = arg.slice('--output='.length);
    } else if (arg.startsWith('-')) {
      throw new Error(`Unknown option ${arg}.\n\n${modelPullUsage}`);
    } else if (uri === undefined) {
      if (!/^(hf:|huggingface:|https?:\/\/)/i.test(arg)) {
        throw new Error(`"${arg}" is not a model URI (expected hf:<user>/<repo>:<quant> or an https:// URL).\n\n${modelPullUsage}`);
      }
      uri = arg;
    } else if (output === undefined) {
      // A bare name lands in models/, like the default file.
      output = arg.includes('/') || arg.includes(path.sep) ? arg : path.join(repoRoot, 'models', arg);
    } else {
      throw new Error(`Unexpected argument "${arg}": give one URI and at most one target file.\n\n${modelPullUsage}`);
    }
  }
  const models = path.join(repoRoot, 'models');
  if (output !== undefined) {
    const target = path.resolve(cwd, output);
    if (!target.toLowerCase().endsWith('.gguf')) throw new Error(`--output must name a .gguf file (got ${target}).`);
    return { kind: 'pull', uri: uri ?? defaultModelUri, directory: path.dirname(target), fileName: path.basename(target) };
  }
  if (uri === undefined || uri === defaultModelUri) {
    return { kind: 'pull', uri: defaultModelUri, directory: models, fileName: path.basename(defaultModelFile) };
  }
  return { kind: 'pull', uri, directory: models, fileName: undefined };
}
