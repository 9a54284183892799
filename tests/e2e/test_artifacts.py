"""tests/e2e/test_artifacts.py — the artifact store through HTTP: atomic files, sidecars, /files/ serving."""
import hashlib
import os
import re
import unittest

from harness import Server, multipart


class Artifacts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("core").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def put(self, data, kind="image", ext="png"):
        body, ctype = multipart({"kind": kind, "ext": ext}, {"file": ("x." + ext, data, "image/png")})
        r = self.srv.request("POST", "/store", body=body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 201, r.body)
        return r.json()

    def test_put_writes_file_and_sidecar_in_date_folders(self):
        data = os.urandom(5000)
        a = self.put(data)
        self.assertRegex(a["path"], r"^\d{4}/\d\d/\d\d/image/[a-z2-9]{8}\.png$")
        self.assertEqual(a["url"], "/files/" + a["path"])
        self.assertEqual(a["bytes"], 5000)
        self.assertEqual(a["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(a["source"], "upload")
        full = os.path.join(self.srv.data, "artifacts", a["path"])
        with open(full, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertTrue(os.path.exists(full[:-4] + ".json"))
        leftovers = [n for _, _, files in os.walk(os.path.join(self.srv.data, "artifacts")) for n in files if ".tmp-" in n]
        self.assertEqual(leftovers, [])

    def test_ids_are_unique(self):
        ids = {self.put(b"x%d" % i)["id"] for i in range(30)}
        self.assertEqual(len(ids), 30)

    def test_served_with_type_etag_cache_and_ranges(self):
        data = bytes(range(256)) * 40
        a = self.put(data)
        r = self.srv.get(a["url"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, data)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.header("ETag"), '"%s"' % a["sha256"])
        self.assertIn("immutable", r.header("Cache-Control"))
        self.assertEqual(r.header("Accept-Ranges"), "bytes")
        r = self.srv.get(a["url"], headers={"Range": "bytes=100-199"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, data[100:200])
        self.assertEqual(r.header("Content-Range"), "bytes 100-199/%d" % len(data))
        r = self.srv.get(a["url"], headers={"If-None-Match": '"%s"' % a["sha256"]})
        self.assertEqual(r.status, 304)

    def test_path_tricks_are_refused(self):
        a = self.put(b"secret-neighbour")
        outside = os.path.join(self.srv.tmp, "outside.txt")
        with open(outside, "w") as f:
            f.write("outside")
        day = os.path.dirname(os.path.join(self.srv.data, "artifacts", a["path"]))
        os.symlink(outside, os.path.join(day, "link.png"))
        rel_day = os.path.dirname(a["path"])
        for path in ["/files/../server.log", "/files/%2e%2e/%2e%2e/server.log", "/files//etc/passwd",
                     "/files/" + rel_day + "/../../../../../server.log", "/files/" + rel_day + "/link.png",
                     "/files/" + rel_day + "/.hidden", "/files/"]:
            r = self.srv.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.json()["error"]["code"], "RESOURCE_NOT_FOUND")
            self.assertNotIn(b"outside", r.body)
        self.assertEqual(self.srv.get("/health").status, 200)

    def test_remove_takes_file_and_sidecar(self):
        a = self.put(b"bye")
        self.assertEqual(self.srv.request("DELETE", "/store/" + a["path"]).json(), {"removed": True})
        self.assertEqual(self.srv.get(a["url"]).status, 404)
        self.assertEqual(self.srv.get("/store/sidecar/" + a["path"]).json(), {"missing": True})


if __name__ == "__main__":
    unittest.main()
