#!/usr/bin/env bash
# Runs every test of peeredge, installing what they drive first when
# missing: ffmpeg, aria2, qbittorrent-nox, opentracker, Chromium and node
# (Debian), and the browser test's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# --ignore-scripts: only webtorrent's browser bundle and playwright-core's
# JavaScript are used (the browser is Debian's, nothing is downloaded).
npm ci --prefix internal/node/testdata/browser --ignore-scripts --no-audit --no-fund --loglevel=error
go vet ./...
PEEREDGE_REQUIRE_BROWSER=1 go test -race -count=1 -timeout 20m ./...
