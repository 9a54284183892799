"""tests/e2e/test_queue.py — the durable job queue through the real binary: submit and watch (SSE),
cancel (pending, running, tight Lua loops), timeouts, retries, priority and pause, idempotency,
backpressure (429), validation, SSE resume, signed webhooks, and crash recovery (kill -9).

The workflows the tests need are written into each server's private copy of the app before it
starts (nothing is added to the repo's workflows/). No test asserts a duration: every wait is a
poll with a generous deadline, or a blocking read of the event stream.
"""
import collections
import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import threading
import time
import unittest

from harness import Server, wait_until

Q = "/api/v1/queue"
TERMINAL = ("completed", "failed", "cancelled")

# -- test workflows -----------------------------------------------------------------------------

WORKFLOWS = {
    # Reports progress every `ms` milliseconds for `steps` steps: stops at a progress point when cancelled.
    "workflows/ticker.lua": """
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local engine = require("moonreel.engine")
return workflow.define{
  description = "progress every ms milliseconds",
  input = schema.object({ steps = schema.integer({ default = 100000 }), ms = schema.number({ default = 20 }) }),
  run = function(ctx, input)
    for i = 1, input.steps do
      ctx.progress(i * 100 / input.steps, "step " .. i)
      engine.sleep(input.ms / 1000)
    end
    return { steps = input.steps }
  end,
}
""",
    # Never reports progress, never calls into the engine: only the interpreter's stop hook can end it.
    "workflows/spin.lua": """
local workflow = require("moonreel.workflow")
return workflow.define{
  description = "a tight pure-Lua loop",
  run = function(ctx, input)
    local x = 0
    while true do x = x + 1 end
  end,
}
""",
    "workflows/boom.lua": """
local workflow = require("moonreel.workflow")
return workflow.define{ description = "always raises", run = function(ctx, input) error("boom") end }
""",
    # Fails retryably until attempt `succeed_on` (ctx.job.attempts is 1 on the first run).
    "workflows/flaky.lua": """
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
return workflow.define{
  description = "retryable failures, then success",
  input = schema.object({ succeed_on = schema.integer({ default = 99 }) }),
  run = function(ctx, input)
    if ctx.job.attempts < input.succeed_on then
      ctx.fail("UPSTREAM_DOWN", "the GPU server did not answer", { retryable = true })
    end
    return { attempt = ctx.job.attempts }
  end,
}
""",
    # Crash test: logs "start <id> <attempt>" when a run begins and "done <id>" in the completion
    # transaction, so the log tells which jobs ran, and which completed, before a kill -9.
    "workflows/batch.lua": """
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local engine = require("moonreel.engine")
local function append(path, line)
  local f = assert(io.open(path, "a"))
  f:write(line, "\\n")
  f:close()
end
return workflow.define{
  description = "sleeps a little and logs its start and completion",
  input = schema.object({ log = schema.string({ required = true }), steps = schema.integer({ default = 5 }),
                          ms = schema.number({ default = 25 }) }),
  run = function(ctx, input)
    append(input.log, "start " .. ctx.job.id .. " " .. ctx.job.attempts)
    for i = 1, input.steps do
      ctx.progress(i * 100 / input.steps, "step " .. i)
      engine.sleep(input.ms / 1000)
    end
    return { id = ctx.job.id }
  end,
  complete = function(ctx, result, input)
    append(input.log, "done " .. ctx.job.id)
  end,
}
""",
    # One long engine.sleep: a job that cannot be stopped before it returns (used to crash mid-run).
    "workflows/nap.lua": """
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local engine = require("moonreel.engine")
return workflow.define{
  description = "one long sleep",
  input = schema.object({ s = schema.number({ default = 30 }) }),
  run = function(ctx, input)
    engine.sleep(input.s)
    return { slept = input.s }
  end,
}
""",
}


# -- helpers --------------------------------------------------------------------------------------

def start_server(args=()):
    """A started server over a copy of the repo app plus the test workflows."""
    s = Server("repo", args=list(args))
    for rel, text in WORKFLOWS.items():
        s.write_file(rel, text)
    return s.start()


def restart(s, sig=signal.SIGTERM):
    """Stops the server with `sig` and starts it again on the same root and data dir."""
    s.stop(sig=sig)
    return s.start()


def submit(s, workflow="noop", input=None, headers=None, **fields):
    body = dict(workflow=workflow, **fields)
    if input is not None:
        body["input"] = input
    return s.request("POST", Q + "/jobs", body, headers=headers)


def get_job(s, jid):
    r = s.get(Q + "/jobs/" + jid)
    assert r.status == 200, (r.status, r.body)
    return r.json()


def queue_status(s):
    return s.get(Q + "/status").json()


def wait_status(s, jid, statuses, timeout=60):
    """Polls a job until its status is one of `statuses`; returns the job (fails the test at the deadline)."""
    statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)

    def reached():
        j = get_job(s, jid)
        return j if j["status"] in statuses else None
    got = wait_until(reached, timeout, interval=0.02)
    if not got:
        raise AssertionError("job %s never reached %s; now: %s" % (jid, statuses, get_job(s, jid)))
    return got


def wait_idle(s, timeout=120):
    """Waits until no job is pending or processing."""
    def idle():
        c = queue_status(s)["counts"]
        return c["pending"] == 0 and c["processing"] == 0
    if not wait_until(idle, timeout, interval=0.05):
        raise AssertionError("queue never drained: %s" % queue_status(s))


Event = collections.namedtuple("Event", "id type data")


class EventStream:
    """GET /api/v1/queue/events, read live: line by line off the (chunked) response."""

    def __init__(self, s, query="", last_event_id=None, timeout=30):
        self.conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", Q + "/events" + query, headers=headers)
        self.resp = self.conn.getresponse()
        self.comments = []  # comment lines (": ...") and fields outside events (retry:)

    def wait_open(self):
        """Reads the stream's opening chunk (retry + comment, up to its blank line): the client is connected."""
        while True:
            raw = self.resp.readline()
            if not raw:
                raise AssertionError("event stream closed by the server")
            line = raw.decode().rstrip("\r\n")
            if line == "":
                return self
            self.comments.append(line)

    def next(self, deadline_s=60):
        """The next event; raises AssertionError if none arrives by the deadline (keep-alives don't count)."""
        deadline = time.monotonic() + deadline_s
        fields = {}
        while time.monotonic() < deadline:
            raw = self.resp.readline()
            if not raw:
                raise AssertionError("event stream closed by the server")
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if "data" in fields:
                    return Event(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                fields = {}
                continue
            if line.startswith(":") or line.startswith("retry:"):
                self.comments.append(line)
                continue
            key, _, value = line.partition(":")
            fields[key] = value[1:] if value.startswith(" ") else value
        raise AssertionError("no event within %s s" % deadline_s)

    def until(self, pred, deadline_s=60, max_events=5000):
        """Reads events up to and including the first for which pred(event) holds."""
        out = []
        deadline = time.monotonic() + deadline_s
        while len(out) < max_events:
            e = self.next(max(0.1, deadline - time.monotonic()))
            out.append(e)
            if pred(e):
                return out
        raise AssertionError("no matching event in %d events" % max_events)

    def take(self, n, deadline_s=60):
        return [self.next(deadline_s) for _ in range(n)]

    def close(self):
        self.conn.close()


def events_of(s, jid, until_type, count=1, deadline_s=60):
    """A job's events from the start of the log up to its count-th event of type until_type."""
    st = EventStream(s, "?job_id=" + jid)
    seen = [0]

    def pred(e):
        seen[0] += e.type == until_type
        return seen[0] >= count
    try:
        return st.until(pred, deadline_s)
    finally:
        st.close()


def create_clip(s):
    """A project → scene → clip through the storyboard API; returns (project, clip)."""
    p = s.request("POST", "/api/v1/projects", {"name": "Queue test"}).json()
    sc = s.request("POST", "/api/v1/scenes", {"project_id": p["id"], "name": "S1"}).json()
    c = s.request("POST", "/api/v1/clips", {"scene_id": sc["id"], "name": "C1"}).json()
    return p, c


class ApiAssertions(unittest.TestCase):
    """Assertions shared by the test classes."""
    maxDiff = None

    def assert_error(self, r, status, code):
        self.assertEqual(r.status, status, r.body[:500])
        body = r.json()
        self.assertEqual(set(body), {"error"}, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)
        return body["error"]

    def assert_field_error(self, r, field):
        err = self.assert_error(r, 400, "VALIDATION_ERROR")
        fields = [f["field"] for f in err["details"]["fields"]]
        self.assertIn(field, fields, err)
        return err

    def accepted(self, r):
        self.assertEqual(r.status, 202, r.body[:500])
        body = r.json()
        self.assertEqual(body["status"], "pending")
        self.assertEqual(body["job"]["id"], body["job_id"])
        return body["job_id"]


# -- 1. submit and watch ----------------------------------------------------------------------------

class SubmitAndWatch(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_noop_events_in_order_then_completed(self):
        """A stream opened before the job exists shows created, started, progress…, completed in order with
        strictly increasing ids; GET then shows the job completed with its result and progress 100."""
        jid = "watch-noop-1"
        st = EventStream(self.s, "?job_id=" + jid)
        try:
            self.assertEqual(st.resp.status, 200)
            self.assertTrue(st.resp.getheader("Content-Type").startswith("text/event-stream"))
            r = submit(self.s, "noop", {"n": 3}, job_id=jid)
            self.assertEqual(self.accepted(r), jid)
            events = st.until(lambda e: e.type.split(".", 1)[1] in TERMINAL)
        finally:
            st.close()
        self.assertEqual(st.comments[:2], ["retry: 2000", ": moonreel queue events"])
        types = [e.type for e in events]
        self.assertEqual(types, ["job.created", "job.started"] + ["job.progress"] * 3 + ["job.completed"], types)
        ids = [e.id for e in events]
        self.assertEqual(ids, sorted(set(ids)), "ids must strictly increase")
        for e in events:
            self.assertEqual((e.data["id"], e.data["type"], e.data["job_id"], e.data["workflow"]),
                             (e.id, e.type, jid, "noop"))
            for key in ("project_id", "clip_id", "status", "attempts", "progress", "at"):
                self.assertIn(key, e.data)
        self.assertEqual([e.data["status"] for e in events],
                         ["pending"] + ["processing"] * 4 + ["completed"])
        self.assertEqual(events[1].data["attempts"], 1)
        percents = [e.data["progress"]["percent"] for e in events if e.type == "job.progress"]
        self.assertEqual(percents, sorted(percents))
        self.assertEqual(percents[-1], 100)

        job = get_job(self.s, jid)
        self.assertEqual(job["status"], "completed")
        self.assertEqual(job["result"], {"n": 3})
        self.assertEqual(job["progress"]["percent"], 100)
        self.assertEqual(job["attempts"], 1)
        self.assertIsNone(job["error"])
        self.assertIsNotNone(job["started_at"])
        self.assertIsNotNone(job["finished_at"])
        self.assertNotIn("position", job)

    def test_job_object_shape_and_defaults(self):
        """A submitted job carries every documented field, with the defaults filled in."""
        r = submit(self.s, "noop", {"n": 1})
        jid = self.accepted(r)
        job = r.json()["job"]
        for key in ("id", "workflow", "status", "priority", "attempts", "max_attempts", "timeout_s", "input",
                    "progress", "result", "error", "project_id", "clip_id", "idempotency_key", "webhook_url",
                    "cancel_requested", "created_at", "started_at", "finished_at", "updated_at"):
            self.assertIn(key, job)
        self.assertEqual((job["workflow"], job["priority"], job["attempts"], job["max_attempts"]), ("noop", 0, 0, 3))
        self.assertEqual(job["input"], {"n": 1})
        self.assertEqual(set(job["progress"]), {"percent", "step", "eta_s"})
        self.assertFalse(job["cancel_requested"])
        wait_status(self.s, jid, "completed")

    def test_defaults_from_the_schema_are_stored(self):
        """An omitted input field gets the schema default (noop's n = 0)."""
        jid = self.accepted(submit(self.s, "noop", {}))
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual((job["status"], job["result"]), ("completed", {"n": 0}))

    def test_clip_fills_project_and_list_filters(self):
        """A job for a clip gets the clip's project; list filters by clip_id, project_id, workflow and status,
        newest first, with the page envelope."""
        p, c = create_clip(self.s)
        first = self.accepted(submit(self.s, "noop", {"n": 1}, clip_id=c["id"]))
        second = self.accepted(submit(self.s, "noop", {"n": 2}, clip_id=c["id"]))
        self.assertEqual(get_job(self.s, first)["project_id"], p["id"])
        wait_status(self.s, first, "completed")
        wait_status(self.s, second, "completed")
        page = self.s.get(Q + "/jobs?clip_id=%s&limit=1" % c["id"]).json()
        self.assertEqual(set(page), {"items", "total", "limit", "offset"})
        self.assertEqual((page["total"], page["limit"], page["offset"]), (2, 1, 0))
        self.assertEqual([j["id"] for j in page["items"]], [second])
        page = self.s.get(Q + "/jobs?clip_id=%s&limit=1&offset=1" % c["id"]).json()
        self.assertEqual([j["id"] for j in page["items"]], [first])
        by_project = self.s.get(Q + "/jobs?project_id=" + p["id"]).json()
        self.assertEqual([j["id"] for j in by_project["items"]], [second, first])
        by_wf = self.s.get(Q + "/jobs?workflow=noop&status=completed&limit=500").json()["items"]
        self.assertTrue({first, second} <= {j["id"] for j in by_wf})
        self.assertTrue(all(j["workflow"] == "noop" and j["status"] == "completed" for j in by_wf))
        self.assertEqual(self.s.get(Q + "/jobs?status=processing&workflow=noop").json()["total"], 0)
        events = events_of(self.s, first, "job.completed")
        self.assertTrue(all(e.data["project_id"] == p["id"] and e.data["clip_id"] == c["id"] for e in events))
        # The stream filtered by project shows this project's jobs only: both of them, each to completion.
        st = EventStream(self.s, "?project_id=" + p["id"])
        finished = set()
        try:
            events = st.until(lambda e: e.type == "job.completed" and (finished.add(e.data["job_id"]) or
                                                                         len(finished) == 2))
        finally:
            st.close()
        self.assertEqual({e.data["job_id"] for e in events}, {first, second})
        self.assertTrue(all(e.data["project_id"] == p["id"] for e in events))

    def test_status_endpoint(self):
        """GET /queue/status reports counts by status, workers, the limit and the workflows."""
        st = queue_status(self.s)
        self.assertEqual(set(st["counts"]), {"pending", "processing", "completed", "failed", "cancelled"})
        self.assertEqual(st["workers"], 2)
        self.assertEqual(st["max_pending"], 10000)
        self.assertFalse(st["paused"])
        self.assertIsInstance(st["last_event_id"], int)
        self.assertIn("providers", st)
        self.assertTrue({"noop", "ticker", "spin", "boom", "flaky"} <= set(st["workflows"]), st["workflows"])


# -- 2. cancel ---------------------------------------------------------------------------------------

class Cancel(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_cancel_pending_is_immediate(self):
        """A pending job (queue paused) is cancelled at once and never runs, even after resume."""
        self.s.request("POST", Q + "/pause")
        try:
            jid = self.accepted(submit(self.s, "noop", {"n": 1}))
            r = self.s.request("DELETE", Q + "/jobs/" + jid)
            self.assertEqual(r.status, 200, r.body)
            body = r.json()
            self.assertEqual((body["job_id"], body["status"], body["job"]["status"]), (jid, "cancelled", "cancelled"))
            self.assertEqual(get_job(self.s, jid)["status"], "cancelled")
        finally:
            self.s.request("POST", Q + "/resume")
        # A job submitted after it runs to completion; by then the cancelled one would have run first.
        later = self.accepted(submit(self.s, "noop", {"n": 1}))
        wait_status(self.s, later, "completed")
        job = get_job(self.s, jid)
        self.assertEqual((job["status"], job["attempts"], job["started_at"]), ("cancelled", 0, None))
        types = [e.type for e in events_of(self.s, jid, "job.cancelled")]
        self.assertEqual(types, ["job.created", "job.cancelled"])
        self.assert_error(self.s.request("DELETE", Q + "/jobs/" + jid), 409, "CONFLICT")

    def test_cancel_running_progress_loop(self):
        """A running job answers 'cancelling', then stops at its next progress point: cancelled, not completed."""
        jid = self.accepted(submit(self.s, "ticker", {"steps": 100000, "ms": 20}))
        wait_status(self.s, jid, "processing")
        r = self.s.request("DELETE", Q + "/jobs/" + jid)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["status"], "cancelling")
        self.assertTrue(r.json()["job"]["cancel_requested"])
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual(job["status"], "cancelled", job)
        self.assertIsNone(job["result"])
        types = [e.type for e in events_of(self.s, jid, "job.cancelled")]
        self.assertIn("job.cancelling", types)
        self.assertLess(types.index("job.cancelling"), types.index("job.cancelled"))
        self.assertNotIn("job.completed", types)

    def test_cancel_tight_lua_loop(self):
        """A pure-Lua `while true` loop that never reports progress is stopped by cancel too."""
        jid = self.accepted(submit(self.s, "spin"))
        wait_status(self.s, jid, "processing")
        r = self.s.request("DELETE", Q + "/jobs/" + jid)
        self.assertEqual((r.status, r.json()["status"]), (200, "cancelling"))
        job = wait_status(self.s, jid, TERMINAL, timeout=30)
        self.assertEqual(job["status"], "cancelled", job)
        # The worker is free again: a new job runs.
        wait_status(self.s, self.accepted(submit(self.s, "noop")), "completed")

    def test_cancel_finished_or_unknown(self):
        """Cancelling a completed job is a 409 CONFLICT (and changes nothing); an unknown id is a 404."""
        jid = self.accepted(submit(self.s, "noop", {"n": 1}))
        wait_status(self.s, jid, "completed")
        self.assert_error(self.s.request("DELETE", Q + "/jobs/" + jid), 409, "CONFLICT")
        self.assertEqual(get_job(self.s, jid)["status"], "completed")
        self.assert_error(self.s.request("DELETE", Q + "/jobs/no-such-job"), 404, "RESOURCE_NOT_FOUND")
        self.assert_error(self.s.get(Q + "/jobs/no-such-job"), 404, "RESOURCE_NOT_FOUND")


# -- 3. timeout --------------------------------------------------------------------------------------

class Timeout(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_progress_loop_times_out(self):
        """timeout_s=1 on a job that loops forever: failed with JOB_TIMEOUT, not retried."""
        jid = self.accepted(submit(self.s, "ticker", {"steps": 100000, "ms": 20}, timeout_s=1))
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual(job["status"], "failed", job)
        self.assertEqual(job["error"]["code"], "JOB_TIMEOUT")
        self.assertEqual((job["attempts"], job["timeout_s"]), (1, 1))
        failed = events_of(self.s, jid, "job.failed")[-1]
        self.assertEqual(failed.data["error"]["code"], "JOB_TIMEOUT")

    def test_tight_loop_times_out(self):
        """The same limit ends a loop that never yields to the engine."""
        jid = self.accepted(submit(self.s, "spin", timeout_s=1))
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual((job["status"], job["error"]["code"], job["attempts"]), ("failed", "JOB_TIMEOUT", 1))


# -- 4. pause and priority -------------------------------------------------------------------------

class PauseAndPriority(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server(["--job-workers", "1"])

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def tearDown(self):
        self.s.request("POST", Q + "/resume")
        wait_idle(self.s)

    def started_order(self, since, ids):
        """The order in which `ids` got job.started, read from the stream after event `since`."""
        st = EventStream(self.s, "?last_event_id=%d" % since)
        done = set()
        try:
            events = st.until(lambda e: e.data.get("job_id") in ids and e.type == "job.completed"
                              and (done.add(e.data["job_id"]) or len(done) == len(ids)))
        finally:
            st.close()
        return [e.data["job_id"] for e in events if e.type == "job.started" and e.data["job_id"] in ids]

    def test_reprioritised_job_runs_first(self):
        """Paused: three jobs wait at positions 1, 2, 3; raising the last one's priority makes it position 1;
        after resume it is the first to start."""
        r = self.s.request("POST", Q + "/pause")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.json()["paused"])
        ids = [self.accepted(submit(self.s, "noop", {"n": 1})) for _ in range(3)]
        self.assertEqual([get_job(self.s, i)["position"] for i in ids], [1, 2, 3])
        r = self.s.request("PUT", Q + "/jobs/%s/priority" % ids[2], {"priority": 5})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["id"], r.json()["priority"], r.json()["status"]), (ids[2], 5, "pending"))
        self.assertEqual([get_job(self.s, i)["position"] for i in ids], [2, 3, 1])
        self.assertEqual(queue_status(self.s)["counts"]["pending"], 3)
        mark = queue_status(self.s)["last_event_id"]
        r = self.s.request("POST", Q + "/resume")
        self.assertFalse(r.json()["paused"])
        self.assertEqual(self.started_order(mark, set(ids)), [ids[2], ids[0], ids[1]])
        for i in ids:
            self.assertEqual(get_job(self.s, i)["status"], "completed")
        self.assert_error(self.s.request("PUT", Q + "/jobs/%s/priority" % ids[0], {"priority": 9}), 409, "CONFLICT")

    def test_priority_at_submit_then_fifo(self):
        """Higher priority runs first; within one priority, first in first out."""
        self.s.request("POST", Q + "/pause")
        a = self.accepted(submit(self.s, "noop", priority=0))
        b = self.accepted(submit(self.s, "noop", priority=0))
        c = self.accepted(submit(self.s, "noop", priority=7))
        d = self.accepted(submit(self.s, "noop", priority=7))
        e = self.accepted(submit(self.s, "noop", priority=-3))
        self.assertEqual([get_job(self.s, i)["position"] for i in (c, d, a, b, e)], [1, 2, 3, 4, 5])
        mark = queue_status(self.s)["last_event_id"]
        self.s.request("POST", Q + "/resume")
        self.assertEqual(self.started_order(mark, {a, b, c, d, e}), [c, d, a, b, e])

    def test_paused_queue_starts_nothing(self):
        """While paused, a submitted job stays pending and no worker is busy; after resume it runs. The stream
        shows queue.paused, the job's creation, and no job.started before queue.resumed."""
        mark = queue_status(self.s)["last_event_id"]
        self.s.request("POST", Q + "/pause")
        held = self.accepted(submit(self.s, "noop"))
        # Give the worker a few round trips' worth of chances to (wrongly) take it.
        for _ in range(5):
            self.assertEqual(get_job(self.s, held)["status"], "pending")
            self.assertEqual(queue_status(self.s)["busy"], 0)
        self.s.request("POST", Q + "/resume")
        wait_status(self.s, held, "completed")
        st = EventStream(self.s, "?last_event_id=%d" % mark)
        try:
            types = [e.type for e in st.until(lambda e: e.type == "queue.resumed")]
        finally:
            st.close()
        self.assertEqual(types[0], "queue.paused")
        self.assertLess(types.index("job.created"), types.index("queue.resumed"))
        self.assertNotIn("job.started", types[:types.index("queue.resumed")])

    def test_priority_validation(self):
        """A priority must be an integer: anything else is a 400; unknown job is a 404."""
        self.s.request("POST", Q + "/pause")
        jid = self.accepted(submit(self.s, "noop"))
        self.assert_error(self.s.request("PUT", Q + "/jobs/%s/priority" % jid, {"priority": "high"}),
                          400, "VALIDATION_ERROR")
        self.assert_error(self.s.request("PUT", Q + "/jobs/nope/priority", {"priority": 1}), 404, "RESOURCE_NOT_FOUND")


# -- 5. failures and retries ------------------------------------------------------------------------

class Retries(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server(["--set", "jobs.retry_backoff_s=0.05"])

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_plain_error_fails_once_and_manual_retry_reruns(self):
        """error("boom") fails at once (WORKFLOW_ERROR, attempts 1, no automatic retry); POST …/retry answers
        202 with attempts reset to 0 and the job runs again."""
        jid = self.accepted(submit(self.s, "boom"))
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual((job["status"], job["error"]["code"], job["attempts"]), ("failed", "WORKFLOW_ERROR", 1))
        self.assertIn("boom", job["error"]["message"])
        self.assertNotIn("job.retrying", [e.type for e in events_of(self.s, jid, "job.failed")])
        r = self.s.request("POST", Q + "/jobs/%s/retry" % jid)
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual((r.json()["id"], r.json()["status"], r.json()["attempts"]), (jid, "pending", 0))
        self.assertIsNone(r.json()["error"])
        types = [e.type for e in events_of(self.s, jid, "job.failed", count=2)]
        self.assertEqual(types, ["job.created", "job.started", "job.failed", "job.requeued", "job.started",
                                 "job.failed"])
        job = get_job(self.s, jid)
        self.assertEqual((job["status"], job["attempts"]), ("failed", 1))

    def test_retryable_failure_exhausts_attempts(self):
        """ctx.fail(…, {retryable = true}) every time: retried after a backoff until attempts 3, then failed."""
        jid = self.accepted(submit(self.s, "flaky", {"succeed_on": 99}))
        job = wait_status(self.s, jid, ("completed", "failed", "cancelled"))
        self.assertEqual((job["status"], job["attempts"], job["max_attempts"]), ("failed", 3, 3), job)
        self.assertEqual(job["error"]["code"], "UPSTREAM_DOWN")
        self.assertEqual(job["error"]["message"], "the GPU server did not answer")
        types = [e.type for e in events_of(self.s, jid, "job.failed")]
        self.assertEqual(types.count("job.started"), 3)
        self.assertEqual(types.count("job.retrying"), 2)

    def test_retryable_failure_then_success(self):
        """Failing retryably on attempts 1 and 2 and succeeding on 3: completed with attempts 3."""
        jid = self.accepted(submit(self.s, "flaky", {"succeed_on": 3}))
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual((job["status"], job["attempts"], job["result"]), ("completed", 3, {"attempt": 3}), job)
        self.assertIsNone(job["error"])

    def test_max_attempts_per_job(self):
        """A job's own max_attempts overrides jobs.max_attempts."""
        jid = self.accepted(submit(self.s, "flaky", {"succeed_on": 99}, max_attempts=2))
        job = wait_status(self.s, jid, TERMINAL)
        self.assertEqual((job["status"], job["attempts"], job["max_attempts"]), ("failed", 2, 2))

    def test_retry_cancelled_job_completes(self):
        """A cancelled job can be retried and then completes."""
        self.s.request("POST", Q + "/pause")
        try:
            jid = self.accepted(submit(self.s, "noop", {"n": 2}))
            self.assertEqual(self.s.request("DELETE", Q + "/jobs/" + jid).json()["status"], "cancelled")
        finally:
            self.s.request("POST", Q + "/resume")
        self.assertEqual(self.s.request("POST", Q + "/jobs/%s/retry" % jid).status, 202)
        job = wait_status(self.s, jid, "completed")
        self.assertEqual((job["attempts"], job["result"]), (1, {"n": 2}))

    def test_retry_only_failed_or_cancelled(self):
        """Retrying a completed job is a 409 CONFLICT; an unknown job is a 404."""
        jid = self.accepted(submit(self.s, "noop"))
        wait_status(self.s, jid, "completed")
        self.assert_error(self.s.request("POST", Q + "/jobs/%s/retry" % jid), 409, "CONFLICT")
        self.assertEqual(get_job(self.s, jid)["status"], "completed")
        self.assert_error(self.s.request("POST", Q + "/jobs/nope/retry"), 404, "RESOURCE_NOT_FOUND")


# -- 6 and 8. idempotency and validation ------------------------------------------------------------

class SubmitRules(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def total(self):
        return self.s.get(Q + "/jobs?limit=1").json()["total"]

    def test_same_idempotency_key_returns_same_job(self):
        """The same Idempotency-Key twice: 202, then 200 with the same job; no second job is made."""
        a = submit(self.s, "noop", {"n": 1}, headers={"Idempotency-Key": "idem-key-1"})
        jid = self.accepted(a)
        self.assertEqual(a.json()["job"]["idempotency_key"], "idem-key-1")
        total = self.total()
        b = submit(self.s, "noop", {"n": 1}, headers={"Idempotency-Key": "idem-key-1"})
        self.assertEqual(b.status, 200, b.body)
        self.assertEqual((b.json()["job_id"], b.json()["job"]["id"]), (jid, jid))
        self.assertEqual(self.total(), total)
        wait_status(self.s, jid, "completed")
        c = submit(self.s, "noop", {"n": 1}, headers={"Idempotency-Key": "idem-key-1"})
        self.assertEqual((c.status, c.json()["job_id"], c.json()["status"]), (200, jid, "completed"))
        self.assertEqual(self.total(), total)

    def test_same_job_id_returns_same_job(self):
        """A client-chosen job_id is the job's id; submitting it again answers 200 with that job."""
        a = submit(self.s, "noop", job_id="client-chosen.1")
        self.assertEqual(self.accepted(a), "client-chosen.1")
        total = self.total()
        b = submit(self.s, "noop", job_id="client-chosen.1")
        self.assertEqual((b.status, b.json()["job_id"]), (200, "client-chosen.1"))
        self.assertEqual(self.total(), total)
        listed = self.s.get(Q + "/jobs?limit=500").json()["items"]
        self.assertEqual(sum(j["id"] == "client-chosen.1" for j in listed), 1)

    def test_validation_errors(self):
        """Unknown workflow, missing workflow, bad input type, unknown clip, bad webhook URL, malformed JSON:
        400s with the error envelope; nothing is queued and the server stays healthy."""
        total = self.total()
        self.assert_field_error(submit(self.s, "no_such_workflow"), "workflow")
        self.assert_field_error(self.s.request("POST", Q + "/jobs", {"input": {}}), "workflow")
        self.assert_field_error(submit(self.s, "noop", {"n": "many"}), "input.n")
        self.assert_field_error(submit(self.s, "noop", {"n": 1}, clip_id="no-such-clip"), "clip_id")
        self.assert_field_error(submit(self.s, "noop", webhook_url="ftp://example.com/x"), "webhook_url")
        self.assert_field_error(submit(self.s, "noop", priority="high"), "priority")
        self.assert_field_error(submit(self.s, "noop", job_id="has spaces"), "job_id")
        self.assert_error(self.s.request("POST", Q + "/jobs", "{not json",
                                         headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST")
        self.assertEqual(self.total(), total)
        self.assertEqual(self.s.health()["status"], "ok")
        wait_status(self.s, self.accepted(submit(self.s, "noop", {"n": 1})), "completed")

    def test_list_query_validation(self):
        """A bad list filter is a 400 VALIDATION_ERROR."""
        self.assert_error(self.s.get(Q + "/jobs?status=sleeping"), 400, "VALIDATION_ERROR")
        self.assert_error(self.s.get(Q + "/jobs?limit=0"), 400, "VALIDATION_ERROR")

    def test_clear_deletes_finished_jobs_only(self):
        """POST /queue/clear deletes completed/failed/cancelled jobs and leaves pending ones."""
        done = self.accepted(submit(self.s, "noop"))
        wait_status(self.s, done, "completed")
        self.s.request("POST", Q + "/pause")
        try:
            waiting = self.accepted(submit(self.s, "noop"))
            r = self.s.request("POST", Q + "/clear", {})
            self.assertEqual(r.status, 200, r.body)
            self.assertGreaterEqual(r.json()["deleted"], 1)
            self.assert_error(self.s.get(Q + "/jobs/" + done), 404, "RESOURCE_NOT_FOUND")
            self.assertEqual(get_job(self.s, waiting)["status"], "pending")
        finally:
            self.s.request("POST", Q + "/resume")
        wait_status(self.s, waiting, "completed")


# -- 7. backpressure ---------------------------------------------------------------------------------

class Backpressure(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.s = start_server(["--set", "jobs.max_pending=3"])

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_queue_full_answers_429_with_retry_after(self):
        """Past jobs.max_pending, a submission gets 429 QUEUE_FULL with an integer Retry-After ≥ 1; repeats
        of accepted jobs still answer 200; a freed slot accepts again."""
        self.assertEqual(queue_status(self.s)["max_pending"], 3)
        self.s.request("POST", Q + "/pause")
        try:
            ids = [self.accepted(submit(self.s, "noop", headers={"Idempotency-Key": "bp-%d" % i}))
                   for i in range(3)]
            total = self.s.get(Q + "/jobs").json()["total"]
            r = submit(self.s, "noop")
            self.assert_error(r, 429, "QUEUE_FULL")
            retry_after = r.header("Retry-After")
            self.assertIsNotNone(retry_after, r.headers)
            self.assertRegex(retry_after, r"^\d+$")
            self.assertGreaterEqual(int(retry_after), 1)
            self.assertEqual(self.s.get(Q + "/jobs").json()["total"], total)
            again = submit(self.s, "noop", headers={"Idempotency-Key": "bp-0"})
            self.assertEqual((again.status, again.json()["job_id"]), (200, ids[0]))
            self.assertEqual(submit(self.s, "noop", job_id=ids[1]).status, 200)
            # Cancelling a pending job frees its slot.
            self.assertEqual(self.s.request("DELETE", Q + "/jobs/" + ids[2]).json()["status"], "cancelled")
            freed = self.accepted(submit(self.s, "noop"))
            self.assert_error(submit(self.s, "noop"), 429, "QUEUE_FULL")
        finally:
            self.s.request("POST", Q + "/resume")
        for jid in (ids[0], ids[1], freed):
            wait_status(self.s, jid, "completed")
        wait_idle(self.s)
        wait_status(self.s, self.accepted(submit(self.s, "noop")), "completed")


# -- 9. SSE resume -----------------------------------------------------------------------------------

class EventResume(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        # A server of its own: only this job writes events, so a job's event ids are consecutive.
        cls.s = start_server(["--job-workers", "1"])

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_resume_after_last_event_id(self):
        """Read some of a job's events, disconnect, reconnect with Last-Event-ID: the next event is exactly
        last+1, and the two reads together equal one uninterrupted read (no gap, no repeat)."""
        jid = "resume-1"
        st = EventStream(self.s, "?job_id=" + jid)
        try:
            self.accepted(submit(self.s, "ticker", {"steps": 10, "ms": 30}, job_id=jid))
            first = st.take(3)
        finally:
            st.close()
        self.assertEqual([e.type for e in first], ["job.created", "job.started", "job.progress"])
        last = first[-1].id
        st = EventStream(self.s, "?job_id=" + jid, last_event_id=last)
        try:
            rest = st.until(lambda e: e.type == "job.completed")
        finally:
            st.close()
        self.assertEqual(rest[0].id, last + 1)
        combined = [e.id for e in first + rest]
        self.assertEqual(combined, list(range(combined[0], combined[0] + len(combined))), combined)
        whole = [e.id for e in events_of(self.s, jid, "job.completed")]
        self.assertEqual(combined, whole)

    def test_resume_with_query_parameter(self):
        """?last_event_id=N resumes exactly like the Last-Event-ID header."""
        jid = self.accepted(submit(self.s, "noop", {"n": 4}))
        whole = events_of(self.s, jid, "job.completed")
        cut = whole[2].id
        st = EventStream(self.s, "?job_id=%s&last_event_id=%d" % (jid, cut))
        try:
            rest = st.until(lambda e: e.type == "job.completed")
        finally:
            st.close()
        self.assertEqual([e.id for e in rest], [e.id for e in whole[3:]])


# -- 10 and 12. crash safety and restarts -------------------------------------------------------

def parse_batch_log(path):
    """'start <id> <attempt>' / 'done <id>' lines → (starts [(id, attempt)], dones [id])."""
    starts, dones = [], []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if parts and parts[0] == "start":
                    starts.append((parts[1], int(parts[2])))
                elif parts and parts[0] == "done":
                    dones.append(parts[1])
    return starts, dones


class CrashSafety(ApiAssertions):
    def setUp(self):
        self.s = None

    def tearDown(self):
        if self.s:
            self.s.cleanup()

    def test_kill_9_mid_batch(self):
        """kill -9 while jobs run, restart on the same data: all 20 jobs complete, each exactly once; jobs that
        were running at the kill ran again (attempts 2, after a WORKER_LOST retry); finished ones never re-ran."""
        self.s = s = start_server(["--job-workers", "2"])
        log = os.path.join(s.tmp, "batch.log")
        ids = [self.accepted(submit(s, "batch", {"log": log, "steps": 5, "ms": 25}, job_id="crash-%02d" % i))
               for i in range(20)]

        def mid_batch():
            starts, dones = parse_batch_log(log)
            return len(dones) >= 4 and {i for i, _ in starts} - set(dones)
        self.assertTrue(wait_until(mid_batch, 60, interval=0.002), "the batch never got going")
        s.stop(sig=signal.SIGKILL)
        starts_before, dones_before = parse_batch_log(log)  # frozen: the process is gone
        done_before = set(dones_before)
        running_at_kill = {i for i, _ in starts_before} - done_before
        self.assertTrue(running_at_kill, "no job was running at the kill (test setup)")

        s.start()
        wait_idle(s)
        page = s.get(Q + "/jobs?workflow=batch&limit=100").json()
        self.assertEqual(page["total"], 20)
        jobs = {j["id"]: j for j in page["items"]}
        self.assertEqual(set(jobs), set(ids))
        not_done = {i: (j["status"], j["error"]) for i, j in jobs.items() if j["status"] != "completed"}
        self.assertEqual(not_done, {})

        starts, dones = parse_batch_log(log)
        counts = collections.Counter(dones)
        self.assertEqual({i: n for i, n in counts.items() if n != 1}, {}, "completed more than once")
        self.assertEqual(set(counts), set(ids))
        starts_after = starts[len(starts_before):]
        self.assertEqual({i for i, _ in starts_after} & done_before, set(), "a completed job ran again")
        for jid in done_before:
            self.assertEqual(jobs[jid]["attempts"], 1, jid)
        for jid in running_at_kill:
            self.assertEqual(jobs[jid]["attempts"], 2, (jid, jobs[jid]))
            self.assertIn((jid, 2), starts_after)
            retrying = [e for e in events_of(s, jid, "job.completed") if e.type == "job.retrying"]
            self.assertEqual([e.data["error"]["code"] for e in retrying], ["WORKER_LOST"], jid)
        for jid in set(ids) - done_before - running_at_kill:
            self.assertIn(jobs[jid]["attempts"], (1, 2), jid)

    def test_kill_9_with_cancel_requested_or_no_attempts_left(self):
        """A job asked to cancel before the crash ends cancelled after it (not re-run); a job with no attempts
        left that was running at the crash ends failed with WORKER_LOST."""
        self.s = s = start_server(["--job-workers", "2"])
        to_cancel = self.accepted(submit(s, "nap", {"s": 30}))
        last_try = self.accepted(submit(s, "nap", {"s": 30}, max_attempts=1))
        wait_status(s, to_cancel, "processing")
        wait_status(s, last_try, "processing")
        self.assertEqual(s.request("DELETE", Q + "/jobs/" + to_cancel).json()["status"], "cancelling")
        restart(s, signal.SIGKILL)
        job = wait_status(s, to_cancel, TERMINAL)
        self.assertEqual((job["status"], job["attempts"]), ("cancelled", 1), job)
        job = wait_status(s, last_try, TERMINAL)
        self.assertEqual((job["status"], job["error"]["code"], job["attempts"]), ("failed", "WORKER_LOST", 1), job)
        self.assertEqual(queue_status(s)["counts"]["processing"], 0)

    def test_pause_survives_restart(self):
        """A paused queue is still paused after a restart (SIGTERM); its pending job waits, then runs on resume."""
        self.s = s = start_server()
        self.assertTrue(s.request("POST", Q + "/pause").json()["paused"])
        jid = self.accepted(submit(s, "noop", {"n": 1}))
        restart(s, signal.SIGTERM)
        st = queue_status(s)
        self.assertTrue(st["paused"], st)
        job = get_job(s, jid)
        self.assertEqual((job["status"], job["position"]), ("pending", 1))
        self.assertFalse(s.request("POST", Q + "/resume").json()["paused"])
        wait_status(s, jid, "completed")
        restart(s, signal.SIGTERM)
        self.assertFalse(queue_status(s)["paused"])

    def test_sigterm_with_event_client_starts_no_new_jobs(self):
        """SIGTERM while a (quiet) event-stream client is connected: jobs still pending at the signal are not
        started (after a restart they are untouched: pending, attempts 0), and the server is not cut off by
        the shutdown grace timer."""
        self.s = s = start_server(["--job-workers", "2"])
        running = [self.accepted(submit(s, "ticker", {"steps": 20, "ms": 100})) for _ in range(2)]
        waiting = [self.accepted(submit(s, "ticker", {"steps": 20, "ms": 100})) for _ in range(4)]
        for jid in running:
            wait_status(s, jid, "processing")
        self.assertEqual([get_job(s, j)["status"] for j in waiting], ["pending"] * 4)
        st = EventStream(s, "?job_id=quiet-subscriber").wait_open()  # connected; no event matches its filter
        try:
            s.stop(sig=signal.SIGTERM, timeout=60)
        finally:
            st.close()
        first_log = s.log()
        s.args = ["--job-workers", "0"]  # look at the jobs without running any
        s.start()
        after = {j: get_job(s, j) for j in waiting}
        self.assertEqual({j: (x["status"], x["attempts"]) for j, x in after.items()},
                         {j: ("pending", 0) for j in waiting},
                         "jobs were started after SIGTERM")
        self.assertNotIn("shutdown grace period over", first_log)


# -- 11. webhooks ------------------------------------------------------------------------------------

class Receiver:
    """A local HTTP server recording webhook POSTs; `plan[path]` lists the statuses to answer, then 200."""

    def __init__(self):
        self.calls = []  # (path, headers, body)
        self.plan = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.calls.append((self.path, self.headers, body))
                    queue = receiver.plan.get(self.path) or []
                    status = queue.pop(0) if queue else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.httpd.server_port, path)

    def calls_to(self, path):
        with self.lock:
            return [c for c in self.calls if c[0] == path]

    def wait_calls(self, path, n, timeout=60):
        return wait_until(lambda: len(self.calls_to(path)) >= n and self.calls_to(path), timeout)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


SECRET = b"testsecret"


class Webhooks(ApiAssertions):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.s = start_server(["--set", "webhooks.secret=testsecret", "--set", "webhooks.backoff_s=0.05"])

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        cls.rx.stop()

    def assert_signed(self, headers, body):
        sig = headers.get("X-Moonreel-Signature")
        self.assertIsNotNone(sig, dict(headers))
        parts = dict(p.split("=", 1) for p in sig.split(","))
        self.assertEqual(set(parts), {"t", "v1"}, sig)
        self.assertRegex(parts["t"], r"^\d+$")
        self.assertLess(abs(int(parts["t"]) - time.time()), 3600, "t is not a current unix time")
        want = hmac.new(SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        self.assertTrue(hmac.compare_digest(parts["v1"], want), "signature does not verify: %s" % sig)
        wrong = hmac.new(b"other", parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        self.assertNotEqual(parts["v1"], wrong)

    def test_completed_job_webhook_is_signed(self):
        """A completed job with webhook_url gets one POST: event job.completed, the job object, a delivery id,
        and an X-Moonreel-Signature that verifies as HMAC-SHA256(secret, "<t>.<body>")."""
        jid = self.accepted(submit(self.s, "noop", {"n": 2}, webhook_url=self.rx.url("/done")))
        self.assertEqual(get_job(self.s, jid)["webhook_url"], self.rx.url("/done"))
        wait_status(self.s, jid, "completed")
        calls = self.rx.wait_calls("/done", 1)
        self.assertTrue(calls, "no webhook delivered")
        _, headers, body = calls[0]
        self.assertTrue(headers.get("Content-Type", "").startswith("application/json"))
        self.assertEqual(headers.get("X-Moonreel-Event"), "job.completed")
        self.assertTrue(headers.get("X-Moonreel-Delivery"))
        payload = json.loads(body)
        self.assertEqual(payload["event"], "job.completed")
        self.assertEqual((payload["job"]["id"], payload["job"]["status"], payload["job"]["result"]),
                         (jid, "completed", {"n": 2}))
        self.assert_signed(headers, body)

    def test_failing_receiver_gets_retries(self):
        """The receiver answers 500 twice, then 200: delivered on the 3rd try, same delivery id and body,
        each try signed; no 4th try."""
        self.rx.plan["/flaky"] = [500, 500]
        jid = self.accepted(submit(self.s, "noop", {"n": 1}, webhook_url=self.rx.url("/flaky")))
        wait_status(self.s, jid, "completed")
        calls = self.rx.wait_calls("/flaky", 3)
        self.assertTrue(calls, "expected 3 tries, got %d" % len(self.rx.calls_to("/flaky")))
        self.assertEqual(len({c[1].get("X-Moonreel-Delivery") for c in calls}), 1)
        self.assertEqual(len({c[2] for c in calls}), 1)
        for _, headers, body in calls:
            self.assert_signed(headers, body)
        self.assertEqual(json.loads(calls[-1][2])["job"]["id"], jid)
        # A later delivery arriving means the sender moved on; the delivered one was not sent again.
        marker = self.accepted(submit(self.s, "noop", webhook_url=self.rx.url("/marker")))
        wait_status(self.s, marker, "completed")
        self.assertTrue(self.rx.wait_calls("/marker", 1))
        self.assertEqual(len(self.rx.calls_to("/flaky")), 3)

    def test_failed_and_cancelled_jobs_notify(self):
        """A failed job's webhook says job.failed (with the error); a cancelled one says job.cancelled."""
        failed = self.accepted(submit(self.s, "boom", webhook_url=self.rx.url("/failed")))
        wait_status(self.s, failed, "failed")
        calls = self.rx.wait_calls("/failed", 1)
        self.assertTrue(calls, "no webhook for a failed job")
        payload = json.loads(calls[0][2])
        self.assertEqual((calls[0][1].get("X-Moonreel-Event"), payload["event"]), ("job.failed", "job.failed"))
        self.assertEqual(payload["job"]["error"]["code"], "WORKFLOW_ERROR")
        self.assert_signed(calls[0][1], calls[0][2])

        self.s.request("POST", Q + "/pause")
        try:
            cancelled = self.accepted(submit(self.s, "noop", webhook_url=self.rx.url("/cancelled")))
            self.s.request("DELETE", Q + "/jobs/" + cancelled)
        finally:
            self.s.request("POST", Q + "/resume")
        calls = self.rx.wait_calls("/cancelled", 1)
        self.assertTrue(calls, "no webhook for a cancelled job")
        payload = json.loads(calls[0][2])
        self.assertEqual((payload["event"], payload["job"]["id"], payload["job"]["status"]),
                         ("job.cancelled", cancelled, "cancelled"))


if __name__ == "__main__":
    unittest.main()
