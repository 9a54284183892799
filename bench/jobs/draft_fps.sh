#!/usr/bin/env bash
# bench/jobs/draft_fps.sh — draft provider frames per second (panel drawn + PNG-encoded), vs Pillow.
# Usage: ./bench/jobs/draft_fps.sh [frames]   Knobs: MOONREEL=path/to/binary
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-30}
BIN=${MOONREEL:-$REPO/build/moonreel}
DATA=$(mktemp -d /tmp/moonreel-draft-bench.XXXXXX)
trap 'rm -rf "$DATA"' EXIT
for size in "512 512" "1920 1080"; do
  set -- $size
  echo "local d, e = require('providers.draft'), require('moonreel.engine'); local t0 = e.monotonic(); for i = 1, $N do d.generate({ kind = 'image', prompt = 'a knight rides at dawn over misty hills towards a distant castle', seed = i, width = $1, height = $2 }, nil).image:encode('png') end; return ('moonreel draft $1x$2: %.1f frames/s'):format($N / (e.monotonic() - t0))" \
    | "$BIN" repl --root "$REPO" --data "$DATA" | tr -d '"'
done
/usr/bin/python3 "$REPO/bench/jobs/draft_pillow.py" "$N"
