#!/usr/bin/env bash
# Redraws docs/images/trace.svg from real exported data: the HTTP host exports over OTLP to the test receiver while it
# processes an event and its duplicate; the spans it received are drawn (tests/GenesysDedup.Benchmarks, trace-picture).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/GenesysDedup.Benchmarks -c Release >/dev/null
dotnet tests/GenesysDedup.Benchmarks/bin/Release/net10.0/GenesysDedup.Benchmarks.dll trace-picture --out docs/images/trace.svg
