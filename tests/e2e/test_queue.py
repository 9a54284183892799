"""tests/e2e/test_queue.py — the durable job queue through the real binary: submit, events, cancel,
pause, priority, retry, idempotency, backpressure, webhooks, and crash recovery (kill -9)."""
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

# Test workflows, written into the server's copy of the app before it starts.
WORKFLOWS = {
    "workflows/sleepy.lua": """
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local engine = require("moonreel.engine")
return workflow.define{
  input = schema.object({ steps = schema.integer({ default = 1000 }), ms = schema.number({ default = 20 }),
                          log = schema.string() }),
  run = function(ctx, input)
    for i = 1, input.steps do
      ctx.progress(i * 100 / input.steps, "step " .. i)
      engine.sleep(input.ms / 1000)
    end
    return { steps = input.steps }
  end,
  complete = function(ctx, result, input)
    if input.log then
      local f = assert(io.open(input.log, "a"))
      f:write(ctx.job.id, "\\n")
      f:close()
    end
  end,
}
""",
    "workflows/spin.lua": """
local workflow = require("moonreel.workflow")
return workflow.define{
  run = function(ctx, input)
    local x = 0
    while true do x = x + 1 end
  end,
}
""",
    "workflows/boom.lua": """
local workflow = require("moonreel.workflow")
return workflow.define{ run = function(ctx, input) error("boom") end }
""",
    "workflows/flaky.lua": """
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
return workflow.define{
  input = schema.object({ succeed_on = schema.integer({ default = 99 }) }),
  run = function(ctx, input)
    if ctx.job.attempts < input.succeed_on then
      ctx.fail("UPSTREAM_DOWN", "the GPU server did not answer", { retryable = true })
    end
    return { attempt = ctx.job.attempts }
  end,
}
""",
}

Q = "/api/v1/queue"


def start(args=()):
    s = Server("repo", args=list(args))
    for rel, text in WORKFLOWS.items():
        s.write_file(rel, text)
    return s.start()


def submit(s, workflow="noop", input=None, headers=None, **extra):
    body = dict(workflow=workflow, input=input or {}, **extra)
    return s.request("POST", Q + "/jobs", body, headers=headers)


def job(s, jid):
    return s.get(Q + "/jobs/" + jid).json()


def wait_status(s, jid, statuses, timeout=20):
    statuses = statuses if isinstance(statuses, (list, tuple)) else [statuses]
    got = wait_until(lambda: job(s, jid)["status"] in statuses and job(s, jid), timeout)
    if not got:
        raise AssertionError("job %s never reached %s: %s" % (jid, statuses, job(s, jid)))
    return got


def read_events(s, path, count, headers=None, timeout=15):
    """Reads `count` SSE events from path; returns [(id, type, data)]."""
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=timeout)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    assert r.status == 200, r.status
    assert r.getheader("Content-Type").startswith("text/event-stream")
    events, cur = [], {}
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        line = r.fp.readline().decode().rstrip("\n")
        if line == "":
            if "data" in cur:
                events.append((int(cur["id"]), cur["event"], json.loads(cur["data"])))
            cur = {}
            continue
        if line.startswith(":"):
            continue
        k, _, v = line.partition(": ")
        cur[k] = v
    conn.close()
    return events


class SubmitAndWatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_submit_events_completed(self):
        """A job is accepted at once (202), runs, and its events arrive in order with growing ids."""
        r = submit(self.s, "noop", {"n": 3})
        self.assertEqual(r.status, 202)
        jid = r.json()["job_id"]
        self.assertEqual(r.json()["status"], "pending")
        done = wait_status(self.s, jid, "completed")
        self.assertEqual(done["result"], {"n": 3})
        self.assertEqual(done["progress"]["percent"], 100)
        self.assertEqual(done["attempts"], 1)
        events = read_events(self.s, Q + "/events?job_id=" + jid, 6)
        types = [e[1] for e in events]
        self.assertEqual(types[0], "job.created")
        self.assertEqual(types[1], "job.started")
        self.assertEqual(types[-1], "job.completed")
        self.assertIn("job.progress", types)
        ids = [e[0] for e in events]
        self.assertEqual(ids, sorted(ids))
        self.assertTrue(all(e[2]["job_id"] == jid for e in events))

    def test_resume_with_last_event_id(self):
        """Reconnecting with Last-Event-ID continues right after it: no gap, no repeat."""
        jid = submit(self.s, "noop", {"n": 5}).json()["job_id"]
        wait_status(self.s, jid, "completed")
        first = read_events(self.s, Q + "/events?job_id=" + jid, 3)
        rest = read_events(self.s, Q + "/events?job_id=" + jid, 5, headers={"Last-Event-ID": str(first[-1][0])})
        all_events = read_events(self.s, Q + "/events?job_id=" + jid, 8)
        self.assertEqual([e[0] for e in first + rest], [e[0] for e in all_events])

    def test_validation(self):
        """Unknown workflow, bad input, unknown clip, malformed JSON: 400s with the envelope; nothing queued."""
        before = self.s.get(Q + "/jobs").json()["total"]
        r = submit(self.s, "nope")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["details"]["fields"][0]["field"], "workflow")
        r = submit(self.s, "noop", {"n": "many"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["details"]["fields"][0]["field"], "input.n")
        r = submit(self.s, "noop", clip_id="missing")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["details"]["fields"][0]["field"], "clip_id")
        r = submit(self.s, "noop", webhook_url="ftp://x/")
        self.assertEqual(r.status, 400)
        r = self.s.request("POST", Q + "/jobs", "{not json", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.s.get(Q + "/jobs").json()["total"], before)
        self.assertEqual(self.s.get(Q + "/jobs/unknown").status, 404)
        self.assertEqual(self.s.health()["status"], "ok")

    def test_idempotent_resubmit(self):
        """The same Idempotency-Key or job_id returns the same job (200), never a second one."""
        a = submit(self.s, "noop", headers={"Idempotency-Key": "k-1"})
        b = submit(self.s, "noop", headers={"Idempotency-Key": "k-1"})
        self.assertEqual((a.status, b.status), (202, 200))
        self.assertEqual(a.json()["job_id"], b.json()["job_id"])
        c = submit(self.s, "noop", job_id="client-chosen-1")
        d = submit(self.s, "noop", job_id="client-chosen-1")
        self.assertEqual((c.status, d.status), (202, 200))
        self.assertEqual(c.json()["job_id"], "client-chosen-1")
        listed = self.s.get(Q + "/jobs?limit=500").json()["items"]
        self.assertEqual(sum(1 for j in listed if j["id"] == "client-chosen-1"), 1)
        self.assertEqual(sum(1 for j in listed if j["idempotency_key"] == "k-1"), 1)

    def test_cancel_running_and_tight_loop(self):
        """A running job stops at its next progress point; a tight Lua loop is stopped too."""
        jid = submit(self.s, "sleepy", {"steps": 100000, "ms": 5}).json()["job_id"]
        wait_status(self.s, jid, "processing")
        r = self.s.request("DELETE", Q + "/jobs/" + jid)
        self.assertEqual(r.status, 200)
        self.assertIn(r.json()["status"], ("cancelling", "cancelled"))
        wait_status(self.s, jid, "cancelled")
        spin = submit(self.s, "spin").json()["job_id"]
        wait_status(self.s, spin, "processing")
        self.s.request("DELETE", Q + "/jobs/" + spin)
        wait_status(self.s, spin, "cancelled")
        self.assertEqual(self.s.request("DELETE", Q + "/jobs/" + spin).status, 409)

    def test_timeout(self):
        """A job past its timeout_s fails with JOB_TIMEOUT, even in a loop that never yields."""
        jid = submit(self.s, "spin", timeout_s=1).json()["job_id"]
        done = wait_status(self.s, jid, "failed")
        self.assertEqual(done["error"]["code"], "JOB_TIMEOUT")

    def test_errors_and_retry(self):
        """A plain error fails at once; retry re-runs it; retry of a completed job is a conflict."""
        jid = submit(self.s, "boom").json()["job_id"]
        done = wait_status(self.s, jid, "failed")
        self.assertEqual(done["error"]["code"], "WORKFLOW_ERROR")
        self.assertIn("boom", done["error"]["message"])
        self.assertEqual(done["attempts"], 1)
        r = self.s.request("POST", Q + "/jobs/%s/retry" % jid)
        self.assertEqual(r.status, 202)
        wait_status(self.s, jid, "failed")
        ok = submit(self.s, "noop").json()["job_id"]
        wait_status(self.s, ok, "completed")
        self.assertEqual(self.s.request("POST", Q + "/jobs/%s/retry" % ok).status, 409)


class RetriesAndOrder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = start(["--job-workers", "1", "--set", "jobs.retry_backoff_s=0.05"])

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_retryable_failures(self):
        """Retryable failures run again after a backoff: success on attempt 3, or failed after max_attempts."""
        ok = submit(self.s, "flaky", {"succeed_on": 3}).json()["job_id"]
        done = wait_status(self.s, ok, "completed")
        self.assertEqual(done["attempts"], 3)
        self.assertEqual(done["result"], {"attempt": 3})
        bad = submit(self.s, "flaky", max_attempts=2).json()["job_id"]
        done = wait_status(self.s, bad, "failed")
        self.assertEqual(done["attempts"], 2)
        self.assertEqual(done["error"]["code"], "UPSTREAM_DOWN")

    def test_pause_priority_resume(self):
        """Paused: jobs wait with positions; a priority change reorders them; resume runs the new first."""
        self.s.request("POST", Q + "/pause")
        self.assertTrue(self.s.get(Q + "/status").json()["paused"])
        ids = [submit(self.s, "noop").json()["job_id"] for _ in range(3)]
        self.assertEqual([job(self.s, i)["position"] for i in ids], [1, 2, 3])
        r = self.s.request("PUT", Q + "/jobs/%s/priority" % ids[2], {"priority": 10})
        self.assertEqual(r.status, 200)
        self.assertEqual(job(self.s, ids[2])["position"], 1)
        cancelled = self.s.request("DELETE", Q + "/jobs/" + ids[1]).json()
        self.assertEqual(cancelled["status"], "cancelled")
        time.sleep(0.2)
        self.assertEqual(job(self.s, ids[0])["status"], "pending")
        mark = self.s.get(Q + "/status").json()["last_event_id"]
        self.s.request("POST", Q + "/resume")
        wait_status(self.s, ids[0], "completed"), wait_status(self.s, ids[2], "completed")
        events = read_events(self.s, Q + "/events?last_event_id=%d" % mark, 5)
        started = [e[2]["job_id"] for e in events if e[1] == "job.started"]
        self.assertEqual(started, [ids[2], ids[0]])
        self.assertEqual(self.s.request("PUT", Q + "/jobs/%s/priority" % ids[0], {"priority": 1}).status, 409)

    def test_clear(self):
        """Clear deletes finished jobs only."""
        jid = submit(self.s, "noop").json()["job_id"]
        wait_status(self.s, jid, "completed")
        r = self.s.request("POST", Q + "/clear", {})
        self.assertGreaterEqual(r.json()["deleted"], 1)
        self.assertEqual(self.s.get(Q + "/jobs/" + jid).status, 404)


class Backpressure(unittest.TestCase):
    def test_429_past_max_pending(self):
        """Past jobs.max_pending, submissions get 429 QUEUE_FULL with Retry-After; repeats still answer."""
        s = start(["--set", "jobs.max_pending=3"])
        try:
            s.request("POST", Q + "/pause")
            for i in range(3):
                self.assertEqual(submit(s, "noop", headers={"Idempotency-Key": "bp-%d" % i}).status, 202)
            r = submit(s, "noop")
            self.assertEqual(r.status, 429)
            self.assertEqual(r.json()["error"]["code"], "QUEUE_FULL")
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            self.assertEqual(submit(s, "noop", headers={"Idempotency-Key": "bp-0"}).status, 200)
            s.request("POST", Q + "/resume")
            wait_until(lambda: s.get(Q + "/status").json()["counts"]["pending"] == 0, 20)
            self.assertEqual(submit(s, "noop").status, 202)
        finally:
            s.cleanup()


class Receiver(http.server.BaseHTTPRequestHandler):
    """Records webhook POSTs; answers 500 to the first `fail_first` of them."""
    calls, fail_first = [], 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.calls.append((dict(self.headers), body))
        self.send_response(500 if len(Receiver.calls) <= Receiver.fail_first else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Webhooks(unittest.TestCase):
    def test_delivered_signed_and_retried(self):
        """A finished job's webhook arrives signed (HMAC-SHA256 of "t.body"), after two 500s."""
        Receiver.calls, Receiver.fail_first = [], 2
        httpd = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        s = start(["--set", "webhooks.secret=testsecret", "--set", "webhooks.backoff_s=0.05"])
        try:
            url = "http://127.0.0.1:%d/hook" % httpd.server_port
            jid = submit(s, "noop", {"n": 1}, webhook_url=url).json()["job_id"]
            wait_status(s, jid, "completed")
            self.assertTrue(wait_until(lambda: len(Receiver.calls) >= 3, 20), Receiver.calls)
            headers, body = Receiver.calls[-1]
            self.assertEqual(headers["X-Moonreel-Event"], "job.completed")
            payload = json.loads(body)
            self.assertEqual(payload["job"]["id"], jid)
            self.assertEqual(payload["job"]["status"], "completed")
            t, v1 = headers["X-Moonreel-Signature"].split(",")
            ts = t.split("=", 1)[1]
            want = hmac.new(b"testsecret", (ts + ".").encode() + body, hashlib.sha256).hexdigest()
            self.assertEqual(v1, "v1=" + want)
            delivery_ids = {h["X-Moonreel-Delivery"] for h, _ in Receiver.calls}
            self.assertEqual(len(delivery_ids), 1)
            self.assertTrue(wait_until(lambda: s.get(Q + "/status").json()["webhooks"].get("delivered") == 1, 10))
        finally:
            s.cleanup()
            httpd.shutdown()


class CrashSafety(unittest.TestCase):
    def test_kill_9_mid_batch(self):
        """After SIGKILL mid-batch and a restart, every job completes exactly once; interrupted ones count 2 attempts."""
        s = start(["--job-workers", "2"])
        log = os.path.join(s.tmp, "completions.log")
        try:
            ids = [submit(s, "sleepy", {"steps": 5, "ms": 40, "log": log}).json()["job_id"] for _ in range(20)]
            wait_until(lambda: sum(1 for i in ids if job(s, i)["status"] == "completed") >= 2, 20)
            running = [i for i in ids if job(s, i)["status"] == "processing"]
            s.stop(sig=signal.SIGKILL)
            restarted = Server(root=s.root, args=["--job-workers", "2"])
            restarted.data = s.data
            restarted.start()
            try:
                ok = wait_until(lambda: all(job(restarted, i)["status"] == "completed" for i in ids), 60)
                self.assertTrue(ok, [job(restarted, i)["status"] for i in ids])
                with open(log) as f:
                    lines = f.read().split()
                self.assertEqual(sorted(lines), sorted(ids))  # each completed once
                for i in running:
                    self.assertEqual(job(restarted, i)["attempts"], 2)
            finally:
                restarted.cleanup()
        finally:
            s.cleanup()

    def test_pause_survives_restart(self):
        """A paused queue is still paused after a restart."""
        s = start()
        try:
            s.request("POST", Q + "/pause")
            s.stop()
            again = Server(root=s.root)
            again.data = s.data
            again.start()
            try:
                self.assertTrue(again.get(Q + "/status").json()["paused"])
            finally:
                again.cleanup()
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
