#!/usr/bin/env bash
# Builds the watch and embed pages' player: installs the npm packages that
# web/player/package-lock.json pins (once; later runs work offline), then
# bundles web/player/src/player.js with esbuild into
# web/assets/dist/player.js (+ .map), which the node embeds when built
# afterwards. Without the bundle peeredge still builds; its pages then say
# to run this script.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "web.sh: npm is missing (scripts/deps.sh installs it)" >&2
  exit 1
fi
player=web/player
# --ignore-scripts: no install script is needed. esbuild's only checks
# and links its binary, which comes as the @esbuild/<platform> package the
# lockfile pins and which its JS wrapper finds there by itself; the other,
# node-datachannel's (a Node WebRTC addon bittorrent-tracker pulls in for
# Node), would compile C++ for a bundle that runs in browsers.
# npm ci only when the installed tree is not the lockfile's: a rebuild must
# work offline.
if ! cmp -s "$player/package-lock.json" "$player/node_modules/.package-lock.json.ci" 2>/dev/null; then
  npm ci --prefix "$player" --ignore-scripts --no-audit --no-fund --loglevel=error
  cp "$player/package-lock.json" "$player/node_modules/.package-lock.json.ci"
fi
mkdir -p web/assets/dist
node "$player/build.mjs" web/assets/dist/player.js
