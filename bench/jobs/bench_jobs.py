"""bench/jobs/bench_jobs.py — the durable job queue: moonreel vs a FastAPI + SQLite reference, one run.

For each server (same machine, same moment, 2 job workers each):
  1. submit → start latency with idle workers: 300 jobs submitted one at a time
     (10 ms apart); latency = started_at - created_at from each job's own row
     (millisecond timestamps, so values are whole ms).
  2. end-to-end throughput of a no-op workflow: wrk POSTs jobs for DURATION
     seconds (keep-alive, CONNS connections), then we wait until nothing is
     pending or processing; jobs/s = jobs completed / (last completion - start).
  3. moonreel only: the same with submissions batched (POST /generate/batch,
     100 jobs a request), i.e. the queue without per-job HTTP.
Prints a markdown table. Run: /usr/bin/python3 bench/jobs/bench_jobs.py
Knobs (env): MOONREEL=build/moonreel DURATION=10 CONNS=16 SAMPLES=300
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MOONREEL = os.environ.get("MOONREEL", os.path.join(REPO, "build", "moonreel"))
DURATION = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "16"))
SAMPLES = int(os.environ.get("SAMPLES", "300"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


def wait_ready(port, proc):
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            call(port, "GET", "/api/v1/queue/status")
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency(port):
    ids = []
    for _ in range(SAMPLES):
        _, r = call(port, "POST", "/api/v1/queue/jobs", {"workflow": "noop", "input": {}})
        ids.append(r["job_id"])
        time.sleep(0.01)
    time.sleep(0.5)
    lat = []
    for i in ids:
        _, j = call(port, "GET", "/api/v1/queue/jobs/" + i)
        lat.append((ts(j["started_at"]) - ts(j["created_at"])) * 1000)
    return pct(lat, 50), pct(lat, 99), max(lat)


def drain(port):
    while True:
        _, s = call(port, "GET", "/api/v1/queue/status")
        c = s["counts"]
        if c["pending"] == 0 and c["processing"] == 0:
            return time.monotonic(), c["completed"]
        time.sleep(0.02)


def throughput_http(port):
    _, s = call(port, "GET", "/api/v1/queue/status")
    before = s["counts"]["completed"]
    t0 = time.monotonic()
    out = subprocess.run(["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % DURATION, "--timeout", "10s",
                          "-s", os.path.join(HERE, "post_job.lua"), "http://127.0.0.1:%d/api/v1/queue/jobs" % port],
                         capture_output=True, text=True).stdout
    submit_rps = float(out.split("Requests/sec:")[1].split()[0])
    t1, after = drain(port)
    return (after - before) / (t1 - t0), submit_rps


def throughput_batch(port, requests=100, per=100):
    _, s = call(port, "GET", "/api/v1/queue/status")
    before = s["counts"]["completed"]
    items = [{"workflow": "noop", "input": {}} for _ in range(per)]
    t0 = time.monotonic()
    for _ in range(requests):
        st, _ = call(port, "POST", "/generate/batch", {"items": items})
        assert st == 202, st
    t1, after = drain(port)
    return (after - before) / (t1 - t0)


def main():
    tmp = tempfile.mkdtemp(prefix="moonreel-jobs-bench-")
    procs = []
    try:
        root = os.path.join(tmp, "root")
        os.makedirs(root)
        for d in ("api", "scripts", "workflows", "migrations"):
            shutil.copytree(os.path.join(REPO, d), os.path.join(root, d))
        shutil.copy(MOONREEL, os.path.join(tmp, "moonreel"))
        mr_port, py_port = free_port(), free_port()
        mr = subprocess.Popen([os.path.join(tmp, "moonreel"), "serve", "--root", root, "--data", os.path.join(tmp, "mr"),
                               "--port", str(mr_port), "--job-workers", "2", "--log-level", "warn",
                               "--set", "jobs.max_pending=1000000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        py = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "fastapi_queue.py"), str(py_port),
                               os.path.join(tmp, "ref.db"), "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs = [mr, py]
        wait_ready(mr_port, mr)
        wait_ready(py_port, py)
        rows = []
        for name, port in (("moonreel", mr_port), ("FastAPI + SQLite", py_port)):
            p50, p99, mx = latency(port)
            jobs_s, submit_rps = throughput_http(port)
            rows.append((name, p50, p99, mx, jobs_s, submit_rps))
        batch = throughput_batch(mr_port)
        print("| server | submit→start p50 | p99 | max | jobs/s end to end (HTTP submits) | submit req/s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, p50, p99, mx, jobs_s, rps in rows:
            print("| %s | %.0f ms | %.0f ms | %.0f ms | %.0f | %.0f |" % (name, p50, p99, mx, jobs_s, rps))
        print()
        print("moonreel jobs/s end to end with batched submits (100 per POST /generate/batch): %.0f" % batch)
        print("ratio (HTTP submits): %.1fx" % (rows[0][4] / rows[1][4]))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
