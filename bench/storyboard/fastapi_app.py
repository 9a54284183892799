"""bench/storyboard/fastapi_app.py — FastAPI + sqlite3 baseline for bench/storyboard/run.sh.

The same two storyboard endpoints moonreel serves from api/v1/projects.lua and
api/v1/clips.lua, over the same schema file (migrations/001_storyboard.sql),
with the same queries, response shapes and error envelope:

  GET  /api/v1/projects/{id}/with-scenes  project + scenes (by "order"), each
       with its clips (by timeline_position); the same 43 queries for 20 scenes
       as scripts/services/projects.lua (project, COUNT + SELECT of scenes,
       COUNT + SELECT of clips per scene — repositories/base.lua's list()).
  POST /api/v1/clips                      Pydantic body (extra="forbid", strict
       types, the bounds of schemas/storyboard.lua), 400 if the scene (or the
       character) does not exist, INSERT with a ULID and ISO times, 201 with
       the row read back.
  POST /api/v1/projects, POST /api/v1/scenes   only so that run.sh can seed both
       servers through their APIs with one client; not benchmarked.

Database: its own file (--db), migrated once in the parent before any worker
starts; every connection uses WAL, foreign_keys=ON, synchronous=NORMAL and a
5 s busy timeout — what engine/db/connection.cpp sets for moonreel — so several
worker processes writing one file wait for the lock instead of failing.
Each thread keeps its own connection (threading.local).

Run with Debian's packages (python3-fastapi, python3-uvicorn), i.e. /usr/bin/python3:

    /usr/bin/python3 bench/storyboard/fastapi_app.py --port P --db FILE
        [--workers N] [--handlers sync|async]

--handlers sync (default): `def` handlers, run by FastAPI in its threadpool —
what FastAPI's docs prescribe for blocking calls such as sqlite3. async:
`async def` handlers calling sqlite3 on the event loop (one connection per
worker); run.sh can measure both. Like bench/hello_fastapi.py, this binds the
socket itself and forks N uvicorn servers instead of `uvicorn --workers N`,
which loses TCP_NODELAY (Kludex/uvicorn#3149) and would add ~40 ms per response.
"""
import argparse
import inspect
import json
import os
import secrets
import signal
import socket
import sqlite3
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictStr, validator

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(REPO, "migrations", "001_storyboard.sql")

# -- Database ------------------------------------------------------------------

DB_PATH = None
_local = threading.local()


def _open(path):
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)  # autocommit, 5 s busy timeout
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def db():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = _open(DB_PATH)
    return conn


def migrate(path):
    conn = _open(path)
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='projects'").fetchone()
    if not exists:
        with open(SCHEMA) as f:
            conn.executescript(f.read())
    conn.close()


def rows(cur):
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def one(cur):
    r = cur.fetchone()
    return None if r is None else dict(zip([d[0] for d in cur.description], r))


# Rows as entities, as repositories/base.lua decodes them: JSON columns parsed,
# booleans as true/false, NULL as null.
def decode_scene(row):
    row["is_alternate"] = row["is_alternate"] != 0
    return row


def decode_clip(row):
    row["generated_images"] = json.loads(row["generated_images"]) if row["generated_images"] is not None else []
    row["generated_videos"] = json.loads(row["generated_videos"]) if row["generated_videos"] is not None else []
    row["is_alternate"] = row["is_alternate"] != 0
    return row


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id():
    """A ULID: 48 bits of Unix milliseconds, 80 random bits, Crockford base32."""
    n = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[n & 31])
        n >>= 5
    return "".join(reversed(out))


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def insert(table, fields):
    now = now_iso()
    fields = {"id": new_id(), "created_at": now, "updated_at": now, **fields}
    cols = ", ".join('"%s"' % c for c in fields)
    marks = ", ".join("?" * len(fields))
    conn = db()
    conn.execute('INSERT INTO "%s" (%s) VALUES (%s)' % (table, cols, marks), tuple(fields.values()))
    return one(conn.execute('SELECT * FROM "%s" WHERE id = ?' % table, (fields["id"],)))


# -- Errors: moonreel's envelope {"error": {code, message, details}} -------------


def error(status, code, message, details=None):
    return JSONResponse({"error": {"code": code, "details": details or {}, "message": message}}, status_code=status)


def validation_error(fields):
    return error(400, "VALIDATION_ERROR", "request body is invalid", {"fields": fields})


app = FastAPI()


@app.exception_handler(RequestValidationError)
async def on_validation_error(_request: Request, exc: RequestValidationError):
    # FastAPI answers 422 with its own shape; moonreel answers 400 with fields.
    fields = [{"field": ".".join(str(p) for p in e["loc"][1:]) or "$", "issue": e["msg"]} for e in exc.errors()]
    return validation_error(fields)


# -- Bodies (schemas/storyboard.lua) ----------------------------------------------


def _number(v):
    # moonreel's schema.number: a JSON number; "1.5" and true are errors (pydantic v1 would coerce them).
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("expected number")
    return v


class ClipCreate(BaseModel):
    scene_id: StrictStr = Field(..., max_length=64)
    name: StrictStr = Field(..., min_length=1, max_length=200)
    lyrics: Optional[StrictStr] = Field(None, max_length=20000)
    image_prompt: StrictStr = Field("", max_length=20000)
    video_prompt: StrictStr = Field("", max_length=20000)
    timeline_position: float = Field(0, ge=0)
    length: float = Field(1, ge=0.001)
    character_id: Optional[StrictStr] = Field(None, max_length=64)

    _numbers = validator("timeline_position", "length", pre=True, allow_reuse=True)(_number)

    class Config:
        extra = "forbid"


class ProjectCreate(BaseModel):
    name: StrictStr = Field(..., min_length=1, max_length=200)
    description: Optional[StrictStr] = Field(None, max_length=20000)
    music_file: Optional[StrictStr] = Field(None, max_length=1000)

    class Config:
        extra = "forbid"


class SceneCreate(BaseModel):
    project_id: StrictStr = Field(..., max_length=64)
    name: StrictStr = Field(..., min_length=1, max_length=200)
    description: Optional[StrictStr] = Field(None, max_length=20000)
    order: Optional[int] = Field(None, ge=0)

    class Config:
        extra = "forbid"


# -- Handlers (written once, registered as def or async def) -----------------------


def with_scenes(id: str):
    conn = db()
    project = one(conn.execute('SELECT * FROM "projects" WHERE id = ?', (id,)))
    if project is None:
        return error(404, "RESOURCE_NOT_FOUND", "Project with id '%s' not found" % id, {"id": id})
    # base.lua's list() counts before it selects; the count is kept for parity.
    conn.execute('SELECT COUNT(*) AS n FROM "scenes" WHERE "project_id" = ?', (id,)).fetchone()
    scenes = rows(conn.execute(
        'SELECT * FROM "scenes" WHERE "project_id" = ? ORDER BY "order", "alternate_number", "created_at", "id"',
        (id,)))
    for scene in scenes:
        decode_scene(scene)
        conn.execute('SELECT COUNT(*) AS n FROM "clips" WHERE "scene_id" = ?', (scene["id"],)).fetchone()
        scene["clips"] = [decode_clip(c) for c in rows(conn.execute(
            'SELECT * FROM "clips" WHERE "scene_id" = ? '
            'ORDER BY "timeline_position", "alternate_number", "created_at", "id"', (scene["id"],)))]
    project["scenes"] = scenes
    return project


def exists(table, id):
    return db().execute('SELECT 1 AS x FROM "%s" WHERE id = ?' % table, (id,)).fetchone() is not None


def create_clip(body: ClipCreate):
    fields = body.dict(exclude_none=True)  # moonreel inserts only the fields present (NULLs stay NULL)
    if not exists("scenes", body.scene_id):
        return validation_error([{"field": "scene_id", "issue": "no scene with id '%s'" % body.scene_id}])
    if body.character_id is not None and not exists("characters", body.character_id):
        return validation_error([{"field": "character_id", "issue": "no character with id '%s'" % body.character_id}])
    return JSONResponse(decode_clip(insert("clips", fields)), status_code=201)


def create_project(body: ProjectCreate):
    return JSONResponse(insert("projects", body.dict(exclude_none=True)), status_code=201)


def create_scene(body: SceneCreate):
    if not exists("projects", body.project_id):
        return validation_error([{"field": "project_id", "issue": "no project with id '%s'" % body.project_id}])
    fields = body.dict(exclude_none=True)
    if "order" not in fields:
        last = db().execute('SELECT MAX("order") FROM "scenes" WHERE "project_id" = ?', (body.project_id,)).fetchone()[0]
        fields["order"] = 0 if last is None else last + 1
    return JSONResponse(decode_scene(insert("scenes", fields)), status_code=201)


def register(mode):
    def as_async(fn):
        async def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)
        wrapper.__signature__ = inspect.signature(fn)
        wrapper.__name__ = fn.__name__
        return wrapper

    wrap = as_async if mode == "async" else (lambda fn: fn)
    # with-scenes returns a dict on success: FastAPI's default path
    # (jsonable_encoder + JSONResponse), as an idiomatic app would.
    app.get("/api/v1/projects/{id}/with-scenes")(wrap(with_scenes))
    app.post("/api/v1/clips", status_code=201)(wrap(create_clip))
    app.post("/api/v1/projects", status_code=201)(wrap(create_project))
    app.post("/api/v1/scenes", status_code=201)(wrap(create_scene))


# -- Serving ----------------------------------------------------------------------


def serve(sock):
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def main():
    global DB_PATH
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--handlers", choices=["sync", "async"], default="sync")
    args = ap.parse_args()

    DB_PATH = args.db
    migrate(DB_PATH)
    register(args.handlers)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))  # loopback only
    sock.listen(2048)
    sock.set_inheritable(True)

    if args.workers <= 1:
        serve(sock)
        return

    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            serve(sock)
            os._exit(0)
        children.append(pid)

    def stop(_signum, _frame):
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
