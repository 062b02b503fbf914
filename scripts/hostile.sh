#!/usr/bin/env bash
# Runs the attacks of docs/security.md against the built Release HTTP host, started as real processes on loopback
# ports with an API key: three hosts, two of them (namespaces '' and 'a') sharing one real redis-server the script
# starts, one on the memory store with a small Dedup:Memory:MaxEntries. Prints one table: attack | result | pass/fail.
# The network side is scripts/hostile/attacks.mjs (node, installed for dynalite). About a minute on 2 cores.
#
#   scripts/hostile.sh
#   FLOOD_SOCKETS=5000 scripts/hostile.sh       more idle sockets (the host's limit is 1024, its keep-alive 15 s)
#
# Host logs and the redis log: artifacts/hostile/. Exit code 0 only when every attack passes.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

echo "== building the HTTP host (Release)"
dotnet build hosts/GenesysDedup.Hosts.Http --configuration Release -nologo -verbosity quiet

out=artifacts/hostile
rm -rf "$out"
mkdir -p "$out"
dll=hosts/GenesysDedup.Hosts.Http/bin/Release/net10.0/GenesysDedup.Hosts.Http.dll
attacks=scripts/hostile/attacks.mjs
key="hostile-$RANDOM$RANDOM"
sockets=${FLOOD_SOCKETS:-3000}
connection_limit=1024
keep_alive_ms=15000
# Kestrel adds its 1 s heartbeat to every timeout and checks timeouts on that heartbeat, so an idle socket is closed
# 16-17 s after it connected; 2 s more absorb a loaded machine.
close_bound_ms=$(( keep_alive_ms + 4000 ))
# The flood's own sockets, with room for the rest of the script.
[ "$(ulimit -n)" -ge $(( sockets + 1000 )) ] || ulimit -n $(( sockets + 1000 ))

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }

wait_until_live() { # port name
  for _ in $(seq 1 120); do
    [ "$(status_of "http://127.0.0.1:$1/health/live")" = 200 ] && return 0
    sleep 0.5
  done
  echo "host $2 did not start; its output:" >&2
  cat "$out/$2.log" >&2
  exit 1
}

start_host() { # name port env...
  local name=$1 port=$2
  shift 2
  env Http__ApiKey="$key" "$@" dotnet "$dll" --urls "http://127.0.0.1:$port" >"$out/$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
}

rows=()
failed=0
row() { # attack result verdict(0 = pass)
  local verdict=PASS
  if [ "$3" -ne 0 ]; then verdict=FAIL; failed=1; fi
  rows+=("$1|$2|$verdict")
  echo "   $verdict  $1: $2"
}
post() { node "$attacks" post "$1" "$key" "$2"; }
outcome_of() { jq -r '"\(.status) \(.outcome)"' <<<"$1"; }
metric() { # port name: the summed value of that metric on /metrics (0 when absent)
  curl -s -H "x-api-key: $key" "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 ~ "^"name"({|$)" { sum += $NF } END { print sum + 0 }'
}
by_reason() { # port name: "reason=value ..." of that metric on /metrics
  curl -s -H "x-api-key: $key" "http://127.0.0.1:$1/metrics" | { grep "^$2{" || true; } \
    | sed -E 's/.*reason="([a-z_]+)".*\} ([0-9.]+).*/\1=\2/' | sort | tr '\n' ' ' | sed 's/ $//'
}
pings() { redis-cli -p "$redis_port" INFO commandstats | tr -d '\r' | awk -F'[=,]' '/^cmdstat_ping:/ { n = $2 } END { print n + 0 }'; }

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >"$out/redis.log" 2>&1 &
pids+=($!)
port_a=$(free_port); port_b=$(free_port); port_m=$(free_port)
redis_env=(Dedup__Store=redis "Dedup__Redis__Configuration=127.0.0.1:$redis_port")
start_host a "$port_a" "${redis_env[@]}"                        # the empty namespace
start_host b "$port_b" "${redis_env[@]}" Dedup__Namespace=a      # namespace 'a', same Redis
start_host m "$port_m" Dedup__Store=memory Dedup__Memory__MaxEntries=100
wait_until_live "$port_a" a; wait_until_live "$port_b" b; wait_until_live "$port_m" m
echo "== hosts on 127.0.0.1:$port_a (namespace ''), :$port_b (namespace 'a'), :$port_m (memory, MaxEntries=100); redis :$redis_port"

echo "== idle-socket flood: $sockets sockets, nothing sent"
flood=$(node "$attacks" flood "$port_a" "$sockets" $(( keep_alive_ms / 1000 + 10 )))
alive=0; kill -0 "$pid_a" 2>/dev/null || alive=1
live=$(status_of "http://127.0.0.1:$port_a/health/live")
read -r cut held open min_ms max_ms < <(jq -r '"\(.cutAtOnce) \(.held) \(.stillOpenAtDeadline) \(.heldClosedAfterMinMs // 0) \(.heldClosedAfterMaxMs // 0)"' <<<"$flood")
verdict=0
{ [ "$alive" -eq 0 ] && [ "$live" = 200 ] && [ "$open" -eq 0 ] && [ "$held" -le "$connection_limit" ] \
  && [ "$cut" -ge $(( sockets - connection_limit )) ] && [ "$max_ms" -le "$close_bound_ms" ]; } || verdict=1
row "idle-socket flood ($sockets sockets)" \
  "$cut cut at once, $held held and closed by the host after ${min_ms}–${max_ms} ms, $open left open; host alive, /health/live $live" $verdict

echo "== namespace collision"
first=$(outcome_of "$(post "$port_a" "$(node "$attacks" event tutorial a:order-42 gold)")")
second=$(outcome_of "$(post "$port_b" "$(node "$attacks" event tutorial order-42 silver)")")
verdict=0; [ "$first" = "200 processed" ] && [ "$second" = "200 processed" ] || verdict=1
row "namespace '' key a:order-42, then namespace a key order-42" "$first / $second" $verdict

echo "== fingerprint-shaped path key"
real=$(node "$attacks" event plain "real-$RANDOM$RANDOM")
fingerprint=$(post "$port_b" "$real" | jq -r .key)  # the real event's key, learnt from another namespace
shaped=$(outcome_of "$(post "$port_a" "$(node "$attacks" event tutorial "$fingerprint")")")
genuine=$(outcome_of "$(post "$port_a" "$real")")
verdict=0; [[ "$fingerprint" == sha256:* ]] && [ "$shaped" = "200 processed" ] && [ "$genuine" = "200 processed" ] || verdict=1
row "detail.event_id = ${fingerprint:0:19}…, then the real event" "$shaped / $genuine" $verdict

echo "== log injection"
injected=$(outcome_of "$(post "$port_a" "$(node "$attacks" event injection inj-1)")")
conflict=$(outcome_of "$(post "$port_a" "$(node "$attacks" event injection inj-1 | jq -c '.detail.data.tier = "silver"')")")
raw=$(LC_ALL=C grep -caF -e $'\r' -e $'\x1b' -e $'\x07' -e $'\xc2\x85' -e $'\xe2\x80\xa8' "$out/a.log" || true) # CR ESC BEL NEL LS
# A forged line: after the LF (the console logger indents it) a CR returns the terminal's cursor to the line's start.
forged=$(grep -cE $'^ *\r?info: forged' "$out/a.log" || true)
escaped=$(grep -cF '\u000A\u000Dinfo: forged line\u001B[8m\u0007\u0085\u2028end' "$out/a.log" || true)
verdict=0; [ "$raw" -eq 0 ] && [ "$forged" -eq 0 ] && [ "$escaped" -ge 2 ] && [ "$conflict" = "422 conflict" ] || verdict=1
row "CR/LF/ESC/BEL/NEL/LS in id, topic, detail-type, key" \
  "$injected then $conflict; $escaped lines carry them escaped, $raw lines with a raw control character, $forged forged lines" $verdict

echo "== /metrics without credentials"
anonymous=$(status_of "http://127.0.0.1:$port_a/metrics")
wrong=$(status_of -H "x-api-key: not-$key" "http://127.0.0.1:$port_a/metrics")
holder=$(status_of -H "x-api-key: $key" "http://127.0.0.1:$port_a/metrics")
verdict=0; [ "$anonymous" = 401 ] && [ "$wrong" = 401 ] && [ "$holder" = 200 ] || verdict=1
row "/metrics: no key, wrong key, the ingest key" "$anonymous, $wrong, $holder" $verdict

echo "== /health/ready probes"
before=$(pings)
ready=$(node "$attacks" ready "$port_a" 100 1000)
after=$(pings)
read -r ok elapsed < <(jq -r '"\(.ok) \(.elapsedMs)"' <<<"$ready")
checks=$(( after - before ))
verdict=0; [ "$ok" -eq 100 ] && [ "$checks" -le 2 ] || verdict=1
row "100 /health/ready in ${elapsed} ms" "$ok answered 200; $checks PING at redis (INFO commandstats)" $verdict

echo "== memory store flood (Dedup:Memory:MaxEntries=100)"
flooded=$(node "$attacks" unique "$port_m" "$key" 300 | jq -c .outcomes)
warnings=$(grep -c 'Memory store at Dedup:Memory:MaxEntries: evicted' "$out/m.log" || true)
startup=$(grep -c 'Dedup:Memory:MaxEntries=100 keys it evicts' "$out/m.log" || true)
evicted=$(metric "$port_m" genesys_dedup_memory_evicted_total)
verdict=0; [ "$warnings" -eq 1 ] && [ "$startup" -eq 1 ] && [ "$evicted" -ge 200 ] || verdict=1
row "300 unique events into 100 entries" \
  "$flooded; $warnings eviction warning, genesys_dedup_memory_evicted_total $evicted, start-up line names the bound: $startup" $verdict

echo "== slow and aborted bodies"
# The aborted body first: the slow one takes seconds, long past the host noticing the closed socket.
aborted=$(node "$attacks" abort "$port_a" "$key" | jq -r '.statusLine // "closed"')
slow=$(node "$attacks" slow "$port_a" "$key")
reasons=$(by_reason "$port_a" genesys_dedup_http_incomplete_bodies_total)
fails=$(cat "$out"/a.log "$out"/b.log "$out"/m.log | grep -cE '^(fail|crit):' || true)
read -r status_line slow_ms < <(jq -r '"\(.statusLine // "no_answer" | gsub(" "; "_")) \(.elapsedMs)"' <<<"$slow")
verdict=0; [[ "$status_line" == HTTP/1.1_408* ]] && [[ "$reasons" == *aborted=1*too_slow=1* ]] && [ "$fails" -eq 0 ] || verdict=1
row "64 of 4096 body bytes, then stall / close" \
  "stall: ${status_line//_/ } after ${slow_ms} ms; close: $aborted; genesys_dedup_http_incomplete_bodies_total ${reasons:-absent}; $fails fail:/crit: lines in all host logs" $verdict

alive=0; for pid in "$pid_a" "$pid_b" "$pid_m"; do kill -0 "$pid" 2>/dev/null || alive=1; done
row "all three hosts after every attack" "$([ "$alive" -eq 0 ] && echo running || echo 'one has exited')" $alive

echo
echo "| attack | result | pass/fail |"
echo "|---|---|---|"
for r in "${rows[@]}"; do IFS='|' read -r attack result verdict <<<"$r"; echo "| $attack | $result | $verdict |"; done
exit "$failed"
