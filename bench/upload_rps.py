#!/usr/bin/env python3
"""bench/upload_rps.py — upload + thumbnail requests per second through POST /api/media/upload.

Starts moonreel on the repo's app (temp data), makes a 1920x1080 photo-like JPEG with the engine
itself, then posts it from C client threads for D seconds and reports uploads/s and latency
percentiles. Every upload is a real decode (reduced scale), a 256 px thumbnail, two atomic file
writes with fsync, and a card row. Run: /usr/bin/python3 bench/upload_rps.py [threads] [seconds]
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import REPO, Server, multipart, run_cli  # noqa: E402


def main():
    threads, seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 4, float(sys.argv[2]) if len(sys.argv) > 2 else 10
    srv = Server("repo", args=["--log-level", "warn"]).start()
    try:
        path = os.path.join(srv.tmp, "photo.jpg")
        code = 'do local image = require("moonreel.image"); local img = image.new(1920, 1080, "#406080"); ' \
               'for i = 0, 40 do img:circle(47 * i %% 1920, 23 * i %% 1080, 20 + i * 3, "#e0c040", -1) end; ' \
               'img:save("%s", { quality = 90 }); return "ok" end\n' % path
        run_cli("repl", "--root", REPO, "--data", os.path.join(srv.tmp, "gen"), stdin=code)
        data = open(path, "rb").read()
        body, ctype = multipart({}, {"file": ("photo.jpg", data, "image/jpeg")})
        latencies, errors = [], []
        stop = time.monotonic() + seconds

        def worker():
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                r = srv.request("POST", "/api/media/upload", body=body, headers={"Content-Type": ctype})
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status != 201:
                    errors.append(r.status)
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        t0 = time.monotonic()
        [t.start() for t in ts]
        [t.join() for t in ts]
        elapsed = time.monotonic() - t0
        latencies.sort()
        pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
        print("upload of a %d KB 1920x1080 JPEG, %d client threads, %.0f s: %.1f uploads/s, p50 %.1f ms, "
              "p99 %.1f ms, errors %d" % (len(data) // 1024, threads, elapsed, len(latencies) / elapsed,
                                          pct(0.5), pct(0.99), len(errors)))
    finally:
        srv.cleanup()


if __name__ == "__main__":
    main()
