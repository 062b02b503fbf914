#!/usr/bin/env bash
# Runs every fault scenario of docs/reliability.md — crash, outage, two-hosts, takeover — against Redis, DynamoDB (dynalite)
# and SQLite, each with the built Release host as real child processes on loopback ports, and prints one table of the
# figures. SQLite's outage runs twice: its file locked past the busy timeout, then its disk full (a tmpfs mount: root).
# The failover scenario runs on a Redis Cluster (store redis-cluster) and on a Sentinel-managed primary/replica pair
# (store redis-sentinel), once per Dedup:Redis:WaitReplicas in WAIT_REPLICAS (FAILOVER_STORES picks the stores).
# Two comparisons follow, each in one run and with one seed for both sides:
#   in-progress-wait  two-hosts and crash per store with Dedup:InProgressWait 0 and 2 s: 429s and retries saved
#   clock-skew        skewed-hosts on DynamoDB (dynalite), the second host 5 s ahead (libfaketime), Dedup:ClockSkew 0 and 5 s
# Installs only what scripts/test.sh installs. Each scenario stops itself at its deadline (300 s); `timeout` backs that.
#
#   scripts/reliability.sh                      every run (about 25 minutes on 2 cores)
#   scripts/reliability.sh --seed 42            extra options go to every run (see GenesysDedup.Reliability's usage)
#   SCENARIOS="crash" STORES="redis" scripts/reliability.sh
#   SCENARIOS="failover" FAILOVER_STORES="redis-sentinel" WAIT_REPLICAS="0 1" scripts/reliability.sh --downstream-delay-ms 0
#   SCENARIOS="in-progress-wait clock-skew" STORES="sqlite" SEED=7 scripts/reliability.sh
#
# Per-run JSON summaries and logs: artifacts/reliability/. Exit code 0 only when every run says PASS.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

echo "== building (Release)"
dotnet build GenesysDedup.sln --configuration Release -nologo -verbosity quiet

out=artifacts/reliability
mkdir -p "$out"
tool=tests/GenesysDedup.Reliability/bin/Release/net10.0/GenesysDedup.Reliability.dll
status=0
summaries=()
# run NAME ARGS...: one scenario run, its summary kept for the table. INFORMATIONAL=1: its FAIL does not fail the script.
run() {
  local name=$1; shift
  echo "== $*"
  rm -f "$out/$name.json"
  if ! timeout --kill-after=10s 360s dotnet "$tool" "$@" --summary "$out/$name.json" "${extra[@]}" >"$out/$name.log" 2>&1; then
    [ "${INFORMATIONAL:-0}" = 1 ] || status=1
  fi
  tail -n 1 "$out/$name.log"
  summaries+=("$out/$name.json")
}

extra=("$@")
seed=${SEED:-$RANDOM}
for scenario in ${SCENARIOS:-crash outage two-hosts takeover failover in-progress-wait clock-skew}; do
  case "$scenario" in
    failover)
      # WaitReplicas 0 is expected to FAIL (acknowledged writes lost with the lagging replica): it shows what 1 prevents.
      for store in ${FAILOVER_STORES:-redis-cluster redis-sentinel}; do
        for wait in ${WAIT_REPLICAS:-0 1}; do
          INFORMATIONAL=$([ "$wait" = 0 ] && echo 1 || echo 0) run "failover-$store-wait$wait" failover --store "$store" --wait-replicas "$wait"
        done
      done
      ;;
    in-progress-wait)
      for store in ${STORES:-redis dynamodb sqlite}; do
        for s in two-hosts crash; do
          for wait in 00:00:00 00:00:02; do
            run "$s-$store-wait-${wait//:/}" "$s" --store "$store" --seed "$seed" --in-progress-wait "$wait"
          done
        done
      done
      ;;
    clock-skew)
      # Handlers (1.5 s) shorter than the lease (3 s): only a clock running ahead makes a live lease look lapsed.
      for skew in 00:00:00 00:00:05; do
        run "skewed-hosts-dynamodb-skew-${skew//:/}" skewed-hosts --store dynamodb --seed "$seed" --events 600 \
          --downstream-delay-ms 1500 --clock-ahead 5 --clock-skew "$skew"
      done
      ;;
    *)
      for store in ${STORES:-redis dynamodb sqlite}; do
        run "$scenario-$store" "$scenario" --store "$store"
        if [ "$scenario" = outage ] && [ "$store" = sqlite ]; then
          run "$scenario-$store-full-disk" "$scenario" --store "$store" --fault full-disk
        fi
      done
      ;;
  esac
done

echo
# Each run's own exit code decided the status above (an informational run's FAIL shows in the table only).
dotnet "$tool" report "${summaries[@]}" || true
exit "$status"
