"""tests/e2e/test_board.py — the media board: sheets, cards in grid order, soft delete, batch, undo, and
uploads with thumbnails, through the real binary. Test media is made by the binary itself (its image and
video primitives, driven through `moonreel repl` on stdin), so nothing is downloaded."""
import os
import struct
import tempfile
import unittest
import zlib

from harness import REPO, Server, multipart, run_cli

MEDIA = tempfile.mkdtemp(prefix="mr-media-")


def make_media():
    """Writes test images and a video with the engine's own primitives."""
    # One chunk (do ... end): REPL locals live for one chunk.
    code = """do
local image = require("moonreel.image")
local video = require("moonreel.video")
local photo = image.new(640, 480, "#2050c0")
photo:circle(320, 240, 120, "#f0d020", -1)
photo:save("{d}/photo.jpg", {{ quality = 90 }})
photo:save("{d}/photo.png")
local frames = {{}}
for i, c in ipairs({{ "#ff0000", "#00ff00", "#0000ff" }}) do
  frames[i] = {{ image = image.new(320, 240, c), duration = 0.5 }}
end
video.encode("{d}/clip.mp4", frames, {{ fps = 24, width = 320, height = 240 }})
return "ok"
end
""".format(d=MEDIA)
    r = run_cli("repl", "--root", REPO, "--data", os.path.join(MEDIA, "data"), stdin=code)
    if r.returncode != 0 or r.stdout.strip().splitlines()[-1:] != ["ok"]:
        raise RuntimeError("cannot make test media: " + r.stdout + r.stderr)


def read(name):
    with open(os.path.join(MEDIA, name), "rb") as f:
        return f.read()


def png_bomb(w=60000, h=60000):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def mp4_without_video():
    """A well-formed MP4 header (ftyp + an empty moov): a container with no video stream."""
    ftyp = struct.pack(">I", 20) + b"ftypisom" + struct.pack(">I", 512) + b"isom"
    mvhd_body = struct.pack(">B3xIIII", 0, 0, 0, 1000, 0) + struct.pack(">I", 0x00010000) + \
        struct.pack(">H10x", 0x0100) + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000) + \
        b"\0" * 24 + struct.pack(">I", 2)
    mvhd = struct.pack(">I", 8 + len(mvhd_body)) + b"mvhd" + mvhd_body
    moov = struct.pack(">I", 8 + len(mvhd)) + b"moov" + mvhd
    return ftyp + moov


class Board(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        make_media()
        cls.srv = Server("repo").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def call(self, method, path, body=None, expect=200):
        r = self.srv.request(method, "/api/v1" + path, body=body)
        self.assertEqual(r.status, expect, "%s %s -> %s" % (method, path, r.body[:400]))
        return r.json()

    def sheet(self, name="Board"):
        return self.call("POST", "/sheets", {"name": name}, 201)

    def titles(self, sheet_id, deleted=False):
        q = "?include_deleted=true" if deleted else ""
        return [c["title"] for c in self.call("GET", "/sheets/%s/cards%s" % (sheet_id, q))["items"]]

    def upload(self, data, filename, sheet_id=None):
        fields = {"sheet_id": sheet_id} if sheet_id else {}
        body, ctype = multipart(fields, {"file": (filename, data, "application/octet-stream")})
        return self.srv.request("POST", "/api/media/upload", body=body, headers={"Content-Type": ctype})

    def artifact_count(self):
        root = os.path.join(self.srv.data, "artifacts")
        return sum(len(f) for _, _, f in os.walk(root)) if os.path.isdir(root) else 0

    def test_cards_keep_grid_order_through_create_move_delete_restore(self):
        s = self.sheet()
        for t in ("a", "b", "c"):
            self.call("POST", "/sheets/%s/cards" % s["id"], {"title": t}, 201)
        first = self.call("POST", "/sheets/%s/cards" % s["id"], {"title": "first", "position": 0}, 201)
        self.assertEqual(self.titles(s["id"]), ["first", "a", "b", "c"])
        self.call("POST", "/cards/%s/move" % first["id"], {"position": 2})
        self.assertEqual(self.titles(s["id"]), ["a", "b", "first", "c"])
        self.call("DELETE", "/cards/" + first["id"])
        self.assertEqual(self.titles(s["id"]), ["a", "b", "c"])
        self.assertIn("first", self.titles(s["id"], deleted=True))
        self.assertIsNotNone(self.call("GET", "/cards/" + first["id"])["deleted_at"])
        self.call("POST", "/cards/%s/restore" % first["id"])
        self.assertEqual(self.titles(s["id"]), ["a", "b", "c", "first"])
        self.assertEqual(self.call("GET", "/sheets/" + s["id"])["card_count"], 4)

    def test_undo_reverts_each_operation_in_turn(self):
        s = self.sheet()
        a = self.call("POST", "/sheets/%s/cards" % s["id"], {"title": "a"}, 201)
        self.call("POST", "/sheets/%s/cards" % s["id"], {"title": "b"}, 201)
        self.call("PUT", "/cards/" + a["id"], {"title": "A!"})
        self.call("POST", "/cards/%s/move" % a["id"], {"position": 1})
        self.call("DELETE", "/cards/" + a["id"])
        self.assertEqual(self.titles(s["id"]), ["b"])
        self.assertEqual(self.call("POST", "/sheets/%s/undo" % s["id"])["undone"], "delete")
        self.assertEqual(self.titles(s["id"]), ["b", "A!"])
        self.assertEqual(self.call("POST", "/sheets/%s/undo" % s["id"])["undone"], "move")
        self.assertEqual(self.titles(s["id"]), ["A!", "b"])
        self.assertEqual(self.call("POST", "/sheets/%s/undo" % s["id"])["undone"], "update")
        self.assertEqual(self.titles(s["id"]), ["a", "b"])
        self.call("POST", "/sheets/%s/undo" % s["id"])
        self.call("POST", "/sheets/%s/undo" % s["id"])
        self.assertEqual(self.titles(s["id"]), [])
        r = self.srv.request("POST", "/api/v1/sheets/%s/undo" % s["id"], body=b"")
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["error"]["code"], "CONFLICT")

    def test_batch_is_all_or_nothing_and_undoes_as_one(self):
        s = self.sheet()
        keep = self.call("POST", "/sheets/%s/cards" % s["id"], {"title": "keep"}, 201)
        ok = self.call("POST", "/cards/batch", {"sheet_id": s["id"], "operations": [
            {"op": "create", "card": {"title": "n1"}},
            {"op": "create", "card": {"title": "n2", "position": 0}},
            {"op": "update", "id": keep["id"], "changes": {"title": "kept"}},
        ]})
        self.assertEqual(len(ok["results"]), 3)
        self.assertEqual(self.titles(s["id"]), ["n2", "kept", "n1"])
        r = self.srv.request("POST", "/api/v1/cards/batch", body={"sheet_id": s["id"], "operations": [
            {"op": "create", "card": {"title": "never"}},
            {"op": "delete", "id": "no-such-card"},
        ]})
        self.assertEqual(r.status, 404, r.body)
        self.assertIn("operation 2", r.json()["error"]["message"])
        self.assertEqual(self.titles(s["id"]), ["n2", "kept", "n1"])
        self.assertEqual(self.call("POST", "/sheets/%s/undo" % s["id"])["undone"], "batch")
        self.assertEqual(self.titles(s["id"]), ["keep"])
        r = self.srv.request("POST", "/api/v1/cards/batch", body={"sheet_id": s["id"], "operations": [{"op": "fly"}]})
        self.assertEqual(r.status, 400)

    def test_sheets_crud_and_default_is_protected(self):
        s = self.sheet("Temp")
        self.assertEqual(self.call("PUT", "/sheets/" + s["id"], {"columns": 6})["columns"], 6)
        self.assertGreaterEqual(self.call("GET", "/sheets")["total"], 1)
        self.call("DELETE", "/sheets/" + s["id"])
        self.assertEqual(self.srv.get("/api/v1/sheets/" + s["id"]).status, 404)
        up = self.upload(read("photo.png"), "p.png")
        default = up.json()["sheet_id"]
        r = self.srv.request("DELETE", "/api/v1/sheets/" + default)
        self.assertEqual(r.status, 409)

    def test_image_upload_makes_a_card_with_a_thumbnail_served_with_ranges(self):
        s = self.sheet()
        data = read("photo.jpg")
        r = self.upload(data, "holiday.jpg", s["id"])
        self.assertEqual(r.status, 201, r.body)
        out = r.json()
        self.assertEqual((out["media_type"], out["width"], out["height"]), ("image", 640, 480))
        self.assertRegex(out["media_url"], r"^/files/\d{4}/\d\d/\d\d/image/[a-z2-9]{8}\.jpg$")
        self.assertTrue(out["thumb_url"].endswith("_thumb.jpg"))
        self.assertEqual(self.srv.get(out["media_url"]).body, data)
        thumb = self.srv.get(out["thumb_url"])
        self.assertEqual(thumb.status, 200)
        self.assertEqual(thumb.header("Content-Type"), "image/jpeg")
        part = self.srv.get(out["media_url"], headers={"Range": "bytes=0-99"})
        self.assertEqual((part.status, part.body), (206, data[:100]))
        card = self.call("GET", "/cards/" + out["card_id"])
        self.assertEqual((card["media_url"], card["thumb_url"]), (out["media_url"], out["thumb_url"]))

    def test_video_upload_is_probed_and_thumbnailed(self):
        r = self.upload(read("clip.mp4"), "clip.mp4")
        self.assertEqual(r.status, 201, r.body)
        out = r.json()
        self.assertEqual((out["media_type"], out["width"], out["height"]), ("video", 320, 240))
        self.assertAlmostEqual(out["duration"], 1.5, delta=0.05)
        self.assertEqual(self.srv.get(out["thumb_url"]).status, 200)

    def test_unreferenced_artifacts_are_collected_and_referenced_ones_kept(self):
        s = self.sheet()
        keep = self.upload(read("photo.png"), "keep.png", s["id"]).json()
        gone = self.upload(read("photo.jpg"), "gone.jpg", s["id"]).json()
        self.call("DELETE", "/cards/" + gone["card_id"])
        dry = self.call("POST", "/artifacts/collect", {"older_than_s": 0, "purge_deleted_after_s": 0, "dry_run": True})
        self.assertIn(gone["media_url"], dry["removed"])
        self.assertEqual(self.srv.get(gone["media_url"]).status, 200)  # a dry run removes nothing
        out = self.call("POST", "/artifacts/collect", {"older_than_s": 0, "purge_deleted_after_s": 0})
        self.assertGreaterEqual(out["cards_purged"], 1)
        self.assertIn(gone["media_url"], out["removed"])
        self.assertNotIn(keep["media_url"], out["removed"])
        self.assertEqual(self.srv.get(gone["media_url"]).status, 404)
        self.assertEqual(self.srv.get(gone["thumb_url"]).status, 404)
        self.assertEqual(self.srv.get(keep["media_url"]).status, 200)
        self.assertEqual(self.srv.get(keep["thumb_url"]).status, 200)

    def test_bad_media_is_refused_and_nothing_is_stored(self):
        before = self.artifact_count()
        jpeg = read("photo.jpg")
        cases = [
            (jpeg[: len(jpeg) // 3], "cut.jpg", (400, 415)),
            (b"", "empty.png", (400,)),
            (os.urandom(4096), "random.png", (415,)),
            (png_bomb(), "bomb.png", (413,)),
            (mp4_without_video(), "novideo.mp4", (415, 400)),
        ]
        for data, name, statuses in cases:
            r = self.upload(data, name)
            self.assertIn(r.status, statuses, "%s -> %s %s" % (name, r.status, r.body))
            self.assertIn("error", r.json())
        self.assertEqual(self.artifact_count(), before)
        self.assertEqual(self.srv.get("/health").status, 200)


if __name__ == "__main__":
    unittest.main()
