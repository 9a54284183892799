"""tests/e2e/test_reload.py — hot reload through the real binary: edit, break, fix, in-flight, shutdown."""
import os
import signal
import threading
import time
import unittest

from harness import Server, wait_until

ROUTE = """local router = require("moonreel.router")
local engine = require("moonreel.engine")
local r = router.new()
r:get("/word", function() return { word = "%s" } end)
r:get("/slow", function() engine.sleep(0.8); return { word = "%s" } end)
return r
"""


class HotReload(unittest.TestCase):
    def setUp(self):
        self.srv = Server(None)
        self.srv.write_file("api/word.lua", ROUTE % ("one", "one"))
        self.srv.start()

    def tearDown(self):
        self.srv.cleanup()

    def word(self):
        r = self.srv.get("/word")
        return r.json().get("word") if r.status == 200 else None

    def test_edit_is_served_without_restart(self):
        self.assertEqual(self.word(), "one")
        self.srv.write_file("api/word.lua", ROUTE % ("two", "two"))
        self.assertTrue(wait_until(lambda: self.word() == "two"), self.srv.log())
        self.assertEqual(self.srv.health()["scripts"]["generation"], 2)

    def test_broken_edit_keeps_old_code_and_reports_then_fix_clears(self):
        self.srv.write_file("api/word.lua", "local x = = 1\n")
        err = wait_until(lambda: self.srv.health()["scripts"]["last_error"])
        self.assertIsNotNone(err, self.srv.log())
        self.assertEqual(err["file"], "api/word.lua")
        self.assertEqual(err["line"], 1)
        self.assertIn("unexpected symbol", err["message"])
        self.assertEqual(self.word(), "one")  # old generation still serves
        self.assertEqual(self.srv.health()["scripts"]["generation"], 1)

        self.srv.write_file("api/word.lua", ROUTE % ("fixed", "fixed"))
        self.assertTrue(wait_until(lambda: self.word() == "fixed"))
        self.assertIsNone(self.srv.health()["scripts"]["last_error"])

    def test_runtime_error_at_load_names_file_and_line(self):
        self.srv.write_file("scripts/bad.lua", "local M = {}\nundefined_thing = 1\nreturn M\n")
        self.srv.write_file("api/word.lua", 'local bad = require("bad")\n' + ROUTE % ("x", "x"))
        err = wait_until(lambda: self.srv.health()["scripts"]["last_error"])
        self.assertIsNotNone(err, self.srv.log())
        self.assertEqual(err["file"], "scripts/bad.lua", self.srv.log())
        self.assertEqual(err["line"], 2)
        self.assertIn("undeclared global 'undefined_thing'", err["message"])
        self.assertEqual(self.word(), "one")

    def test_in_flight_request_finishes_on_its_generation(self):
        result = {}
        t = threading.Thread(target=lambda: result.update(r=self.srv.get("/slow").json()))
        t.start()
        time.sleep(0.2)  # the request is now running on generation 1
        self.srv.write_file("api/word.lua", ROUTE % ("new", "new"))
        self.assertTrue(wait_until(lambda: self.word() == "new"))
        t.join()
        self.assertEqual(result["r"], {"word": "one"})

    def test_new_file_adds_routes_and_deleted_file_removes_them(self):
        self.srv.write_file("api/extra.lua", 'local r = require("moonreel.router").new()\n'
                                             'r:get("/extra", function() return { ok = true } end)\nreturn r\n')
        self.assertTrue(wait_until(lambda: self.srv.get("/extra").status == 200), self.srv.log())
        os.remove(os.path.join(self.srv.root, "api", "extra.lua"))
        self.assertTrue(wait_until(lambda: self.srv.get("/extra").status == 404), self.srv.log())

    def test_sigterm_lets_in_flight_requests_finish_and_exits_0(self):
        result = {}
        t = threading.Thread(target=lambda: result.update(r=self.srv.get("/slow")))
        t.start()
        time.sleep(0.2)
        self.srv.proc.send_signal(signal.SIGTERM)
        t.join()
        self.assertEqual(result["r"].status, 200)
        self.assertEqual(self.srv.proc.wait(timeout=15), 0)
        self.assertIn("stopped", self.srv.log())


class BrokenAtStart(unittest.TestCase):
    def test_server_starts_reports_error_and_recovers(self):
        srv = Server(None)
        srv.write_file("api/a.lua", "return 42\n")
        srv.start()
        try:
            err = srv.health()["scripts"]["last_error"]
            self.assertIn("must return a router", err["message"])
            srv.write_file("api/a.lua", 'local r = require("moonreel.router").new()\n'
                                        'r:get("/a", function() return { a = 1 } end)\nreturn r\n')
            self.assertTrue(wait_until(lambda: srv.get("/a").status == 200))
            self.assertIsNone(srv.health()["scripts"]["last_error"])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
