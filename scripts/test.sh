#!/usr/bin/env bash
# Runs every check and test of peeredge (vet, staticcheck, a non-Linux
# build of the packages with Linux-only files, the tests under the race
# detector), installing what they drive first when missing: ffmpeg, aria2,
# qbittorrent-nox, opentracker, Chromium, node and aiosmtpd (Debian), the
# browser test's and PeerTube CLI test's npm packages, and a real PeerTube
# built from ../shared/peertube (cached under PT_ROOT between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/web.sh
# --ignore-scripts: only webtorrent's browser bundle and playwright-core's
# JavaScript are used (the browser is Debian's, nothing is downloaded).
npm ci --prefix internal/node/testdata/browser --ignore-scripts --no-audit --no-fund --loglevel=error
# PeerTube's official CLI (one bundled file, no install scripts).
npm ci --prefix internal/node/testdata/peertube-cli --ignore-scripts --no-audit --no-fund --loglevel=error
# The real PeerTube of the interop tests; the harness finds it at PT_ROOT.
export PT_ROOT=${PT_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/peeredge/peertube}
scripts/peertube.sh
# The REST parity test compares the node with a live PeerTube here (about
# 15 s more); elsewhere it reads PeerTube's recorded answers.
export PEEREDGE_PARITY=live
go vet ./...
# staticcheck at the version go.mod pins (go tool builds it on first use).
go tool staticcheck ./...
# The packages with system-specific files must still build elsewhere: the
# node is measured on Linux, but nothing Linux-only may leak out of the
# files fenced for it.
GOOS=darwin go vet ./origin/... ./edge/...
# Screenshots and other test artifacts land in test-output/_artifacts/
# (t.ArtifactDir); go test wants the folder to exist.
mkdir -p test-output
PEEREDGE_REQUIRE_BROWSER=1 go test -race -count=1 -timeout 20m -artifacts -outputdir "$PWD/test-output" ./...
