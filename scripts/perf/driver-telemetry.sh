#!/usr/bin/env bash
# driver-telemetry.sh [STORE]: the cost of tracing in the engine, with the workload driver (STORE, default memory;
# concurrency 8; 100,000 events with 30 % duplicates; each run warmed up until the JIT is quiet). ROUNDS (6) rounds of
# the configurations NAMES, in an order that rotates by round; one JSON line per run on stdout:
#   off, off2       nobody listens to spans or metrics (off2: the same again, so the run measures its own noise)
#   metrics, metrics2  a meter provider and no tracer: what either host does with no OTLP endpoint
#   r10, all        traces and metrics exported over OTLP/HTTP to a loopback sink outside the process (queue 262,144),
#                   1 trace in 10 (parentbased_traceidratio 0.1) or every span
#   ROUNDS=6 NAMES="metrics metrics2 r10 all" scripts/perf/driver-telemetry.sh memory > runs.jsonl
set -euo pipefail
cd "$(dirname "$0")/../.."
store=${1:-memory}
OUT=${OUT:-artifacts/perf-telemetry}
# shellcheck source=scripts/perf/common.sh
. scripts/perf/common.sh
B="dotnet tests/GenesysDedup.Benchmarks/bin/Release/net10.0/GenesysDedup.Benchmarks.dll"
events=$OUT/w100k.jsonl
[ -f "$events" ] || $B generate --out "$events" --events 100000 > /dev/null
start_otlp_sink
X="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_BSP_MAX_QUEUE_SIZE=262144"
declare -A env_of=([off]="" [off2]="" [metrics]="" [metrics2]="" [r10]="$X OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1" [all]="$X")
declare -A mode_of=([off]=off [off2]=off [metrics]=metrics [metrics2]=metrics [r10]=export [all]=export)
read -r -a names <<< "${NAMES:-off off2 r10 all}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "${ROUNDS:-6}"); do
  k=$((round % ${#names[@]}))
  for name in "${names[@]:k}" "${names[@]:0:k}"; do
    # shellcheck disable=SC2086 # the ENV string is split into its KEY=VALUE words on purpose
    line=$(env ${env_of[$name]} $B workload --store "$store" --events "$events" --concurrency 8 --telemetry "${mode_of[$name]}" \
      --warmup-seconds 4 --warmup-max-seconds 60 2>/dev/null | tail -n 1)
    echo "{\"config\":\"$name\",\"round\":$round,\"r\":$line}"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
