"""tests/e2e/test_generation.py — generation through the queue with the offline draft provider:
clip galleries, the /generate surface, the media board's generate and background removal."""
import struct
import unittest
import zlib

from harness import Server, multipart, wait_until

Q = "/api/v1/queue"


def png(w, h, rgb=(200, 40, 40)):
    """A solid PNG built with the stdlib (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Generation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server("repo").start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def done(self, jid, timeout=30):
        ok = wait_until(lambda: self.s.get(Q + "/jobs/" + jid).json()["status"] in ("completed", "failed"), timeout)
        j = self.s.get(Q + "/jobs/" + jid).json()
        self.assertTrue(ok, j)
        self.assertEqual(j["status"], "completed", j)
        return j

    def clip(self):
        p = self.s.request("POST", "/api/v1/projects", {"name": "Gen"}).json()
        sc = self.s.request("POST", "/api/v1/scenes", {"project_id": p["id"], "name": "Opening"}).json()
        ch = self.s.request("POST", "/api/v1/characters", {"name": "Mara", "project_id": p["id"],
                                                             "trigger_words": ["mara_v2"],
                                                             "description": "a red-haired pilot"}).json()
        c = self.s.request("POST", "/api/v1/clips", {"scene_id": sc["id"], "name": "Takeoff",
                                                       "image_prompt": "a plane lifts off at dawn",
                                                       "character_id": ch["id"]}).json()
        return p, c

    def test_clip_image_lands_in_gallery(self):
        """POST /generation → 202 job → completed → the draft image is in the clip's gallery, prompt folded."""
        p, c = self.clip()
        r = self.s.request("POST", "/api/v1/generation", {"clip_id": c["id"], "seed": 42, "width": 320, "height": 180})
        self.assertEqual(r.status, 202)
        j = self.done(r.json()["job_id"])
        self.assertEqual(j["project_id"], p["id"])
        self.assertTrue(j["input"]["prompt"].startswith("mara_v2"), j["input"]["prompt"])
        self.assertIn("a plane lifts off at dawn", j["input"]["prompt"])
        art = j["result"]["artifacts"][0]
        self.assertEqual((art["width"], art["height"]), (320, 180))
        img = self.s.get(art["url"])
        self.assertEqual(img.status, 200)
        self.assertEqual(img.body[:8], b"\x89PNG\r\n\x1a\n")
        side_draft = art["draft"]
        self.assertTrue(side_draft)
        g = self.s.get("/api/v1/clips/%s/gallery" % c["id"]).json()
        self.assertEqual(len(g["generated_images"]), 1)
        self.assertEqual(g["generated_images"][0]["url"], art["url"])
        self.assertEqual(g["generated_images"][0]["job_id"], j["id"])

    def test_same_seed_same_picture(self):
        """The draft provider is deterministic: same prompt + seed → byte-identical PNG."""
        bodies = []
        for _ in range(2):
            r = self.s.request("POST", "/generate", {"workflow": "txt2img",
                                                     "input": {"prompt": "a lighthouse", "seed": 9, "width": 256, "height": 256}})
            j = self.done(r.json()["job_id"])
            bodies.append(self.s.get(j["result"]["artifacts"][0]["url"]).body)
        self.assertEqual(bodies[0], bodies[1])

    def test_clip_video(self):
        """type=video makes an MP4 clip (img2video) in the clip's video gallery."""
        _, c = self.clip()
        r = self.s.request("POST", "/api/v1/generation", {"clip_id": c["id"], "type": "video", "width": 256, "height": 144})
        j = self.done(r.json()["job_id"], 60)
        self.assertEqual(j["workflow"], "img2video")
        art = j["result"]["artifacts"][0]
        self.assertEqual(art["kind"], "video")
        self.assertGreater(art["duration"], 1.5)
        self.assertEqual(self.s.get(art["url"]).body[4:8], b"ftyp")
        g = self.s.get("/api/v1/clips/%s/gallery" % c["id"]).json()
        self.assertEqual(len(g["generated_videos"]), 1)

    def test_generation_batch_validates_first(self):
        """A batch with one bad clip queues nothing; a good batch queues one job per request."""
        _, c = self.clip()
        before = self.s.get(Q + "/jobs").json()["total"]
        r = self.s.request("POST", "/api/v1/generation/batch",
                           {"requests": [{"clip_id": c["id"]}, {"clip_id": "missing"}]})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.s.get(Q + "/jobs").json()["total"], before)
        r = self.s.request("POST", "/api/v1/generation/batch",
                           {"requests": [{"clip_id": c["id"], "width": 128, "height": 128, "seed": s} for s in (1, 2)]})
        self.assertEqual(r.status, 202)
        for item in r.json()["jobs"]:
            self.done(item["job_id"])
        self.assertEqual(len(self.s.get("/api/v1/clips/%s/gallery" % c["id"]).json()["generated_images"]), 2)

    def test_generators_and_assets(self):
        """GET /generators lists the workflows with JSON Schemas; GET /assets lists providers."""
        g = self.s.get("/generators").json()
        names = {x["name"] for x in g["generators"]}
        self.assertTrue({"txt2img", "img2img", "img2video", "upscale", "remove_background"} <= names)
        txt = next(x for x in g["generators"] if x["name"] == "txt2img")
        self.assertIn("prompt", txt["input_schema"]["properties"])
        a = self.s.get("/assets").json()
        self.assertEqual(a["default_provider"], "draft")
        self.assertIn("draft", [p["name"] for p in a["providers"]])

    def test_generate_batch_status(self):
        """/generate/batch queues items under a batch id whose status aggregates its jobs."""
        r = self.s.request("POST", "/generate/batch", {"items": [
            {"input": {"prompt": "a", "width": 64, "height": 64}},
            {"workflow": "txt2img", "input": {"prompt": "b", "width": 64, "height": 64}}]})
        self.assertEqual(r.status, 202)
        batch = r.json()["batch_id"]
        ok = wait_until(lambda: self.s.get("/generate/batch/status/" + batch).json()["status"] == "completed", 30)
        st = self.s.get("/generate/batch/status/" + batch).json()
        self.assertTrue(ok, st)
        self.assertEqual(st["counts"]["completed"], 2)
        one = self.s.get("/generate/batch/status/" + r.json()["jobs"][0]["job_id"]).json()
        self.assertEqual(one["status"], "completed")
        self.assertEqual(self.s.get("/generate/batch/status/nope").status, 404)
        bad = self.s.request("POST", "/generate/batch", {"items": [{"input": {"prompt": "ok"}},
                                                                   {"input": {"width": "wide"}}]})
        self.assertEqual(bad.status, 400)
        self.assertEqual(bad.json()["error"]["details"]["fields"][0]["field"], "items[2].input.width")

    def test_board_generate_and_background_removal(self):
        """/api/media/generate lands a card; background removal by upload and by card gives cut-out + matte."""
        r = self.s.request("POST", "/api/media/generate", {"prompt": "a red kite", "width": 160, "height": 120})
        self.assertEqual(r.status, 202)
        sheet = r.json()["sheet_id"]
        self.done(r.json()["job_id"])
        cards = self.s.get("/api/v1/sheets/%s/cards" % sheet).json()["items"]
        card = next(c for c in cards if c["title"] == "a red kite")
        self.assertEqual(card["media_type"], "image")

        body, ctype = multipart({}, {"file": ("p.png", png(96, 64), "image/png")})
        r = self.s.request("POST", "/api/background-removal/submit", body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 202, r.body)
        rid = r.json()["request_id"]
        ok = wait_until(lambda: self.s.get("/api/background-removal/status/" + rid).json()["status"] == "completed", 30)
        st = self.s.get("/api/background-removal/status/" + rid).json()
        self.assertTrue(ok, st)
        self.assertEqual(st["result"]["method"], "grabcut")
        self.assertEqual((st["result"]["width"], st["result"]["height"]), (96, 64))
        self.assertEqual(self.s.get(st["result"]["mask_url"]).status, 200)

        r = self.s.request("POST", "/api/background-removal/submit", {"card_id": card["id"]})
        rid = r.json()["request_id"]
        wait_until(lambda: self.s.get("/api/background-removal/status/" + rid).json()["status"] == "completed", 30)
        st = self.s.get("/api/background-removal/status/" + rid).json()
        new_card = self.s.get("/api/v1/cards/" + st["result"]["card_id"]).json()
        self.assertEqual(new_card["position"], card["position"] + 1)

        self.assertEqual(self.s.request("POST", "/api/background-removal/submit", {"card_id": "nope"}).status, 404)
        self.assertEqual(self.s.request("POST", "/api/background-removal/submit", {}).status, 400)
        self.assertEqual(self.s.get("/api/background-removal/status/nope").status, 404)


class ExampleWorkflow(unittest.TestCase):
    def test_examples_generation_runs_through_the_queue(self):
        """examples/generation (docs/workflows.md): the poster workflow with the draft and echo providers."""
        import os
        ex = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "generation")
        s = Server("repo")
        for rel in ("workflows/poster.lua", "scripts/providers/echo.lua", "moonreel.conf.lua"):
            with open(os.path.join(ex, rel)) as f:
                s.write_file(rel, f.read())
        s.start()
        try:
            for provider in ("draft", "echo"):
                r = s.request("POST", Q + "/jobs", {"workflow": "poster", "input": {
                    "prompt": "a harbour", "title": "HELLO", "provider": provider}})
                self.assertEqual(r.status, 202, r.body)
                jid = r.json()["job_id"]
                wait_until(lambda: s.get(Q + "/jobs/" + jid).json()["status"] in ("completed", "failed"), 30)
                j = s.get(Q + "/jobs/" + jid).json()
                self.assertEqual(j["status"], "completed", j)
                art = j["result"]["artifacts"][0]
                self.assertEqual((art["width"], art["height"]), (768, 1024))
                self.assertEqual(s.get(art["url"]).status, 200)
            assets = s.get("/assets").json()
            echo = next(p for p in assets["providers"] if p["name"] == "echo")
            self.assertEqual(echo["concurrency"], 2)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
