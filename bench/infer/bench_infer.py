"""bench/infer/bench_infer.py — the infer primitive against Python torch on the same TorchScript.

Side by side in one run, same machine, same thread count (THREADS, default 2), same input:
  1. per-call time of one model call at small sizes (where overhead shows): moonreel's
     `infer.run` from Lua (image handle in, image handle out: conversion, forward, clamp, 8-bit)
     against Python torch 1.13 running the same .pt — forward only, and with the same
     numpy pre/post-processing around it. Median of N calls after a warm-up.
  2. upscaling a 1920x1080 frame 2x: moonreel tiled (the model's declared tile) vs Python torch on
     the whole frame: seconds, input megapixels per second, peak RSS of the process
     (/usr/bin/time -v), for esrgan-slim-x2 and realesr-animevideov3-x2.
  3. background removal of one 1024x1024 image: moonreel (isnet through the job's code path,
     `image.remove_background`) vs @imgly/background-removal-node (npm; onnxruntime) when
     BG_NODE_DIR names a folder where it is installed, and when isnet is pulled.
Models are pulled once into MODELS (default ~/.cache/moonreel/models) with `moonreel models pull`.
The shared machine's speed drifts between processes (a 4x spread was seen for both engines), so
section 1 alternates the two engines ROUNDS times, each a fresh process, and keeps each one's
fastest median.
Run: /usr/bin/python3 bench/infer/bench_infer.py     Knobs: MOONREEL, MODELS, THREADS, N, ROUNDS, SECTIONS=123
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("MOONREEL", os.path.join(REPO, "build", "moonreel"))
MODELS = os.environ.get("MODELS", os.path.expanduser("~/.cache/moonreel/models"))
THREADS = int(os.environ.get("THREADS", "2"))
N = int(os.environ.get("N", "20"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECTIONS = os.environ.get("SECTIONS", "123")
PY = "/usr/bin/python3"


def photo(w, h, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([255 * x / w, 255 * y / h, 128 + 100 * np.sin(x / 9.0) * np.cos(y / 5.0)], -1)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def moonreel_args(data):
    return ["--root", REPO, "--data", data, "--set", "models.dir=" + MODELS, "--set", "infer.threads=%d" % THREADS]


def pull(names):
    missing = [n for n in names if not os.path.exists(os.path.join(MODELS, n + ".pt"))]
    if missing:
        with tempfile.TemporaryDirectory() as data:
            subprocess.run([BIN, "models", "pull", *missing] + moonreel_args(data), check=True, timeout=1800)


def repl(lua, data):
    r = subprocess.run([BIN, "repl"] + moonreel_args(data), input=lua + "\n", capture_output=True, text=True,
                       timeout=1800)
    out = r.stdout.strip().strip('"')
    if r.returncode != 0 or not out or "error" in out.lower():
        raise RuntimeError("moonreel repl: %s %s" % (out, r.stderr[-500:]))
    return out


def moonreel_per_call(model, png, data):
    lua = ("require('models').declare_all(); local infer, e = require('moonreel.infer'), require('moonreel.engine'); "
           "local img = require('moonreel.image').load('%s'); infer.run('%s', img); local t = {}; "
           "for i = 1, %d do local t0 = e.monotonic(); infer.run('%s', img); t[#t + 1] = e.monotonic() - t0 end; "
           "table.sort(t); return ('%%.6f'):format(t[math.floor(#t / 2) + 1])") % (png, model, N, model)
    return float(repl(lua, data))


PY_PER_CALL = r"""
import statistics, sys, time, numpy as np, torch
from PIL import Image
torch.set_num_threads(int(sys.argv[3]))
model = torch.jit.load(sys.argv[1]).eval()
rgb = np.asarray(Image.open(sys.argv[2]).convert("RGB"))
in_range, out_range, n = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
def full():
    x = torch.from_numpy(rgb.astype(np.float32) * (in_range / 255.0)).permute(2, 0, 1).unsqueeze(0).contiguous()
    y = model(x)
    return (y[0].clamp(0, out_range) * (255.0 / out_range)).round().to(torch.uint8).permute(1, 2, 0).numpy()
with torch.inference_mode():
    x = torch.from_numpy(rgb.astype(np.float32) * (in_range / 255.0)).permute(2, 0, 1).unsqueeze(0).contiguous()
    model(x); full()
    fwd, whole = [], []
    for _ in range(n):
        t0 = time.perf_counter(); model(x); fwd.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); full(); whole.append(time.perf_counter() - t0)
print(statistics.median(fwd), statistics.median(whole))
"""


def python_per_call(model, png, in_range, out_range):
    r = subprocess.run([PY, "-c", PY_PER_CALL, os.path.join(MODELS, model + ".pt"), png, str(THREADS),
                        str(in_range), str(out_range), str(N)], capture_output=True, text=True, check=True,
                       timeout=1800)
    fwd, whole = r.stdout.split()
    return float(fwd), float(whole)


def timed(cmd):
    """Runs cmd under /usr/bin/time -v: (wall s, peak RSS MiB, stdout)."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], r.stderr[-800:]))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return wall, rss, r.stdout


PY_WHOLE = r"""
import sys, time, numpy as np, torch
from PIL import Image
torch.set_num_threads(int(sys.argv[3]))
model = torch.jit.load(sys.argv[1]).eval()
rgb = np.asarray(Image.open(sys.argv[2]).convert("RGB"))
r_in, r_out = float(sys.argv[4]), float(sys.argv[5])
with torch.inference_mode():
    t0 = time.perf_counter()
    x = torch.from_numpy(rgb.astype(np.float32) * (r_in / 255.0)).permute(2, 0, 1).unsqueeze(0).contiguous()
    y = (model(x)[0].clamp(0, r_out) * (255.0 / r_out)).round().to(torch.uint8).permute(1, 2, 0).numpy()
    print(time.perf_counter() - t0)
"""


def main():
    pull(["esrgan-slim-x2", "realesr-animevideov3-x2"])
    ranges = {"esrgan-slim-x2": (255, 255), "realesr-animevideov3-x2": (1, 1)}
    tmp = tempfile.mkdtemp(prefix="mr-bench-infer-")
    data = os.path.join(tmp, "data")
    print("threads: %d, N = %d, models in %s\n" % (THREADS, N, MODELS))

    if "1" in SECTIONS:
        per_call(tmp, data, ranges)
    if "2" in SECTIONS:
        frame_2x(tmp, data, ranges)
    if "3" in SECTIONS:
        background(tmp, data)


def per_call(tmp, data, ranges):
    print("## 1. per call (best of %d alternating rounds of a median of %d calls)\n" % (ROUNDS, N))
    print("| model | input | moonreel infer.run | python forward | python forward + pre/post | ratio vs forward | ratio vs full |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for model in ("esrgan-slim-x2", "realesr-animevideov3-x2"):
        for side in (64, 128):
            png = os.path.join(tmp, "p%d.png" % side)
            Image.fromarray(photo(side, side)).save(png)
            ms, fwds, fulls = [], [], []
            for _ in range(ROUNDS):
                ms.append(moonreel_per_call(model, png, data))
                fwd, full = python_per_call(model, png, *ranges[model])
                fwds.append(fwd)
                fulls.append(full)
            m, fwd, full = min(ms), min(fwds), min(fulls)
            print("| %s | %dx%d | %.2f ms | %.2f ms | %.2f ms | %.3f | %.3f |" % (
                model, side, side, m * 1e3, fwd * 1e3, full * 1e3, m / fwd, m / full))


def frame_2x(tmp, data, ranges):
    print("\n## 2. a 1920x1080 frame, 2x\n")
    print("| model | engine | seconds | input MP/s | peak RSS |")
    print("| --- | --- | --- | --- | --- |")
    frame = os.path.join(tmp, "frame.png")
    Image.fromarray(photo(1920, 1080, 3)).save(frame)
    for model in ("esrgan-slim-x2", "realesr-animevideov3-x2"):
        family = model.rsplit("-x", 1)[0]
        _, rss, out = timed([BIN, "run", "upscale", "--input", frame, "--scale", "2", "--set",
                             "infer.upscaler=" + family] + moonreel_args(data))
        secs = json.loads(out)["duration_s"]
        print("| %s | moonreel (tiled, %s) | %.1f | %.3f | %.0f MiB |" % (
            model, "tile 192" if "esrgan" in model else "tile 256", secs, 2.0736 / secs, rss))
        _, rss, out = timed([PY, "-c", PY_WHOLE, os.path.join(MODELS, model + ".pt"), frame, str(THREADS),
                             *map(str, ranges[model])])
        secs = float(out.strip())
        print("| %s | python torch (whole frame) | %.1f | %.3f | %.0f MiB |" % (model, secs, 2.0736 / secs, rss))



def background(tmp, data):
    print("\n## 3. background removal, one 1024x1024 image\n")
    if not os.path.exists(os.path.join(MODELS, "isnet.pt")):
        print("isnet not pulled (moonreel models pull isnet --set models.dir=%s): skipped" % MODELS)
        return
    img = os.path.join(tmp, "bg.png")
    Image.fromarray(photo(1024, 1024, 5)).save(img)
    lua = ("require('models').declare_all(); local image, e = require('moonreel.image'), require('moonreel.engine'); "
           "local img = image.load('%s'); image.remove_background(img); local t = {}; "
           "for i = 1, 3 do local t0 = e.monotonic(); local _, m = image.remove_background(img); "
           "t[#t + 1] = e.monotonic() - t0; assert(m == 'isnet', m) end; table.sort(t); "
           "return ('%%.3f'):format(t[2])") % img
    secs = float(repl(lua, data))
    print("| engine | seconds per image (median of 3, warm) |")
    print("| --- | --- |")
    print("| moonreel (isnet, LibTorch) | %.2f |" % secs)
    node_dir = os.environ.get("BG_NODE_DIR")
    if node_dir:
        js = os.path.join(HERE, "imgly_bg.mjs")
        r = subprocess.run(["node", js, img, "3"], cwd=node_dir, capture_output=True, text=True, timeout=1800)
        if r.returncode == 0:
            print("| @imgly/background-removal-node (onnxruntime) | %.2f |" % float(r.stdout.strip().split()[-1]))
        else:
            print("@imgly/background-removal-node failed: " + r.stderr[-400:])
    else:
        print("(set BG_NODE_DIR to a folder with @imgly/background-removal-node installed to compare)")


if __name__ == "__main__":
    sys.exit(main())
