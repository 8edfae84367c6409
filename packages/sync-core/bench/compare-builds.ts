// Builds the sync-core sources of another commit (BENCH_BASE_REF, default: the commit before
// the store-port redesign) into a temporary directory and runs compare.ts with it next to this
// package's ./dist (build first). `pnpm --filter @trosyn/sync-core bench:compare`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const root = join(here, '..', '..');
const ref = process.env.BENCH_BASE_REF ?? '934880a~1';
const dir = mkdtempSync(join(tmpdir(), 'sync-core-base-'));
try {
  const archive = execFileSync('git', ['-C', root, 'archive', ref, 'packages/sync-core'], { maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const pkg = join(dir, 'packages', 'sync-core');
  // The old sources build with this checkout's toolchain and dependencies (kysely, which the
  // engine used before the store port, stays a dev dependency for this).
  symlinkSync(join(here, 'node_modules'), join(pkg, 'node_modules'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(root, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
  execFileSync(join(here, 'node_modules', '.bin', 'tsup'), [], { cwd: pkg, stdio: 'ignore' });
  execFileSync(process.execPath, [join(here, 'bench', 'compare.ts'), `before=${join(pkg, 'dist')}`, `after=${join(here, 'dist')}`], { stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
