#!/usr/bin/env bash
# The test command of the README: installs what the project needs (Node 24 + pnpm from the npm
# registry if missing), then builds, typechecks, lints, runs every package's tests and checks
# that each package installs on its own from its packed tarball.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh

# Real GGUF models for the model-dependent tests: models/ first, then the shared test models.
if [ -z "${TROSYN_TEST_MODELS_DIR:-}" ]; then
  for dir in "$PWD/models" "$PWD/../shared/models"; do
    if [ -f "$dir/stories260K.gguf" ]; then export TROSYN_TEST_MODELS_DIR="$dir"; break; fi
  done
fi
# The pinned copy of OpenAI's OpenAPI spec that the server's wire-format tests validate against.
if [ -z "${TROSYN_OPENAI_SPEC:-}" ]; then
  for spec in "$PWD/openai/openapi.yaml" "$PWD/../shared/openai/openapi.yaml"; do
    if [ -f "$spec" ]; then export TROSYN_OPENAI_SPEC="$spec"; break; fi
  done
fi
echo "run_tests: node $(node --version), pnpm $(pnpm --version), test models: ${TROSYN_TEST_MODELS_DIR:-none found}, OpenAI spec: ${TROSYN_OPENAI_SPEC:-none found}"

pnpm install --frozen-lockfile
pnpm build
pnpm typecheck
pnpm lint
pnpm test
pnpm check:packages
