#!/usr/bin/env bash
# Rewrites every src/*/PublicAPI.Unshipped.txt from the code: empties it, then lets the PublicApiAnalyzers code fix
# (RS0016, through dotnet format) list every public symbol not in PublicAPI.Shipped.txt. Run it after changing or
# merging public API, read the diff, commit it. With project paths as arguments it rewrites only those projects.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
  set -- $(ls src/*/PublicAPI.Unshipped.txt | xargs -n1 dirname)
fi
for project in "$@"; do
  printf '#nullable enable\n' > "$project/PublicAPI.Unshipped.txt"
done
dotnet restore GenesysDedup.sln >/dev/null
for project in "$@"; do
  dotnet format analyzers "$project" --diagnostics RS0016 --severity info --no-restore
  echo "$project: $(($(wc -l < "$project/PublicAPI.Unshipped.txt") - 1)) unshipped public symbols"
done
