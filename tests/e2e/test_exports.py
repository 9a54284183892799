"""tests/e2e/test_exports.py — timeline exports through the real binary: FCPXML (against Apple's DTDs),
CMX 3600 EDL, Premiere XML, OTIO, JSON — checked for what each format demands and for agreeing
with each other — and exporters added or broken while the server runs."""
import json
import os
import re
import shutil
import subprocess
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
from fractions import Fraction

from harness import REPO, Server, wait_until

RATES = {"23.976": Fraction(24000, 1001), "24": Fraction(24), "25": Fraction(25),
         "29.97": Fraction(30000, 1001), "30": Fraction(30)}
# Apple's DTDs live outside the project (../shared/validators); never copied in.
VALIDATORS = os.environ.get("MOONREEL_VALIDATORS", os.path.join(REPO, "..", "shared", "validators"))


class Exports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = s = Server("repo").start()
        # The fixture: 3 scenes; stills, a video trimmed to 1 s of its 2, a gap, a clip with no media.
        p = s.request("POST", "/api/v1/projects", {"name": "Nuit étoilée & co"}).json()
        cls.pid = p["id"]
        still = cls.generate({"workflow": "txt2img", "input": {"prompt": "dawn", "width": 640, "height": 360}})
        clip = cls.generate({"workflow": "img2video", "input": {"prompt": "waves", "width": 320, "height": 180,
                                                               "duration_s": 2, "fps": 24}})
        scenes = [s.request("POST", "/api/v1/scenes", {"project_id": p["id"], "name": n}).json()
                  for n in ("Scène 1", "Two words", "Three")]

        def add(scene, name, pos, length, **picture):
            c = s.request("POST", "/api/v1/clips", {"scene_id": scene["id"], "name": name, "timeline_position": pos,
                                                     "length": length, "image_prompt": "prompt of " + name}).json()
            if picture:
                r = s.request("PUT", "/api/v1/clips/" + c["id"], picture)
                assert r.status == 200, r.body
            return c
        add(scenes[0], "Un café", 0, 1.5, selected_image=still)
        add(scenes[0], "Gap after", 2.0, 1.0, selected_image=still)           # 0.5 s gap before it
        add(scenes[1], "The wave", 0, 1.0, selected_video=clip)               # trimmed video
        add(scenes[2], "No picture yet", 0, 1.25)                             # slate
        add(scenes[2], "Last", 1.25, 0.75, selected_image=still)

    @classmethod
    def generate(cls, body):
        jid = cls.s.request("POST", "/generate", body).json()["job_id"]
        wait_until(lambda: cls.s.get("/api/v1/queue/jobs/" + jid).json()["status"] == "completed", 30)
        return cls.s.get("/api/v1/queue/jobs/" + jid).json()["result"]["artifacts"][0]["url"]

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def export(self, fmt, **query):
        q = urllib.parse.urlencode(query)
        r = self.s.get("/api/v1/projects/%s/export/%s%s" % (self.pid, fmt, "?" + q if q else ""))
        self.assertEqual(r.status, 200, r.body)
        self.assertIn("attachment", r.header("Content-Disposition"))
        return r.body.decode()

    def timeline(self, fps):
        return json.loads(self.export("json", fps=fps))

    # -- FCPXML --------------------------------------------------------------

    def test_fcpxml_valid_against_apple_dtds(self):
        """Every version at every rate validates with xmllint --dtdvalid against Apple's DTD."""
        if not shutil.which("xmllint") or not os.path.isdir(os.path.join(VALIDATORS, "fcpxml")):
            self.skipTest("xmllint or ../shared/validators/fcpxml not available")
        for version in ("1.8", "1.9", "1.10", "1.11"):
            dtd = os.path.join(VALIDATORS, "fcpxml", "FCPXMLv%s.dtd" % version.replace(".", "_"))
            for fps in RATES:
                path = os.path.join(self.s.tmp, "t.fcpxml")
                with open(path, "w") as f:
                    f.write(self.export("fcpxml", fps=fps, version=version))
                r = subprocess.run(["xmllint", "--noout", "--nonet", "--dtdvalid", dtd, path],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, "%s @ %s: %s" % (version, fps, r.stderr))

    def test_fcpxml_times_spine_and_media(self):
        """Times are rationals on frame boundaries, the spine is contiguous, media URLs resolve."""
        for fps, rate in RATES.items():
            root = ET.fromstring(self.export("fcpxml", fps=fps))
            frame = Fraction(1) / rate

            def t(v):
                self.assertRegex(v, r"^(0|\d+|\d+/\d+)s$")
                return Fraction(v[:-1])
            for el in root.iter():
                for attr in ("offset", "duration", "start"):
                    if attr in el.attrib and el.tag != "asset":
                        self.assertEqual((t(el.attrib[attr]) / frame).denominator, 1, (fps, el.tag, el.attrib))
            spine = root.find(".//spine")
            at = Fraction(0)
            for item in spine:
                self.assertEqual(t(item.attrib["offset"]), at, (fps, item.attrib))
                at += t(item.attrib["duration"])
            self.assertEqual(at, t(root.find(".//sequence").attrib["duration"]))
            for rep in root.iter("media-rep"):
                path = urllib.parse.unquote(urllib.parse.urlparse(rep.attrib["src"]).path)
                self.assertTrue(os.path.isfile(path), path)
            self.assertEqual(root.find(".//project").attrib["name"], "Nuit étoilée & co")
            notes = [n.text for n in root.iter("note")]
            self.assertTrue(all(n.startswith("moonreel:clip:") for n in notes))
            self.assertEqual(len(notes), 5)

    # -- EDL -------------------------------------------------------------------

    EVENT = re.compile(r"^(\d{3})  (.{8}) V     C        (\S{11}) (\S{11}) (\S{11}) (\S{11})$")

    def test_edl_columns_and_continuity(self):
        """Fixed columns, sequential events, record continuity, drop-frame separators at 29.97."""
        for fps, drop in (("24", False), ("25", False), ("29.97", True), ("29.97", False), ("23.976", False)):
            text = self.export("edl", fps=fps, drop_frame="true" if drop else "false")
            lines = text.split("\n")
            self.assertTrue(lines[0].startswith("TITLE: "))
            self.assertEqual(lines[1], "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME")
            events = [self.EVENT.match(l) for l in lines if re.match(r"^\d{3} ", l)]
            self.assertTrue(all(events), lines)
            self.assertEqual([int(e.group(1)) for e in events], list(range(1, len(events) + 1)))
            for a, b in zip(events, events[1:]):
                self.assertEqual(a.group(6), b.group(5))  # record out == next record in
            self.assertEqual(events[0].group(5), "01:00:00;00" if drop else "01:00:00:00")
            sep = ";" if drop else ":"
            self.assertTrue(all(e.group(3)[8] == sep for e in events))
            self.assertEqual(sum(1 for l in lines if l.startswith("* COMMENT: moonreel:clip:")), 5)

    # -- Premiere XML ------------------------------------------------------------

    def test_xmeml(self):
        """Well-formed, sequence format present, end - start == out - in, each file defined once."""
        for fps in RATES:
            root = ET.fromstring(self.export("xmeml", fps=fps))
            seq = root.find("sequence")
            self.assertIsNotNone(seq.find("media/video/format/samplecharacteristics"))
            self.assertEqual(seq.find("rate/ntsc").text, "TRUE" if RATES[fps].denominator == 1001 else "FALSE")
            full = set()
            for ci in seq.iter("clipitem"):
                g = lambda k: int(ci.find(k).text)
                self.assertEqual(g("end") - g("start"), g("out") - g("in"))
                f = ci.find("file")
                if f.find("pathurl") is not None:
                    self.assertNotIn(f.attrib["id"], full)
                    full.add(f.attrib["id"])
                else:
                    self.assertIn(f.attrib["id"], full)  # referenced after its definition

    # -- OTIO ----------------------------------------------------------------------

    def test_otio(self):
        """Required fields per schema; durations sum to the timeline's."""
        for fps in RATES:
            doc = json.loads(self.export("otio", fps=fps))
            self.assertEqual(doc["OTIO_SCHEMA"], "Timeline.1")
            track = doc["tracks"]["children"][0]
            self.assertEqual((doc["tracks"]["OTIO_SCHEMA"], track["OTIO_SCHEMA"], track["kind"]),
                             ("Stack.1", "Track.1", "Video"))
            total = 0
            for item in track["children"]:
                self.assertIn(item["OTIO_SCHEMA"], ("Clip.1", "Gap.1"))
                sr = item["source_range"]
                self.assertEqual(sr["OTIO_SCHEMA"], "TimeRange.1")
                self.assertAlmostEqual(sr["duration"]["rate"], float(RATES[fps]))
                total += sr["duration"]["value"]
                if item["OTIO_SCHEMA"] == "Clip.1":
                    self.assertEqual(item["media_reference"]["OTIO_SCHEMA"], "ExternalReference.1")
                    self.assertIn("clip_id", item["metadata"]["moonreel"])
            self.assertEqual(total, self.timeline(fps)["duration_frames"])
            self.assertEqual([m["OTIO_SCHEMA"] for m in track["markers"]], ["Marker.2"] * 3)

    # -- All formats agree ---------------------------------------------------------

    def test_formats_agree(self):
        """Clip order, names and frame counts are the same in every format."""
        for fps in RATES:
            tl = self.timeline(fps)
            want = [(i["name"], i["duration_frames"]) for i in tl["items"] if i["kind"] == "clip"]
            self.assertEqual([w[0] for w in want], ["Un café", "Gap after", "The wave", "No picture yet", "Last"])
            rate = RATES[fps]
            fcp = ET.fromstring(self.export("fcpxml", fps=fps))
            got = [(e.attrib["name"], int(Fraction(e.attrib["duration"][:-1]) * rate))
                   for e in fcp.find(".//spine") if e.tag != "gap"]
            self.assertEqual(got, want)
            xm = ET.fromstring(self.export("xmeml", fps=fps))
            self.assertEqual([(c.find("name").text, int(c.find("end").text) - int(c.find("start").text))
                              for c in xm.iter("clipitem")], want)
            ot = json.loads(self.export("otio", fps=fps))
            self.assertEqual([(c["name"], c["source_range"]["duration"]["value"])
                              for c in ot["tracks"]["children"][0]["children"] if c["OTIO_SCHEMA"] == "Clip.1"], want)
            edl = self.export("edl", fps=fps)
            self.assertEqual([l[len("* FROM CLIP NAME: "):] for l in edl.split("\n") if l.startswith("* FROM")],
                             ["Un caf_", "Gap after", "The wave", "No picture yet", "Last"])
        kinds = [i["media"]["kind"] for i in self.timeline("24")["items"] if i["kind"] == "clip"]
        self.assertEqual(kinds, ["image", "image", "video", "slate", "image"])

    def bundle(self, fmt, **query):
        import io
        import zipfile
        q = urllib.parse.urlencode(query)
        r = self.s.get("/api/v1/projects/%s/export/%s%s" % (self.pid, fmt, "?" + q if q else ""))
        self.assertEqual(r.status, 202, r.body)
        jid = r.json()["job_id"]
        wait_until(lambda: self.s.get("/api/v1/queue/jobs/" + jid).json()["status"] in ("completed", "failed"), 60)
        job = self.s.get("/api/v1/queue/jobs/" + jid).json()
        self.assertEqual(job["status"], "completed", job)
        art = job["result"]["artifacts"][0]
        return zipfile.ZipFile(io.BytesIO(self.s.get(art["url"]).body))

    def test_otioz_bundle(self):
        """otioz: content.otio + version.txt + media/, every media reference packed in the zip."""
        z = self.bundle("otioz", fps="25")
        names = set(z.namelist())
        self.assertTrue({"content.otio", "version.txt"} <= names)
        doc = json.loads(z.read("content.otio"))
        refs = [c["media_reference"]["target_url"] for c in doc["tracks"]["children"][0]["children"]
                if c["OTIO_SCHEMA"] == "Clip.1"]
        self.assertEqual(len(refs), 5)
        for ref in refs:
            self.assertIn(urllib.parse.unquote(ref), names)

    def test_resolve_bundle(self):
        """resolve: FCPXML 1.10, Premiere XML, OTIO, EDL, media and the animatic, all relative."""
        z = self.bundle("resolve", fps="24", animatic="true")
        names = z.namelist()
        for ext in (".fcpxml", ".xml", ".otio", ".edl"):
            self.assertEqual(sum(1 for n in names if n.endswith(ext)), 1, names)
        self.assertIn("animatic.mp4", names)
        fcp = ET.fromstring(z.read(next(n for n in names if n.endswith(".fcpxml"))))
        self.assertEqual(fcp.attrib["version"], "1.10")
        for rep in fcp.iter("media-rep"):
            self.assertIn(urllib.parse.unquote(rep.attrib["src"]), names)

    def test_errors_and_legacy_paths(self):
        """Unknown format 404, bad fps or option 400, unknown project 404; legacy /api/export works."""
        self.assertEqual(self.s.get("/api/v1/projects/%s/export/nope" % self.pid).status, 404)
        self.assertEqual(self.s.get("/api/v1/projects/%s/export/edl?fps=12" % self.pid).status, 400)
        self.assertEqual(self.s.get("/api/v1/projects/%s/export/edl?bogus=1" % self.pid).status, 400)
        self.assertEqual(self.s.get("/api/v1/projects/%s/export/fcpxml?version=2.0" % self.pid).status, 400)
        self.assertEqual(self.s.get("/api/v1/projects/nope/export/edl").status, 404)
        for fmt in ("fcpxml", "edl", "json"):
            self.assertEqual(self.s.get("/api/export/%s/%s" % (self.pid, fmt)).status, 200)
        self.assertEqual(self.s.get("/api/export/%s/resolve" % self.pid).status, 202)  # a bundle is a job
        self.assertEqual(self.s.get("/api/v1/projects/%s/export/resolve?animatic=maybe" % self.pid).status, 400)
        r = self.s.get("/api/v1/projects/%s/export/json" % self.pid)
        self.assertIn("filename*=UTF-8''Nuit%20%C3%A9toil%C3%A9e%20%26%20co.json", r.header("Content-Disposition"))

    def test_exporters_hot_added_and_broken(self):
        """A new exporter file appears without a restart; a broken one is reported, the others keep working."""
        gen = self.s.health()["scripts"]["generation"]
        self.s.write_file("scripts/exporters/csv.lua", """
return { name = "csv", extension = "csv", content_type = "text/csv", description = "clips as CSV",
  export = function(tl)
    local out = { "name,frames" }
    for _, it in ipairs(tl.items) do
      if it.kind == "clip" then out[#out + 1] = it.clip.name .. "," .. it.duration end
    end
    return table.concat(out, "\\n")
  end }
""")
        self.s.write_file("scripts/exporters/broken.lua", "return { name = 'broken', export = ")
        self.s.wait_generation(gen)
        formats = self.s.get("/api/v1/exports/formats").json()
        self.assertIn("csv", [f["name"] for f in formats["formats"]])
        self.assertIn("exporters.broken", [p["module"] for p in formats["problems"]])
        self.assertTrue(self.export("csv").startswith("name,frames\nUn café,36"))
        self.assertEqual(self.s.get("/api/v1/projects/%s/export/edl" % self.pid).status, 200)


class Conform(unittest.TestCase):
    """Export → edit → conform → the project matches the edit."""

    def setUp(self):
        self.s = Server("repo").start()
        s = self.s
        self.pid = s.request("POST", "/api/v1/projects", {"name": "Round trip"}).json()["id"]
        self.scenes = [s.request("POST", "/api/v1/scenes", {"project_id": self.pid, "name": n}).json()
                       for n in ("A", "B")]
        self.clips = {}
        for scene, name, pos, length in ((0, "one", 0, 1), (0, "two", 1, 1), (1, "three", 0, 2)):
            self.clips[name] = s.request("POST", "/api/v1/clips", {"scene_id": self.scenes[scene]["id"], "name": name,
                                                                   "timeline_position": pos, "length": length}).json()

    def tearDown(self):
        self.s.cleanup()

    def conform(self, name, data):
        from harness import multipart
        body, ctype = multipart({}, {"file": (name, data, "application/octet-stream")})
        return self.s.request("POST", "/api/v1/projects/%s/conform" % self.pid, body, headers={"Content-Type": ctype})

    def order(self):
        tl = json.loads(self.s.get("/api/v1/projects/%s/export/json" % self.pid).body)
        return [(i["name"], i["record_in"], i["duration_frames"]) for i in tl["items"] if i["kind"] == "clip"]

    def test_otio_swap_and_trim(self):
        doc = json.loads(self.s.get("/api/v1/projects/%s/export/otio" % self.pid).body)
        track = doc["tracks"]["children"][0]["children"]
        track[0], track[1] = track[1], track[0]                     # swap one and two
        track[2]["source_range"]["duration"]["value"] = 36          # trim three to 1.5 s
        track.append({"OTIO_SCHEMA": "Clip.1", "name": "new shot", "metadata": {},
                      "source_range": {"duration": {"rate": 24, "value": 12}}})
        r = self.conform("edit.otio", json.dumps(doc).encode())
        self.assertEqual(r.status, 200, r.body)
        rep = r.json()
        self.assertEqual(rep["matched"], 3)
        self.assertEqual([a["name"] for a in rep["added"]], ["new shot"])
        self.assertEqual(self.order(), [("two", 0, 24), ("one", 24, 24), ("three", 48, 36)])

    def test_fcpxml_reorders_scenes(self):
        text = self.s.get("/api/v1/projects/%s/export/fcpxml" % self.pid).body.decode()
        root = ET.fromstring(text)
        spine = root.find(".//spine")
        items = list(spine)
        for el in items:
            spine.remove(el)
        # Scene B's clip first (2 s), then scene A's two clips; "two" dropped.
        three, one = items[2], items[0]
        three.attrib["offset"] = "0s"
        one.attrib["offset"] = "2s"
        spine.append(three)
        spine.append(one)
        r = self.conform("edit.fcpxml", ET.tostring(root))
        self.assertEqual(r.status, 200, r.body)
        rep = r.json()
        self.assertEqual([c["name"] for c in rep["removed"]], ["two"])
        self.assertEqual(rep["scene_order"], [self.scenes[1]["id"], self.scenes[0]["id"]])
        self.assertEqual([o[0] for o in self.order()], ["three", "one", "two"])

    def test_bad_files_change_nothing(self):
        before = self.order()
        for name, data in (("x.otio", b"{not json"), ("x.fcpxml", b"<fcpxml><spine>"),
                           ("x.otio", json.dumps({"OTIO_SCHEMA": "Timeline.1", "tracks": {"children": [
                               {"kind": "Video", "children": [{"OTIO_SCHEMA": "Clip.1", "metadata": {},
                                "source_range": {"duration": {"rate": 24, "value": 5}}}]}]}}).encode())):
            r = self.conform(name, data)
            self.assertEqual(r.status, 400, (name, r.body))
            self.assertEqual(r.json()["error"]["code"], "INVALID_TIMELINE")
        self.assertEqual(self.order(), before)
        self.assertEqual(self.conform("x.otio", b"").status, 400)


class Animatic(unittest.TestCase):
    """The animatic: exactly the timeline's frames, each cut on its frame."""

    def solid(self, s, rgb):
        from test_generation import png
        from harness import multipart
        body, ctype = multipart({}, {"file": ("c.png", png(64, 36, rgb), "image/png")})
        return s.request("POST", "/api/media/upload", body, headers={"Content-Type": ctype}).json()["media_url"]

    def pixel(self, path, n):
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", r"select=eq(n\,%d),scale=1:1" % n,
                              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True).stdout
        return tuple(out[:3])

    def test_frame_count_and_cuts(self):
        if not shutil.which("ffprobe"):
            self.skipTest("ffprobe not installed")
        s = Server("repo").start()
        try:
            p = s.request("POST", "/api/v1/projects", {"name": "Cuts"}).json()
            sc = s.request("POST", "/api/v1/scenes", {"project_id": p["id"], "name": "S"}).json()
            colours = [(230, 20, 20), (20, 230, 20), (20, 20, 230)]
            spans = [(0, 0.5), (0.5, 1 / 3), (1.25, 0.75)]  # a gap between the 2nd and 3rd
            for rgb, (pos, length) in zip(colours, spans):
                c = s.request("POST", "/api/v1/clips", {"scene_id": sc["id"], "name": str(rgb),
                                                         "timeline_position": pos, "length": length}).json()
                s.request("PUT", "/api/v1/clips/" + c["id"], {"selected_image": self.solid(s, rgb)})
            for fps in ("24", "29.97"):
                tl = json.loads(s.get("/api/v1/projects/%s/export/json?fps=%s" % (p["id"], fps)).body)
                r = s.request("POST", "/api/v1/projects/%s/animatic" % p["id"], {"fps": fps, "width": 64, "height": 36})
                self.assertEqual(r.status, 202, r.body)
                jid = r.json()["job_id"]
                wait_until(lambda: s.get("/api/v1/queue/jobs/" + jid).json()["status"] in ("completed", "failed"), 60)
                job = s.get("/api/v1/queue/jobs/" + jid).json()
                self.assertEqual(job["status"], "completed", job)
                art = job["result"]["artifacts"][0]
                path = os.path.join(s.data, "artifacts", art["path"])
                frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                                         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                                        capture_output=True, text=True).stdout.strip()
                self.assertEqual(int(frames), tl["duration_frames"])
                clips = [i for i in tl["items"] if i["kind"] == "clip"]
                for it, rgb in zip(clips, colours):
                    first, last = self.pixel(path, it["record_in"]), self.pixel(path, it["record_out"] - 1)
                    for got in (first, last):
                        self.assertTrue(all(abs(a - b) < 40 for a, b in zip(got, rgb)), (fps, it, got, rgb))
                gap = next(i for i in tl["items"] if i["kind"] == "gap")
                self.assertTrue(all(v < 40 for v in self.pixel(path, gap["record_in"])))
            self.assertEqual(s.request("POST", "/api/v1/projects/nope/animatic", {}).status, 404)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
