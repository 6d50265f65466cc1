#!/usr/bin/env bash
# Runs every test of peeredge, installing ffmpeg and aria2 first when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
go vet ./...
go test -race -count=1 -timeout 20m ./...
