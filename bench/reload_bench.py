#!/usr/bin/python3
"""bench/reload_bench.py — save→served latency of moonreel's hot reload, under load.

Run by bench/run.sh against a moonreel already serving a *temp copy* of
examples/hello (never the repo's example). While wrk loads GET /hello it
rewrites <root>/api/hello.lua N times, each time with a new message, the way an
editor saves (write a temp file next to the tree, then os.replace), and times
how long until a GET /hello answers the new message (polled every ~1 ms on one
keep-alive connection). At the end wrk gets SIGINT, which makes it print its
totals; its non-2xx count and socket errors are the "errors during reloads".

Prints a human summary and, last, one line `RESULT {json}` for run.sh.
Standard library only.
"""
import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import time


POLL_TIMEOUT = 2.0  # one GET; a slower answer counts as a poll error


def get_json(conn, path):
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, body


def percentile(sorted_ms, p):
    # Nearest-rank percentile: the smallest value with at least p% at or below it.
    k = max(0, min(len(sorted_ms) - 1, int(-(-p * len(sorted_ms) // 100)) - 1))
    return sorted_ms[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True, help="temp copy of examples/hello")
    ap.add_argument("--reloads", type=int, default=100)
    ap.add_argument("--wrk", default="wrk -t1 -c16 -d120s --timeout 10s",
                    help="wrk command (URL appended); it is stopped with SIGINT")
    ap.add_argument("--timeout", type=float, default=5.0, help="give up on one save after this (s)")
    ap.add_argument("--deadline", type=float, default=120.0,
                    help="stop saving after this many seconds, whatever is left (keeps run.sh bounded)")
    args = ap.parse_args()

    target = os.path.join(args.root, "api", "hello.lua")
    tmp = os.path.join(args.root, ".hello.lua.tmp")  # outside api/: not a route
    with open(target) as f:
        original = f.read()
    if 'message = "hello"' not in original:
        raise SystemExit("reload_bench: unexpected hello.lua; expected message = \"hello\"")

    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=POLL_TIMEOUT)
    status, body = get_json(conn, "/health")
    gen0 = json.loads(body)["scripts"]["generation"]

    url = "http://127.0.0.1:%d/hello" % args.port
    wrk = subprocess.Popen(args.wrk.split() + [url], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)  # let the load reach steady state

    latencies_ms, poll_non200, poll_errors, missed = [], 0, 0, 0
    error_samples = []
    saves = 0
    started = time.perf_counter()
    try:
        for i in range(args.reloads):
            if time.perf_counter() - started > args.deadline:
                break
            saves += 1
            msg = "reload-%d-%d" % (os.getpid(), i)
            want = ('"message":"%s"' % msg).encode()
            with open(tmp, "w") as f:
                f.write(original.replace('message = "hello"', 'message = "%s"' % msg))
            os.replace(tmp, target)  # the "save"
            t0 = time.perf_counter()
            while True:
                try:
                    status, body = get_json(conn, "/hello")
                except (OSError, http.client.HTTPException) as e:
                    poll_errors += 1
                    if len(error_samples) < 5:
                        error_samples.append("save %d, +%.0f ms: %r"
                                             % (i, (time.perf_counter() - t0) * 1000, e))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=POLL_TIMEOUT)
                    status, body = 0, b""
                elapsed = time.perf_counter() - t0
                if status == 200 and want in body:
                    latencies_ms.append(elapsed * 1000)
                    break
                if status not in (0, 200):
                    poll_non200 += 1
                if elapsed > args.timeout:
                    missed += 1
                    break
                time.sleep(0.001)
            time.sleep(0.02)  # a gap between saves, as between real edits
    finally:
        wrk.send_signal(signal.SIGINT)
        wrk_out, _ = wrk.communicate(timeout=30)

    conn.close()  # a fresh connection may queue behind busy ones: allow it time
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    status, body = get_json(conn, "/health")
    health = json.loads(body)["scripts"]
    with open(target, "w") as f:  # leave the temp tree as we found it
        f.write(original)

    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", wrk_out)
    wrk_non2xx = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk_out)
    wrk_sock = sum(int(x) for x in m.groups()) if m else 0
    wrk_sock_line = m.group(0) if m else ""
    m = re.search(r"(\d+) requests in", wrk_out)
    wrk_reqs = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s*([\d.]+)", wrk_out)
    wrk_rps = float(m.group(1)) if m else 0.0

    s = sorted(latencies_ms)
    result = {
        "reloads": saves,
        "served": len(s),
        "missed": missed,
        "p50_ms": round(percentile(s, 50), 2) if s else None,
        "p95_ms": round(percentile(s, 95), 2) if s else None,
        "max_ms": round(s[-1], 2) if s else None,
        "mean_ms": round(statistics.mean(s), 2) if s else None,
        "generations": health["generation"] - gen0,
        "last_error": health["last_error"],
        "poll_non200": poll_non200,
        "poll_errors": poll_errors,
        "wrk_requests": wrk_reqs,
        "wrk_rps": wrk_rps,
        "wrk_non2xx": wrk_non2xx,
        "wrk_socket_errors": wrk_sock,
        "wrk_socket_line": wrk_sock_line,  # which kind: connect/read/write/timeout
        "wrk": " ".join(args.wrk.split() + [url]),
        "error_samples": error_samples,
    }
    print(wrk_out.rstrip())
    print("reload: %d/%d served, p50 %.1f ms, p95 %.1f ms, max %.1f ms; generation +%d"
          % (len(s), saves, result["p50_ms"] or 0, result["p95_ms"] or 0,
             result["max_ms"] or 0, result["generations"]))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
