"""tests/e2e/harness.py — start the real moonreel binary on an ephemeral port and talk HTTP to it.

Every end-to-end test goes through this: a temp copy of an app root, a temp
data dir, `moonreel serve --port 0`, the port read from its first stdout
line, and SIGTERM at the end. Python stdlib only (run with /usr/bin/python3).
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

BIN = os.environ.get("MOONREEL_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "moonreel"))
APPS = os.path.join(os.path.dirname(__file__), "apps")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def repo_app_copy(dest):
    """Copies the app served by `make run` (the repo root's api/, scripts/, workflows/, migrations/)."""
    os.makedirs(dest, exist_ok=True)
    for name in ("api", "scripts", "workflows", "migrations"):
        src = os.path.join(REPO, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, name))
    return dest


def wait_until(pred, timeout=10.0, interval=0.01):
    """Polls pred() until it returns a truthy value; returns it, or None at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    return None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Server:
    """A running `moonreel serve` over a private copy of an app root."""

    def __init__(self, app=None, args=(), env=None, root=None):
        self.tmp = tempfile.mkdtemp(prefix="mr-e2e-")
        self.root = root or os.path.join(self.tmp, "root")
        if root is None:
            if app == "repo":
                repo_app_copy(self.root)
            elif app:
                shutil.copytree(os.path.join(APPS, app), self.root)
            else:
                os.makedirs(os.path.join(self.root, "api"))
        self.data = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.port = None

    def start(self):
        self.log_file = open(self.log_path, "wb")
        cmd = [BIN, "serve", "--root", self.root, "--data", self.data, "--port", "0"] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log_file, env=self.env)
        line = self.proc.stdout.readline().decode()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError("server did not start: %r\n%s" % (line, self.log()))
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log_file", None):
            self.log_file.close()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return Response(r.status, r.getheaders(), data)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def health(self):
        return self.get("/health").json()

    def write_file(self, rel, text):
        """Writes a file of the app root the way editors save: temp file + rename."""
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp-" + uuid.uuid4().hex[:6]
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def wait_generation(self, above, timeout=10):
        return wait_until(lambda: self.health()["scripts"]["generation"] > above, timeout)


def multipart(fields, files):
    """Encodes a multipart/form-data body: fields {name: value}, files {name: (filename, bytes, type)}."""
    boundary = "----moonreel" + uuid.uuid4().hex
    out = []
    for name, value in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, name, value)).encode())
    for name, (filename, data, ctype) in files.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype)).encode() + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def run_cli(*args, stdin=None, env=None, timeout=30):
    """Runs the moonreel binary; returns CompletedProcess with text output."""
    return subprocess.run([BIN] + list(args), input=stdin, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=timeout)
