// `pnpm llama:build-server`: compiles llama.cpp's own `llama-server` from the llama.cpp source that the
// installed node-llama-cpp ships (its `llama/gitRelease.bundle`, a git bundle), with OpenMP, into the
// git-ignored folder `packages/llm/.llama-server/`. Offline: nothing is downloaded. It exists for the
// side-by-side concurrency benchmark (`apps/server/bench/concurrency.ts`); nothing at run time needs it.
// Needs git, CMake and a C++ compiler with OpenMP. Slow (many minutes on 2 cores): never run it in CI or tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';

const packageRoot = path.resolve(import.meta.dirname, '..');
const outDir = process.env.LLAMA_SERVER_DIR ?? path.join(packageRoot, '.llama-server');
const sourceDir = path.join(outDir, 'src');
const buildDir = path.join(outDir, 'build');
const binary = path.join(buildDir, 'bin', 'llama-server');

// The package does not export its package.json: walk up from its entry point to its root.
let lib = path.dirname(createRequire(import.meta.url).resolve('node-llama-cpp'));
while (!existsSync(path.join(lib, 'llama', 'llama.cpp.info.json')) && path.dirname(lib) !== lib) lib = path.dirname(lib);
const bundle = path.join(lib, 'llama', 'gitRelease.bundle');
if (!existsSync(bundle)) {
  console.error(`No llama.cpp source bundle at ${bundle}: this node-llama-cpp install does not ship its source.`);
  process.exit(1);
}
const info = JSON.parse(readFileSync(path.join(lib, 'llama', 'llama.cpp.info.json'), 'utf8')) as { tag: string };
const jobs = String(Math.max(1, Number(process.env.LLAMA_BUILD_JOBS ?? availableParallelism())));

/** Runs a command at lowest CPU priority (the machine is shared), failing the script on a non-zero exit. */
function run(command: string, args: readonly string[]): void {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync('nice', ['-n', '19', command, ...args], { stdio: 'inherit' });
  if (result.error !== undefined) {
    console.error(`Could not run ${command}: ${result.error.message}. Install it (git, cmake, g++ with libgomp) and retry.`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

await mkdir(outDir, { recursive: true });
if (!existsSync(path.join(sourceDir, 'CMakeLists.txt'))) {
  run('git', ['clone', '--quiet', bundle, sourceDir]);
}
console.log(`llama.cpp source: release ${info.tag} from ${bundle}`);
const started = Date.now();
run('cmake', [
  '-S', sourceDir, '-B', buildDir,
  '-DCMAKE_BUILD_TYPE=Release',
  '-DGGML_OPENMP=ON',
  '-DGGML_NATIVE=ON',
  // -march=native turns on AMX where the CPU reports it; on this VM ggml's AMX matmul segfaults at the first decode
  // (the kernel or hypervisor does not grant the tile state), so AMX stays off; AVX-512/AVX2 kernels are kept.
  '-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16',
  '-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_SERVER=ON',
]);
run('cmake', ['--build', buildDir, '--target', 'llama-server', '--config', 'Release', '-j', jobs]);
console.log(`Built ${binary} in ${((Date.now() - started) / 60_000).toFixed(1)} min (${jobs} job(s)).`);
