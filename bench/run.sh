#!/usr/bin/env bash
# bench/run.sh — the "engine core" benchmark: moonreel vs FastAPI vs nginx-lua.
#
# Starts each server in turn on a free 127.0.0.1 port (only one runs at a time),
# records its idle memory, warms it up, loads GET /hello with the same wrk
# command, and stops it. Then runs bench/reload_bench.py (hot reload under load).
# Prints markdown tables: per-server results, ratios vs the issue's targets,
# and the reload numbers. Everything lives in a temp dir that is removed at exit
# (KEEP_TMP=1 keeps it); every server is killed at exit, Ctrl-C included.
#
# Needs: wrk, curl, nginx + libnginx-mod-http-lua, python3-fastapi/uvicorn
# (./tools/bootstrap.sh --bench). Usage: ./bench/run.sh   (or `make bench`)
# Knobs: MOONREEL=path/to/binary DURATION=10 WARMUP=2 THREADS=2 CONNS=64 RELOADS=100
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3  # Debian's python, where python3-fastapi/uvicorn live
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
RELOADS=${RELOADS:-100}
# --timeout >= the run: wrk drops requests slower than its timeout from the
# latency histogram (counting them as "timeout" errors); we want them in p99.
WRK_ARGS="-t$THREADS -c$CONNS -d${DURATION}s --timeout ${DURATION}s --latency"

for tool in wrk curl nginx; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing; run ./tools/bootstrap.sh --bench" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/moonreel-bench.XXXXXX)
# A private copy of the binary: a rebuild of build/ during the run cannot change it.
cp "${MOONREEL:-$REPO/build/moonreel}" "$TMP/moonreel"

# -- Process bookkeeping ------------------------------------------------------
SERVER_PID=""
WRK_PID=""

descendants() {  # pid and all its descendants, parents first
  local p=$1 c
  echo "$p"
  for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  local all
  all=$(descendants "$SERVER_PID")
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  [[ -n "$WRK_PID" ]] && kill "$WRK_PID" 2>/dev/null
  stop_server
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_ready() {  # wait until GET /hello answers the expected JSON
  local port=$1
  for _ in $(seq 100); do
    if [[ $(curl -s --max-time 1 "http://127.0.0.1:$port/hello" 2>/dev/null) == '{"message":"hello"}' ]]; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: server on port $port did not come up; its log:" >&2
  tail -20 "$TMP"/*.log >&2 || true
  exit 1
}

mem_kb() {  # "RSS PSS" in kB, summed over the server's processes
  local rss=0 pss=0 p v
  for p in $(descendants "$SERVER_PID"); do
    v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    rss=$((rss + ${v:-0}))
    v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    pss=$((pss + ${v:-0}))
  done
  echo "$rss $pss"
}

listen_overflows() {  # kernel-wide TcpExt ListenOverflows (SYNs/ACKs dropped: accept queue full)
  awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else print $col["ListenOverflows"] }' \
    /proc/net/netstat
}

# -- Servers ------------------------------------------------------------------
cp -r "$REPO/examples/hello" "$TMP/hello-root"  # never serve (or edit) the repo's copy

start_moonreel() {  # name port [extra serve flags...]; stderr (request log) -> file
  local name=$1 port=$2; shift 2
  "$TMP/moonreel" serve --root "$TMP/hello-root" --host 127.0.0.1 --port "$port" \
    --data "$TMP/data-$name" "$@" >"$TMP/$name.log" 2>&1 &
  SERVER_PID=$!
}

start_nginx() {  # name port access_log(on|off)
  local name=$1 port=$2 prefix="$TMP/$1.prefix" alog=off
  mkdir -p "$prefix/tmp"
  [[ $3 == on ]] && alog="$prefix/access.log"
  sed -e "s#@PREFIX@#$prefix#g" -e "s#@PORT@#$port#g" -e "s#@ACCESS_LOG@#$alog#g" \
    "$BENCH_DIR/nginx/nginx.conf.in" >"$prefix/nginx.conf"
  nginx -p "$prefix" -c "$prefix/nginx.conf" >"$TMP/$name.log" 2>&1 &
  SERVER_PID=$!
}

start_fastapi() {  # name port workers [--access-log]
  local name=$1 port=$2 workers=$3; shift 3
  "$PY" "$BENCH_DIR/hello_fastapi.py" --port "$port" --workers "$workers" "$@" >"$TMP/$name.log" 2>&1 &
  SERVER_PID=$!
}

# -- One measurement ----------------------------------------------------------
# name rps p50_ms p99_ms non2xx sock_err idle_rss idle_pss loaded_rss note max_ms answered/conns overflows
ROWS="$TMP/rows.tsv"
: >"$ROWS"

parse_wrk() {  # wrk output file -> "rps p50_ms p99_ms max_ms non2xx socket_errors"
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v
    }
    $1 == "Latency" && $2 != "Distribution" { max = ms($4) }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non = $NF }
    /Socket errors:/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
    END { printf "%.0f %.2f %.2f %.2f %d %d\n", rps, p50, p99, max, non, sock }
  ' "$1"
}

measure() {  # name note start_fn args...   (start_fn gets: name port args...)
  local name=$1 note=$2 fn=$3; shift 3
  local port; port=$(free_port)
  echo "== $name ($note) on 127.0.0.1:$port" >&2
  "$fn" "$name" "$port" "$@"
  wait_ready "$port"
  if [[ $name == nginx-* ]]; then  # which body the Lua handler builds: cjson or literal
    curl -s "http://127.0.0.1:$port/bench_info" >"$TMP/nginx-body.txt"
  fi
  sleep 1
  local idle; idle=$(mem_kb)
  local ovf0; ovf0=$(listen_overflows)
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "http://127.0.0.1:$port/hello" >/dev/null
  # shellcheck disable=SC2086
  wrk $WRK_ARGS "http://127.0.0.1:$port/hello" >"$TMP/wrk-$name.txt" &
  WRK_PID=$!
  # Halfway through, count the wrk connections the server has sent at least one
  # byte on. wrk's latency numbers only cover answered requests, so a
  # connection left waiting (a thread-per-connection pool smaller than -c, or
  # a dropped handshake) is invisible in p50/p99; this column shows it.
  sleep "$((DURATION / 2))"
  ss -tni state established "( sport = :$port )" >"$TMP/ss-$name.txt" || true
  local conns answered
  conns=$(grep -c 'rtt:' "$TMP/ss-$name.txt" || true)
  answered=$(grep -c 'bytes_sent:[1-9]' "$TMP/ss-$name.txt" || true)
  wait "$WRK_PID"
  WRK_PID=""
  local loaded; loaded=$(mem_kb)
  local ovf=$(($(listen_overflows) - ovf0))
  stop_server
  read -r rps p50 p99 max non sock < <(parse_wrk "$TMP/wrk-$name.txt")
  read -r irss ipss <<<"$idle"
  read -r lrss _ <<<"$loaded"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "$non" \
    "$sock" "$irss" "$ipss" "$lrss" "$note" "$max" "$answered/$CONNS" "$ovf" >>"$ROWS"
  echo "   $rps req/s, p50 ${p50} ms, p99 ${p99} ms, max ${max} ms, non-2xx $non," \
    "socket errors $sock, conns answered $answered/$CONNS ($conns established), listen overflows $ovf," \
    "idle RSS ${irss} kB" >&2
}

START=$(date +%s)
measure moonreel-log  "info: request log to a file, 32 workers" start_moonreel
measure moonreel-warn "--log-level warn, 32 workers"           start_moonreel --log-level warn
measure moonreel-warn-w64 "--log-level warn --workers 64 (>= connections)" start_moonreel --log-level warn --workers 64
measure nginx-log     "access_log to a file, worker_processes auto" start_nginx on
measure nginx-nolog   "access_log off, worker_processes auto"      start_nginx off
measure fastapi-1w    "uvicorn 1 process, no access log"  start_fastapi 1
measure fastapi-2w    "uvicorn 2 processes, no access log" start_fastapi 2
measure fastapi-2w-log "uvicorn 2 processes, access log to a file" start_fastapi 2 --access-log

# -- Hot reload under load ----------------------------------------------------
port=$(free_port)
cp -r "$REPO/examples/hello" "$TMP/reload-root"
echo "== reload: $RELOADS saves of api/hello.lua under wrk load, moonreel --log-level warn" >&2
"$TMP/moonreel" serve --root "$TMP/reload-root" --host 127.0.0.1 --port "$port" \
  --data "$TMP/data-reload" --log-level warn >"$TMP/reload.log" 2>&1 &
SERVER_PID=$!
wait_ready "$port"
"$PY" "$BENCH_DIR/reload_bench.py" --port "$port" --root "$TMP/reload-root" --reloads "$RELOADS" \
  --deadline 90 --wrk "wrk -t$THREADS -c$CONNS -d180s --timeout 10s" >"$TMP/reload.txt"
stop_server
RELOAD=$(sed -n 's/^RESULT //p' "$TMP/reload.txt")

# -- Report -------------------------------------------------------------------
nproc_=$(nproc)
cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
echo
echo "Machine: $nproc_ cores ($cpu), $(uname -r); wrk and the server share the cores."
echo "wrk: \`wrk $WRK_ARGS http://127.0.0.1:PORT/hello\` after a ${WARMUP}s warm-up; one run."
echo "conns answered: wrk connections with >= 1 response byte, sampled at half-time (ss)."
echo "listen overflows: kernel TcpExt ListenOverflows during warm-up + run (accept queue full)."
echo
echo "| server | config | req/s | p50 ms | p99 ms | max ms | non-2xx | socket errors" \
  "| conns answered mid-run | listen overflows | idle RSS MiB | idle PSS MiB | RSS after load MiB |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
awk -F'\t' '{printf "| %s | %s | %d | %.2f | %.2f | %.0f | %d | %d | %s | %d | %.1f | %.1f | %.1f |\n",
  $1, $10, $2, $3, $4, $11, $5, $6, $12, $13, $7/1024, $8/1024, $9/1024}' "$ROWS"

rps() { awk -F'\t' -v n="$1" '$1 == n {print $2}' "$ROWS"; }
ratio_row() {  # label a b target
  awk -v l="$1" -v a="$(rps "$2")" -v b="$(rps "$3")" -v t="$4" -v an="$2" -v bn="$3" 'BEGIN {
    r = (b > 0) ? a / b : 0
    printf "| %s | %s / %s | %.2fx | >= %sx | %s |\n", l, an, bn, r, t, (r >= t) ? "met" : "MISSED" }'
}
best_fastapi=$(awk -F'\t' '$1 ~ /^fastapi-[0-9]w$/ && $2 > m {m = $2; n = $1} END {print n}' "$ROWS")
echo
echo "| ratio | rows | value | target | |"
echo "|---|---|--:|--:|---|"
ratio_row "moonreel / FastAPI (no request logs)" moonreel-warn "$best_fastapi" 10
ratio_row "moonreel / FastAPI (request logs on)" moonreel-log fastapi-2w-log 10
ratio_row "moonreel / nginx-lua (no request logs)" moonreel-warn nginx-nolog 0.7
ratio_row "moonreel / nginx-lua (request logs on)" moonreel-log nginx-log 0.7
ratio_row "moonreel --workers 64 / nginx-lua (no logs)" moonreel-warn-w64 nginx-nolog 0.7

echo
"$PY" - "$RELOAD" "$RELOADS" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
wanted = int(sys.argv[2])
errors = r["wrk_non2xx"] + r["wrk_socket_errors"] + r["poll_non200"] + r["poll_errors"] + r["missed"]
ok = r["p95_ms"] is not None and r["p95_ms"] <= 100 and errors == 0 and r["served"] == wanted
print("Hot reload, %d saves under `%s` (moonreel --log-level warn):" % (r["reloads"], r["wrk"].replace(r["wrk"].split()[-1], "http://127.0.0.1:PORT/hello")))
print()
print("| saves served | p50 ms | p95 ms | max ms | generations | wrk requests | wrk non-2xx | wrk socket errors | poll errors + missed saves | target |")
print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
print("| %d/%d | %.1f | %.1f | %.1f | +%d | %d | %d | %d | %d | p95 <= 100 ms, 0 errors: %s |" % (
    r["served"], r["reloads"], r["p50_ms"] or 0, r["p95_ms"] or 0, r["max_ms"] or 0, r["generations"],
    r["wrk_requests"], r["wrk_non2xx"], r["wrk_socket_errors"], r["poll_non200"] + r["poll_errors"] + r["missed"],
    "met" if ok else "MISSED"))
if r["reloads"] < wanted:
    print("\nOnly %d of %d saves were attempted before the 90 s deadline." % (r["reloads"], wanted))
if r["wrk_socket_line"]:
    print("\nwrk: " + r["wrk_socket_line"])
for e in r["error_samples"]:
    print("\n- poll error: " + e)
EOF
echo
echo "nginx-lua body: $(cat "$TMP/nginx-body.txt" 2>/dev/null) (cjson = cjson.encode per request; literal = a constant string, cjson not installed)."
echo "Total time: $(( $(date +%s) - START )) s"
