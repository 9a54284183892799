"""bench/jobs/fastapi_queue.py — the reference: a durable job queue the way a Python monolith builds it.

FastAPI + uvicorn for submissions, SQLite (WAL, synchronous=NORMAL, like moonreel)
for jobs and their event log, and in-process worker threads that claim with
BEGIN IMMEDIATE, run a no-op workflow and complete — the same three
transactions per job moonreel makes. Endpoints match moonreel's:
POST /api/v1/queue/jobs, GET /api/v1/queue/jobs/{id}, GET /api/v1/queue/status.

Run: /usr/bin/python3 fastapi_queue.py PORT DBFILE WORKERS
"""
import json
import sqlite3
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Optional

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

PORT, DB, WORKERS = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = FastAPI()
local = threading.local()
wake = threading.Condition()


def conn():
    c = getattr(local, "c", None)
    if c is None:
        c = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA busy_timeout=5000")
        local.c = c
    return c


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def setup():
    c = conn()
    c.execute("""CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE,
                 workflow TEXT, input TEXT, status TEXT, priority INTEGER, attempts INTEGER DEFAULT 0,
                 result TEXT, created_at TEXT, started_at TEXT, finished_at TEXT)""")
    c.execute("CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(status, priority DESC, seq)")
    c.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT, data TEXT)")


class JobIn(BaseModel):
    workflow: str
    input: dict = {}
    priority: int = 0
    project_id: Optional[str] = None


def row(c, jid):
    r = c.execute("SELECT id, workflow, status, priority, attempts, result, created_at, started_at, finished_at "
                  "FROM jobs WHERE id = ?", (jid,)).fetchone()
    if r is None:
        return None
    keys = ["id", "workflow", "status", "priority", "attempts", "result", "created_at", "started_at", "finished_at"]
    return dict(zip(keys, r))


@app.post("/api/v1/queue/jobs", status_code=202)
def submit(job: JobIn):
    if job.workflow != "noop":
        raise HTTPException(400, "unknown workflow")
    c = conn()
    jid = uuid.uuid4().hex
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO jobs (id, workflow, input, status, priority, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
              (jid, job.workflow, json.dumps(job.input), job.priority, now()))
    c.execute("INSERT INTO events (job_id, data) VALUES (?, ?)", (jid, json.dumps({"type": "job.created"})))
    c.execute("COMMIT")
    with wake:
        wake.notify()
    return {"job_id": jid, "status": "pending"}


@app.get("/api/v1/queue/jobs/{jid}")
def get(jid: str):
    r = row(conn(), jid)
    if r is None:
        raise HTTPException(404, "not found")
    return r


@app.get("/api/v1/queue/status")
def status():
    counts = dict(conn().execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())
    return {"counts": {k: counts.get(k, 0) for k in ("pending", "processing", "completed", "failed", "cancelled")}}


def worker():
    c = conn()
    while True:
        c.execute("BEGIN IMMEDIATE")
        r = c.execute("SELECT id FROM jobs WHERE status = 'pending' ORDER BY priority DESC, seq LIMIT 1").fetchone()
        if r is None:
            c.execute("COMMIT")
            with wake:
                wake.wait(1.0)
            continue
        jid = r[0]
        c.execute("UPDATE jobs SET status = 'processing', attempts = attempts + 1, started_at = ? WHERE id = ?",
                  (now(), jid))
        c.execute("INSERT INTO events (job_id, data) VALUES (?, ?)", (jid, json.dumps({"type": "job.started"})))
        c.execute("COMMIT")
        result = {"n": 0}  # the no-op workflow
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE jobs SET status = 'completed', result = ?, finished_at = ? WHERE id = ?",
                  (json.dumps(result), now(), jid))
        c.execute("INSERT INTO events (job_id, data) VALUES (?, ?)", (jid, json.dumps({"type": "job.completed"})))
        c.execute("COMMIT")


if __name__ == "__main__":
    setup()
    for _ in range(WORKERS):
        threading.Thread(target=worker, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
