"""tfjs_layers.py — TF.js "layers-model" (Keras functional graph) -> TorchScript, plus a numpy reference.

Contract
- Input: a folder with `model.json` (format "layers-model", a Keras 2.x Functional/Sequential config)
  and the weight shard files its `weightsManifest` names. Made for @upscalerjs/esrgan-slim (RDN:
  Conv2D, Activation, Concatenate, Add, UpSampling2D); any other layer type is refused by name.
- Output of `convert(folder)`: frozen TorchScript taking float32 NCHW RGB and returning float32
  NCHW RGB, in the value range of the Keras model — for ESRGAN-slim 0..255 in and 0..255 out.
  The output is NOT clamped (the raw network output, as TF.js returns it); whoever converts to 8-bit
  clamps and rounds. Works at any input size (traced, then verified at two other sizes).
- `check(folder, ts_module)`: runs the TorchScript and an independent pure-numpy forward pass of the
  same model.json (own graph walk, HWIO kernels used directly, float64) on a random 20x24 RGB input
  in 0..255 and fails when the max abs difference exceeds 1e-2 (0..255 scale).
- Why: the engine runs TorchScript under LibTorch 1.13; the real pretrained weights we can reach
  are TF.js exports, and Python torch 1.13 (Debian) is what writes TorchScript that LibTorch reads.
CLI: /usr/bin/python3 tools/models/tfjs_layers.py MODEL_DIR OUT.pt [--check]
"""
import json
import os
import sys

import numpy as np

CHECK_TOLERANCE = 1e-2   # on the 0..255 scale

# NHWC axis (Keras channels_last) -> NCHW axis (torch)
_NHWC_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1, -2: 3, -3: 2, -4: 0}
_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")


class UnsupportedModel(ValueError):
    pass


# --------------------------------------------------------------------------- model.json + shards

def _safe_rel(path):
    if os.path.isabs(path) or ".." in path.replace("\\", "/").split("/"):
        raise UnsupportedModel(f"weight path {path!r} is not a plain relative name")
    return path


def load(model_dir):
    """-> (layers, input_names, output_names, weights{name: float32 ndarray in Keras layout})"""
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    if m.get("format", "layers-model") != "layers-model":
        raise UnsupportedModel(f"format {m.get('format')!r} is not a layers-model")
    topo = m["modelTopology"]
    cfg = topo.get("model_config", topo)
    if cfg.get("class_name") not in ("Functional", "Model", "Sequential"):
        raise UnsupportedModel(f"model class {cfg.get('class_name')!r}")
    conf = cfg["config"]
    if cfg["class_name"] == "Sequential":
        layers = conf["layers"] if isinstance(conf, dict) else conf
        layers, ins, outs = _sequential_to_functional(layers)
    else:
        layers = conf["layers"]
        ins = [i[0] for i in conf["input_layers"]]
        outs = [o[0] for o in conf["output_layers"]]

    weights = {}
    for group in m["weightsManifest"]:
        blob = b"".join(open(os.path.join(model_dir, _safe_rel(p)), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            if "quantization" in w:
                raise UnsupportedModel(f"quantized weight {w['name']} is not supported")
            dt = {"float32": "<f4", "int32": "<i4"}.get(w["dtype"])
            if dt is None:
                raise UnsupportedModel(f"weight dtype {w['dtype']}")
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            arr = np.frombuffer(blob, dt, n, off).reshape(w["shape"]).astype(np.float32)
            off += n * 4
            weights[w["name"]] = arr
        if off != len(blob):
            raise UnsupportedModel(f"shards of {group['paths']} hold {len(blob)} bytes, manifest {off}")
    return layers, ins, outs, weights


def _sequential_to_functional(layers):
    prev, out = None, []
    for i, l in enumerate(layers):
        l = dict(l)
        l.setdefault("name", l["config"].get("name", f"layer_{i}"))
        l["inbound_nodes"] = [] if prev is None else [[[prev, 0, 0, {}]]]
        out.append(l)
        prev = l["name"]
    if layers and layers[0]["class_name"] != "InputLayer":
        raise UnsupportedModel("Sequential model without an InputLayer")
    return out, [out[0]["name"]], [prev]


def _inputs_of(layer):
    nodes = layer.get("inbound_nodes", [])
    if len(nodes) > 1:
        raise UnsupportedModel(f"layer {layer['name']} is shared (called {len(nodes)} times)")
    if not nodes:
        return []
    refs = []
    for ref in nodes[0]:
        if not isinstance(ref, list) or ref[1] != 0 or ref[2] != 0:
            raise UnsupportedModel(f"layer {layer['name']}: inbound reference {ref!r}")
        refs.append(ref[0])
    return refs


def _same_pads(kernel, dilation):
    """TF 'same' at stride 1: total padding (k-1)*d, the extra pixel (even kernels) at the end."""
    total = (kernel - 1) * dilation
    return total // 2, total - total // 2


def _conv_spec(layer):
    c = layer["config"]
    if c.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedModel(f"{layer['name']}: data_format {c['data_format']}")
    kh, kw = c["kernel_size"]
    sh, sw = c.get("strides", [1, 1])
    dh, dw = c.get("dilation_rate", [1, 1])
    pad = c.get("padding", "valid")
    if pad == "same":
        if (sh, sw) != (1, 1):
            raise UnsupportedModel(f"{layer['name']}: 'same' padding with stride {sh},{sw}")
        t, b = _same_pads(kh, dh)
        l, r = _same_pads(kw, dw)
    elif pad == "valid":
        t = b = l = r = 0
    else:
        raise UnsupportedModel(f"{layer['name']}: padding {pad!r}")
    act = c.get("activation") or "linear"
    if act not in _ACTIVATIONS:
        raise UnsupportedModel(f"{layer['name']}: activation {act!r}")
    return dict(stride=(sh, sw), dilation=(dh, dw), pads=(t, l, b, r), groups=c.get("groups", 1),
                activation=act, use_bias=c.get("use_bias", True))


def _weight(weights, layer, suffix):
    for key in (f"{layer['name']}/{suffix}", f"{layer['config'].get('name', '')}/{suffix}"):
        if key in weights:
            return weights[key]
    raise UnsupportedModel(f"no weight {layer['name']}/{suffix} in the manifest")


# --------------------------------------------------------------------------- torch module

def build_module(model_dir):
    import torch
    import torch.nn.functional as F

    layers, ins, outs, weights = load(model_dir)
    if len(ins) != 1 or len(outs) != 1:
        raise UnsupportedModel(f"need one input and one output, got {ins} -> {outs}")

    def act_fn(name):
        return {"linear": None, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[name]

    class KerasGraph(torch.nn.Module):
        """Walks the Keras layer list in order (Keras writes it topologically sorted)."""

        def __init__(self):
            super().__init__()
            self.convs = torch.nn.ModuleDict()
            self.plan = []       # (kind, layer name, input names, params)
            self.input_name, self.output_name = ins[0], outs[0]
            for i, layer in enumerate(layers):
                kind, name, c = layer["class_name"], layer["name"], layer["config"]
                srcs = _inputs_of(layer)
                if kind == "InputLayer":
                    continue
                if kind == "Conv2D":
                    spec = _conv_spec(layer)
                    k = _weight(weights, layer, "kernel")              # HWIO
                    w = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
                    conv = torch.nn.Conv2d(w.shape[1] * spec["groups"], w.shape[0], w.shape[2:],
                                           stride=spec["stride"], dilation=spec["dilation"],
                                           groups=spec["groups"], bias=spec["use_bias"], padding=0)
                    conv.weight.data.copy_(w)
                    if spec["use_bias"]:
                        conv.bias.data.copy_(torch.from_numpy(_weight(weights, layer, "bias")))
                    key = f"c{i}"
                    self.convs[key] = conv
                    self.plan.append(("conv", name, srcs, (key, spec["pads"], act_fn(spec["activation"]))))
                elif kind in ("Activation", "ReLU"):
                    a = c.get("activation", "relu") if kind == "Activation" else "relu"
                    if kind == "ReLU" and (c.get("max_value") is not None or c.get("negative_slope", 0) or
                                           c.get("threshold", 0)):
                        raise UnsupportedModel(f"{name}: ReLU with max_value/negative_slope/threshold")
                    if a not in _ACTIVATIONS:
                        raise UnsupportedModel(f"{name}: activation {a!r}")
                    self.plan.append(("act", name, srcs, act_fn(a)))
                elif kind == "Concatenate":
                    self.plan.append(("concat", name, srcs, _NHWC_TO_NCHW[c.get("axis", -1)]))
                elif kind == "Add":
                    self.plan.append(("add", name, srcs, None))
                elif kind == "UpSampling2D":
                    if c.get("interpolation", "nearest") != "nearest":
                        raise UnsupportedModel(f"{name}: interpolation {c['interpolation']!r}")
                    sh, sw = c["size"]
                    self.plan.append(("up", name, srcs, (float(sh), float(sw))))
                else:
                    raise UnsupportedModel(f"layer type {kind} ({name}) is not supported")

        def forward(self, x):
            v = {self.input_name: x}
            for kind, name, srcs, p in self.plan:
                a = [v[s] for s in srcs]
                if kind == "conv":
                    key, (t, l, b, r), act = p
                    y = a[0]
                    if t or l or b or r:
                        y = F.pad(y, (l, r, t, b))
                    y = self.convs[key](y)
                    if act is not None:
                        y = act(y)
                elif kind == "act":
                    y = a[0] if p is None else p(a[0])
                elif kind == "concat":
                    y = torch.cat(a, dim=p)
                elif kind == "add":
                    y = a[0]
                    for t_ in a[1:]:
                        y = y + t_
                else:  # up
                    y = F.interpolate(a[0], scale_factor=p, mode="nearest")
                v[name] = y
            return v[self.output_name]

    return KerasGraph().eval()


def convert(model_dir):
    """-> frozen TorchScript module (float32 NCHW in, float32 NCHW out, any size)."""
    import torch
    from ts_export import trace_frozen
    module = build_module(model_dir)
    g = torch.Generator().manual_seed(0)
    example = torch.rand(1, 3, 16, 16, generator=g) * 255
    probes = [torch.rand(1, 3, 23, 17, generator=g) * 255, torch.rand(1, 3, 9, 30, generator=g) * 255]
    return trace_frozen(module, example, probes, atol=1e-2)


# --------------------------------------------------------------------------- numpy reference

def numpy_forward(model_dir, x_nchw):
    """Independent forward pass: walks the raw Keras config, keeps kernels HWIO (converted to OIHW
    only at the call into npref.conv2d), float64. x: [1,3,H,W] -> [1,3,sH,sW]."""
    import npref
    layers, ins, outs, weights = load(model_dir)
    vals = {ins[0]: np.asarray(x_nchw, np.float64)}

    def activate(y, name):
        name = name or "linear"
        if name == "linear":
            return y
        if name == "relu":
            return npref.relu(y)
        if name == "sigmoid":
            return npref.sigmoid(y)
        if name == "tanh":
            return np.tanh(y)
        raise UnsupportedModel(name)

    for layer in layers:
        kind, name, c = layer["class_name"], layer["name"], layer["config"]
        if kind == "InputLayer":
            continue
        a = [vals[s] for s in _inputs_of(layer)]
        if kind == "Conv2D":
            kh, kw = c["kernel_size"]
            dh, dw = c.get("dilation_rate", [1, 1])
            if c.get("padding") == "same":
                # TF: out = ceil(in / stride); pad_total = (out-1)*stride + (k-1)*d + 1 - in
                sh, sw = c.get("strides", [1, 1])
                H, W = a[0].shape[2], a[0].shape[3]
                ph = max((-(-H // sh) - 1) * sh + (kh - 1) * dh + 1 - H, 0)
                pw = max((-(-W // sw) - 1) * sw + (kw - 1) * dw + 1 - W, 0)
                pads = (ph // 2, pw // 2, ph - ph // 2, pw - pw // 2)
            else:
                pads = (0, 0, 0, 0)
            k = weights[f"{name}/kernel"]                          # H W I O
            b = weights.get(f"{name}/bias") if c.get("use_bias", True) else None
            y = npref.conv2d(a[0], np.transpose(k, (3, 2, 0, 1)), b, stride=tuple(c.get("strides", [1, 1])),
                             pads=pads, dilation=(dh, dw), groups=c.get("groups", 1))
            y = activate(y, c.get("activation"))
        elif kind == "Activation":
            y = activate(a[0], c["activation"])
        elif kind == "ReLU":
            y = npref.relu(a[0])
        elif kind == "Concatenate":
            # work on NHWC copies so the axis is used exactly as Keras wrote it
            y = np.concatenate([t.transpose(0, 2, 3, 1) for t in a], axis=c.get("axis", -1)).transpose(0, 3, 1, 2)
        elif kind == "Add":
            y = sum(a[1:], a[0])
        elif kind == "UpSampling2D":
            y = npref.upsample_nearest_int(a[0], *c["size"])
        else:
            raise UnsupportedModel(kind)
        vals[name] = y
    return vals[outs[0]]


def check(model_dir, ts_module, seed=1234):
    """-> dict with max_abs_diff; raises AssertionError when above CHECK_TOLERANCE."""
    import torch
    rng = np.random.default_rng(seed)
    x = (rng.random((1, 3, 20, 24)) * 255).astype(np.float32)
    with torch.no_grad():
        got = ts_module(torch.from_numpy(x)).double().numpy()
    want = numpy_forward(model_dir, x)
    if got.shape != want.shape:
        raise AssertionError(f"shape {got.shape} != numpy reference {want.shape}")
    diff = float(np.abs(got - want).max())
    result = {"check": "numpy reference, random 20x24 RGB in 0..255", "max_abs_diff": diff,
              "tolerance": CHECK_TOLERANCE, "output_range": [float(want.min()), float(want.max())]}
    if not diff <= CHECK_TOLERANCE:
        raise AssertionError(f"TorchScript vs numpy reference: max abs diff {diff} > {CHECK_TOLERANCE}")
    return result


def main(argv=None):
    import argparse
    import torch
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    ts = convert(a.model_dir)
    torch.jit.save(ts, a.out)
    if a.check:
        try:
            print(json.dumps(check(a.model_dir, torch.jit.load(a.out))))
        except AssertionError as e:
            print(f"check failed: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
