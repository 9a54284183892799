"""reference_run.py — run a TorchScript image model with Python torch, as an independent reference.

Contract: loads MODEL.pt with `torch.jit.load` (Debian's python3-torch 1.13, the same TorchScript
the engine runs), reads IN (any image Pillow reads) as RGB, scales 0..255 to 0..--in-range, applies
--mean / --std, runs the WHOLE image at once (no tiling) under inference mode, clamps the output
to 0..--out-range, scales it to 0..255, rounds, and writes OUT as PNG (RGB, or L for a 1-channel
output). With --time N it also reports the median seconds of N forward calls on the loaded model
(the per-call figure bench/infer compares with the engine). Pre- and post-processing follow
docs/models.md; the code shares nothing with the engine's C++.
CLI: /usr/bin/python3 tools/models/reference_run.py MODEL.pt IN OUT.png [--in-range 255]
     [--out-range 255] [--mean 0] [--std 1] [--threads N] [--time N]
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--in-range", type=float, default=255.0)
    ap.add_argument("--out-range", type=float, default=255.0)
    ap.add_argument("--mean", type=float, default=0.0)
    ap.add_argument("--std", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--time", type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    rgb = np.asarray(Image.open(a.input).convert("RGB"), dtype=np.float32)
    x = torch.from_numpy(rgb * (a.in_range / 255.0)).permute(2, 0, 1).unsqueeze(0).contiguous()
    x = (x - a.mean) / a.std
    model = torch.jit.load(a.model, map_location="cpu").eval()
    with torch.inference_mode():
        y = model(x)
        times = []
        for _ in range(a.time):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    y = y[0] if isinstance(y, (list, tuple)) else y
    out = (y[0].clamp(0, a.out_range) * (255.0 / a.out_range)).round().to(torch.uint8)
    arr = out.permute(1, 2, 0).numpy()
    Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr).save(a.output)
    report = {"width": int(arr.shape[1]), "height": int(arr.shape[0])}
    if times:
        report["median_s"] = statistics.median(times)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
