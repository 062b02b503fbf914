#!/usr/bin/env bash
# genesys-dedup replay beside the workload driver's engine figure, interleaved in one run.
#
#   scripts/perf/replay.sh [store ...]         stores: redis dynamodb (default: both)
#   ROUNDS=3 EVENTS=20000 OUT=artifacts/perf-replay scripts/perf/replay.sh
#
# Starts its own redis-server and dynalite on free loopback ports (stopped by process id on exit), generates the
# standard workload shape (30 % re-publishes) with EVENTS events, then per round and store: the workload driver's
# engine (`workload`, 4 s warm-up, log handler) and `genesys-dedup replay --json` on the same file with the same
# handler, each at concurrency 1 and 16, each in a fresh Dedup:Namespace. The replay figure is the tool's own
# events/s from its first event to its last (reading and parsing the file, and process start, come before it). Every run
# is one JSON line in $OUT/results.jsonl; the last lines printed are medians and per-round ratios replay / engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

ROUNDS=${ROUNDS:-3}
EVENTS=${EVENTS:-20000}
OUT=${OUT:-$root/artifacts/perf-replay}
stores=("$@")
[ ${#stores[@]} -eq 0 ] && stores=(redis dynamodb)

# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh

echo "== build (Release)"
for project in tests/GenesysDedup.Benchmarks tools/GenesysDedup.Cli; do
  dotnet build "$project" -c Release -nologo -v quiet 2>&1 | grep -E ' error |rror\(s\)' | grep -v ' 0 Error' || true
done
bench=$root/tests/GenesysDedup.Benchmarks/bin/Release/net10.0/GenesysDedup.Benchmarks
cli="dotnet $root/tools/GenesysDedup.Cli/bin/Release/net10.0/genesys-dedup.dll"
bash scripts/install-test-deps.sh

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

keep() { # label round json
  node -e 'const r=JSON.parse(process.argv[1]); console.log(JSON.stringify({label:process.argv[2],round:Number(process.argv[3]),eventsPerSecond:r.eventsPerSecond,outcomes:r.outcomes}))' \
    "$3" "$1" "$2" | tee -a "$results"
}

for round in $(seq "$ROUNDS"); do
  for store in "${stores[@]}"; do
    for c in 1 16; do
      keep "$store engine c=$c" "$round" "$("$bench" workload --store "$store" --endpoint "$(endpoint $store)" --events "$workload" --concurrency "$c" | tail -n 1)"
      # shellcheck disable=SC2046
      keep "$store replay c=$c" "$round" "$($cli replay "$workload" --json --concurrency "$c" --store "$store" $(store_settings $store) \
        --set Handler:Kind=log --set "Dedup:Namespace=replay-$round-$c" 2>>"$OUT/replay-stderr.log" || true)"
    done
  done
done

node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = xs => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
for (const store of ["redis", "dynamodb"]) for (const c of [1, 16]) {
  if (!rows.some(r => r.label === `${store} engine c=${c}`)) continue;
  const engine = rows.filter(r => r.label === `${store} engine c=${c}`), replay = rows.filter(r => r.label === `${store} replay c=${c}`);
  const ratios = replay.map(r => r.eventsPerSecond / engine.find(e => e.round === r.round).eventsPerSecond);
  console.log(`${store} c=${c}: engine ${median(engine.map(r => r.eventsPerSecond)).toFixed(0)}/s, replay ${median(replay.map(r => r.eventsPerSecond)).toFixed(0)}/s, ` +
    `replay/engine ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`);
}' "$results"
