"""tests/e2e/test_http_core.py — the request/response surface of the real binary over real HTTP.

One body of assertions runs twice (as Redis runs its tests over several
modes): against a server started cold on the fixture app, and against a
server started empty whose tree was then hot-reloaded into the fixture app.
"""
import json
import os
import shutil
import unittest

from harness import APPS, Server, multipart


class CoreSurface:
    srv = None

    def test_health_on_both_paths(self):
        for path in ("/health", "/api/v1/health"):
            r = self.srv.get(path)
            self.assertEqual(r.status, 200)
            body = r.json()
            self.assertEqual(body["status"], "ok")
            self.assertIn("version", body)
            self.assertGreaterEqual(body["uptime_s"], 0)
            self.assertGreaterEqual(body["scripts"]["generation"], 1)
            self.assertIsNone(body["scripts"]["last_error"])
            self.assertRegex(body["scripts"]["loaded_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_route_from_lua_with_shared_module(self):
        r = self.srv.get("/hello")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"message": "hello"})
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertRegex(r.header("X-Request-Id"), r"^[0-9a-f]{16}$")

    def test_request_has_params_query_headers_and_id(self):
        r = self.srv.get("/echo/p-1?limit=5&tag=a&tag=b", headers={"User-Agent": "e2e", "X-Request-Id": "trace-123"})
        body = r.json()
        self.assertEqual(body["params"], {"id": "p-1"})
        self.assertEqual(body["query"], {"limit": "5", "tag": "a"})
        self.assertEqual(body["query_all"]["tag"], ["a", "b"])
        self.assertEqual(body["agent"], "e2e")
        self.assertEqual(body["id"], "trace-123")
        self.assertEqual(r.header("X-Request-Id"), "trace-123")

    def test_json_body_round_trips_null_empty_containers_and_utf8(self):
        doc = {"a": None, "list": [], "obj": {}, "n": 1, "f": 1.5, "s": "héllo ✓ 🎬", "nested": [{"x": [1, 2]}]}
        r = self.srv.request("POST", "/echo", body=doc)
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json()["json"], doc)
        self.assertIn(b'"list":[]', r.body)
        self.assertIn(b'"obj":{}', r.body)

    def test_malformed_json_is_400_with_envelope(self):
        r = self.srv.request("POST", "/echo", body=b'{"a": ', headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        err = r.json()["error"]
        self.assertEqual(err["code"], "BAD_REQUEST")
        self.assertIn("invalid JSON", err["message"])
        self.assertEqual(err["details"], {})

    def test_unknown_path_is_404_envelope(self):
        r = self.srv.get("/nope/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"]["code"], "RESOURCE_NOT_FOUND")

    def test_wrong_method_is_405_with_allow(self):
        r = self.srv.request("PUT", "/items/7", body={})
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "DELETE, GET, HEAD")
        self.assertEqual(r.json()["error"]["code"], "METHOD_NOT_ALLOWED")

    def test_head_answers_like_get_without_body(self):
        r = self.srv.request("HEAD", "/hello")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")

    def test_rest_parameter_captures_the_remaining_path(self):
        self.assertEqual(self.srv.get("/assets/2026/11/a.png").json(), {"path": "2026/11/a.png"})

    def test_handler_error_raises_envelope_with_details(self):
        r = self.srv.get("/missing/abc")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"error": {"code": "RESOURCE_NOT_FOUND",
                                              "message": "Project with id 'abc' not found",
                                              "details": {"id": "abc"}}})

    def test_uncaught_lua_error_is_500_and_traceback_only_in_log(self):
        r = self.srv.get("/boom")
        self.assertEqual(r.status, 500)
        err = r.json()["error"]
        self.assertEqual(err["code"], "INTERNAL_ERROR")
        self.assertNotIn("core.lua", r.body.decode())
        self.assertNotIn("traceback", r.body.decode())
        rid = r.header("X-Request-Id")
        log = self.srv.log()
        lines = [l for l in log.splitlines() if rid in l and "uncaught Lua error" in l]
        self.assertTrue(lines, log[-2000:])
        self.assertIn("api/core.lua", lines[0])
        self.assertIn("stack traceback", lines[0])

    def test_writing_a_global_is_an_error_naming_file_and_line(self):
        r = self.srv.get("/global")
        self.assertEqual(r.status, 500)
        self.assertIn("api/core.lua:", self.srv.log())
        self.assertIn("assignment to undeclared global 'leaked'", self.srv.log())

    def test_raw_bytes_text_and_empty_responses(self):
        r = self.srv.get("/bytes")
        self.assertEqual(r.body, b"\0\1\2binary")
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        self.assertEqual(r.header("X-Custom"), "yes")
        r = self.srv.get("/text")
        self.assertEqual(r.body, b"plain text")
        self.assertTrue(r.header("Content-Type").startswith("text/plain"))
        self.assertEqual(self.srv.get("/empty").status, 204)

    def test_streaming_response_is_chunked(self):
        r = self.srv.get("/stream")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/event-stream")
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.assertEqual(r.body, b"data: 1\n\ndata: 2\n\ndata: 3\n\n")

    def test_multipart_upload_gives_files_and_fields(self):
        body, ctype = multipart({"title": "shot 1"}, {"file": ("a.png", b"\x89PNG" + b"x" * 1000, "image/png")})
        r = self.srv.request("POST", "/upload", body=body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r.body)
        out = r.json()
        self.assertEqual(out["form"], {"title": "shot 1"})
        self.assertEqual(out["files"]["file"]["filename"], "a.png")
        self.assertEqual(out["files"]["file"]["size"], 1004)
        self.assertEqual(out["files"]["file"]["content_type"], "image/png")

    def test_cors_is_off_by_default(self):
        r = self.srv.get("/hello", headers={"Origin": "http://example.test"})
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))

    def test_server_survives_bad_input(self):
        for _ in range(3):
            self.srv.get("/boom")
            self.srv.request("POST", "/echo", body=b"\xff\xfe", headers={"Content-Type": "application/json"})
        self.assertEqual(self.srv.get("/hello").status, 200)


class ColdStart(CoreSurface, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("core").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()


class HotReloadedTree(CoreSurface, unittest.TestCase):
    """Starts on an empty tree, then the fixture app arrives while serving."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(None).start()
        gen = cls.srv.health()["scripts"]["generation"]
        src = os.path.join(APPS, "core")
        shutil.copytree(os.path.join(src, "scripts"), os.path.join(cls.srv.root, "scripts"))
        for name in os.listdir(os.path.join(src, "api")):
            with open(os.path.join(src, "api", name)) as f:
                cls.srv.write_file(os.path.join("api", name), f.read())
        if not cls.srv.wait_generation(gen):
            raise RuntimeError("tree was not reloaded")
        # Wait until the route table includes the fixture.
        from harness import wait_until
        if not wait_until(lambda: cls.srv.get("/hello").status == 200):
            raise RuntimeError("fixture routes never appeared:\n" + cls.srv.log())

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()


class Limits(unittest.TestCase):
    def test_body_over_the_limit_is_413_envelope_and_server_stays_up(self):
        srv = Server("core", args=["--set", "server.max_body_bytes=1024"]).start()
        try:
            r = srv.request("POST", "/echo", body=b"x" * 4096, headers={"Content-Type": "application/octet-stream"})
            self.assertEqual(r.status, 413)
            self.assertEqual(r.json()["error"]["code"], "PAYLOAD_TOO_LARGE")
            self.assertEqual(srv.request("POST", "/echo", body={"ok": True}).status, 201)
        finally:
            srv.cleanup()

    def test_cors_allow_list(self):
        srv = Server("core", env={"MOONREEL_SERVER_CORS_ORIGINS": "http://app.test,http://other.test"}).start()
        try:
            r = srv.get("/hello", headers={"Origin": "http://app.test"})
            self.assertEqual(r.header("Access-Control-Allow-Origin"), "http://app.test")
            self.assertEqual(r.header("Vary"), "Origin")
            r = srv.get("/hello", headers={"Origin": "http://evil.test"})
            self.assertIsNone(r.header("Access-Control-Allow-Origin"))
            r = srv.request("OPTIONS", "/items/1", headers={"Origin": "http://app.test",
                                                           "Access-Control-Request-Method": "DELETE",
                                                           "Access-Control-Request-Headers": "content-type"})
            self.assertEqual(r.status, 204)
            self.assertIn("DELETE", r.header("Access-Control-Allow-Methods"))
            self.assertEqual(r.header("Access-Control-Allow-Headers"), "content-type")
        finally:
            srv.cleanup()

    def test_json_log_format(self):
        srv = Server("core", args=["--log-format", "json"]).start()
        try:
            rid = srv.get("/hello").header("X-Request-Id")
            srv.stop()
            entries = [json.loads(l) for l in srv.log().splitlines() if l.strip()]
            reqs = [e for e in entries if e["msg"] == "request" and e.get("request_id") == rid]
            self.assertEqual(len(reqs), 1)
            self.assertEqual(reqs[0]["method"], "GET")
            self.assertEqual(reqs[0]["path"], "/hello")
            self.assertEqual(reqs[0]["status"], 200)
            self.assertIn("duration_ms", reqs[0])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
