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


def main():
    srv = Server("repo").start()
    sections = []

    def ex(title, method, path, body=None, note="", files=None):
        headers = {}
        shown_body = body
        if files:
            body, ctype = multipart({}, files)
            headers["Content-Type"] = ctype
            shown_body = "(multipart/form-data: " + ", ".join("%s=@%s" % (k, v[0]) for k, v in files.items()) + ")"
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
