// `pnpm model:pull [...]`: downloads a model with @trosyn/llm's script, or, with `--from-lan`,
// fetches LLM_MODEL_PATH's file from a LAN peer over the sealed peer channel (apps/server).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
let command;
if (args.includes('--from-lan')) {
  const script = `${repoRoot}apps/server/dist/model-pull-lan.js`;
  if (!existsSync(script)) {
    console.error(`${script} is missing: run \`pnpm build\` first.`);
    process.exit(1);
  }
  command = [process.execPath, [script, ...args.filter((arg) => arg !== '--from-lan')]];
} else {
  command = ['pnpm', ['--filter', '@trosyn/llm', 'model:pull', ...args]];
}
const result = spawnSync(command[0], command[1], { stdio: 'inherit', cwd: repoRoot, env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() } });
process.exit(result.status ?? 1);
