#!/usr/bin/env bash
# Installs what the tests and the reliability scenarios need when it is missing: redis-server and faketime (Debian
# packages; redis-server brings redis-cli (redis-tools), and its binary also runs the Sentinels of the Sentinel fixture
# with --sentinel; libfaketime runs a host with its clock ahead in the skewed-hosts scenario) and the pinned dynalite (npm,
# tests/dynalite). Used by scripts/test.sh and scripts/reliability.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "== installing redis-server (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

if [ ! -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]; then
  echo "== installing faketime (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
fi

if [ ! -f tests/dynalite/node_modules/dynalite/cli.js ]; then
  echo "== installing dynalite (npm ci, pinned by tests/dynalite/package-lock.json)"
  npm ci --prefix tests/dynalite --no-audit --no-fund --loglevel=error
fi

echo "== redis-server $(redis-server --version | awk '{print $3}'), dynalite $(node -p "require('./tests/dynalite/node_modules/dynalite/package.json').version")"
