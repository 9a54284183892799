#!/usr/bin/env bash
# bench/video/run.sh — a thumbnail from a 1080p H.264 MP4: the engine in-process vs spawning ffmpeg.
#
# Makes a 60 s 1080p24 H.264 MP4 (ffmpeg's testsrc2, libx264 veryfast with its
# default keyframe interval of 250 frames, like an ordinary upload; SOURCE=engine
# makes it with moonreel's VideoWriter instead), then times N thumbnails at times
# spread over the video:
#   engine        VideoReader::thumbnail (the keyframe at or before t, swscale straight to 256 px) + JPEG
#   engine exact  VideoReader::frame_at (accurate: decode forward to t) + resize + JPEG
#   ffmpeg        ffmpeg -ss T -i in.mp4 -frames:v 1 -vf scale=256:-1 out.jpg  (accurate seek, the default)
#   ffmpeg fast   the same with -noaccurate_seek (the CLI's keyframe mode)
# and prints a markdown table with the ratios. Results: bench/video/README.md.
#
# Needs: ffmpeg (apt-get install ffmpeg), a configured build dir with the
# bench_video_thumbnail target (built here). Knobs: BUILD=build N=20 SECONDS_=60 SOURCE=ffmpeg|engine,
# INPUT=some.mp4 (time that file instead of making one; SECONDS_ must be its length).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
N=${N:-20}
LENGTH=${SECONDS_:-60}
SOURCE=${SOURCE:-ffmpeg}

command -v ffmpeg >/dev/null || { echo "run.sh: ffmpeg missing (apt-get install -y ffmpeg)" >&2; exit 1; }
cmake --build "$BUILD" --target bench_video_thumbnail -j"$(nproc)" >/dev/null
BIN="$BUILD/tests/bench_video_thumbnail"

TMP=$(mktemp -d /tmp/moonreel-video-bench.XXXXXX)
[[ -n "${KEEP_TMP:-}" ]] || trap 'rm -rf "$TMP"' EXIT
IN="$TMP/in.mp4"

if [[ -n "${INPUT:-}" ]]; then
  cp "$INPUT" "$IN"
elif [[ "$SOURCE" == engine ]]; then
  "$BIN" make "$IN" "$LENGTH" 1920 1080 >/dev/null
else
  ffmpeg -v error -f lavfi -i "testsrc2=size=1920x1080:rate=24" -t "$LENGTH" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -movflags +faststart "$IN"
fi
echo "input: $(ffprobe -v error -select_streams v:0 -show_entries stream=width,height,r_frame_rate,nb_frames \
  -of csv=p=0 "$IN") $(du -h "$IN" | cut -f1), source=$SOURCE"

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }

# mean and median of the numbers on stdin
stats() { sort -n | awk '{a[NR]=$1; s+=$1} END {printf "%.2f %.2f\n", s/NR, a[int((NR+1)/2)]}'; }

cli() {  # cli EXTRA_ARGS... : N spawns, one per time; prints "mean median"
  local out="$TMP/cli"; mkdir -p "$out"
  for ((i = 0; i < N; i++)); do
    t=$(awk -v i="$i" -v n="$N" -v d="$LENGTH" 'BEGIN {printf "%.3f", (i + 0.5) * d / n}')
    t0=$(now_ms)
    ffmpeg -v error -y "$@" -ss "$t" -i "$IN" -frames:v 1 -vf scale=256:-1 "$out/$i.jpg"
    t1=$(now_ms)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
  done | stats
}

engine() {  # engine thumb|exact : prints "mean median"
  mkdir -p "$TMP/engine"
  "$BIN" "$1" "$IN" "$N" "$TMP/engine" | sed -E 's/.*mean_ms=([0-9.]+) median_ms=([0-9.]+).*/\1 \2/'
}

# Warm the page cache and the binaries once.
"$BIN" thumb "$IN" 2 "$TMP" >/dev/null
ffmpeg -v error -y -ss 1 -i "$IN" -frames:v 1 -vf scale=256:-1 "$TMP/warm.jpg"

read -r e_mean e_med < <(engine thumb)
read -r x_mean x_med < <(engine exact)
read -r f_mean f_med < <(cli)
read -r n_mean n_med < <(cli -noaccurate_seek)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
echo
echo "| method | mean ms | median ms | ffmpeg CLI mean / this |"
echo "| --- | ---: | ---: | ---: |"
echo "| engine thumbnail (keyframe, in-process) | $e_mean | $e_med | $(ratio "$f_mean" "$e_mean")x |"
echo "| engine frame_at (accurate, in-process) | $x_mean | $x_med | $(ratio "$f_mean" "$x_mean")x |"
echo "| ffmpeg -ss T -i … (accurate, spawned) | $f_mean | $f_med | 1.0x |"
echo "| ffmpeg -noaccurate_seek -ss T -i … (spawned) | $n_mean | $n_med | $(ratio "$f_mean" "$n_mean")x |"
echo
echo "engine thumbnail vs the issue's ffmpeg command: $(ratio "$f_mean" "$e_mean")x (target >= 5x);" \
  "vs ffmpeg -noaccurate_seek: $(ratio "$n_mean" "$e_mean")x; engine frame_at (the same frame as ffmpeg -ss):" \
  "$(ratio "$f_mean" "$x_mean")x"
