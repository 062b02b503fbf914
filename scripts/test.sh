#!/usr/bin/env bash
# Installs what the tests need when it is missing — redis-server (Debian package) and the pinned dynalite (npm,
# tests/dynalite) — then builds and runs every test. The fixtures start both servers on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

log=$(mktemp)
# The fixtures stop their redis-server and dynalite on exit; when a test host is torn down too fast for that, this
# stops any left running from this checkout.
cleanup() {
  rm -f "$log"
  for pid in $(pgrep -f 'redis-server 127\.0\.0\.1:|dynalite/cli\.js' || true); do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$PWD"*) kill "$pid" 2>/dev/null || true ;; esac
  done
}
trap cleanup EXIT
set +e
# A hung test fails the run (with a dump) instead of eating CI's time. 15 minutes of silence, not 5: the packaging tests
# pack the solution, Native AOT compile of the tool included, which took over 5 minutes on 2 busy cores.
dotnet test GenesysDedup.sln --configuration Release --blame-hang-timeout 15m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run, summed over the test assemblies; an aborted assembly (its host crashed or hung)
# reports no counts, so it is counted apart.
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     /^Test Run Aborted/ { a++ }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped, %d test assemblies aborted\n", p, f, s, a }' "$log"
exit "$status"
