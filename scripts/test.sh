#!/usr/bin/env bash
# Runs every test of peeredge, installing ffmpeg, aria2, qbittorrent-nox and
# opentracker first when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
go vet ./...
go test -race -count=1 -timeout 20m ./...
