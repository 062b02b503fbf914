#!/usr/bin/env bash
# http-ab.sh: configurations (or builds) of the HTTP host measured side by side, in alternating windows, so that the
# machine's drift (other tenants, CPU steal) falls on all alike: separate runs of one configuration on this 2-core VM
# differed by a third (docs/performance.md, "Cost of tracing").
#
#   A="ENV=VALUE ..." B="ENV=VALUE ..." [C=… D=… E=…] [A_DLL=… B_DLL=…] LAUNCHES=1 REPS=8 DURATION=5s WARMUP=40s \
#     scripts/perf/http-ab.sh
#
# Each launch starts one host per side at once (memory store unless its ENV says otherwise; a fresh SQLite file each
# in the temp folder) and warms each up under wrk -c64 post-events.lua for WARMUP. Then REPS repetitions of one
# DURATION window per side, the order rotating and reversing between repetitions. Per window: events/s, and the host's
# CPU per event counted from the start of its window to the start of its next, so work it defers past its window (a
# batch export, a collection) is charged to it. Prints each side against A in the same repetition, medians and ranges.
# A second launch starts new processes: a process's own speed differs from another's of the same build. @SINK@ in a
# value is the URL of a loopback OTLP sink that answers 200 (its CPU is reported apart).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
LAUNCHES=${LAUNCHES:-1}
REPS=${REPS:-8}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-40s}
OUT=${OUT:-$root/artifacts/perf-ab}
default_dll=$root/hosts/GenesysDedup.Hosts.Http/bin/Release/net10.0/GenesysDedup.Hosts.Http.dll
# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh
start_otlp_sink
dbs=()

sides=(A B)
for side in C D E; do [ -n "${!side+x}" ] && sides+=("$side"); done
load() { wrk -t2 -c64 -d"$1" -s scripts/perf/post-events.lua "http://127.0.0.1:${port[$2]}"; }
: > "$OUT/windows.jsonl"
declare -A port host start_ticks last_window
charge() { # the host's CPU since its last window started, to that window
  local side=$1 now; now=$(cpu_ticks "${host[$side]}")
  [ -n "${last_window[$side]:-}" ] && echo "${last_window[$side]},\"hostCpuTicks\":$(( now - start_ticks[$side] ))}" >> "$OUT/windows.jsonl"
  start_ticks[$side]=$now
}

for launch in $(seq "$LAUNCHES"); do
  for side in "${sides[@]}"; do
    env_var=${!side:-}; dll_var=${side}_DLL
    port[$side]=$(free_port)
    db=$(mktemp -u "${TMPDIR:-/tmp}/genesysdedup-ab-XXXXXX.db")
    # shellcheck disable=SC2086 # the ENV string is split into its KEY=VALUE words on purpose
    env ASPNETCORE_URLS="http://127.0.0.1:${port[$side]}" Dedup__Store=memory Dedup__Sqlite__Path="$db" \
      ${env_var//@SINK@/http://127.0.0.1:$sink_port} dotnet "${!dll_var:-$default_dll}" > "$OUT/host-$side.log" 2>&1 &
    host[$side]=$!
    pids+=("${host[$side]}")
    dbs+=("$db")
    wait_ready "http://127.0.0.1:${port[$side]}"
  done
  for side in "${sides[@]}"; do load "$WARMUP" "$side" > /dev/null; done
  echo "launch $launch: load before $(cut -d' ' -f1-3 /proc/loadavg)"
  last_window=()
  for rep in $(seq "$REPS"); do
    # Each repetition starts at another side and runs the other way round every second time.
    order=("${sides[@]:rep % ${#sides[@]}}" "${sides[@]:0:rep % ${#sides[@]}}")
    [ $((rep % 2)) = 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
    for side in "${order[@]}"; do
      charge "$side"
      steal=$(steal_ticks)
      line=$(load "$DURATION" "$side" | tail -n 1)
      last_window[$side]="{\"side\":\"$side\",\"launch\":$launch,\"rep\":$rep,\"stealTicks\":$(( $(steal_ticks) - steal )),\"wrk\":$line"
    done
  done
  for side in "${sides[@]}"; do charge "$side"; kill "${host[$side]}"; wait "${host[$side]}" 2>/dev/null || true; done
  echo "launch $launch: load after $(cut -d' ' -f1-3 /proc/loadavg)"
done
for db in "${dbs[@]}"; do rm -f "$db" "$db-wal" "$db-shm"; done
echo "sink CPU ticks: $(cpu_ticks "$sink_pid")"

node -e '
const w = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = a => { const s = [...a].sort((x, y) => x - y), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const range = a => `${median(a).toFixed(3)} (${Math.min(...a).toFixed(3)}-${Math.max(...a).toFixed(3)})`;
const cpu = r => r.hostCpuTicks * 10 / r.wrk.requests;  // ms of host CPU per event
const sides = [...new Set(w.map(r => r.side))].sort();
const at = (side, launch, rep) => w.find(r => r.side === side && r.launch === launch && r.rep === rep);
for (const side of sides) {
  const mine = w.filter(r => r.side === side);
  let line = `${side}: ${median(mine.map(r => r.wrk.eventsPerSecond)).toFixed(0)} events/s, ${median(mine.map(cpu)).toFixed(3)} ms host CPU/event, p99 ${median(mine.map(r => r.wrk.p99Ms)).toFixed(1)} ms`;
  if (side !== "A") {
    const pairs = mine.map(b => [b, at("A", b.launch, b.rep)]);
    line += `; against A in the same repetition (${pairs.length} pairs): events/s ${range(pairs.map(([b, a]) => b.wrk.eventsPerSecond / a.wrk.eventsPerSecond))}, ` +
      `host CPU/event ${range(pairs.map(([b, a]) => cpu(b) / cpu(a)))}`;
    const launches = [...new Set(pairs.map(([b]) => b.launch))];
    if (launches.length > 1) line += `; per launch, events/s: ${launches.map(l => median(pairs.filter(([b]) => b.launch === l).map(([b, a]) => b.wrk.eventsPerSecond / a.wrk.eventsPerSecond)).toFixed(3)).join(", ")}`;
  }
  console.log(line);
}
' "$OUT/windows.jsonl" | tee "$OUT/summary.txt"
