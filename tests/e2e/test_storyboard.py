"""tests/e2e/test_storyboard.py — the storyboard REST API (issue: projects, scenes, clips, characters,
templates, media, OpenAPI) through the real binary, a real SQLite file and real HTTP."""
import json
import os
import struct
import threading
import unittest
import zlib

from harness import Server, multipart


def png_bytes(w=2, h=2):
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


WAV = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + \
    b"data" + struct.pack("<I", 0)


class Storyboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("repo").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    # -- helpers ---------------------------------------------------------------
    def call(self, method, path, body=None, expect=200, **kw):
        r = self.srv.request(method, "/api/v1" + path, body=body, **kw)
        self.assertEqual(r.status, expect, "%s %s -> %s" % (method, path, r.body[:400]))
        return r.json() if r.body else None

    def project(self, name="Music video"):
        return self.call("POST", "/projects", {"name": name, "description": "a test"}, 201)

    def scene(self, project_id, name="Intro", **extra):
        return self.call("POST", "/scenes", dict({"project_id": project_id, "name": name}, **extra), 201)

    def clip(self, scene_id, name="Shot", **extra):
        return self.call("POST", "/clips", dict({"scene_id": scene_id, "name": name}, **extra), 201)

    def assert_error(self, r, status, code):
        self.assertEqual(r.status, status, r.body)
        err = json.loads(r.body)["error"]
        self.assertEqual(err["code"], code)
        return err

    # -- projects ----------------------------------------------------------------
    def test_project_crud_and_list_envelope(self):
        p = self.project("Alpha")
        self.assertEqual(len(p["id"]), 26)
        self.assertRegex(p["created_at"], r"Z$")
        self.assertIsNone(p["music_file"])
        self.assertEqual(self.call("GET", "/projects/" + p["id"]), p)
        u = self.call("PUT", "/projects/" + p["id"], {"description": "changed"})
        self.assertEqual(u["description"], "changed")
        self.assertEqual(u["name"], "Alpha")
        page = self.call("GET", "/projects?limit=2&offset=0")
        self.assertEqual(set(page), {"items", "total", "limit", "offset"})
        self.assertEqual(page["limit"], 2)
        self.assertLessEqual(len(page["items"]), 2)
        self.assertGreaterEqual(page["total"], 1)
        self.call("DELETE", "/projects/" + p["id"])
        err = self.assert_error(self.srv.get("/api/v1/projects/" + p["id"]), 404, "RESOURCE_NOT_FOUND")
        self.assertEqual(err["message"], "Project with id '%s' not found" % p["id"])

    def test_validation_errors_are_shaped_like_the_schema(self):
        r = self.srv.request("POST", "/api/v1/projects", body={"description": 5, "bogus": 1})
        err = self.assert_error(r, 400, "VALIDATION_ERROR")
        fields = {f["field"]: f["issue"] for f in err["details"]["fields"]}
        self.assertEqual(fields["name"], "required")
        self.assertIn("bogus", fields)
        self.assertIn("description", fields)
        r = self.srv.request("POST", "/api/v1/projects", body=b"[1,2", headers={"Content-Type": "application/json"})
        self.assert_error(r, 400, "BAD_REQUEST")
        r = self.srv.request("GET", "/api/v1/projects?limit=0")
        self.assert_error(r, 400, "VALIDATION_ERROR")
        r = self.srv.request("POST", "/api/v1/projects", body=b"name=x", headers={"Content-Type": "text/plain"})
        self.assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
        self.assertEqual(self.call("GET", "/projects?limit=1")["limit"], 1)

    def test_with_scenes_orders_scenes_and_clips(self):
        p = self.project()
        s2 = self.scene(p["id"], "Second", order=2)
        s1 = self.scene(p["id"], "First", order=1)
        self.clip(s1["id"], "late", timeline_position=4.0)
        self.clip(s1["id"], "early", timeline_position=0.5)
        tree = self.call("GET", "/projects/%s/with-scenes" % p["id"])
        self.assertEqual([s["name"] for s in tree["scenes"]], ["First", "Second"])
        self.assertEqual([c["name"] for c in tree["scenes"][0]["clips"]], ["early", "late"])
        self.assertEqual(tree["scenes"][1]["clips"], [])
        self.assertEqual(tree["scenes"][1]["id"], s2["id"])

    def test_delete_project_cascades(self):
        p = self.project()
        s = self.scene(p["id"])
        c = self.clip(s["id"])
        ch = self.call("POST", "/characters", {"name": "Hero", "project_id": p["id"]}, 201)
        self.call("DELETE", "/projects/" + p["id"])
        for path in ("/scenes/" + s["id"], "/clips/" + c["id"], "/characters/" + ch["id"]):
            self.assertEqual(self.srv.get("/api/v1" + path).status, 404, path)

    def test_duplicate_is_a_deep_copy_with_new_ids(self):
        p = self.project("Orig")
        ch = self.call("POST", "/characters", {"name": "Hero", "project_id": p["id"], "trigger_words": ["hx"]}, 201)
        s = self.scene(p["id"], "S")
        alt = self.call("POST", "/scenes/%s/alternates" % s["id"], {}, 201)
        c = self.clip(s["id"], "C", character_id=ch["id"], image_prompt="a hero")
        self.call("POST", "/clips/%s/alternates" % c["id"], {}, 201)
        copy = self.call("POST", "/projects/%s/duplicate" % p["id"], None, 201)
        self.assertNotEqual(copy["id"], p["id"])
        self.assertEqual(copy["name"], "Orig (copy)")
        self.assertEqual(len(copy["scenes"]), 2)
        new_ids = {x["id"] for x in copy["scenes"]}
        self.assertFalse(new_ids & {s["id"], alt["id"]})
        copied_alt = [x for x in copy["scenes"] if x["is_alternate"]][0]
        self.assertIn(copied_alt["parent_scene_id"], new_ids)
        main = [x for x in copy["scenes"] if not x["is_alternate"]][0]
        self.assertEqual(len(main["clips"]), 2)
        chars = self.call("GET", "/characters?project_id=" + copy["id"])["items"]
        self.assertEqual(len(chars), 1)
        self.assertNotEqual(chars[0]["id"], ch["id"])
        self.assertEqual(chars[0]["trigger_words"], ["hx"])
        self.assertTrue(all(cl["character_id"] == chars[0]["id"] for cl in main["clips"]))

    # -- scenes --------------------------------------------------------------------
    def test_scenes_order_alternates_and_missing_parent(self):
        p = self.project()
        a = self.scene(p["id"], "A")
        b = self.scene(p["id"], "B")
        self.assertEqual((a["order"], b["order"]), (0, 1))
        alt1 = self.call("POST", "/scenes/%s/alternates" % a["id"], {"name": "A alt"}, 201)
        alt2 = self.call("POST", "/scenes/%s/alternates" % alt1["id"], {}, 201)
        self.assertEqual((alt1["parent_scene_id"], alt1["alternate_number"], alt1["is_alternate"]), (a["id"], 1, True))
        self.assertEqual((alt2["parent_scene_id"], alt2["alternate_number"]), (a["id"], 2))
        listed = self.call("GET", "/scenes/project/" + p["id"])
        self.assertEqual([x["id"] for x in listed["items"]], [a["id"], alt1["id"], alt2["id"], b["id"]])
        self.assertEqual(self.call("PUT", "/scenes/" + b["id"], {"order": 7})["order"], 7)
        r = self.srv.request("POST", "/api/v1/scenes", body={"project_id": "nope", "name": "x"})
        err = self.assert_error(r, 400, "VALIDATION_ERROR")
        self.assertEqual(err["details"]["fields"][0]["field"], "project_id")
        self.assert_error(self.srv.get("/api/v1/scenes/project/nope"), 404, "RESOURCE_NOT_FOUND")
        self.call("DELETE", "/scenes/" + a["id"])
        self.assertEqual(self.srv.get("/api/v1/scenes/" + alt1["id"]).status, 404)

    # -- clips ---------------------------------------------------------------------
    def test_clip_lifecycle_timeline_alternates_gallery(self):
        p = self.project()
        s = self.scene(p["id"])
        c = self.clip(s["id"], "Shot 1", image_prompt="city at night", length=2.5)
        self.assertEqual(c["generated_images"], [])
        self.assertEqual(c["length"], 2.5)
        t = self.call("PUT", "/clips/%s/timeline" % c["id"], {"timeline_position": 3, "length": 1.5})
        self.assertEqual((t["timeline_position"], t["length"]), (3, 1.5))
        for bad in ({"timeline_position": -1}, {"timeline_position": 1, "length": 0}, {}):
            r = self.srv.request("PUT", "/api/v1/clips/%s/timeline" % c["id"], body=bad)
            self.assert_error(r, 400, "VALIDATION_ERROR")
        alt = self.call("POST", "/clips/%s/alternates" % c["id"], {}, 201)
        self.assertEqual((alt["parent_clip_id"], alt["alternate_number"], alt["image_prompt"]),
                         (c["id"], 1, "city at night"))
        g = self.call("GET", "/clips/%s/gallery" % c["id"])
        self.assertEqual(g, {"generated_images": [], "generated_videos": [], "selected_image": None,
                             "selected_video": None})
        r = self.srv.request("PUT", "/api/v1/clips/" + c["id"], body={"lyrics": "la la", "selected_image": "/files/x.png"})
        self.assert_error(r, 400, "VALIDATION_ERROR")  # a selected picture must be a stored file
        u = self.call("PUT", "/clips/" + c["id"], {"lyrics": "la la"})
        self.assertEqual(u["lyrics"], "la la")
        self.assertEqual(len(self.call("GET", "/clips/scene/" + s["id"])["items"]), 2)
        self.call("DELETE", "/clips/" + c["id"])
        self.assertEqual(self.srv.get("/api/v1/clips/" + alt["id"]).status, 404)
        r = self.srv.request("POST", "/api/v1/clips", body={"scene_id": s["id"], "name": "x", "character_id": "ghost"})
        self.assert_error(r, 400, "VALIDATION_ERROR")

    # -- characters and templates ------------------------------------------------------
    def test_characters_filter_and_reference_images(self):
        p = self.project()
        ch = self.call("POST", "/characters", {"name": "Ada", "project_id": p["id"], "lora": "ada_v1"}, 201)
        self.call("POST", "/characters", {"name": "Shared"}, 201)
        mine = self.call("GET", "/characters?project_id=" + p["id"])
        self.assertEqual([x["name"] for x in mine["items"]], ["Ada"])
        body, ctype = multipart({}, {"file": ("face.png", png_bytes(), "image/png")})
        r = self.srv.request("POST", "/api/v1/characters/%s/reference-images" % ch["id"], body=body,
                             headers={"Content-Type": ctype})
        self.assertEqual(r.status, 201, r.body)
        urls = r.json()["reference_images"]
        self.assertEqual(len(urls), 1)
        self.assertEqual(self.srv.get(urls[0]).body, png_bytes())
        body, ctype = multipart({}, {"file": ("fake.png", b"not an image at all", "image/png")})
        r = self.srv.request("POST", "/api/v1/characters/%s/reference-images" % ch["id"], body=body,
                             headers={"Content-Type": ctype})
        self.assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
        self.assertEqual(len(self.call("GET", "/characters/" + ch["id"])["reference_images"]), 1)

    def test_templates_crud_and_apply(self):
        p = self.project()
        s = self.scene(p["id"])
        c1 = self.clip(s["id"], "a", image_prompt="a cat")
        self.clip(s["id"], "b", image_prompt="")
        t = self.call("POST", "/templates", {"name": "Noir", "prompt_prefix": "film noir", "prompt_suffix": "35mm",
                                             "negative_prompt": "color", "default_parameters": {"steps": 30}}, 201)
        self.assertEqual(t["default_parameters"], {"steps": 30})
        res = self.call("POST", "/templates/%s/apply" % t["id"], {"scene_id": s["id"]})
        self.assertEqual(res["clips_examined"], 2)
        self.assertEqual(res["clips_changed"], 2)
        self.assertEqual(self.call("GET", "/clips/" + c1["id"])["image_prompt"], "film noir, a cat, 35mm")
        again = self.call("POST", "/templates/%s/apply" % t["id"], {"project_id": p["id"]})
        self.assertEqual(again["clips_changed"], 0)
        self.assert_error(self.srv.request("POST", "/api/v1/templates/%s/apply" % t["id"], body={}),
                          400, "VALIDATION_ERROR")
        self.assertEqual(self.call("PUT", "/templates/" + t["id"], {"name": "Noir 2"})["name"], "Noir 2")
        self.assertGreaterEqual(self.call("GET", "/templates")["total"], 1)
        self.call("DELETE", "/templates/" + t["id"])

    # -- media ---------------------------------------------------------------------------
    def test_music_upload_checks_bytes_and_size(self):
        p = self.project()
        body, ctype = multipart({}, {"file": ("song.wav", WAV, "audio/wav")})
        r = self.srv.request("POST", "/api/v1/media/projects/%s/upload-music" % p["id"], body=body,
                             headers={"Content-Type": ctype})
        self.assertEqual(r.status, 201, r.body)
        url = r.json()["music_file"]
        self.assertEqual(self.call("GET", "/projects/" + p["id"])["music_file"], url)
        self.assertEqual(self.srv.get(url).body, WAV)
        body, ctype = multipart({}, {"file": ("song.mp3", png_bytes(), "audio/mpeg")})
        r = self.srv.request("POST", "/api/v1/media/projects/%s/upload-music" % p["id"], body=body,
                             headers={"Content-Type": ctype})
        self.assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
        body, ctype = multipart({}, {"file": ("empty.wav", b"", "audio/wav")})
        r = self.srv.request("POST", "/api/v1/media/projects/%s/upload-music" % p["id"], body=body,
                             headers={"Content-Type": ctype})
        self.assert_error(r, 400, "VALIDATION_ERROR")
        body, ctype = multipart({}, {"file": ("face.png", png_bytes(), "image/png")})
        r = self.srv.request("POST", "/api/v1/media/upload-face", body=body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 201, r.body)
        self.assertTrue(r.json()["url"].startswith("/files/"))
        self.assertEqual(self.srv.request("POST", "/api/v1/media/projects/nope/upload-music", body=body,
                                          headers={"Content-Type": ctype}).status, 404)

    # -- meta ------------------------------------------------------------------------------
    def test_ready_openapi_and_docs(self):
        r = self.srv.get("/health/ready")
        self.assertEqual(r.json()["status"], "ready")
        doc = self.srv.get("/api/v1/openapi.json").json()
        self.assertEqual(doc["openapi"][:3], "3.1")
        self.assertIn("/api/v1/projects/{id}/with-scenes", doc["paths"])
        self.assertIn("requestBody", doc["paths"]["/api/v1/projects"]["post"])
        page = self.srv.get("/docs")
        self.assertIn(b"openapi.json", page.body)

    def test_concurrent_writers_never_see_busy(self):
        p = self.project()
        s = self.scene(p["id"])
        failures = []

        def worker(n):
            for i in range(25):
                r = self.srv.request("POST", "/api/v1/clips", body={"scene_id": s["id"], "name": "c%d-%d" % (n, i)})
                if r.status != 201:
                    failures.append(r.body)
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        self.assertEqual(failures, [])
        self.assertEqual(self.call("GET", "/clips/scene/" + s["id"])["total"], 200)


class Persistence(unittest.TestCase):
    def test_data_survives_a_restart(self):
        srv = Server("repo").start()
        try:
            r = srv.request("POST", "/api/v1/projects", body={"name": "Kept"})
            pid = r.json()["id"]
            self.assertEqual(srv.stop(), 0)
            srv.start()
            self.assertEqual(srv.get("/api/v1/projects/" + pid).json()["name"], "Kept")
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
