"""bench/hello_fastapi.py — FastAPI baseline for bench/run.sh.

The same route as examples/hello/api/hello.lua: GET /hello -> {"message":"hello"}.
Run with Debian's packages (python3-fastapi, python3-uvicorn), i.e. /usr/bin/python3:

    /usr/bin/python3 bench/hello_fastapi.py --port P [--workers N] [--access-log]

Why not `uvicorn --workers N`: uvicorn's multi-process path binds the listening
socket with proto=0, so asyncio never sets TCP_NODELAY on accepted sockets and
every keep-alive response waits ~40 ms for a delayed ACK (Kludex/uvicorn#3149;
on this machine: ~1.4k req/s with 2 workers vs ~5.8k with 1). That would make
FastAPI look 4x worse than it is, so this file binds the socket itself (with
IPPROTO_TCP) and forks N uvicorn servers that share it — what `--workers N`
does, minus the bug. With N == 1 no fork happens.
"""
import argparse
import os
import signal
import socket
import sys

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello():
    # `async def`: runs on the event loop, no threadpool hop — the form FastAPI
    # recommends for handlers without blocking I/O, and the faster one.
    return {"message": "hello"}


def serve(sock, access_log):
    import uvicorn

    # uvicorn applies log_level to its access logger too, so "info" is needed
    # for access lines to appear at all.
    level = "info" if access_log else "warning"
    config = uvicorn.Config(app, log_level=level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--access-log", action="store_true")
    args = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))  # loopback only
    sock.listen(2048)
    sock.set_inheritable(True)

    if args.workers <= 1:
        serve(sock, args.access_log)
        return

    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            serve(sock, args.access_log)
            os._exit(0)
        children.append(pid)

    def stop(signum, _frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
    sys.exit(0)


if __name__ == "__main__":
    main()
