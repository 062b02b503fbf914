#!/usr/bin/env bash
# http-profile.sh LABEL HOST_DLL [ENV=VALUE...]: the HTTP host (memory store, its own appsettings) under wrk -c64 with
# post-events.lua: a warm-up of WARMUP (10s), then perf record (999 Hz, call graphs) of the host for 8 s of load. Writes
# OUT/LABEL.data and prints events/s and host CPU per event. @SINK@ in an ENV value is the URL of a loopback OTLP sink
# that answers 200. JIT frames are named through perf-PID.map (DOTNET_PerfMapEnabled=1, write-xor-execute off).
# Shares by category: perf script -i OUT/LABEL.data | node scripts/perf/profile-categories.mjs
set -euo pipefail
label=$1 dll=$2; shift 2
cd "$(dirname "$0")/../.."
OUT=${OUT:-artifacts/perf-profile}; out=$OUT
# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh
port=$(free_port)
start_otlp_sink
env ASPNETCORE_URLS="http://127.0.0.1:$port" Dedup__Store=memory DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  $(for e in "$@"; do echo "${e//@SINK@/http://127.0.0.1:$sink_port}"; done) dotnet "$dll" > "$out/$label.host.log" 2>&1 &
host=$!
wait_ready "http://127.0.0.1:$port"
wrk -t2 -c64 -d"${WARMUP:-10s}" -s scripts/perf/post-events.lua "http://127.0.0.1:$port" >/dev/null 2>&1 || true
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(cpu_ticks "$host"); sb=$(cpu_ticks "$sink_pid")
perf record -F 999 -g -p "$host" -o "$out/$label.data" -- sleep 8 > /dev/null 2>&1 &
rec=$!
line=$(wrk -t2 -c64 -d8s -s scripts/perf/post-events.lua "http://127.0.0.1:$port" | tail -n 1)
wait $rec || true
after=$(cpu_ticks "$host"); sa=$(cpu_ticks "$sink_pid")
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
n=$(node -e 'console.log(JSON.parse(process.argv[1]).requests)' "$line")
echo "$label: $line host CPU ms/event $(node -e "console.log(($after-$before)*10/$n)") sink CPU ms/event $(node -e "console.log(($sa-$sb)*10/$n)")" | tee "$out/$label.summary"
kill $host; wait $host 2>/dev/null || true  # the sink stops with the script (common.sh)
