"""End-to-end: real pretrained models pulled from npm, run by the binary over HTTP and the CLI.

ESRGAN-slim x2/x4 are pulled with `moonreel models pull` (npm pack of the pinned package, sha256,
conversion to TorchScript, the converter's numpy reference check) into a private models directory.
The server's upscale output is compared pixel for pixel with an independent run of the same
TorchScript by Debian's python3-torch (tools/models/reference_run.py), whole image, no tiling.
Background removal runs with the GrabCut fallback, and with isnet when a pulled isnet.pt is found
(MOONREEL_TEST_MODELS or ~/.cache/moonreel/models). Bad models and bad input: clear errors, the
server stays up, nothing half-written.
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np
from PIL import Image

from harness import REPO, Server, multipart, run_cli, wait_until
from test_queue import events_of

SYSTEM_PYTHON = "/usr/bin/python3"
REFERENCE = os.path.join(REPO, "tools", "models", "reference_run.py")
MAX_PIXELS = 200_000      # the server's infer.max_pixels in this test: 600x400 is too large
Q = "/api/v1/queue"


def png_bytes(arr):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def test_image(w, h, seed=1):
    """A picture with edges, gradients and texture (what super-resolution reacts to)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float32)
    img[..., 0] = 255 * x / max(1, w - 1)
    img[..., 1] = 255 * y / max(1, h - 1)
    img[..., 2] = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    img[(x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 4) ** 2] = (250, 240, 20)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def reference(model_pt, in_png, out_png, **kw):
    args = [SYSTEM_PYTHON, REFERENCE, model_pt, in_png, out_png]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    subprocess.run(args, check=True, capture_output=True, timeout=300)
    return np.asarray(Image.open(out_png).convert("RGB"), np.int16)


def isnet_file():
    for d in (os.environ.get("MOONREEL_TEST_MODELS"), os.path.expanduser("~/.cache/moonreel/models")):
        if d and os.path.exists(os.path.join(d, "isnet.pt")) and os.path.exists(os.path.join(d, "isnet.json")):
            return d
    return None


class InferEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mr-infer-")
        cls.models = os.path.join(cls.tmp, "models")
        cls.s = Server("repo", args=["--set", "models.dir=" + cls.models, "--set", "infer.upscaler=esrgan-slim",
                                     "--set", "infer.max_pixels=%d" % MAX_PIXELS, "--job-workers", "2"])
        # Test-only declarations next to the real ones: broken files and a wrong pin.
        cls.s.write_file("scripts/models/test_broken.lua", """
return {
  { name = "garbage", task = "upscale", file = "garbage.pt", output = { scale = 2 } },
  { name = "truncated", task = "upscale", file = "truncated.pt", output = { scale = 2 } },
  { name = "pinned-wrong", task = "upscale", file = "esrgan-slim-x2.pt", output = { scale = 2 },
    sha256 = string.rep("0", 64) },
  { name = "four-channels", task = "upscale", file = "four.pt", output = { scale = 1 } },
  { name = "liar", task = "upscale", file = "esrgan-slim-x2.pt", output = { scale = 4 } },
  { name = "bad-pin", task = "upscale", license = "MIT",
    source = { npm = "@upscalerjs/esrgan-slim", version = "1.0.0", sha256 = string.rep("a", 64),
               format = "tfjs_layers", path = "package/models/x2" } },
}
""")
        env = {"MOONREEL_ROOT": cls.s.root}
        pulled = run_cli("models", "pull", "esrgan-slim-x2", "esrgan-slim-x4", "--root", cls.s.root,
                         "--set", "models.dir=" + cls.models, env=env, timeout=600)
        if pulled.returncode != 0:
            raise AssertionError("models pull failed:\n" + pulled.stdout + pulled.stderr)
        cls.pull_output = pulled
        # The broken files the test declarations point at.
        with open(os.path.join(cls.models, "garbage.pt"), "wb") as f:
            f.write(b"this is not a TorchScript zip" * 100)
        with open(os.path.join(cls.models, "esrgan-slim-x2.pt"), "rb") as f:
            whole = f.read()
        with open(os.path.join(cls.models, "truncated.pt"), "wb") as f:
            f.write(whole[: len(whole) // 2])
        subprocess.run([SYSTEM_PYTHON, "-c", """
import sys, torch
conv = torch.nn.Conv2d(4, 3, 1).eval()   # wants 4 channels: the engine gives 3
torch.jit.save(torch.jit.trace(conv, torch.zeros(1, 4, 8, 8)), sys.argv[1])
""", os.path.join(cls.models, "four.pt")], check=True, timeout=120)
        isnet = isnet_file()
        if isnet:
            for name in ("isnet.pt", "isnet.json"):
                shutil.copy(os.path.join(isnet, name), os.path.join(cls.models, name))
        cls.s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers -----------------------------------------------------------------------------------

    def submit_upscale(self, arr, scale=2, model="esrgan-slim"):
        fields = {"scale": str(scale)}
        if model:
            fields["model"] = model
        body, ctype = multipart(fields, {"file": ("in.png", png_bytes(arr), "image/png")})
        r = self.s.request("POST", "/api/v1/images/upscale", body=body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 202, r.body)
        return r.json()["job_id"]

    def wait_job(self, jid, timeout=240):
        def done():
            j = self.s.get(Q + "/jobs/" + jid).json()
            return j if j["status"] in ("completed", "failed", "cancelled") else None
        job = wait_until(done, timeout=timeout, interval=0.2)
        self.assertTrue(job, "job %s did not finish" % jid)
        return job

    def fetch_image(self, url, mode="RGB"):
        r = self.s.get(url)
        self.assertEqual(r.status, 200)
        return Image.open(io.BytesIO(r.body)).convert(mode) if mode else Image.open(io.BytesIO(r.body))

    def write_png(self, arr, name):
        path = os.path.join(self.tmp, name)
        Image.fromarray(arr).save(path)
        return path

    def assert_error(self, r, status, code):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.json()["error"]["code"], code, r.body)

    # -- the pull ----------------------------------------------------------------------------------

    def test_pull_wrote_model_and_manifest_and_printed_the_licence(self):
        self.assertIn("licence: MIT", self.pull_output.stderr)
        with open(os.path.join(self.models, "esrgan-slim-x2.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["source"]["npm"], "@upscalerjs/esrgan-slim")
        self.assertEqual(manifest["source"]["sha256"],
                         "b53070ff01363e74d33138106dcc72b58d341c9fb7e8fd648554a4e7744142b5")
        self.assertLess(manifest["check"]["max_abs_diff"], manifest["check"]["tolerance"])
        import hashlib
        with open(os.path.join(self.models, "esrgan-slim-x2.pt"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), manifest["sha256"])
        self.assertFalse([n for n in os.listdir(self.models) if ".tmp" in n])

    def test_pull_with_a_wrong_pin_fails_and_writes_nothing(self):
        before = sorted(os.listdir(self.models))
        r = run_cli("models", "pull", "bad-pin", "--root", self.s.root, "--set", "models.dir=" + self.models,
                    timeout=300)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("does not match the pinned", r.stderr)
        self.assertEqual(sorted(os.listdir(self.models)), before)

    def test_models_list_cli(self):
        r = run_cli("models", "list", "--root", self.s.root, "--set", "models.dir=" + self.models)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {line.split()[0]: line.split()[2] for line in r.stdout.splitlines()[2:] if line.strip()}
        self.assertEqual(rows["esrgan-slim-x2"], "available")
        self.assertEqual(rows["realesr-animevideov3-x4"], "absent")
        self.assertIn("isnet", rows)

    # -- /api/v1/models ----------------------------------------------------------------------------

    def test_models_endpoint_states_and_load_unload(self):
        body = self.s.get("/api/v1/models").json()
        by = {m["name"]: m for m in body["models"]}
        self.assertEqual(by["esrgan-slim-x4"]["state"], "available")
        self.assertEqual(by["realesr-animevideov3-x2"]["state"], "absent")
        for key in ("name", "task", "state", "device", "dtype", "bytes", "last_used", "in_flight"):
            self.assertIn(key, by["esrgan-slim-x4"])
        self.assertEqual(body["device"]["device"], "cpu")

        r = self.s.request("POST", "/api/v1/models/esrgan-slim-x4/load")
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual((info["state"], info["device"], info["dtype"]), ("loaded", "cpu", "float32"))
        self.assertGreater(info["bytes"], 100_000)
        r = self.s.request("POST", "/api/v1/models/esrgan-slim-x4/unload")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["state"], "available")
        self.assert_error(self.s.get("/api/v1/models/nope"), 404, "RESOURCE_NOT_FOUND")
        self.assert_error(self.s.request("POST", "/api/v1/models/nope/load"), 404, "RESOURCE_NOT_FOUND")
        self.assert_error(self.s.request("POST", "/api/v1/models/realesr-animevideov3-x4/load"), 409, "MODEL_ABSENT")

    def test_bad_model_files_are_clear_errors_and_the_server_stays_up(self):
        cases = {"garbage": (422, "MODEL_INVALID"), "truncated": (422, "MODEL_INVALID"),
                 "pinned-wrong": (422, "CHECKSUM_MISMATCH"), "four-channels": (422, "MODEL_SHAPE")}
        for name, (status, code) in cases.items():
            with self.subTest(model=name):
                r = self.s.request("POST", "/api/v1/models/%s/load" % name)
                self.assert_error(r, status, code)
                state = self.s.get("/api/v1/models/" + name).json()
                self.assertEqual(state["state"], "available")   # the file is there; it just does not load
                self.assertTrue(state["last_error"])
        # A model whose output is not the declared scale fails the job with MODEL_SHAPE.
        job = self.wait_job(self.submit_upscale(test_image(40, 30), scale=4, model="liar"))
        self.assertEqual((job["status"], job["error"]["code"]), ("failed", "MODEL_SHAPE"), job)
        self.assertEqual(self.s.health()["status"], "ok")

    # -- upscaling over HTTP -----------------------------------------------------------------------

    def test_upscale_matches_an_independent_python_torch_run(self):
        arr = test_image(150, 110)
        jid = self.submit_upscale(arr, scale=2)
        job = self.wait_job(jid)
        self.assertEqual(job["status"], "completed", job)
        res = job["result"]
        self.assertEqual((res["method"], res["model"], res["scale"], res["device"]), ("esrgan-slim-x2", "esrgan-slim-x2", 2, "cpu"))
        got = np.asarray(self.fetch_image(res["artifacts"][0]["url"]), np.int16)
        self.assertEqual(got.shape, (220, 300, 3))
        want = reference(os.path.join(self.models, "esrgan-slim-x2.pt"), self.write_png(arr, "a.png"),
                         os.path.join(self.tmp, "a_ref.png"))
        diff = np.abs(got - want)
        self.assertLessEqual(int(diff.max()), 1, "engine vs python torch")
        # The sidecar says how it was made.
        side = self.s.get(res["artifacts"][0]["url"] + ".json")
        if side.status == 200:
            meta = side.json().get("meta", side.json())
            self.assertEqual(meta.get("model"), "esrgan-slim-x2")

    def test_tiled_upscale_is_close_to_the_untiled_reference_and_reports_each_tile(self):
        arr = test_image(440, 300, seed=7)      # 132,000 px, tiles of 192: 3 x 2 tiles
        jid = self.submit_upscale(arr, scale=2)
        job = self.wait_job(jid)
        self.assertEqual(job["status"], "completed", job)
        self.assertGreater(job["result"]["tiles"], 1)
        got = np.asarray(self.fetch_image(job["result"]["artifacts"][0]["url"]), np.int16)
        want = reference(os.path.join(self.models, "esrgan-slim-x2.pt"), self.write_png(arr, "t.png"),
                         os.path.join(self.tmp, "t_ref.png"))
        diff = np.abs(got - want)
        self.assertLess(float(diff.mean()), 0.05, "seams must blend to the untiled result")
        self.assertLessEqual(int(np.percentile(diff, 99.9)), 2)
        events = events_of(self.s, jid, "job.completed")
        steps = [e.data["progress"]["step"] for e in events if e.type == "job.progress"]
        tiles = job["result"]["tiles"]
        for i in range(1, tiles + 1):
            self.assertIn("tile %d/%d" % (i, tiles), steps)

    def test_upscale_from_stored_media_and_family_4x(self):
        body, ctype = multipart({}, {"file": ("in.png", png_bytes(test_image(64, 48)), "image/png")})
        up = self.s.request("POST", "/api/media/upload", body=body, headers={"Content-Type": ctype})
        self.assertIn(up.status, (200, 201), up.body)
        media_url = up.json().get("media_url") or up.json()["card"]["media_url"]
        r = self.s.request("POST", "/api/v1/images/upscale", body={"media_url": media_url, "scale": 4,
                                                                  "model": "esrgan-slim"})
        self.assertEqual(r.status, 202, r.body)
        job = self.wait_job(r.json()["job_id"])
        self.assertEqual(job["status"], "completed", job)
        self.assertEqual(job["result"]["model"], "esrgan-slim-x4")
        self.assertEqual(self.fetch_image(job["result"]["artifacts"][0]["url"]).size, (256, 192))

    def test_upscale_bad_input(self):
        garbage, ctype = multipart({"scale": "2"}, {"file": ("x.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")})
        r = self.s.request("POST", "/api/v1/images/upscale", body=garbage, headers={"Content-Type": ctype})
        self.assertIn(r.status, (400, 415), r.body)
        self.assertIn(r.json()["error"]["code"], ("INVALID_MEDIA", "UNSUPPORTED_MEDIA_TYPE"))
        ok_file = ("in.png", png_bytes(test_image(20, 20)), "image/png")
        body, ctype = multipart({"scale": "3"}, {"file": ok_file})
        r = self.s.request("POST", "/api/v1/images/upscale", body=body, headers={"Content-Type": ctype})
        self.assert_error(r, 400, "VALIDATION_ERROR")
        self.assert_error(self.s.request("POST", "/api/v1/images/upscale", body={"scale": 2}), 400, "VALIDATION_ERROR")
        self.assert_error(self.s.request("POST", "/api/v1/images/upscale", body="{not json",
                                         headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST")
        self.assert_error(self.s.request("POST", "/api/v1/images/upscale",
                                         body={"media_url": "/files/../../etc/passwd", "scale": 2}),
                          400, "VALIDATION_ERROR")
        # Unknown and absent models, and an image over infer.max_pixels: the job fails with the code.
        for model, code in (("no-such-model", "MODEL_NOT_FOUND"), ("realesr-animevideov3", "MODEL_ABSENT")):
            with self.subTest(model=model):
                job = self.wait_job(self.submit_upscale(test_image(20, 20), model=model))
                self.assertEqual((job["status"], job["error"]["code"]), ("failed", code), job)
        job = self.wait_job(self.submit_upscale(test_image(600, 400)))
        self.assertEqual((job["status"], job["error"]["code"]), ("failed", "IMAGE_TOO_LARGE"), job)
        self.assertEqual(self.s.health()["status"], "ok")

    # -- the CLI -----------------------------------------------------------------------------------

    def test_cli_run_upscale_writes_the_same_pixels(self):
        arr = test_image(90, 70, seed=3)
        src = self.write_png(arr, "cli_in.png")
        out = os.path.join(self.tmp, "cli_out.png")
        r = run_cli("run", "upscale", "--input", src, "--scale", "4", "--output", out, "--root", self.s.root,
                    "--data", os.path.join(self.tmp, "cli-data"), "--set", "models.dir=" + self.models,
                    "--set", "infer.upscaler=esrgan-slim", timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["model"], "esrgan-slim-x4")
        self.assertIn("tile 1/1", r.stderr)
        got = np.asarray(Image.open(out).convert("RGB"), np.int16)
        want = reference(os.path.join(self.models, "esrgan-slim-x4.pt"), src, os.path.join(self.tmp, "cli_ref.png"))
        self.assertLessEqual(int(np.abs(got - want).max()), 1)

    # -- background removal ------------------------------------------------------------------------

    def disc_image(self, w=160, h=120):
        y, x = np.mgrid[0:h, 0:w]
        arr = np.zeros((h, w, 3), np.uint8)
        arr[...] = (30, 60, 40)
        arr[(x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2] = (240, 200, 60)
        return arr

    def remove_background(self, arr, method=None):
        fields = {}
        body, ctype = multipart(fields, {"file": ("d.png", png_bytes(arr), "image/png")})
        r = self.s.request("POST", "/api/background-removal/submit", body=body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 202, r.body)
        rid = r.json()["request_id"]

        def done():
            st = self.s.get("/api/background-removal/status/" + rid).json()
            return st if st["status"] in ("completed", "failed", "cancelled") else None
        st = wait_until(done, timeout=240, interval=0.2)
        self.assertTrue(st)
        return st

    def test_background_removal_returns_cutout_and_matte_at_source_size(self):
        arr = self.disc_image()
        st = self.remove_background(arr)
        self.assertEqual(st["status"], "completed", st)
        res = st["result"]
        self.assertEqual(res["method"], "isnet" if isnet_file() else "grabcut")
        cut = self.fetch_image(res["media_url"], mode=None)
        mask = self.fetch_image(res["mask_url"], mode=None)
        self.assertEqual((cut.mode, cut.size), ("RGBA", (160, 120)))
        self.assertEqual((mask.mode, mask.size), ("L", (160, 120)))
        m = np.asarray(mask)
        self.assertGreater(int(m[60, 80]), 200)     # the disc is kept
        self.assertLess(int(m[2, 2]), 30)           # the corner is background
        self.assertEqual(self.fetch_image(res["thumb_url"], mode=None).format, "JPEG")

    @unittest.skipUnless(isnet_file(), "no pulled isnet.pt (moonreel models pull isnet; MOONREEL_TEST_MODELS)")
    def test_isnet_is_used_when_present(self):
        self.assertIn(self.s.get("/api/v1/models/isnet").json()["state"], ("available", "loaded"))
        st = self.remove_background(self.disc_image(320, 240))
        self.assertEqual((st["status"], st["result"]["method"]), ("completed", "isnet"), st)


if __name__ == "__main__":
    unittest.main()
