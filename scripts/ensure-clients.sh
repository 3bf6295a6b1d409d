#!/usr/bin/env bash
# Makes sure the real BitTorrent clients the interop tests drive are installed (Debian packages).
# Runs before `npm test`; installs what is missing when run as root (as on CI and the dev machines),
# otherwise says exactly what to install and fails.
set -euo pipefail
PACKAGES=(transmission-cli transmission-daemon aria2 mktorrent python3-libtorrent opentracker chromium ffmpeg)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "seedpay tests need these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages for the interop tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
