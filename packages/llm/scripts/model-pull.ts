// `pnpm model:pull [URI] [--output FILE]`: downloads a GGUF model through node-llama-cpp's
// resolveModelFile, which shows a progress bar and keeps an already complete file.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { resolveModelFile } from 'node-llama-cpp';
import { defaultModelFile, modelPullUsage, planModelPull } from './model-pull-plan.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
// pnpm runs package scripts in the package folder; INIT_CWD is where the user typed the command.
const cwd = process.env.INIT_CWD ?? process.cwd();

let plan;
try {
  plan = planModelPull(process.argv.slice(2), repoRoot, cwd);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
if (plan.kind === 'help') {
  console.log(modelPullUsage);
  process.exit(0);
}

await mkdir(plan.directory, { recursive: true });
console.log(`Pulling ${plan.uri} into ${plan.fileName === undefined ? plan.directory : path.join(plan.directory, plan.fileName)}`);
try {
  const file = await resolveModelFile(plan.uri, {
    directory: plan.directory,
    ...(plan.fileName === undefined ? {} : { fileName: plan.fileName }),
    cli: true,
  });
  console.log(`Model ready: ${file}`);
  if (path.resolve(file) !== path.join(repoRoot, defaultModelFile)) {
    console.log(`Start the server with it: LLM_MODEL_PATH=${file} pnpm start`);
  }
} catch (error) {
  console.error(`Could not download ${plan.uri}: ${error instanceof Error ? error.message : String(error)}`);
  console.error('Check the network connection and the URI; for gated models set HF_TOKEN. A partial download resumes on the next run.');
  process.exit(1);
}
