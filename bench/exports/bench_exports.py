"""bench/exports/bench_exports.py — timeline export speed, and the animatic against the ffmpeg CLI concat recipe.

Builds a 200-clip project (10 scenes x 20 clips of 0.5-2 s, each on one of 5
1920x1080 stills) through the real API of `moonreel serve`, then:
  1. times each text export format (median of REPEAT requests, warm);
  2. renders the animatic (1280x720, 24 fps) as a job: render time from the
     job's started/finished stamps, frames/s and real-time factor;
  3. renders the same stills for the same durations with the ffmpeg CLI
     (concat demuxer -> scale/crop -> fps=24 -> libx264 veryfast crf 20 yuv420p,
     the recipe Python tools shell out to) and compares wall time.
Run: /usr/bin/python3 bench/exports/bench_exports.py   Knobs: MOONREEL=build/moonreel REPEAT=10
"""
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from harness import Server, multipart  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "10"))


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def still(tmp, i):
    path = os.path.join(tmp, "still%d.png" % i)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=1920x1080:rate=1:duration=1", "-vf", "hue=h=%d" % (i * 60), "-frames:v", "1", path],
                   check=True)
    with open(path, "rb") as f:
        return path, f.read()


def main():
    if "MOONREEL" in os.environ:
        os.environ["MOONREEL_BIN"] = os.environ["MOONREEL"]
    s = Server("repo", args=["--log-level", "warn"]).start()
    tmp = tempfile.mkdtemp(prefix="moonreel-exports-bench-")
    try:
        urls, files = [], []
        for i in range(5):
            path, data = still(tmp, i)
            body, ctype = multipart({}, {"file": ("s%d.png" % i, data, "image/png")})
            urls.append(s.request("POST", "/api/media/upload", body, headers={"Content-Type": ctype}).json()["media_url"])
            files.append(path)
        pid = s.request("POST", "/api/v1/projects", {"name": "Bench 200"}).json()["id"]
        rnd = random.Random(7)
        plan = []  # (still index, seconds) in timeline order
        for sc in range(10):
            scene = s.request("POST", "/api/v1/scenes", {"project_id": pid, "name": "Scene %d" % sc}).json()
            pos = 0.0
            for k in range(20):
                length = rnd.choice([0.5, 0.75, 1.0, 1.5, 2.0])
                c = s.request("POST", "/api/v1/clips", {"scene_id": scene["id"], "name": "Clip %d.%d" % (sc, k),
                                                         "timeline_position": pos, "length": length}).json()
                n = rnd.randrange(5)
                s.request("PUT", "/api/v1/clips/" + c["id"], {"selected_image": urls[n]})
                plan.append((n, length))
                pos += length
        print("| format | median ms (200 clips) | bytes |")
        print("| --- | --- | --- |")
        for fmt, q in (("json", ""), ("edl", ""), ("fcpxml", ""), ("xmeml", ""), ("otio", "")):
            path = "/api/v1/projects/%s/export/%s?fps=24%s" % (pid, fmt, q)
            s.get(path)  # warm
            times, size = [], 0
            for _ in range(REPEAT):
                t0 = time.perf_counter()
                r = s.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                size = len(r.body)
                assert r.status == 200, r.body[:200]
            print("| %s | %.1f | %d |" % (fmt, statistics.median(times), size))
        tl = json.loads(s.get("/api/v1/projects/%s/export/json?fps=24" % pid).body)
        frames = tl["duration_frames"]

        jid = s.request("POST", "/api/v1/projects/%s/animatic" % pid,
                        {"fps": "24", "width": 1280, "height": 720, "music": False}).json()["job_id"]
        while s.get("/api/v1/queue/jobs/" + jid).json()["status"] in ("pending", "processing"):
            time.sleep(0.05)
        job = s.get("/api/v1/queue/jobs/" + jid).json()
        assert job["status"] == "completed", job
        mr_s = ts(job["finished_at"]) - ts(job["started_at"])

        concat = os.path.join(tmp, "list.txt")
        with open(concat, "w") as f:
            for n, length in plan:
                f.write("file '%s'\nduration %s\n" % (files[n], length))
            f.write("file '%s'\n" % files[plan[-1][0]])  # the concat demuxer's last-entry quirk
        out = os.path.join(tmp, "ffmpeg.mp4")
        t0 = time.perf_counter()
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", concat, "-vf",
                        "scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720,fps=24",
                        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                        "-movflags", "+faststart", out], check=True)
        ff_s = time.perf_counter() - t0
        ff_frames = int(subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out],
                                       capture_output=True, text=True).stdout.strip())
        secs = frames / 24
        print()
        print("| animatic (%d frames, %.1f s of timeline, 1280x720) | render s | frames/s | real-time factor | frames |"
              % (frames, secs))
        print("| --- | --- | --- | --- | --- |")
        print("| moonreel (in-process, job) | %.2f | %.0f | %.1fx | %d |" % (mr_s, frames / mr_s, secs / mr_s,
                                                                            job["result"]["frames"]))
        print("| ffmpeg CLI concat recipe | %.2f | %.0f | %.1fx | %d |" % (ff_s, ff_frames / ff_s, secs / ff_s, ff_frames))
        print("\nratio (ffmpeg time / moonreel time): %.1fx" % (ff_s / mr_s))
    finally:
        s.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
