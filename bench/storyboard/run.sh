#!/usr/bin/env bash
# bench/storyboard/run.sh — storyboard API benchmark: moonreel vs FastAPI + sqlite3.
#
# Starts moonreel (a temp copy of api/, scripts/, migrations/ and a fresh data
# dir) and bench/storyboard/fastapi_app.py (its own DB file, same schema) on
# free 127.0.0.1 ports, seeds each through its own API with the same project
# (20 scenes x 10 clips) plus a one-scene "sink" project for POSTs, checks that
# both answer with the same structure (seed_check.py compare), then loads each
# with identical wrk commands:
#   GET  /api/v1/projects/{id}/with-scenes
#   POST /api/v1/clips          (post_clip.lua, into the sink scene)
# FastAPI runs once per FASTAPI_CONFIGS entry (workers:handlers) over the same
# DB file. Prints a markdown table (req/s, p50, p99, non-2xx, socket errors,
# server CPU ms per request, 1-min load average) and the ratios against the issue's target (>= 10x the
# best FastAPI req/s at a lower p99).
#
# Another wrk benchmark may share the machine: before every wrk run this waits
# until no other wrk process exists, and reruns a measurement (up to 3 times)
# if another wrk appeared while it ran. Everything is killed at exit, Ctrl-C
# included; the temp dir is removed unless KEEP_TMP=1.
#
# Needs: wrk, curl, /usr/bin/python3 with python3-fastapi + python3-uvicorn.
# Usage: ./bench/storyboard/run.sh
# Knobs: MOONREEL=path/to/binary DURATION=10 WARMUP=2 THREADS=2 CONNS=32
#        FASTAPI_CONFIGS="1:sync 2:sync 1:async 2:async"
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
PY=/usr/bin/python3  # Debian's python, where python3-fastapi/uvicorn live
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
FASTAPI_CONFIGS=${FASTAPI_CONFIGS:-"1:sync 2:sync 1:async 2:async"}
# --timeout >= the run: wrk leaves requests slower than its timeout out of the
# latency histogram; we want them in p99.
WRK_ARGS="-t$THREADS -c$CONNS -d${DURATION}s --timeout ${DURATION}s --latency"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/moonreel-storyboard-bench.XXXXXX)
# Private copies: a rebuild of build/ or an edit of the tree during the run changes nothing here.
cp "${MOONREEL:-$REPO/build/moonreel}" "$TMP/moonreel"
mkdir -p "$TMP/root" "$TMP/mr-data"
cp -r "$REPO/api" "$REPO/scripts" "$REPO/migrations" "$TMP/root/"

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

wait_ready() {  # until an unknown project answers 404 (both servers route it)
  local port=$1 log=$2
  for _ in $(seq 150); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
            "http://127.0.0.1:$port/api/v1/projects/none/with-scenes" 2>/dev/null) == 404 ]]; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: server on port $port did not come up; its log:" >&2
  tail -20 "$log" >&2 || true
  exit 1
}

PORT=""
start_moonreel() {
  PORT=$(free_port)
  "$TMP/moonreel" serve --host 127.0.0.1 --port "$PORT" --root "$TMP/root" --data "$TMP/mr-data" \
    --log-level warn >"$TMP/moonreel.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$PORT" "$TMP/moonreel.log"
}

start_fastapi() {  # workers handlers
  PORT=$(free_port)
  "$PY" "$BENCH_DIR/fastapi_app.py" --port "$PORT" --db "$TMP/fastapi.db" --workers "$1" --handlers "$2" \
    >>"$TMP/fastapi.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$PORT" "$TMP/fastapi.log"
}

# -- wrk ------------------------------------------------------------------------

wait_wrk_free() {
  local said=0
  while pgrep -x wrk >/dev/null; do
    [[ $said == 1 ]] || { echo "  (waiting for another wrk run to finish)" >&2; said=1; }
    sleep 1
  done
}

# run_wrk OUTFILE SECONDS URL [SCRIPT] — returns 1 if another wrk ran alongside.
run_wrk() {
  local out=$1 secs=$2 url=$3 script=${4:-} overlap=0 args
  args="-t$THREADS -c$CONNS -d${secs}s --timeout ${DURATION}s --latency"
  wait_wrk_free
  # shellcheck disable=SC2086
  if [[ -n "$script" ]]; then wrk $args -s "$script" "$url" >"$out" 2>&1 &
  else wrk $args "$url" >"$out" 2>&1 & fi
  WRK_PID=$!
  while kill -0 "$WRK_PID" 2>/dev/null; do
    if pgrep -x wrk | grep -vqx "$WRK_PID"; then overlap=1; fi
    sleep 0.5
  done
  wait "$WRK_PID" || { echo "run.sh: wrk failed:" >&2; cat "$out" >&2; exit 1; }
  WRK_PID=""
  return $overlap
}

cpu_ticks() {  # user+system clock ticks of the server and its children (all threads)
  local t=0 p
  for p in $(descendants "$SERVER_PID"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

to_ms() {  # wrk latency (850.00us, 1.20ms, 1.05s) -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

# bench NAME ENDPOINT URL [SCRIPT] — appends a row to $TMP/results.tsv
bench() {
  local name=$1 endpoint=$2 url=$3 script=${4:-} out="$TMP/wrk-$1-$2.txt" try load cpu0 cpu1=""
  echo "  $name $endpoint: warm-up ${WARMUP}s, measure ${DURATION}s" >&2
  run_wrk "$TMP/warmup.txt" "$WARMUP" "$url" "$script" || true
  for try in 1 2 3; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu0=$(cpu_ticks)
    if run_wrk "$out" "$DURATION" "$url" "$script"; then cpu1=$(cpu_ticks); break; fi
    echo "  another wrk overlapped this run (try $try); measuring again" >&2
  done
  local rps p50 p99 non2xx errs reqs cpu_ms
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  errs=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
  reqs=$(awk '/requests in/ {print $1}' "$out")
  [[ -n "$cpu1" ]] || cpu1=$(cpu_ticks)
  local tick_ms=$((1000 / $(getconf CLK_TCK)))
  cpu_ms=$(awk -v d=$((cpu1 - cpu0)) -v r="$reqs" -v t="$tick_ms" 'BEGIN {printf "%.2f", d * t / r}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$endpoint" "$rps" "$p50" "$p99" "${non2xx:-0}" \
    "${errs:-0}" "$reqs" "$cpu_ms" "$load" >>"$TMP/results.tsv"
}

bench_server() {  # NAME (server on $PORT, seeded ids in $TMP/NAME.json or $TMP/seed-*.json)
  local name=$1 seed=$2 pid sink base="http://127.0.0.1:$PORT"
  pid=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["project_id"])' "$seed")
  sink=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sink_scene_id"])' "$seed")
  bench "$name" GET "$base/api/v1/projects/$pid/with-scenes"
  SCENE_ID=$sink bench "$name" POST "$base/api/v1/clips" "$BENCH_DIR/post_clip.lua"
}

# -- Seed, compare, measure ---------------------------------------------------------
export SCENE_ID=""  # read by post_clip.lua (set per run through bench_server)
: >"$TMP/results.tsv"
first_fa=${FASTAPI_CONFIGS%% *}

echo "seeding moonreel and FastAPI ($first_fa) through their APIs ..." >&2
start_moonreel
"$PY" "$BENCH_DIR/seed_check.py" seed "http://127.0.0.1:$PORT" >"$TMP/seed-moonreel.json"
MR_PID=$SERVER_PID MR_PORT=$PORT
SERVER_PID=""
start_fastapi "${first_fa%%:*}" "${first_fa##*:}"
"$PY" "$BENCH_DIR/seed_check.py" seed "http://127.0.0.1:$PORT" >"$TMP/seed-fastapi.json"
"$PY" "$BENCH_DIR/seed_check.py" compare "$TMP/seed-moonreel.json" "$TMP/seed-fastapi.json" >&2
stop_server
SERVER_PID=$MR_PID PORT=$MR_PORT

MR_CONF=$("$TMP/moonreel" config --root "$TMP/root" 2>/dev/null | awk '$1 ~ /^server\.(workers|keep_alive_max)$|^db\.busy_timeout_ms$/ {printf "%s=%s ", $1, $2}')
echo "moonreel ($MR_CONF):" >&2
bench_server moonreel "$TMP/seed-moonreel.json"
stop_server
if grep -qiE 'error|warn' "$TMP/moonreel.log"; then
  echo "moonreel log has warnings/errors (last lines):" >&2
  tail -5 "$TMP/moonreel.log" >&2
fi

for cfg in $FASTAPI_CONFIGS; do
  echo "fastapi workers=${cfg%%:*} handlers=${cfg##*:}:" >&2
  start_fastapi "${cfg%%:*}" "${cfg##*:}"
  bench_server "fastapi-${cfg%%:*}w-${cfg##*:}" "$TMP/seed-fastapi.json"
  stop_server
done
if grep -qE 'Traceback|ERROR' "$TMP/fastapi.log"; then
  echo "fastapi log has errors (last lines):" >&2
  tail -5 "$TMP/fastapi.log" >&2
fi

# -- Report ---------------------------------------------------------------------------
echo
echo "wrk $WRK_ARGS; $(nproc) cores shared by wrk, the server and whatever else runs; load = 1-min loadavg before the run"
echo "moonreel $("$TMP/moonreel" --version 2>&1 | head -1) at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); $MR_CONF"
echo
echo "| server | endpoint | req/s | p50 ms | p99 ms | non-2xx | socket errors | requests | server CPU ms/req | load |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '{printf "| %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}' \
  "$TMP/results.tsv"
echo
echo "| endpoint | vs | moonreel / FastAPI req/s | p99 moonreel vs FastAPI (ms) | FastAPI / moonreel CPU per req | target (>= 10x, lower p99) |"
echo "|---|---|---:|---|---:|---|"
awk -F'\t' '
  $1 == "moonreel" { mr_rps[$2] = $3; mr_p99[$2] = $5; mr_cpu[$2] = $9; next }
  { rps[$2, $1] = $3; p99[$2, $1] = $5; cpu[$2, $1] = $9; names[$1] = 1
    if ($3 > best_rps[$2]) { best_rps[$2] = $3; best[$2] = $1 } }
  END {
    split("GET POST", eps, " ")
    for (i = 1; i <= 2; i++) {
      ep = eps[i]
      for (n in names) {
        ratio = mr_rps[ep] / rps[ep, n]
        met = (ratio >= 10 && mr_p99[ep] < p99[ep, n]) ? "met" : "missed"
        printf "| %s | %s%s | %.1fx | %s vs %s | %.1fx | %s |\n", ep, n, (n == best[ep] ? " (best)" : ""), ratio,
               mr_p99[ep], p99[ep, n], (mr_cpu[ep] > 0 ? cpu[ep, n] / mr_cpu[ep] : 0), met
      }
    }
  }' "$TMP/results.tsv" | sort
