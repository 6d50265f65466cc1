#!/usr/bin/env bash
# Installs the Debian packages peeredge runs and is tested with, when missing.
# Usage: scripts/deps.sh [extra commands to require...]
set -euo pipefail

# command → Debian package
declare -A pkg=(
  [ffmpeg]=ffmpeg [ffprobe]=ffmpeg [aria2c]=aria2
  [mktorrent]=mktorrent [nginx]=nginx-light [wrk]=wrk
  [qbittorrent-nox]=qbittorrent-nox [opentracker]=opentracker
  [chromium]=chromium [node]=nodejs [npm]=npm
  [aiosmtpd]=python3-aiosmtpd
)

# What the tests drive: ffmpeg for media, real BitTorrent clients and a
# reference tracker for the swarm, and a browser (Chromium, driven from
# node) for WebTorrent; an SMTP server (aiosmtpd) for the contact form's mail.
need=(ffmpeg ffprobe aria2c qbittorrent-nox opentracker chromium node npm aiosmtpd "$@")
missing=()
for cmd in "${need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${pkg[$cmd]:-$cmd}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
