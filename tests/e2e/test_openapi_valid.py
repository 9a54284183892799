"""tests/e2e/test_openapi_valid.py — the served OpenAPI document passes a real OpenAPI 3.1 validator.

The validator is the npm package @seriousme/openapi-schema-validator, installed
by this test into a cache folder on first run (the npm registry is reachable
from every machine here; nothing is committed).
"""
import json
import os
import shutil
import subprocess
import unittest

from harness import Server

VALIDATOR = "@seriousme/openapi-schema-validator@2.11.0"
CACHE = os.environ.get("MOONREEL_NPM_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "moonreel-npm"))

SCRIPT = """
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";
const validator = new Validator();
const result = await validator.validate(JSON.parse(readFileSync(process.argv[2], "utf8")));
console.log(JSON.stringify(result));
process.exit(result.valid ? 0 : 1);
"""


def ensure_validator():
    marker = os.path.join(CACHE, "node_modules", "@seriousme", "openapi-schema-validator", "package.json")
    if not os.path.exists(marker):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", CACHE, "--no-audit", "--no-fund", VALIDATOR],
                       check=True, capture_output=True, timeout=300)
    script = os.path.join(CACHE, "validate.mjs")
    with open(script, "w") as f:
        f.write(SCRIPT)
    return script


@unittest.skipIf(shutil.which("node") is None or shutil.which("npm") is None, "node and npm are needed")
class OpenApiDocument(unittest.TestCase):
    def test_served_document_is_valid_openapi_3_1(self):
        script = ensure_validator()
        srv = Server("repo").start()
        try:
            doc = srv.get("/api/v1/openapi.json").json()
        finally:
            srv.cleanup()
        path = os.path.join(CACHE, "storyboard-openapi.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        r = subprocess.run(["node", script, path], capture_output=True, text=True, cwd=CACHE, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(json.loads(r.stdout)["valid"])
        self.assertGreaterEqual(len(doc["paths"]), 20)

    def test_a_broken_document_is_rejected(self):
        """The check can fail: the same validator refuses a document missing info."""
        script = ensure_validator()
        path = os.path.join(CACHE, "broken-openapi.json")
        with open(path, "w") as f:
            json.dump({"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": "nope"}}}}, f)
        r = subprocess.run(["node", script, path], capture_output=True, text=True, cwd=CACHE, timeout=120)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
