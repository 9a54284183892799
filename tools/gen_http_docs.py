#!/usr/bin/env python3
"""tools/gen_http_docs.py — writes docs/http-api.md from a real run of the API.

Starts the binary on the repo's app (a temp copy, temp data), walks every
endpoint with an example request, and records the real response, so the
examples in the docs can never drift from what the server does.
Run: /usr/bin/python3 tools/gen_http_docs.py [--bin build/moonreel]
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import Server, multipart  # noqa: E402
from test_storyboard import WAV, png_bytes  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "docs", "http-api.md")


def short(value, depth=0):
    """Trims long lists and strings so examples stay readable."""
    if isinstance(value, list):
        return [short(v, depth + 1) for v in value[:2]] + (["…"] if len(value) > 2 else [])
    if isinstance(value, dict):
        return {k: short(v, depth + 1) for k, v in value.items()}
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "…"
    return value


def pull_fixture_model(models_dir):
    """esrgan-slim-x2 for the models and upscale examples (npm pack + conversion, a few seconds)."""
    import subprocess
    from harness import BIN, REPO
    subprocess.run([BIN, "models", "pull", "esrgan-slim-x2", "--root", REPO, "--set", "models.dir=" + models_dir],
                   check=True, capture_output=True, timeout=600)


def main():
    import tempfile
    models_dir = tempfile.mkdtemp(prefix="mr-docs-models-")
    pull_fixture_model(models_dir)
    srv = Server("repo", args=["--set", "models.dir=" + models_dir]).start()
    sections = []

    def ex(title, method, path, body=None, note="", files=None, fields=None):
        headers = {}
        shown_body = body
        if files:
            body, ctype = multipart(fields or {}, files)
            headers["Content-Type"] = ctype
            shown_body = "(multipart/form-data: " + ", ".join(
                ["%s=%s" % (k, v) for k, v in (fields or {}).items()] +
                ["%s=@%s" % (k, v[0]) for k, v in files.items()]) + ")"
        r = srv.request(method, path, body=body, headers=headers)
        try:
            resp = json.dumps(short(r.json()), indent=2, ensure_ascii=False)
        except ValueError:
            resp = "(%d bytes of %s)" % (len(r.body), r.header("Content-Type"))
        req = "%s %s" % (method, path)
        if shown_body is not None and not files:
            req += "\n" + json.dumps(shown_body, indent=2, ensure_ascii=False)
        elif files:
            req += "\n" + shown_body
        sections.append("### %s\n\n%s```http\n%s\n```\n\n→ `%d`\n\n```json\n%s\n```\n" % (
            title, (note + "\n\n") if note else "", req, r.status, resp))
        return r.json() if r.body and r.header("Content-Type", ) == "application/json" else None

    p = ex("Create a project", "POST", "/api/v1/projects", {"name": "Neon Nights", "description": "Music video"})
    ex("List projects", "GET", "/api/v1/projects?limit=10&offset=0")
    ex("Get a project", "GET", "/api/v1/projects/" + p["id"])
    ex("Update a project", "PUT", "/api/v1/projects/" + p["id"], {"description": "Music video, 3 min"})
    s = ex("Create a scene", "POST", "/api/v1/scenes", {"project_id": p["id"], "name": "Intro"},
           note="`order` defaults to after the last scene of the project.")
    ex("Scenes of a project", "GET", "/api/v1/scenes/project/" + p["id"])
    ex("Get a scene", "GET", "/api/v1/scenes/" + s["id"])
    ex("Update a scene", "PUT", "/api/v1/scenes/" + s["id"], {"description": "City skyline at dusk"})
    ex("Create an alternate scene", "POST", "/api/v1/scenes/%s/alternates" % s["id"], {"name": "Intro (rain)"})
    ch = ex("Create a character", "POST", "/api/v1/characters",
            {"name": "Mira", "project_id": p["id"], "lora": "mira_v2", "trigger_words": ["mira"]})
    c = ex("Create a clip", "POST", "/api/v1/clips",
           {"scene_id": s["id"], "name": "Wide shot", "image_prompt": "rooftop at dusk", "length": 2.5,
            "character_id": ch["id"]})
    ex("Clips of a scene", "GET", "/api/v1/clips/scene/" + s["id"])
    ex("Get a clip", "GET", "/api/v1/clips/" + c["id"])
    ex("Update a clip", "PUT", "/api/v1/clips/" + c["id"], {"lyrics": "we run through the lights"})
    ex("Place a clip on the timeline", "PUT", "/api/v1/clips/%s/timeline" % c["id"],
       {"timeline_position": 1.5, "length": 3})
    ex("Create an alternate clip", "POST", "/api/v1/clips/%s/alternates" % c["id"], {})
    ex("A clip's gallery", "GET", "/api/v1/clips/%s/gallery" % c["id"])
    ex("A project with its scenes and clips", "GET", "/api/v1/projects/%s/with-scenes" % p["id"])
    ex("List characters of a project", "GET", "/api/v1/characters?project_id=" + p["id"])
    ex("Get a character", "GET", "/api/v1/characters/" + ch["id"])
    ex("Update a character", "PUT", "/api/v1/characters/" + ch["id"], {"style_notes": "neon rim light"})
    ex("Upload reference images", "POST", "/api/v1/characters/%s/reference-images" % ch["id"],
       files={"file": ("mira.png", png_bytes(), "image/png")},
       note="Repeat the `file` field for several images; every file is checked before any is stored.")
    t = ex("Create a style template", "POST", "/api/v1/templates",
           {"name": "Noir", "prompt_prefix": "film noir", "prompt_suffix": "35mm grain",
            "negative_prompt": "color", "default_parameters": {"steps": 30, "cfg": 6.5}})
    ex("List style templates", "GET", "/api/v1/templates")
    ex("Get a style template", "GET", "/api/v1/templates/" + t["id"])
    ex("Update a style template", "PUT", "/api/v1/templates/" + t["id"], {"description": "High contrast"})
    ex("Apply a template to a scene", "POST", "/api/v1/templates/%s/apply" % t["id"], {"scene_id": s["id"]},
       note="Or `{\"project_id\": ...}` for every clip of a project. Applying twice changes nothing.")
    ex("Upload the project's music", "POST", "/api/v1/media/projects/%s/upload-music" % p["id"],
       files={"file": ("song.wav", WAV, "audio/wav")}, note="Audio only, decided by the bytes; 50 MB by default.")
    ex("Upload a face image", "POST", "/api/v1/media/upload-face",
       files={"file": ("face.png", png_bytes(), "image/png")}, note="Images only; 10 MB by default.")
    dup = ex("Duplicate a project", "POST", "/api/v1/projects/%s/duplicate" % p["id"], None,
             note="A deep copy (characters, scenes, alternates, clips) with new ids.")
    ex("Delete a clip", "DELETE", "/api/v1/clips/" + c["id"])
    ex("Delete a scene", "DELETE", "/api/v1/scenes/" + s["id"])
    ex("Delete a character", "DELETE", "/api/v1/characters/" + ch["id"])
    ex("Delete a style template", "DELETE", "/api/v1/templates/" + t["id"])
    ex("Delete a project", "DELETE", "/api/v1/projects/" + dup["id"], note="Cascades to scenes, clips, characters.")
    sh = ex("Create a sheet", "POST", "/api/v1/sheets", {"name": "Moodboard", "columns": 4})
    ex("List sheets", "GET", "/api/v1/sheets")
    ex("Update a sheet", "PUT", "/api/v1/sheets/" + sh["id"], {"description": "References for act one"})
    up = ex("Upload an image or video as a card", "POST", "/api/media/upload",
            files={"file": ("ref.png", png_bytes(64, 48), "image/png")},
            note="Multipart `file` (and optional `sheet_id`, `title`); the type comes from the bytes. "
                 "Without `sheet_id` the card lands on the default sheet.")
    card = ex("Create a card", "POST", "/api/v1/sheets/%s/cards" % sh["id"], {"title": "Opening", "note": "wide"})
    ex("Cards of a sheet", "GET", "/api/v1/sheets/%s/cards" % sh["id"],
       note="Grid order; `?include_deleted=true` shows soft-deleted cards too.")
    ex("Update a card", "PUT", "/api/v1/cards/" + card["id"], {"title": "Opening shot"})
    ex("Move a card", "POST", "/api/v1/cards/%s/move" % card["id"], {"position": 0})
    ex("Batch: all or nothing", "POST", "/api/v1/cards/batch", {"sheet_id": sh["id"], "operations": [
        {"op": "create", "card": {"title": "Beat 2"}},
        {"op": "update", "id": card["id"], "changes": {"note": "dusk"}}]},
       note="Creates, updates, moves and deletes in one transaction; any failure changes nothing and says "
            "which operation failed. Undone as one operation.")
    ex("Soft-delete a card", "DELETE", "/api/v1/cards/" + card["id"])
    ex("Restore a card", "POST", "/api/v1/cards/%s/restore" % card["id"])
    ex("Undo the sheet's last operation", "POST", "/api/v1/sheets/%s/undo" % sh["id"], None,
       note="Each sheet keeps its last 50 operations; 409 CONFLICT when there is nothing to undo.")
    ex("Collect unreferenced artifacts", "POST", "/api/v1/artifacts/collect", {"dry_run": True, "older_than_s": 0})
    # -- Generation and the job queue (draft provider; waits for each job) --
    import time

    def settle(job_id):
        for _ in range(3000):
            if srv.get("/api/v1/queue/jobs/" + job_id).json()["status"] not in ("pending", "processing"):
                return
            time.sleep(0.02)

    gp = srv.request("POST", "/api/v1/projects", {"name": "Generation demo"}).json()
    gs = srv.request("POST", "/api/v1/scenes", {"project_id": gp["id"], "name": "Opening"}).json()
    gc = srv.request("POST", "/api/v1/clips", {"scene_id": gs["id"], "name": "Dawn",
                                                "image_prompt": "a lighthouse at dawn"}).json()
    g = ex("Generate a clip's image", "POST", "/api/v1/generation",
           {"clip_id": gc["id"], "type": "image", "seed": 7, "width": 640, "height": 360},
           note="Queued as a job (`txt2img`, or `img2video` for `type: video`); the clip's character and an "
                "optional `template_id` fold into the prompt; the result lands in the clip's gallery.")
    settle(g["job_id"])
    ex("A job", "GET", "/api/v1/queue/jobs/" + g["job_id"])
    ex("Generate for several clips", "POST", "/api/v1/generation/batch",
       {"requests": [{"clip_id": gc["id"], "seed": 1, "width": 320, "height": 180}]})
    q = ex("Submit a job to any workflow", "POST", "/api/v1/queue/jobs",
           {"workflow": "noop", "input": {"n": 2}, "priority": 5},
           note="Headers: `Idempotency-Key` (a repeat answers 200 with the same job). 429 `QUEUE_FULL` with "
                "`Retry-After` past `jobs.max_pending`.")
    settle(q["job_id"])
    ex("List jobs", "GET", "/api/v1/queue/jobs?status=completed&limit=2")
    ex("Queue status", "GET", "/api/v1/queue/status")
    ex("Pause the queue", "POST", "/api/v1/queue/pause")
    pend = srv.request("POST", "/api/v1/queue/jobs", {"workflow": "noop"}).json()
    ex("Change a pending job's priority", "PUT", "/api/v1/queue/jobs/%s/priority" % pend["job_id"], {"priority": 10})
    ex("Cancel a job", "DELETE", "/api/v1/queue/jobs/" + pend["job_id"],
       note="A pending job ends at once (`cancelled`); a running one is told to stop (`cancelling`).")
    ex("Retry a failed or cancelled job", "POST", "/api/v1/queue/jobs/%s/retry" % pend["job_id"])
    ex("Resume the queue", "POST", "/api/v1/queue/resume")
    settle(pend["job_id"])
    ex("Delete finished jobs", "POST", "/api/v1/queue/clear", {"before": "2000-01-01T00:00:00Z"})
    sections.append("### Job events (server-sent events)\n\n```http\nGET /api/v1/queue/events?project_id=...\n"
                    "Last-Event-ID: 41\n```\n\n→ `200` `text/event-stream`\n\n```\nid: 42\nevent: job.progress\n"
                    "data: {\"id\":42,\"type\":\"job.progress\",\"job_id\":\"01…\",\"status\":\"processing\","
                    "\"progress\":{\"percent\":50,\"step\":\"frame 12 of 24\",\"eta_s\":0.4},…}\n```\n\n"
                    "Types: job.created, job.started, job.progress, job.retrying, job.cancelling, job.completed, "
                    "job.failed, job.cancelled, job.requeued, job.priority, queue.paused, queue.resumed. "
                    "Filters: `job_id`, `project_id`; resume with `Last-Event-ID` (or `?last_event_id=`).\n")
    ex("Workflows and their input schemas", "GET", "/generators")
    ex("Providers", "GET", "/assets")
    b = ex("Generate (asset generator surface)", "POST", "/generate",
           {"workflow": "txt2img", "input": {"prompt": "a red kite", "seed": 3, "width": 256, "height": 256}})
    settle(b["job_id"])
    bb = ex("Generate a batch", "POST", "/generate/batch",
            {"items": [{"input": {"prompt": "a", "width": 64, "height": 64}},
                       {"input": {"prompt": "b", "width": 64, "height": 64}}]})
    for j in bb["jobs"]:
        settle(j["job_id"])
    ex("Batch status", "GET", "/generate/batch/status/" + bb["batch_id"])
    ex("Generation jobs", "GET", "/generate/batch/jobs?limit=1")
    mg = ex("Generate onto the media board", "POST", "/api/media/generate",
            {"prompt": "storm over the harbour", "width": 320, "height": 180})
    settle(mg["job_id"])
    br = ex("Remove a background", "POST", "/api/background-removal/submit", None,
            files={"file": ("still.png", png_bytes(), "image/png")},
            note="Or JSON `{\"card_id\": ...}` (the cut-out becomes a card beside it) or `{\"media_url\": ...}`.")
    settle(br["request_id"])
    ex("Background removal status", "GET", "/api/background-removal/status/" + br["request_id"])
    ex("Cancel a background removal", "POST", "/api/background-removal/cancel/" + br["request_id"],
       note="409 CONFLICT once it has finished, as here.")

    # -- Models and upscaling (esrgan-slim-x2 pulled into a temp models dir above) --
    ex("Models", "GET", "/api/v1/models",
       note="Every model declared in `scripts/models/*.lua`: `state` is `absent` (declared, not pulled), "
            "`available` (its file is in `models.dir`) or `loaded`.")
    ex("A model", "GET", "/api/v1/models/esrgan-slim-x2")
    ex("Load a model", "POST", "/api/v1/models/esrgan-slim-x2/load",
       note="Checks the sha256, puts it on the policy's device and dtype, warms it up. Models also load on "
            "first use; least recently used ones are unloaded past `infer.memory_mb`.")
    ex("Unload a model", "POST", "/api/v1/models/esrgan-slim-x2/unload")
    ex("Load a model that is not pulled", "POST", "/api/v1/models/realesr-animevideov3-x4/load",
       note="Other errors: 404 unknown name; 422 `MODEL_INVALID` (corrupt or truncated file), "
            "`CHECKSUM_MISMATCH`, `MODEL_SHAPE`; 413 `IMAGE_TOO_LARGE`; 503 `DEVICE_UNAVAILABLE`.")
    up = ex("Upscale an image", "POST", "/api/v1/images/upscale", None,
            files={"file": ("still.png", png_bytes(), "image/png")}, fields={"scale": "2", "model": "esrgan-slim"},
            note="Or JSON `{\"media_url\": \"/files/...\", \"scale\": 4, \"model\": \"esrgan-slim\"}`. "
                 "`model` is a name or a family; without one, `infer.upscaler`, then esrgan-slim, then "
                 "resampling. A job: progress events per tile; the result's sidecar records model, scale, "
                 "device and duration.")
    settle(up["job_id"])
    ex("An upscale job, completed", "GET", "/api/v1/queue/jobs/" + up["job_id"])

    ex("Readiness", "GET", "/health/ready")
    ex("Liveness and scripts", "GET", "/api/v1/health")
    errors = []

    def err(title, method, path, body=None):
        r = srv.request(method, path, body=body)
        errors.append("### %s\n\n```http\n%s %s%s\n```\n\n→ `%d`\n\n```json\n%s\n```\n" % (
            title, method, path, ("\n" + json.dumps(body)) if body is not None else "", r.status,
            json.dumps(r.json(), indent=2)))
    err("Validation", "POST", "/api/v1/projects", {"name": "", "colour": "red"})
    err("Missing entity", "GET", "/api/v1/projects/01HZZZZZZZZZZZZZZZZZZZZZZZ")
    err("Reference to a missing parent", "POST", "/api/v1/scenes", {"project_id": "nope", "name": "x"})
    err("Wrong method", "PATCH", "/api/v1/projects/x", {})
    srv.cleanup()
    import shutil
    shutil.rmtree(models_dir, ignore_errors=True)

    with open(OUT, "w") as f:
        f.write("# HTTP API\n\n")
        f.write("Generated by `tools/gen_http_docs.py` from a real run: every example below is what the server "
                "answered. The machine-readable form is `GET /api/v1/openapi.json` (OpenAPI 3.1); `GET /docs` "
                "renders it.\n\n")
        f.write("Conventions: JSON in and out; ids are ULIDs (sortable); times are ISO-8601 UTC; create → 201 "
                "with the entity; lists → `{\"items\", \"total\", \"limit\", \"offset\"}` with `?limit=` "
                "(1–500, default 50) and `?offset=`. Update bodies are partial; unknown fields are rejected. "
                "A reference in a body to a missing entity is a 400 `VALIDATION_ERROR` on that field; a "
                "missing entity in the path is a 404 `RESOURCE_NOT_FOUND`. Uploads are multipart (field "
                "`file`) and typed by their bytes, never their name.\n\n")
        f.write("Every error has one shape: `{\"error\": {\"code\", \"message\", \"details\"}}`, and every "
                "response carries `X-Request-Id`.\n\n## Endpoints\n\n")
        f.write("\n".join(sections))
        f.write("\n## Errors\n\n")
        f.write("\n".join(errors))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
