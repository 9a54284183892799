#!/usr/bin/env bash
# bench/thumbnail/run.sh — 4000×3000 JPEG → 256 px thumbnail: moonreel vs Pillow vs vipsthumbnail, one run.
#
# moonreel is timed inside the engine (a loop through `moonreel repl` on stdin, so no process start-up
# per thumbnail); Pillow inside Python (with and without draft(), the reduced-scale JPEG decode);
# vipsthumbnail is a CLI, so its time includes a process start — measured separately and reported.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MOONREEL:-$REPO/build/moonreel}
N=${N:-20}
TMP=$(mktemp -d /tmp/moonreel-thumb.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# A photo-like source: Gaussian noise over gradients (flat images decode unrealistically fast).
/usr/bin/python3 - "$TMP/src.jpg" <<'PY'
import sys
from PIL import Image, ImageChops
w, h = 4000, 3000
noise = Image.effect_noise((w, h), 64).convert("RGB")
grad = Image.linear_gradient("L").resize((w, h)).convert("RGB")
img = ImageChops.add(ImageChops.multiply(noise, Image.new("RGB", (w, h), (200, 160, 120))), grad, scale=1.5)
img.save(sys.argv[1], quality=90)
PY
echo "source: $(du -h "$TMP/src.jpg" | cut -f1) 4000x3000 JPEG, $N thumbnails each"

mr_ms=$("$BIN" repl --root "$REPO/examples/hello" --data "$TMP/data" <<LUA | tail -1
do
local image, engine = require("moonreel.image"), require("moonreel.engine")
local f = io.open("$TMP/src.jpg", "rb"); local data = f:read("*a"); f:close()
image.thumbnail(data, 256)
local t0 = engine.monotonic()
for _ = 1, $N do image.thumbnail(data, 256):encode("jpeg", { quality = 85 }) end
return ("%.2f"):format((engine.monotonic() - t0) / $N * 1000)
end
LUA
)

read -r pil_draft pil_full < <(/usr/bin/python3 - "$TMP/src.jpg" "$N" <<'PY'
import io, sys, time
from PIL import Image
path, n = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
def run(draft):
    t0 = time.perf_counter()
    for _ in range(n):
        im = Image.open(io.BytesIO(data))
        if draft:
            im.draft("RGB", (256, 256))
        im.thumbnail((256, 256))
        im.save(io.BytesIO(), "JPEG", quality=85)
    return (time.perf_counter() - t0) / n * 1000
run(True)
print("%.2f %.2f" % (run(True), run(False)))
PY
)

/usr/bin/python3 -c "from PIL import Image; Image.new('RGB',(8,8)).save('$TMP/tiny.jpg')"
time_cli() {  # mean ms of N runs of a command
  /usr/bin/python3 - "$N" "$@" <<'PY'
import subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
subprocess.run(cmd, check=True)
t0 = time.perf_counter()
for _ in range(n):
    subprocess.run(cmd, check=True)
print("%.2f" % ((time.perf_counter() - t0) / n * 1000))
PY
}
vips_ms=$(time_cli vipsthumbnail "$TMP/src.jpg" -s 256 -o "$TMP/v_%s.jpg[Q=85]")
vips_start=$(time_cli vipsthumbnail "$TMP/tiny.jpg" -s 256 -o "$TMP/t_%s.jpg[Q=85]")

ratio() { /usr/bin/python3 -c "print('%.2fx' % ($1 / $2))"; }
echo
echo "| tool | ms per thumbnail |"
echo "|---|--:|"
echo "| moonreel image.thumbnail (reduced-scale decode) + JPEG encode | $mr_ms |"
echo "| Pillow 9.4 with draft() (what a tuned Python service does) | $pil_draft |"
echo "| Pillow 9.4 without draft() (plain Image.thumbnail) | $pil_full |"
echo "| vipsthumbnail CLI (incl. process start) | $vips_ms |"
echo "| vipsthumbnail CLI start-up alone (8x8 input) | $vips_start |"
echo
echo "moonreel vs Pillow with draft: $(ratio "$pil_draft" "$mr_ms")  (target >= 3x)"
echo "moonreel vs Pillow without draft: $(ratio "$pil_full" "$mr_ms")"
echo "moonreel vs vipsthumbnail, start-up subtracted: $(ratio "($vips_ms - $vips_start)" "$mr_ms")  (target >= 0.8x)"
