#!/usr/bin/env bash
# Sets up and runs a node on a demo clip: installs ffmpeg if missing, builds
# peeredge, renders a test-pattern clip, ingests it, prints the master
# playlist and a magnet link, then serves on 127.0.0.1:9000 until Ctrl-C.
# Extra arguments go to "peeredge demo" (e.g. --listen, --data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/web.sh
mkdir -p bin
go build -o bin/peeredge ./cmd/peeredge
exec bin/peeredge demo --data ./data "$@"
