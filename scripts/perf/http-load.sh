#!/usr/bin/env bash
# Load test of the real HTTP host (Release build, its own appsettings: log handler at Information, console log to a
# file) with wrk at 64 connections, per store, next to the floor measured in the same round:
#   - memory: GET /health/live on the same host (Kestrel + routing, no dedup work), same wrk settings;
#   - redis:  redis-benchmark SET key v NX EX 86400 at 50 clients against the same redis-server;
#   - sqlite: the memory store of the same round (sqlite-full: Dedup:Sqlite:Synchronous=full), on a fresh file per run
#     in the temp folder, deleted after it.
# The host's RSS is sampled from /proc every 100 ms during each run (maximum reported), and its CPU time per request
# (user + system from /proc/<pid>/stat over the run): a figure that a machine busy with other work inflates less.
#
#   scripts/perf/http-load.sh [memory] [redis] [sqlite] [sqlite-full] [quiet] [gc]   ROUNDS=5 DURATION=10s CONNECTIONS=64 OUT=artifacts/perf-http [HOST_DLL=…]
#   quiet: also run each store with Logging__LogLevel__Default=Warning (no line per processed event).
#   gc:    also run each store with DOTNET_gcServer=1 (server GC, the Web SDK's default, instead of the host's workstation GC).
#   telemetry: also run each store with OTLP export of traces, metrics and logs (OTEL_EXPORTER_OTLP_ENDPOINT, http/protobuf,
#          every span sampled) to a sink on loopback that reads each request and answers 200; and (memory) the same with
#          1 trace in 10 sampled (OTEL_TRACES_SAMPLER=parentbased_traceidratio, _ARG=0.1), with logs exported from
#          Information, and with traces alone. BASELINE_HOST_DLL=path/GenesysDedup.Hosts.Http.dll (another build) adds
#          that build without export, with export and with export of 1 trace in 10 to each round.
#   connections: also run memory and redis with a new connection per request (wrk -H "Connection: close"), and both
#          ways over HTTPS (Kestrel:Certificates:Default from a throwaway ECDSA P-256 certificate made with openssl),
#          as an API destination may call: keep-alive vs new connection, HTTP vs HTTPS, in one run. Each new-connection
#          run warms up for CONNECTION_WARMUP (30s). Then handshake_costs: host and client CPU per new TLS connection,
#          beside a bare openssl s_server.
#
# Loopback only, bounded: each wrk run lasts DURATION (after a WARMUP of 40 s), and the script stops the host and
# redis-server it started (by process id) when it ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
# Tiered JIT and PGO settle before the measured run. 40 s, not 5: after 5 s the JIT still took a sixth to a third of
# the host's CPU (the export paths, run once per batch, tier up last), and the memory store measured ~7,000 events/s
# where 40 s gave 14,000-19,500 and 0.46-0.50 of the floor (docs/performance.md, "Steady state").
WARMUP=${WARMUP:-40s}
CONNECTION_WARMUP=${CONNECTION_WARMUP:-30s}  # the same with a new connection per request (connections mode)
CONNECTIONS=${CONNECTIONS:-64}
OUT=${OUT:-$root/artifacts/perf-http}
stores=("$@")
[ ${#stores[@]} -eq 0 ] && stores=(memory redis)
quiet=false
gc=false
telemetry=false
connections=false
for s in "${stores[@]}"; do [ "$s" = quiet ] && quiet=true; [ "$s" = gc ] && gc=true; [ "$s" = telemetry ] && telemetry=true; [ "$s" = connections ] && connections=true; done

# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh

# HOST_DLL: measure another build of the host (e.g. an older commit's, built in a worktree of its own) with this script.
host_dll=${HOST_DLL:-$root/hosts/GenesysDedup.Hosts.Http/bin/Release/net10.0/GenesysDedup.Hosts.Http.dll}
if [ -z "${HOST_DLL:-}" ]; then
  echo "== build host (Release)"
  dotnet build hosts/GenesysDedup.Hosts.Http -c Release -nologo -v quiet 2>&1 | grep -E 'error|warn' || true
fi

start_redis

if $telemetry; then
  start_otlp_sink
  # A queue large enough that no span is dropped: the default (2048 spans) overflows at these rates.
  otlp=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_BSP_MAX_QUEUE_SIZE=262144)
fi

scheme=http    # run_host's scheme and extra wrk arguments, set around a call
wrk_args=()
if $connections; then
  cert_dir=$(mktemp -d "${TMPDIR:-/tmp}/genesysdedup-tls-XXXXXX")
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$cert_dir/key.pem" -out "$cert_dir/cert.pem" 2>/dev/null
  tls_env=(Kestrel__Certificates__Default__Path="$cert_dir/cert.pem" Kestrel__Certificates__Default__KeyPath="$cert_dir/key.pem")
fi

tag() { # json label round extra-json
  node -e 'const r=JSON.parse(process.argv[1]); Object.assign(r, JSON.parse(process.argv[4]||"{}")); r.label=process.argv[2]; r.round=Number(process.argv[3]);
           if (r.hostCpuTicks !== undefined) r.hostCpuMsPerEvent=Math.round(r.hostCpuTicks*10000/r.requests)/1000;
           r.load1=Number(require("fs").readFileSync("/proc/loadavg","utf8").split(" ")[0]); console.log(JSON.stringify(r))' "$@" >> "$results"
  tail -n 1 "$results" | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(`   ${r.label.padEnd(40)} ${r.eventsPerSecond} /s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms${r.maxRssMb?`  max RSS ${r.maxRssMb} MB`:""}${r.hostCpuMsPerEvent?`  host CPU ${r.hostCpuMsPerEvent} ms/event`:""}  load ${r.load1}${r.statuses?`  ${JSON.stringify(r.statuses)}`:""}`)'
}

# run_host STORE LABEL [extra env...]: start the host, warm it up, load it while sampling RSS, stop it.
run_host() {
  local store=$1 label=$2; shift 2
  local port; port=$(free_port)
  local db; db=$(mktemp -u "${TMPDIR:-/tmp}/genesysdedup-http-XXXXXX.db")
  local tls=(); [ "$scheme" = https ] && tls=("${tls_env[@]}")
  env ASPNETCORE_URLS="$scheme://127.0.0.1:$port" "${tls[@]}" Dedup__Store="$store" Dedup__Redis__Configuration="127.0.0.1:$redis_port" \
      Dedup__Sqlite__Path="$db" Dedup__Namespace="http-$round-$RANDOM" "$@" dotnet "${dll:-$host_dll}" > "$OUT/host-$store.log" 2>&1 &
  local host=$!
  pids+=($host)
  wait_ready "$scheme://127.0.0.1:$port"
  local idle_rss; idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$host/status")
  wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "${wrk_args[@]}" -s scripts/perf/post-events.lua "$scheme://127.0.0.1:$port" >/dev/null 2>&1 || true

  local rss_file=$OUT/rss-$store.txt
  : > "$rss_file"
  ( while kill -0 "$host" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$host/status" >> "$rss_file" 2>/dev/null || true; sleep 0.1; done ) &
  local sampler=$!
  local line cpu_before cpu_after
  local steal_before; steal_before=$(steal_ticks)
  cpu_before=$(cpu_ticks "$host")
  line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${wrk_args[@]}" -s scripts/perf/post-events.lua "$scheme://127.0.0.1:$port" | tail -n 1)
  cpu_after=$(cpu_ticks "$host")
  kill "$sampler" 2>/dev/null || true
  local max_rss; max_rss=$(sort -n "$rss_file" | tail -n 1)
  tag "$line" "$label" "$round" "{\"maxRssMb\":$(( ${max_rss:-0} / 1024 )),\"idleRssMb\":$(( ${idle_rss:-0} / 1024 )),\"store\":\"$store\",\"hostCpuTicks\":$(( cpu_after - cpu_before )),\"stealTicks\":$(( $(steal_ticks) - steal_before ))}"

  if [ -n "${floor_label:-}" ]; then
    cpu_before=$(cpu_ticks "$host"); steal_before=$(steal_ticks)
    line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${wrk_args[@]}" -s scripts/perf/get-live.lua "$scheme://127.0.0.1:$port" | tail -n 1)
    cpu_after=$(cpu_ticks "$host")
    tag "$line" "$floor_label" "$round" "{\"hostCpuTicks\":$(( cpu_after - cpu_before )),\"stealTicks\":$(( $(steal_ticks) - steal_before ))}"
  fi
  kill "$host" 2>/dev/null || true
  wait "$host" 2>/dev/null || true
  rm -f "$db" "$db-wal" "$db-shm"
}

# connection_variants STORE: the store over a new connection per request, and over HTTPS both ways; the memory store
# with the GET /health/live floor of each (connection set-up, TLS and Kestrel without the dedup work).
connection_variants() {
  local store=$1 s c per label WARMUP=$WARMUP
  for s in http https; do
    for c in keep-alive close; do
      [ "$s/$c" = http/keep-alive ] && continue # the store's main run
      scheme=$s
      wrk_args=()
      per=""
      # A few hundred new TLS connections a second take ~30 s to bring the request path through the tiered JIT; a
      # shorter warm-up measures the JIT (over half the host's CPU after 3 s), not the steady state.
      if [ "$c" = close ]; then wrk_args=(-H "Connection: close"); per=", new connection per request"; WARMUP=$CONNECTION_WARMUP; fi
      label="$s $store$per"
      if [ "$store" = memory ]; then
        floor_label="$s floor GET /health/live$per" run_host "$store" "$label"
      else
        run_host "$store" "$label"
      fi
    done
  done
  scheme=http
  wrk_args=()
}

# cpu_per_connection SERVER_PID LABEL CLIENT...: runs the client, tags connections/s and the server's and the client's
# CPU per connection (user + system; the client's from /usr/bin/time). The client prints the count of connections or
# requests on its last line (s_time: "N connections in T real seconds"; wrk: post-events.lua's or get-live.lua's JSON).
cpu_per_connection() {
  local server=$1 label=$2; shift 2
  local before after out n seconds client
  before=$(cpu_ticks "$server")
  out=$(/usr/bin/time -f 'client-cpu %U %S' "$@" 2>&1)
  after=$(cpu_ticks "$server")
  client=$(awk '/^client-cpu/ {print ($2 + $3) * 1000}' <<<"$out")
  if grep -q '^{' <<<"$out"; then
    n=$(grep '^{' <<<"$out" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).requests)')
    seconds=$(grep '^{' <<<"$out" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).seconds)')
  else
    read -r n seconds < <(awk '/connections in [0-9]+ real seconds/ {print $1, $4}' <<<"$out")
  fi
  tag "{\"requests\":$n,\"eventsPerSecond\":$(node -e "console.log(Math.round($n/$seconds))"),\"hostCpuTicks\":$((after - before)),\"clientCpuMsPerEvent\":$(node -e "console.log(Math.round($client*1000/$n)/1000)")}" "$label" "$round"
  echo "      client CPU $(tail -n 1 "$results" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).clientCpuMsPerEvent)') ms per connection"
}

# handshake_costs: what a new TLS connection costs each side. openssl s_time (a plain OpenSSL client, one connection at
# a time, no resumption with -new) against a bare `openssl s_server -www`, TLS 1.3 and 1.2: OpenSSL's own floor. Then
# wrk against the warm host's GET /health/live with a new connection per request: the host's CPU per connection
# beside that floor, and wrk's own, the load generator that shares the 2 cores with the host in the runs above. (Not
# s_time against the host: one connection at a time leaves .NET's thread pool spinning between them, which the
# host's CPU would count.)
handshake_costs() {
  local port srv v
  port=$(free_port)
  (cd "$cert_dir" && exec openssl s_server -accept "$port" -cert cert.pem -key key.pem -www -quiet > /dev/null 2>&1) &
  srv=$!
  pids+=($srv)
  for _ in $(seq 50); do openssl s_client -connect "127.0.0.1:$port" </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
  for v in 1_3 1_2; do
    cpu_per_connection "$srv" "openssl s_server, TLS ${v/_/.} new connection" openssl s_time -connect "127.0.0.1:$port" -new -tls$v -time 5 -www /
  done
  kill "$srv"

  port=$(free_port)
  env ASPNETCORE_URLS="https://127.0.0.1:$port" "${tls_env[@]}" Dedup__Store=memory dotnet "$host_dll" > "$OUT/host-handshake.log" 2>&1 &
  srv=$!
  pids+=($srv)
  wait_ready "https://127.0.0.1:$port"
  wrk -t2 -c"$CONNECTIONS" -d"$CONNECTION_WARMUP" -H "Connection: close" -s scripts/perf/get-live.lua "https://127.0.0.1:$port" >/dev/null 2>&1 || true
  cpu_per_connection "$srv" "host GET /health/live, new connection per request (wrk)" \
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Connection: close" -s scripts/perf/get-live.lua "https://127.0.0.1:$port"
  kill "$srv"
}

redis_floor() {
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -n 200000 -c 50 -r 1000000 --csv SET key:__rand_int__ v NX EX 86400 2>/dev/null \
    | node -e 'const l=require("fs").readFileSync(0,"utf8").trim().split("\n"); const h=JSON.parse("["+l[0]+"]"), v=JSON.parse("["+l[l.length-1]+"]");
               const r=Object.fromEntries(h.map((k,i)=>[k,v[i]])); console.log(JSON.stringify({eventsPerSecond:Number(r.rps),p50Ms:Number(r.p50_latency_ms),p99Ms:Number(r.p99_latency_ms)}))'
}

for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  for store in "${stores[@]}"; do
    case $store in
      memory)
        floor_label="http floor GET /health/live" run_host memory "http memory"
        $connections && connection_variants memory && handshake_costs
        $quiet && run_host memory "http memory, log level Warning" Logging__LogLevel__Default=Warning
        $gc && run_host memory "http memory, server GC" DOTNET_gcServer=1
        if $telemetry; then
          run_host memory "http memory, OTLP export" "${otlp[@]}"
          run_host memory "http memory, OTLP export, 1 trace in 10" "${otlp[@]}" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1
          run_host memory "http memory, OTLP export, logs from Information" "${otlp[@]}" Logging__OpenTelemetry__LogLevel__Default=Information
          run_host memory "http memory, OTLP traces only" OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:$sink_port/v1/traces" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_BSP_MAX_QUEUE_SIZE=262144
          if [ -n "${BASELINE_HOST_DLL:-}" ]; then
            dll=$BASELINE_HOST_DLL run_host memory "baseline http memory"
            dll=$BASELINE_HOST_DLL run_host memory "baseline http memory, OTLP export" "${otlp[@]}"
            dll=$BASELINE_HOST_DLL run_host memory "baseline http memory, OTLP export, 1 trace in 10" "${otlp[@]}" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1
          fi
        fi
        ;;
      sqlite)
        run_host sqlite "http sqlite"
        $quiet && run_host sqlite "http sqlite, log level Warning" Logging__LogLevel__Default=Warning
        ;;
      sqlite-full)
        run_host sqlite "http sqlite synchronous=full" Dedup__Sqlite__Synchronous=full
        ;;
      redis)
        tag "$(redis_floor)" "redis-benchmark SET NX EX c=50" "$round"
        run_host redis "http redis"
        $connections && connection_variants redis
        $quiet && run_host redis "http redis, log level Warning" Logging__LogLevel__Default=Warning
        $gc && run_host redis "http redis, server GC" DOTNET_gcServer=1
        $telemetry && run_host redis "http redis, OTLP export" "${otlp[@]}"
        ;;
    esac
  done
done

cat > "$OUT/ratios.json" <<'EOF'
[
  ["http memory / GET /health/live (same host)", "http memory", "http floor GET /health/live"],
  ["http memory quiet / GET /health/live", "http memory, log level Warning", "http floor GET /health/live"],
  ["http redis / redis-benchmark SET NX EX c=50", "http redis", "redis-benchmark SET NX EX c=50"],
  ["http redis quiet / redis-benchmark c=50", "http redis, log level Warning", "redis-benchmark SET NX EX c=50"],
  ["http sqlite / http memory", "http sqlite", "http memory"],
  ["http sqlite quiet / http memory quiet", "http sqlite, log level Warning", "http memory, log level Warning"],
  ["http sqlite synchronous=full / normal", "http sqlite synchronous=full", "http sqlite"],
  ["http memory (workstation GC) / server GC", "http memory", "http memory, server GC"],
  ["http redis (workstation GC) / server GC", "http redis", "http redis, server GC"],
  ["http memory OTLP export / off", "http memory, OTLP export", "http memory"],
  ["http memory OTLP export, 1 trace in 10 / off", "http memory, OTLP export, 1 trace in 10", "http memory"],
  ["http memory OTLP export, logs from Information / off", "http memory, OTLP export, logs from Information", "http memory"],
  ["http memory OTLP traces only / off", "http memory, OTLP traces only", "http memory"],
  ["http memory off / baseline off", "http memory", "baseline http memory"],
  ["baseline http memory OTLP export / baseline off", "baseline http memory, OTLP export", "baseline http memory"],
  ["baseline http memory OTLP export, 1 trace in 10 / baseline off", "baseline http memory, OTLP export, 1 trace in 10", "baseline http memory"],
  ["http redis OTLP export / off", "http redis, OTLP export", "http redis"],
  ["http memory, new connection per request / keep-alive", "http memory, new connection per request", "http memory"],
  ["https memory / http memory", "https memory", "http memory"],
  ["https memory, new connection per request / keep-alive", "https memory, new connection per request", "https memory"],
  ["https memory, new connection / its GET /health/live floor", "https memory, new connection per request", "https floor GET /health/live, new connection per request"],
  ["https redis, new connection per request / keep-alive", "https redis, new connection per request", "https redis"],
  ["https redis, new connection / https memory, new connection", "https redis, new connection per request", "https memory, new connection per request"]
]
EOF
node scripts/perf/summarize.mjs "$results" "$OUT/ratios.json" | tee "$OUT/summary.md"
node -e 'const rows=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(r=>r.maxRssMb!==undefined);
  const by={}, idle={}; for (const r of rows) { (by[r.label]??=[]).push(r.maxRssMb); (idle[r.label]??=[]).push(r.idleRssMb); }
  for (const [k,v] of Object.entries(by)) { v.sort((a,b)=>a-b); const i=idle[k].sort((a,b)=>a-b);
    console.log(`RSS ${k}: max during load median ${v[v.length>>1]} MB (${v[0]}–${v[v.length-1]}), idle after start ${i[i.length>>1]} MB`); }' "$results" | tee -a "$OUT/summary.md"
node -e 'const rows=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(r=>r.hostCpuMsPerEvent!==undefined);
  const by={}; for (const r of rows) (by[r.label]??=[]).push(r.hostCpuMsPerEvent);
  for (const [k,v] of Object.entries(by)) { v.sort((a,b)=>a-b); console.log(`host CPU ${k}: median ${v[v.length>>1]} ms per event (${v[0]}–${v[v.length-1]})`); }' "$results" | tee -a "$OUT/summary.md"
# Each ratio again from the host's CPU time per request (denominator's over numerator's, so it reads like the
# throughput ratio): wrk shares the 2 cores with the host and takes more of them for POSTs than for GETs, and a noisy
# machine moves requests/s far more than CPU per request.
node -e 'const rows=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(r=>r.hostCpuMsPerEvent);
  const cpu=(l,n)=>rows.find(r=>r.label===l&&r.round===n)?.hostCpuMsPerEvent;
  for (const [name,num,den] of JSON.parse(require("fs").readFileSync(process.argv[2],"utf8"))) {
    const v=[...new Set(rows.map(r=>r.round))].map(n=>[cpu(num,n),cpu(den,n)]).filter(([a,b])=>a&&b).map(([a,b])=>b/a).sort((a,b)=>a-b);
    if (v.length) console.log(`host CPU per request, ${name}: median ${v[v.length>>1].toFixed(3)} (${v[0].toFixed(3)}–${v[v.length-1].toFixed(3)})`); }' "$results" "$OUT/ratios.json" | tee -a "$OUT/summary.md"
