"""bench/storyboard/seed_check.py — seeds a storyboard server through its API and compares two servers.

Used by bench/storyboard/run.sh against moonreel and the FastAPI baseline alike:

    seed_check.py seed URL              creates the bench project (20 scenes x 10
                                        clips, clips inserted out of timeline order
                                        so ORDER BY matters) and a one-scene "sink"
                                        project that POST /api/v1/clips writes into;
                                        prints {"project_id", "sink_scene_id"}
    seed_check.py compare A.json B.json each file: {"url", "project_id", "sink_scene_id"};
                                        exits 1 unless both with-scenes responses have
                                        the same structure and both POST /api/v1/clips
                                        behave alike (201 + same keys; 400 for an
                                        unknown field and for a missing scene)

Only the standard library; one keep-alive connection per server.
"""
import http.client
import json
import sys
from urllib.parse import urlparse

SCENES, CLIPS = 20, 10


class Api:
    def __init__(self, url):
        u = urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        return r.status, json.loads(r.read() or b"null")

    def create(self, path, body):
        status, doc = self.call("POST", path, body)
        if status != 201:
            sys.exit("seed: POST %s -> %d %s" % (path, status, doc))
        return doc["id"]


def clip_body(scene_id, s, c):
    body = {
        "scene_id": scene_id,
        "name": "Clip %02d-%02d" % (s, c),
        "image_prompt": "wide shot of a neon street at night, rain, reflections, scene %d clip %d" % (s, c),
        "timeline_position": c * 2.5,
        "length": 2.5,
    }
    if c % 2 == 0:
        body["lyrics"] = "la la la, line %d" % c
    return body


def seed(url):
    api = Api(url)
    pid = api.create("/api/v1/projects", {"name": "Storyboard bench", "description": "20 scenes x 10 clips"})
    for s in range(SCENES):
        sid = api.create("/api/v1/scenes", {"project_id": pid, "name": "Scene %02d" % s, "order": s})
        for c in reversed(range(CLIPS)):  # out of timeline order on purpose
            api.create("/api/v1/clips", clip_body(sid, s, c))
    sink = api.create("/api/v1/projects", {"name": "POST sink"})
    sink_scene = api.create("/api/v1/scenes", {"project_id": sink, "name": "Sink scene"})
    print(json.dumps({"url": url, "project_id": pid, "sink_scene_id": sink_scene}))


# -- Comparison -------------------------------------------------------------------


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"  # moonreel writes 2.5 and 2; Python writes 2.0
    return type(v).__name__


def shape(obj):
    """key -> JSON kind, the structure two implementations must share."""
    return {k: kind(v) for k, v in obj.items()}


def summary(doc):
    scenes = doc["scenes"]
    return {
        "project": shape({k: v for k, v in doc.items() if k != "scenes"}),
        "scenes": len(scenes),
        "scene": shape({k: v for k, v in scenes[0].items() if k != "clips"}),
        "scene_names": [s["name"] for s in scenes],
        "clips_per_scene": [len(s["clips"]) for s in scenes],
        "clip": shape(scenes[0]["clips"][0]),
        "clip_names": [c["name"] for s in scenes for c in s["clips"]],
        "null_lyrics": sum(c["lyrics"] is None for s in scenes for c in s["clips"]),
    }


def probe(side):
    api = Api(side["url"])
    out = {}
    status, doc = api.call("GET", "/api/v1/projects/%s/with-scenes" % side["project_id"])
    out["with_scenes_status"] = status
    out["with_scenes"] = summary(doc)
    body = {"scene_id": side["sink_scene_id"], "name": "probe", "image_prompt": "p", "timeline_position": 1.0,
            "length": 2.0}
    status, doc = api.call("POST", "/api/v1/clips", body)
    out["post_status"], out["post_shape"] = status, shape(doc)
    status, doc = api.call("POST", "/api/v1/clips", dict(body, bogus=1))
    out["unknown_field"] = (status, doc["error"]["code"], [f["field"] for f in doc["error"]["details"]["fields"]])
    status, doc = api.call("POST", "/api/v1/clips", dict(body, scene_id="no-such-scene"))
    out["missing_scene"] = (status, doc["error"]["code"], [f["field"] for f in doc["error"]["details"]["fields"]])
    status, doc = api.call("POST", "/api/v1/clips", {"name": "x", "length": "2"})
    out["bad_types"] = (status, doc["error"]["code"], sorted(f["field"] for f in doc["error"]["details"]["fields"]))
    return out


def compare(file_a, file_b):
    a, b = (json.load(open(f)) for f in (file_a, file_b))
    pa, pb = probe(a), probe(b)
    ws = pa["with_scenes"]
    problems = [k for k in pa if pa[k] != pb[k]]
    if ws["scenes"] != SCENES or ws["clips_per_scene"] != [CLIPS] * SCENES:
        problems.append("counts")
    if ws["clip_names"] != sorted(ws["clip_names"]):
        problems.append("order")  # names sort the same way as (scene order, timeline_position)
    for k in problems:
        print("MISMATCH %s:\n  A %s\n  B %s" % (k, pa.get(k), pb.get(k)), file=sys.stderr)
    if problems:
        sys.exit(1)
    print("same structure: %d scenes x %s clips; project %d keys, scene %d keys (+clips), clip %d keys; "
          "POST 201 with %d keys; 400 for unknown field, missing scene, bad types"
          % (ws["scenes"], CLIPS, len(ws["project"]), len(ws["scene"]), len(ws["clip"]), len(pa["post_shape"])))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        seed(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
