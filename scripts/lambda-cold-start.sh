#!/usr/bin/env bash
# Measures the Lambda host's cold start (docs/performance.md, "Lambda cold start"): publishes the Native AOT bootstrap,
# builds the JIT one, and starts each RUNS times (interleaved) against the fake Runtime API, reporting process start →
# first GET …/invocation/next and the first invocation's latency.
#   ./scripts/lambda-cold-start.sh [RUNS] [STORE]      RUNS defaults to 20; STORE is memory (default) or dynamodb (dynalite)
#   OTLP=1 ./scripts/lambda-cold-start.sh             also starts each build with OTEL_EXPORTER_OTLP_ENDPOINT set (a loopback sink)
# Native AOT needs clang and zlib1g-dev (apt-get install -y clang zlib1g-dev); without them only the JIT build is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
store=${2:-memory}
host=hosts/GenesysDedup.Hosts.Lambda
out=$host/bin/Release/net10.0

echo "== building the JIT bootstrap and the measuring tool"
dotnet build $host -c Release --nologo -v q
dotnet build tests/GenesysDedup.Hosts.Lambda.ColdStart -c Release --nologo -v q

builds=()
echo "== publishing the Native AOT bootstrap (linux-x64)"
if dotnet publish $host -c Release -r linux-x64 -p:PublishAot=true --nologo -v q; then
  builds+=(--build "aot=$out/linux-x64/publish/bootstrap")
  ls -l "$out/linux-x64/publish/bootstrap"
else
  echo "!! Native AOT publish failed (see above): measuring the JIT build only" >&2
fi
builds+=(--build "jit=$out/bootstrap")

if [ "$store" = dynamodb ] && [ ! -f tests/dynalite/node_modules/dynalite/cli.js ]; then
  npm ci --prefix tests/dynalite --no-audit --no-fund --loglevel=error
fi

echo "== measuring: $runs starts per build, Dedup:Store=$store"
dotnet tests/GenesysDedup.Hosts.Lambda.ColdStart/bin/Release/net10.0/GenesysDedup.Hosts.Lambda.ColdStart.dll "${builds[@]}" --runs "$runs" --store "$store" ${OTLP:+--otlp}
