#!/usr/bin/env bash
# Workload measurements with their floors, interleaved in one run so every ratio compares figures taken back to back.
#
#   scripts/perf/bench.sh [suite ...]      suites: redis dynamodb memory sqlite peer redis-benchmark (default: all)
#   ROUNDS=5 EVENTS=5000 OUT=artifacts/perf scripts/perf/bench.sh
#
# Starts its own redis-server and dynalite on free loopback ports (stopped by process id on exit), generates the
# standard workload (5,000 events, 30 % re-publishes), then runs every measurement ROUNDS times, round by round, each
# engine figure next to its floor. Every run is one JSON line in $OUT/results.jsonl (with its label and round);
# $OUT/summary.md has medians with min–max and the per-round ratios. Every measurement first warms up on passes of
# the workload for 4 s, and on until the JIT has been quiet for a second (steady state: tiered JIT and PGO done; at
# most 60 s). Loopback only; each run is bounded (the warm-up,
# then 5,000 events, 20,000 floor operations or 100,000 redis-benchmark requests) and the script stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

ROUNDS=${ROUNDS:-5}
EVENTS=${EVENTS:-5000}
OUT=${OUT:-$root/artifacts/perf}
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(redis-benchmark redis peer dynamodb memory sqlite)
has() { local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh

echo "== build (Release)"
dotnet build tests/GenesysDedup.Benchmarks -c Release -nologo -v quiet 2>&1 | grep -E 'error|Warn|warn' || true
bench=$root/tests/GenesysDedup.Benchmarks/bin/Release/net10.0/GenesysDedup.Benchmarks

if has peer && [ ! -d tests/peer/node_modules ]; then
  echo "== npm ci (tests/peer: Powertools idempotency, @redis/client, AWS SDK v3)"
  npm ci --prefix tests/peer --no-audit --no-fund --loglevel=error
fi
bash scripts/install-test-deps.sh

start_redis
start_dynalite
redis=127.0.0.1:$redis_port
dynalite=http://127.0.0.1:$dynalite_port
echo "== redis-server $(redis-server --version | awk '{print $3}' | cut -d= -f2) at $redis, dynalite $(node -p "require('./tests/dynalite/node_modules/dynalite/package.json').version") at $dynalite"

workload=$OUT/workload.jsonl
"$bench" generate --out "$workload" --events "$EVENTS" --duplicates 0.3 --seed 1

# One measurement: run it, tag its JSON line with label and round, keep it.
record() {
  local label=$1; shift
  local line
  if ! line=$("$@" 2>>"$OUT/errors.log" | tail -n 1); then
    echo "   $label: FAILED (see $OUT/errors.log)"
    return 0
  fi
  node -e 'const r=JSON.parse(process.argv[1]); r.label=process.argv[2]; r.round=Number(process.argv[3]); r.load1=Number(require("fs").readFileSync("/proc/loadavg","utf8").split(" ")[0]); console.log(JSON.stringify(r))' \
    "$line" "$label" "$round" >> "$results"
  printf '   %-34s %s\n' "$label" "$(node -e 'const r=JSON.parse(process.argv[1]); console.log(`${r.eventsPerSecond} /s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`)' "$line")"
}

# redis-benchmark's own floor: SET key:<random> v NX EX 86400, as a JSON line.
redis_benchmark() {
  local clients=$1
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -n 100000 -c "$clients" -r 1000000 --csv \
      SET key:__rand_int__ v NX EX 86400 2>/dev/null \
    | node -e 'const lines=require("fs").readFileSync(0,"utf8").trim().split("\n"); const h=JSON.parse("["+lines[0]+"]"); const v=JSON.parse("["+lines[lines.length-1]+"]");
               const r=Object.fromEntries(h.map((k,i)=>[k,v[i]])); console.log(JSON.stringify({mode:"floor",tool:"redis-benchmark",concurrency:Number(process.argv[1]),events:100000,
               eventsPerSecond:Number(r.rps),p50Ms:Number(r.p50_latency_ms),p99Ms:Number(r.p99_latency_ms)}))' "$clients"
}

engine() { "$bench" workload --events "$workload" "$@"; }
peer() { node tests/peer/replay.mjs --events "$workload" "$@"; }

for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  if has redis-benchmark; then
    record "redis-benchmark SET NX EX c=1" redis_benchmark 1
    record "redis-benchmark SET NX EX c=50" redis_benchmark 50
  fi
  if has redis; then
    record "redis floor SE.Redis c=1" engine --store redis --endpoint "$redis" --concurrency 1 --floor --operations 20000
    record "redis engine c=1" engine --store redis --endpoint "$redis" --concurrency 1
    record "redis adapter claim+complete c=1" engine --store redis --endpoint "$redis" --concurrency 1 --mode adapter
    record "redis floor SE.Redis c=32" engine --store redis --endpoint "$redis" --concurrency 32 --floor --operations 20000
    record "redis floor SE.Redis c=50" engine --store redis --endpoint "$redis" --concurrency 50 --floor --operations 20000
    record "redis engine c=32" engine --store redis --endpoint "$redis" --concurrency 32
  fi
  if has peer; then
    record "node redis floor c=1" peer --store redis --endpoint "$redis" --concurrency 1 --floor
    record "powertools redis c=1" peer --store redis --endpoint "$redis" --concurrency 1
    record "redis engine c=1 (peer run)" engine --store redis --endpoint "$redis" --concurrency 1
    record "powertools redis c=1 local cache" peer --store redis --endpoint "$redis" --concurrency 1 --local-cache
    record "node redis floor c=32" peer --store redis --endpoint "$redis" --concurrency 32 --floor
    record "powertools redis c=32" peer --store redis --endpoint "$redis" --concurrency 32
    record "redis engine c=32 (peer run)" engine --store redis --endpoint "$redis" --concurrency 32
    record "node dynalite floor c=1" peer --store dynamodb --endpoint "$dynalite" --concurrency 1 --floor
    record "powertools dynalite c=1" peer --store dynamodb --endpoint "$dynalite" --concurrency 1
  fi
  if has dynamodb; then
    record "dynalite floor PutItem c=1" engine --store dynamodb --endpoint "$dynalite" --concurrency 1 --floor
    record "dynalite engine c=1" engine --store dynamodb --endpoint "$dynalite" --concurrency 1
    record "dynalite floor PutItem c=32" engine --store dynamodb --endpoint "$dynalite" --concurrency 32 --floor
    record "dynalite engine c=32" engine --store dynamodb --endpoint "$dynalite" --concurrency 32
  fi
  if has sqlite; then
    # Each on a fresh file in the temp folder. synchronous=full flushes the disk at every commit: fewer floor operations.
    record "sqlite floor INSERT c=1" engine --store sqlite --concurrency 1 --floor --operations 20000
    record "sqlite engine c=1" engine --store sqlite --concurrency 1
    record "sqlite floor INSERT c=1 full" engine --store sqlite --synchronous full --concurrency 1 --floor --operations 2000
    record "sqlite engine c=1 full" engine --store sqlite --synchronous full --concurrency 1
    record "sqlite engine c=32" engine --store sqlite --concurrency 32
  fi
  if has memory; then
    record "memory floor claim c=1" engine --store memory --concurrency 1 --floor --operations 20000
    record "memory engine c=1" engine --store memory --concurrency 1
    record "memory engine c=32" engine --store memory --concurrency 32
  fi
done

cat > "$OUT/ratios.json" <<'EOF'
[
  ["redis engine c=1 / SE.Redis SET NX floor c=1", "redis engine c=1", "redis floor SE.Redis c=1"],
  ["redis engine c=1 / redis-benchmark c=1", "redis engine c=1", "redis-benchmark SET NX EX c=1"],
  ["redis adapter (2 round trips) / SE.Redis floor c=1", "redis adapter claim+complete c=1", "redis floor SE.Redis c=1"],
  ["redis engine c=32 / SE.Redis SET NX floor c=50", "redis engine c=32", "redis floor SE.Redis c=50"],
  ["redis engine c=32 / SE.Redis SET NX floor c=32", "redis engine c=32", "redis floor SE.Redis c=32"],
  ["redis engine c=32 / redis-benchmark c=50", "redis engine c=32", "redis-benchmark SET NX EX c=50"],
  ["SE.Redis floor c=1 / redis-benchmark c=1", "redis floor SE.Redis c=1", "redis-benchmark SET NX EX c=1"],
  ["powertools redis c=1 / node redis floor c=1", "powertools redis c=1", "node redis floor c=1"],
  ["powertools redis c=1 local cache / node redis floor c=1", "powertools redis c=1 local cache", "node redis floor c=1"],
  ["ours redis c=1 / powertools redis c=1", "redis engine c=1 (peer run)", "powertools redis c=1"],
  ["ours redis c=1 / powertools redis c=1 local cache", "redis engine c=1 (peer run)", "powertools redis c=1 local cache"],
  ["powertools redis c=32 / node redis floor c=32", "powertools redis c=32", "node redis floor c=32"],
  ["ours redis c=32 / powertools redis c=32", "redis engine c=32 (peer run)", "powertools redis c=32"],
  ["powertools dynalite c=1 / node dynalite floor c=1", "powertools dynalite c=1", "node dynalite floor c=1"],
  ["dynalite engine c=1 / PutItem floor c=1", "dynalite engine c=1", "dynalite floor PutItem c=1"],
  ["dynalite engine c=32 / PutItem floor c=32", "dynalite engine c=32", "dynalite floor PutItem c=32"],
  ["ours dynalite c=1 / powertools dynalite c=1", "dynalite engine c=1", "powertools dynalite c=1"],
  ["memory engine c=1 / memory claim floor c=1", "memory engine c=1", "memory floor claim c=1"],
  ["sqlite engine c=1 / INSERT floor c=1", "sqlite engine c=1", "sqlite floor INSERT c=1"],
  ["sqlite engine c=1 / INSERT floor c=1, synchronous=full", "sqlite engine c=1 full", "sqlite floor INSERT c=1 full"],
  ["sqlite engine c=1 synchronous=full / normal", "sqlite engine c=1 full", "sqlite engine c=1"],
  ["sqlite INSERT floor synchronous=full / normal", "sqlite floor INSERT c=1 full", "sqlite floor INSERT c=1"]
]
EOF
node scripts/perf/summarize.mjs "$results" "$OUT/ratios.json" | tee "$OUT/summary.md"
