#!/usr/bin/env bash
# Builds the real PeerTube 6.3 the interop tests start (internal/peertube)
# when PT_ROOT holds no build: ../shared/peertube/setup.sh (Debian's
# PostgreSQL and Redis, the npm registry; about 4 minutes). PT_ROOT
# defaults to the cache directory the harness defaults to, which survives
# runs, so the build is made once per machine. The harness would build it
# too, but inside a test's time; here it is done before the tests start,
# under the harness's lock.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${PT_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/peeredge/peertube}
setup=$PWD/../shared/peertube/setup.sh
built() {
  [ -f "$root/src/dist/server.js" ] && [ -d "$root/src/node_modules" ] || return 1
  for cmd in node psql pg_lsclusters redis-server ffmpeg; do command -v "$cmd" >/dev/null || return 1; done
}
built && exit 0
[ -f "$setup" ] || { echo "PeerTube is not built under $root and $setup is missing" >&2; exit 1; }
mkdir -p "$root"
echo "building PeerTube under $root (about 4 minutes)" >&2
# The same lock file as the harness's (flock(1) and flock(2) agree).
exec 9>"$root/harness.lock"
flock 9
built || PT_ROOT="$root" bash "$setup" >"$root/setup.log" 2>&1 || { tail -40 "$root/setup.log" >&2; exit 1; }
