#!/usr/bin/env bash
# genesys-dedup replay beside the workload driver's engine figure, interleaved in one run.
#
#   scripts/perf/replay.sh [store ...]         stores: redis dynamodb (default: both)
#   ROUNDS=3 EVENTS=20000 OUT=artifacts/perf-replay scripts/perf/replay.sh
#   BEFORE=/path/to/older/checkout scripts/perf/replay.sh      also that checkout's tool, in the same rounds
#   STEP=install scripts/perf/replay.sh; STEP=measure scripts/perf/replay.sh    build and measure apart (default: both)
#
# The tool is measured as users run it: packed to a folder feed and installed with dotnet tool install (on Linux x64
# that is the native package). Starts its own redis-server and dynalite on free loopback ports (stopped by process id
# on exit), generates the standard workload shape (30 % re-publishes) with EVENTS events, then per round and store:
# the workload driver's engine (`workload`, 4 s warm-up, log handler) and `genesys-dedup replay --json` on the same
# file with the same handler, each at concurrency 1 and 16, each in a fresh Dedup:Namespace. The replay figure is the
# tool's own events/s from its first event to its last; wallSeconds is the whole process (start-up, reading and
# parsing the file, connecting) and cpuSeconds its user + system time. Every run is one JSON line in
# $OUT/results.jsonl; the last lines printed are medians and per-round ratios replay / engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

ROUNDS=${ROUNDS:-3}
EVENTS=${EVENTS:-20000}
OUT=${OUT:-$root/artifacts/perf-replay}
STEP=${STEP:-all}
BEFORE=${BEFORE:-}
stores=("$@")
[ ${#stores[@]} -eq 0 ] && stores=(redis dynamodb)
bench=$root/tests/GenesysDedup.Benchmarks/bin/Release/net10.0/GenesysDedup.Benchmarks

# Packs the tool of checkout $1 under a version no cache has seen and installs it into $2 with its own packages folder.
install_tool() {
  local checkout=$1 into=$2 suffix
  suffix=perf$(date +%s%N)
  rm -rf "$into"
  dotnet pack "$checkout/tools/GenesysDedup.Cli" -c Release -nologo -v quiet -o "$into/feed" -p:VersionSuffix="$suffix" >/dev/null
  NUGET_PACKAGES=$into/nuget dotnet tool install GenesysDedup.Cli --version "0.1.0-$suffix" --tool-path "$into/tool" \
    --add-source "$into/feed" >/dev/null
  echo "   $(readlink -f "$into/tool/genesys-dedup" || echo "$into/tool/genesys-dedup")"
}

if [ "$STEP" != measure ]; then
  echo "== build the driver (Release); pack and install the tool"
  dotnet build tests/GenesysDedup.Benchmarks -c Release -nologo -v quiet 2>&1 | grep -E ' error |rror\(s\)' | grep -v ' 0 Error' || true
  mkdir -p "$OUT"
  install_tool "$root" "$OUT/tool-now"
  [ -n "$BEFORE" ] && install_tool "$BEFORE" "$OUT/tool-before"
  bash scripts/install-test-deps.sh
fi
[ "$STEP" = install ] && exit 0

# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh
tools=(now)
[ -n "$BEFORE" ] && tools+=(before)

start_redis
start_dynalite
echo "== redis-server at 127.0.0.1:$redis_port, dynalite at http://127.0.0.1:$dynalite_port, $EVENTS events, $ROUNDS rounds"

workload=$OUT/workload.jsonl
"$bench" generate --out "$workload" --events "$EVENTS" --duplicates 0.3 --seed 1

endpoint() { [ "$1" = redis ] && echo "127.0.0.1:$redis_port" || echo "http://127.0.0.1:$dynalite_port"; }
store_settings() {
  if [ "$1" = redis ]; then
    echo "--set Dedup:Redis:Configuration=127.0.0.1:$redis_port"
  else
    echo "--set Dedup:DynamoDb:ServiceUrl=http://127.0.0.1:$dynalite_port --set Dedup:DynamoDb:Region=us-east-1 --set Dedup:DynamoDb:CreateTable=true"
  fi
}

keep() { # label round json [time-output]: the run's figures, and for a replay its process wall-clock and CPU seconds
  node -e '
const [json, label, round, time] = process.argv.slice(1), r = JSON.parse(json);
const row = { label, round: Number(round), eventsPerSecond: r.eventsPerSecond, outcomes: r.outcomes };
if (time) { const [wall, user, sys] = time.trim().split(/\s+/).map(Number); Object.assign(row, { elapsedSeconds: r.elapsedSeconds, wallSeconds: wall, cpuSeconds: +(user + sys).toFixed(2) }); }
console.log(JSON.stringify(row));' "$3" "$1" "$2" "${4:-}" | tee -a "$results"
}

echo "== load before: $(uptime)"
for round in $(seq "$ROUNDS"); do
  for store in "${stores[@]}"; do
    for c in 1 16; do
      keep "$store engine c=$c" "$round" "$("$bench" workload --store "$store" --endpoint "$(endpoint $store)" --events "$workload" --concurrency "$c" | tail -n 1)"
      for tool in "${tools[@]}"; do
        # shellcheck disable=SC2046
        json=$(/usr/bin/time -f '%e %U %S' -o "$OUT/time.txt" "$OUT/tool-$tool/tool/genesys-dedup" replay "$workload" --json \
          --concurrency "$c" --store "$store" $(store_settings $store) --set Handler:Kind=log \
          --set "Dedup:Namespace=replay-$tool-$round-$c" 2>>"$OUT/replay-stderr.log" || true)
        keep "$store replay-$tool c=$c" "$round" "$json" "$(tail -n 1 "$OUT/time.txt")"
      done
    done
  done
done
echo "== load after: $(uptime)"

node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = xs => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
for (const store of ["redis", "dynamodb"]) for (const c of [1, 16]) for (const tool of ["now", "before"]) {
  const engine = rows.filter(r => r.label === `${store} engine c=${c}`), replay = rows.filter(r => r.label === `${store} replay-${tool} c=${c}`);
  if (replay.length === 0) continue;
  const ratios = replay.map(r => r.eventsPerSecond / engine.find(e => e.round === r.round).eventsPerSecond);
  const f = (xs, d = 0) => median(xs).toFixed(d);
  console.log(`${store} c=${c} ${tool}: engine ${f(engine.map(r => r.eventsPerSecond))}/s, replay ${f(replay.map(r => r.eventsPerSecond))}/s, ` +
    `replay/engine ${f(ratios, 2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}); ` +
    `process ${f(replay.map(r => r.wallSeconds), 2)} s wall, ${f(replay.map(r => r.wallSeconds - r.elapsedSeconds), 2)} s outside its events (start-up, reading, connecting, exit), ${f(replay.map(r => r.cpuSeconds), 2)} s CPU`);
}' "$results"
