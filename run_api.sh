#!/usr/bin/env bash
# Sets up (Node 24 + pnpm from the npm registry if missing, install, build) and starts a Trosyn node:
# the OpenAI-compatible API on http://127.0.0.1:8000 and, when enabled, LAN sync on port 5000.
# Configuration comes from the environment or a .env file (see apps/server/README.md).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
pnpm install --frozen-lockfile
pnpm build
# Where the model comes from: the file, a LAN peer (fetched at start), or `pnpm model:pull`.
node apps/server/dist/model-pull-lan.js --where || true
exec pnpm start
