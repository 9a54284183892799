"""ncnn.py — ncnn `.param` + `.bin` -> TorchScript, plus a numpy reference of the same graph.

Contract
- Input: an ncnn model pair (text .param with magic 7767517, binary .bin). Made for Real-ESRGAN as
  shipped in waifu2x@1.6.5: `realesr-animevideov3-x{2,3,4}` (SRVGGNetCompact) and
  `realesrgan-x4plus-anime` (RRDB). Layer types handled: Input, Split, Convolution (fp16-tagged or
  fp32 weights, optional bias, fused activation none/relu/leakyrelu/sigmoid), PReLU, PixelShuffle,
  Interp (nearest / bilinear / bicubic by scale or fixed size), BinaryOp (add/sub/mul/div/max/min,
  two blobs or scalar), Eltwise (prod/sum with coefficients/max), Concat. Anything else is refused
  by name, and a .bin whose length does not match what the .param asks for is refused.
- Output of `convert(param, bin)`: frozen TorchScript, float32 NCHW RGB in 0..1 -> float32 NCHW RGB
  nominally 0..1. NOT clamped: the raw network output (slightly outside 0..1 at edges); the consumer
  clamps when converting to 8-bit, as realesrgan-ncnn-vulkan does. Any input size (traced at 24x24,
  verified at two other sizes). animevideov3-x2 is the x4 network followed by a bicubic 0.5x resize,
  exactly as the .param says.
- `check(param, bin, ts_module)`: a float64 numpy forward pass (npref operators, its own graph walk
  on the parsed .param) on a random 20x24 input; fails when the max abs difference > 1e-3 (0..1 scale).
- Why: the Real-ESRGAN weights reachable here are ncnn exports; the engine runs TorchScript.
CLI: /usr/bin/python3 tools/models/ncnn.py MODEL.param MODEL.bin OUT.pt [--check]
"""
import json
import os
import struct
import sys

import numpy as np

CHECK_TOLERANCE = 1e-3     # on the 0..1 scale (= 0.255 on the 0..255 scale)
_FP16_TAG = 0x01306B47


class UnsupportedModel(ValueError):
    pass


# --------------------------------------------------------------------------- parsing

def _num(s):
    try:
        return int(s)
    except ValueError:
        return float(s)


def parse_param(text):
    """-> list of dict(type, name, bottoms, tops, params{int key: number | list})"""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines or lines[0].split()[0] != "7767517":
        raise UnsupportedModel("not an ncnn .param (magic 7767517 missing)")
    n_layers, _n_blobs = (int(t) for t in lines[1].split()[:2])
    layers = []
    for line in lines[2:]:
        tok = line.split()
        typ, name, nb, nt = tok[0], tok[1], int(tok[2]), int(tok[3])
        bottoms = tok[4:4 + nb]
        tops = tok[4 + nb:4 + nb + nt]
        params = {}
        for kv in tok[4 + nb + nt:]:
            k, v = kv.split("=", 1)
            k = int(k)
            if k <= -23300:                       # array parameter: -23300 - id = count,v1,v2,...
                items = v.split(",")
                params[-23300 - k] = [_num(x) for x in items[1:1 + int(items[0])]]
            else:
                params[k] = _num(v)
        layers.append(dict(type=typ, name=name, bottoms=bottoms, tops=tops, params=params))
    if len(layers) != n_layers:
        raise UnsupportedModel(f".param announces {n_layers} layers, has {len(layers)}")
    return layers


class _Bin:
    def __init__(self, data):
        self.data, self.off = data, 0

    def raw_f32(self, n):
        if self.off + 4 * n > len(self.data):
            raise UnsupportedModel(".bin is shorter than the .param needs")
        a = np.frombuffer(self.data, "<f4", n, self.off).copy()
        self.off += 4 * n
        return a

    def tagged(self, n):
        """ncnn ModelBin type 0: a 4-byte tag says how the array is stored."""
        (tag,) = struct.unpack_from("<I", self.data, self.off)
        self.off += 4
        if tag == _FP16_TAG:
            a = np.frombuffer(self.data, "<f2", n, self.off).astype(np.float32)
            self.off += (2 * n + 3) // 4 * 4
            return a
        if tag == 0:
            return self.raw_f32(n)
        raise UnsupportedModel(f"weight storage tag 0x{tag:08x} (quantized) is not supported")


def load(param_path, bin_path):
    """-> layers with numpy weights attached (layer['w'], layer['b'], layer['slope'])."""
    with open(param_path, encoding="ascii") as f:
        layers = parse_param(f.read())
    with open(bin_path, "rb") as f:
        b = _Bin(f.read())
    for l in layers:
        p = l["params"]
        if l["type"] == "Convolution":
            out_c, kw = p[0], p[1]
            kh = p.get(11, kw)
            count = p[6]
            if p.get(8, 0):
                raise UnsupportedModel(f"{l['name']}: int8 convolution")
            w = b.tagged(count)
            in_c = count // (out_c * kh * kw)
            if in_c * out_c * kh * kw != count:
                raise UnsupportedModel(f"{l['name']}: weight count {count} not divisible")
            l["w"] = w.reshape(out_c, in_c, kh, kw)                # ncnn stores O, I, kh, kw
            l["b"] = b.raw_f32(out_c) if p.get(5, 0) else None
        elif l["type"] == "PReLU":
            l["slope"] = b.raw_f32(p.get(0, 0) or 1)
    if b.off != len(b.data):
        raise UnsupportedModel(f".bin has {len(b.data)} bytes, the .param accounts for {b.off}")
    return layers


def _conv_geometry(l):
    p = l["params"]
    kw = p[1]
    kh = p.get(11, kw)
    dw = p.get(2, 1)
    dh = p.get(12, dw)
    sw = p.get(3, 1)
    sh = p.get(13, sw)
    pl = p.get(4, 0)
    pt = p.get(14, pl)
    pr = p.get(15, pl)
    pb = p.get(16, pt)
    if min(pl, pt, pr, pb) < 0:
        raise UnsupportedModel(f"{l['name']}: automatic (negative) padding is not supported")
    if p.get(18, 0.0) != 0.0:
        raise UnsupportedModel(f"{l['name']}: non-zero pad value")
    act = p.get(9, 0)
    aparams = p.get(10, [])
    if act not in (0, 1, 2, 4):
        raise UnsupportedModel(f"{l['name']}: fused activation type {act}")
    return dict(stride=(sh, sw), dilation=(dh, dw), pads=(pt, pl, pb, pr), act=act,
                slope=float(aparams[0]) if act == 2 else 0.0)     # type 1 is plain ReLU in ncnn


def _interp_spec(l):
    p = l["params"]
    mode = {1: "nearest", 2: "bilinear", 3: "bicubic"}.get(p.get(0, 0))
    if mode is None:
        raise UnsupportedModel(f"{l['name']}: Interp resize_type {p.get(0, 0)}")
    if p.get(5, 0):
        raise UnsupportedModel(f"{l['name']}: Interp with dynamic target size")
    return dict(mode=mode, scale=(float(p.get(1, 1.0)), float(p.get(2, 1.0))),
                size=(int(p.get(3, 0)), int(p.get(4, 0))), align=bool(p.get(6, 0)))


def _output_blob(layers):
    produced, consumed = [], set()
    for l in layers:
        consumed.update(l["bottoms"])
        produced.extend(l["tops"])
    outs = [t for t in produced if t not in consumed]
    if len(outs) != 1:
        raise UnsupportedModel(f"expected one output blob, found {outs}")
    return outs[0]


# --------------------------------------------------------------------------- torch module

def build_module(param_path, bin_path):
    import torch
    import torch.nn.functional as F

    layers = load(param_path, bin_path)
    out_blob = _output_blob(layers)

    class NcnnGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = torch.nn.ModuleDict()
            self.plan = []           # (type, bottoms, tops, spec)
            self.input_blob = None
            self.output_blob = out_blob
            for i, l in enumerate(layers):
                t, p = l["type"], l["params"]
                key = f"l{i}"
                if t == "Input":
                    if self.input_blob is not None:
                        raise UnsupportedModel("more than one Input layer")
                    self.input_blob = l["tops"][0]
                    continue
                if t == "Convolution":
                    g = _conv_geometry(l)
                    w = torch.from_numpy(l["w"])
                    conv = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride=g["stride"],
                                           dilation=g["dilation"], padding=0, bias=l["b"] is not None)
                    conv.weight.data.copy_(w)
                    if l["b"] is not None:
                        conv.bias.data.copy_(torch.from_numpy(l["b"]))
                    self.mods[key] = conv
                    spec = (key, g)
                elif t == "PReLU":
                    pr = torch.nn.PReLU(len(l["slope"]))
                    pr.weight.data.copy_(torch.from_numpy(l["slope"]))
                    self.mods[key] = pr
                    spec = key
                elif t == "PixelShuffle":
                    if p.get(1, 0) != 0:
                        raise UnsupportedModel(f"{l['name']}: PixelShuffle mode {p[1]}")
                    spec = int(p[0])
                elif t == "Interp":
                    spec = _interp_spec(l)
                elif t == "BinaryOp":
                    op = p.get(0, 0)
                    if op not in (0, 1, 2, 3, 4, 5):
                        raise UnsupportedModel(f"{l['name']}: BinaryOp type {op}")
                    spec = (op, bool(p.get(1, 0)), float(p.get(2, 0.0)))
                elif t == "Eltwise":
                    op = p.get(0, 0)
                    coeffs = [float(c) for c in p.get(1, [])]
                    if op not in (0, 1, 2) or (coeffs and op != 1):
                        raise UnsupportedModel(f"{l['name']}: Eltwise op {op} coeffs {coeffs}")
                    spec = (op, coeffs)
                elif t == "Concat":
                    axis = p.get(0, 0)
                    if axis not in (0, -3):
                        raise UnsupportedModel(f"{l['name']}: Concat axis {axis}")
                    spec = 1                      # ncnn blobs are CHW: axis 0 is torch dim 1
                elif t == "Split":
                    spec = None
                else:
                    raise UnsupportedModel(f"layer type {t} ({l['name']}) is not supported")
                self.plan.append((t, l["bottoms"], l["tops"], spec))
            if self.input_blob is None:
                raise UnsupportedModel("no Input layer")

        def forward(self, x):
            v = {self.input_blob: x}
            for t, bottoms, tops, spec in self.plan:
                a = [v[b] for b in bottoms]
                if t == "Split":
                    for top in tops:
                        v[top] = a[0]
                    continue
                if t == "Convolution":
                    key, g = spec
                    pt, pl, pb, pr = g["pads"]
                    y = a[0]
                    if pt or pl or pb or pr:
                        y = F.pad(y, (pl, pr, pt, pb))
                    y = self.mods[key](y)
                    if g["act"] == 1:
                        y = torch.relu(y)
                    elif g["act"] == 2:
                        y = F.leaky_relu(y, g["slope"])
                    elif g["act"] == 4:
                        y = torch.sigmoid(y)
                elif t == "PReLU":
                    y = self.mods[spec](a[0])
                elif t == "PixelShuffle":
                    y = F.pixel_shuffle(a[0], spec)
                elif t == "Interp":
                    kw = {} if spec["mode"] == "nearest" else {"align_corners": spec["align"]}
                    if spec["size"][0] > 0 and spec["size"][1] > 0:
                        y = F.interpolate(a[0], size=spec["size"], mode=spec["mode"], **kw)
                    else:
                        y = F.interpolate(a[0], scale_factor=spec["scale"], mode=spec["mode"], **kw)
                elif t == "BinaryOp":
                    op, with_scalar, scalar = spec
                    lhs = a[0]
                    rhs = scalar if with_scalar else a[1]
                    if op == 0:
                        y = lhs + rhs
                    elif op == 1:
                        y = lhs - rhs
                    elif op == 2:
                        y = lhs * rhs
                    elif op == 3:
                        y = lhs / rhs
                    elif op == 4:
                        y = torch.maximum(lhs, rhs if not with_scalar else torch.full_like(lhs, scalar))
                    else:
                        y = torch.minimum(lhs, rhs if not with_scalar else torch.full_like(lhs, scalar))
                elif t == "Eltwise":
                    op, coeffs = spec
                    if op == 0:
                        y = a[0]
                        for z in a[1:]:
                            y = y * z
                    elif op == 1:
                        cs = coeffs if coeffs else [1.0] * len(a)
                        y = a[0] * cs[0] if cs[0] != 1.0 else a[0]
                        for z, c in zip(a[1:], cs[1:]):
                            y = y + (z * c if c != 1.0 else z)
                    else:
                        y = a[0]
                        for z in a[1:]:
                            y = torch.maximum(y, z)
                else:  # Concat
                    y = torch.cat(a, dim=spec)
                v[tops[0]] = y
            return v[self.output_blob]

    return NcnnGraph().eval()


def convert(param_path, bin_path):
    import torch
    from ts_export import trace_frozen
    module = build_module(param_path, bin_path)
    g = torch.Generator().manual_seed(0)
    example = torch.rand(1, 3, 24, 24, generator=g)
    probes = [torch.rand(1, 3, 17, 30, generator=g), torch.rand(1, 3, 32, 11, generator=g)]
    return trace_frozen(module, example, probes, atol=1e-4)


# --------------------------------------------------------------------------- numpy reference

def numpy_forward(param_path, bin_path, x):
    import npref
    layers = load(param_path, bin_path)
    v = {}
    for l in layers:
        t, p = l["type"], l["params"]
        a = [v[b] for b in l["bottoms"]]
        if t == "Input":
            v[l["tops"][0]] = np.asarray(x, np.float64)
            continue
        if t == "Split":
            for top in l["tops"]:
                v[top] = a[0]
            continue
        if t == "Convolution":
            g = _conv_geometry(l)
            y = npref.conv2d(a[0], l["w"], l["b"], stride=g["stride"], pads=g["pads"], dilation=g["dilation"])
            if g["act"] in (1, 2):
                y = npref.leaky_relu(y, g["slope"])
            elif g["act"] == 4:
                y = npref.sigmoid(y)
        elif t == "PReLU":
            y = npref.prelu(a[0], l["slope"])
        elif t == "PixelShuffle":
            y = npref.pixel_shuffle(a[0], int(p[0]))
        elif t == "Interp":
            s = _interp_spec(l)
            h, w = a[0].shape[2:]
            if s["size"][0] > 0:
                oh, ow = s["size"]
                sch, scw = h / oh, w / ow
            else:
                oh, ow = int(h * s["scale"][0]), int(w * s["scale"][1])
                sch, scw = 1.0 / s["scale"][0], 1.0 / s["scale"][1]
            if s["mode"] == "nearest":
                if oh % h or ow % w:
                    raise UnsupportedModel("numpy reference: nearest by a non-integer factor")
                y = npref.upsample_nearest_int(a[0], oh // h, ow // w)
            else:
                if s["align"]:
                    raise UnsupportedModel("numpy reference: align_corner")
                y = npref.resize(a[0], oh, ow, "linear" if s["mode"] == "bilinear" else "cubic", sch, scw)
        elif t == "BinaryOp":
            op = p.get(0, 0)
            rhs = float(p.get(2, 0.0)) if p.get(1, 0) else a[1]
            fn = [np.add, np.subtract, np.multiply, np.divide, np.maximum, np.minimum][op]
            y = fn(a[0], rhs)
        elif t == "Eltwise":
            op = p.get(0, 0)
            if op == 1:
                cs = p.get(1) or [1.0] * len(a)
                y = sum(c * z for c, z in zip(cs, a))
            elif op == 0:
                y = np.prod(np.stack(a), axis=0)
            else:
                y = np.max(np.stack(a), axis=0)
        elif t == "Concat":
            y = np.concatenate(a, axis=1)
        else:
            raise UnsupportedModel(t)
        v[l["tops"][0]] = y
    return v[_output_blob(layers)]


def check(param_path, bin_path, ts_module, seed=1234):
    import torch
    rng = np.random.default_rng(seed)
    x = rng.random((1, 3, 20, 24)).astype(np.float32)
    with torch.no_grad():
        got = ts_module(torch.from_numpy(x)).double().numpy()
    want = numpy_forward(param_path, bin_path, x)
    if got.shape != want.shape:
        raise AssertionError(f"shape {got.shape} != numpy reference {want.shape}")
    diff = float(np.abs(got - want).max())
    result = {"check": "numpy reference, random 20x24 RGB in 0..1", "max_abs_diff": diff,
              "tolerance": CHECK_TOLERANCE}
    if not diff <= CHECK_TOLERANCE:
        raise AssertionError(f"TorchScript vs numpy reference: max abs diff {diff} > {CHECK_TOLERANCE}")
    return result


def main(argv=None):
    import argparse
    import torch
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("param")
    ap.add_argument("bin")
    ap.add_argument("out")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    ts = convert(a.param, a.bin)
    torch.jit.save(ts, a.out)
    if a.check:
        try:
            print(json.dumps(check(a.param, a.bin, torch.jit.load(a.out))))
        except AssertionError as e:
            print(f"check failed: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
