#!/usr/bin/env bash
# Installs what the tests need when it is missing — redis-server (Debian package) and the pinned dynalite (npm,
# tests/dynalite) — then builds and runs every test. The fixtures start both servers on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing redis-server (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

if [ ! -f tests/dynalite/node_modules/dynalite/cli.js ]; then
  echo "== installing dynalite (npm ci, pinned by tests/dynalite/package-lock.json)"
  npm ci --prefix tests/dynalite --no-audit --no-fund --loglevel=error
fi

echo "== redis-server $(redis-server --version | awk '{print $3}'), dynalite $(node -p "require('./tests/dynalite/node_modules/dynalite/package.json').version")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# A hung test fails the run (with a dump) instead of eating CI's time.
dotnet test GenesysDedup.sln --configuration Release --blame-hang-timeout 5m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run, summed over the test assemblies.
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
