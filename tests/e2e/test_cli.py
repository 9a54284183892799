"""tests/e2e/test_cli.py — `moonreel check | routes | config | repl` and the REPL socket of a live server."""
import os
import socket
import stat
import tempfile
import time
import unittest

from harness import APPS, Server, run_cli, wait_until

CORE = os.path.join(APPS, "core")


class Check(unittest.TestCase):
    def test_good_tree_passes(self):
        r = run_cli("check", "--root", CORE)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("routes", r.stdout)

    def test_broken_files_are_listed_with_file_and_line(self):
        root = tempfile.mkdtemp()
        os.makedirs(os.path.join(root, "api"))
        os.makedirs(os.path.join(root, "scripts"))
        with open(os.path.join(root, "api", "a.lua"), "w") as f:
            f.write("local r = \n\nfunction(\n")
        with open(os.path.join(root, "scripts", "b.lua"), "w") as f:
            f.write("return {\n")
        r = run_cli("check", "--root", root)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"api/a.lua:\d+: ")
        self.assertIn("scripts/b.lua:", r.stdout)
        self.assertIn("2 problem(s)", r.stdout)


class Routes(unittest.TestCase):
    def test_prints_the_route_table(self):
        r = run_cli("routes", "--root", CORE)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"GET\s+/echo/\{id\}\s+api/core.lua:\d+")
        self.assertRegex(r.stdout, r"DELETE\s+/items/\{id\}")
        self.assertIn("/health", r.stdout)


class ConfigLayers(unittest.TestCase):
    def test_defaults_file_env_flags_in_order(self):
        root = tempfile.mkdtemp()
        with open(os.path.join(root, "moonreel.conf.lua"), "w") as f:
            f.write("return { server = { port = 9001, workers = 3 }, log = { level = 'debug' }, app = { title = 'x' } }\n")
        r = run_cli("config", "--root", root, "--set", "server.workers=5",
                    env={"MOONREEL_SERVER_PORT": "9002", "MOONREEL_LOG_LEVEL": "warn"})
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = {l.split()[0]: l for l in r.stdout.splitlines()}
        self.assertIn("9002", lines["server.port"])
        self.assertIn("env MOONREEL_SERVER_PORT", lines["server.port"])
        self.assertIn("5", lines["server.workers"])
        self.assertIn("flag", lines["server.workers"])
        self.assertIn('"warn"', lines["log.level"])
        self.assertIn('"x"', lines["app.title"])
        self.assertIn("default", lines["server.host"])

    def test_unknown_key_and_bad_type_are_clear_errors(self):
        root = tempfile.mkdtemp()
        with open(os.path.join(root, "moonreel.conf.lua"), "w") as f:
            f.write("return { server = { prot = 1 } }\n")
        r = run_cli("config", "--root", root)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown configuration key 'server.prot'", r.stderr)
        r = run_cli("config", "--root", CORE, env={"MOONREEL_SERVER_PORT": "eighty"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("server.port", r.stderr)


class LocalRepl(unittest.TestCase):
    def test_stdin_lines_are_evaluated_and_printed(self):
        r = run_cli("repl", "--root", CORE, stdin="return 6*7\n")
        self.assertEqual(r.stdout, "42\n")
        self.assertEqual(r.returncode, 0)

    def test_expressions_multiline_tables_and_app_modules(self):
        src = "=1+1\nt = {}\nfor i = 1, 3 do\n  t[i] = i * i\nend\nreturn json.encode({a = {1, 2}})\n" \
              "return require('greeting').word()\nreturn {b = 1, a = 'x'}\n"
        r = run_cli("repl", "--root", CORE, stdin=src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '2\n{"a":[1,2]}\nhello\n{\n  a = "x",\n  b = 1,\n}\n')

    def test_errors_come_back_with_traceback_and_exit_code(self):
        r = run_cli("repl", "--root", CORE, stdin="error('nope')\nreturn 1\n")
        self.assertIn("nope", r.stderr)
        self.assertIn("stack traceback", r.stderr)
        self.assertEqual(r.stdout, "1\n")
        self.assertEqual(r.returncode, 1)


class SocketRepl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("core").start()
        cls.sock = os.path.join(cls.srv.data, "moonreel.sock")
        wait_until(lambda: os.path.exists(cls.sock))

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def session(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        s.settimeout(10)
        return s

    def ask(self, s, line):
        s.sendall(line.encode() + b"\n")
        buf = b""
        while b"\x1e" not in buf or not buf.split(b"\x1e", 1)[1].endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        text, status = buf.split(b"\x1e", 1)
        return status.strip().decode(), text.decode()

    def test_socket_is_private(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.sock).st_mode), 0o600)

    def test_client_command_on_stdin(self):
        r = run_cli("repl", "--connect", self.sock, stdin="return 6*7\nreturn require('greeting').word()\n")
        self.assertEqual(r.stdout, "42\nhello\n")
        self.assertEqual(r.returncode, 0)

    def test_sessions_have_their_own_environment(self):
        a, b = self.session(), self.session()
        self.assertEqual(self.ask(a, "x = 41"), ("ok", ""))
        self.assertEqual(self.ask(a, "return x + 1"), ("ok", "42\n"))
        status, text = self.ask(b, "return x")
        self.assertEqual(status, "error")
        self.assertIn("undeclared global 'x'", text)
        a.close(), b.close()

    def test_errors_have_traceback_and_incomplete_input_continues(self):
        s = self.session()
        status, text = self.ask(s, "error('bad thing')")
        self.assertEqual(status, "error")
        self.assertIn("bad thing", text)
        self.assertIn("stack traceback", text)
        self.assertEqual(self.ask(s, "local function f(n)")[0], "more")
        self.assertEqual(self.ask(s, "  return n * 2")[0], "more")
        self.assertEqual(self.ask(s, "end return f(21)"), ("ok", "42\n"))
        s.close()

    def test_runaway_command_is_interrupted_and_session_survives(self):
        s = self.session()
        s.sendall(b"while true do end\n")
        time.sleep(0.3)
        s.sendall(b"\x03")
        buf = b""
        while not buf.endswith(b"\n") or b"\x1e" not in buf:
            buf += s.recv(4096)
        self.assertIn(b"interrupted", buf)
        self.assertIn(b"\x1eerror", buf)
        self.assertEqual(self.ask(s, "return 'alive'"), ("ok", "alive\n"))
        s.close()
        self.assertEqual(self.srv.get("/hello").status, 200)


if __name__ == "__main__":
    unittest.main()
