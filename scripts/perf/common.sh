# Shared set-up of the perf scripts (sourced, after cd to the repo root and OUT is set): the results file, servers
# stopped by process id on exit, free loopback ports, CPU ticks of a process and steal ticks of the machine, an OTLP
# sink, and a local redis-server.

mkdir -p "$OUT"
results=$OUT/results.jsonl
: > "$results"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# Waits (up to 20 s) until the host at base URL $1 answers /health/ready (-k: also a throwaway HTTPS certificate).
wait_ready() { for _ in $(seq 200); do curl -skf "$1/health/ready" >/dev/null 2>&1 && return; sleep 0.1; done; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system of process $1
# CPU time the VM's host took from this machine (all vCPUs, 1/100 s): it slows every figure of a run alike, and both
# sides of a ratio only when they share it, so each run reports it.
steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }

# Starts an OTLP/HTTP sink on a free loopback port that reads each export and answers 200; sets sink_port and sink_pid.
start_otlp_sink() {
  sink_port=$(free_port)
  node -e 'require("http").createServer((q,s)=>{q.resume();q.on("end",()=>{s.writeHead(200,{"content-type":"application/x-protobuf"});s.end()})}).listen(Number(process.argv[1]),"127.0.0.1")' "$sink_port" &
  sink_pid=$!
  pids+=("$sink_pid")
}

# Starts redis-server on a free loopback port, waits until it answers, and sets redis_port.
start_redis() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning > "$OUT/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

# Starts dynalite (tests/dynalite) on a free loopback port, waits until it listens, and sets dynalite_port.
start_dynalite() {
  dynalite_port=$(free_port)
  node tests/dynalite/node_modules/dynalite/cli.js --port "$dynalite_port" > "$OUT/dynalite.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$OUT/dynalite.log" && break; sleep 0.1; done
}
