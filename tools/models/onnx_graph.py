"""onnx_graph.py — ISNet ONNX graph (@imgly/background-removal-data) -> frozen TorchScript, plus a numpy reference.

Contract
- Input: the extracted npm package folder. PACKAGE/dist/resources.json maps "/models/<variant>"
  ("medium": 88 MB fp16, "small") to chunk files in dist/ named by their sha256, each with
  `offsets: [start, end)`. `assemble()` refuses chunk names that are not plain 64-hex file names,
  offsets that leave gaps or overlaps or disagree with the declared size, and any chunk whose sha256
  differs from its name; it returns the ONNX bytes. Made for ISNet "medium" (opset 15, 238 FLOAT16
  initializers, BatchNorm folded, Cast nodes between fp16 and fp32).
- Output of `convert(onnx_bytes_or_path)`: frozen TorchScript, input float32 [1,3,1024,1024] (RGB
  resized to 1024x1024, normalised as (v - 128) / 256 with v in 0..255), output float32
  [1,1,1024,1024]: the graph's FIRST output (the sigmoid matte, 0..1). The side mattes and the
  nodes only they need are pruned. FLOAT16 initializers are up-cast to float32 and every Cast
  between float types is removed (its consumers read the cast's input), so the whole network runs in
  float32. The size is fixed: Shape/Slice/Concat/... arithmetic is folded into Python constants at
  build time (the Resize targets come out as constants), every planned shape is checked against the
  file's value_info and again in every eager run. Ops: Conv, Relu, Sigmoid, Add, Mul, Concat, MaxPool
  (ceil_mode, no padding), Resize (linear, half_pixel, no antialias) on tensors; Constant, Shape,
  Gather, Slice, Unsqueeze, Squeeze, Concat, Cast, Identity on shape values. Others are refused by name.
- `check(onnx, ts_module)`: an independent float64 pure-numpy forward pass of the whole pruned ONNX
  graph (its own node walk, attribute parsing, shape arithmetic and Cast handling; npref operators:
  conv2d, max_pool2d with ceil mode, half-pixel linear resize; no torch) on a deterministic random
  input in the normalised range [-0.5, 0.5), compared with the TorchScript's matte. ~160 GMAC in
  float64 on reference BLAS: measured 161 s on 2 cores (peak memory a few GB), so it stays the
  default. `check(..., fast=True)` (CLI --check-fast, measured 91 s) instead recomputes every node
  at the real size from the activations the eager torch module (the one the TorchScript was traced
  from) gave its inputs, comparing whole tensors, except Conv: nine 8x8 output tiles (corners, edge
  middles, centre — every padding case), then the TorchScript's output with the eager one's. Either
  fails (AssertionError) when a max abs difference exceeds 1e-3.
- Why: the engine runs TorchScript under LibTorch 1.13; the ISNet weights we can reach are this
  ONNX export, and Python torch 1.13 (Debian) is what writes TorchScript LibTorch reads.
CLI: /usr/bin/python3 tools/models/onnx_graph.py PACKAGE_DIR OUT.pt [--variant medium] [--check | --check-fast]
  writes OUT.pt (via OUT.pt.tmp), prints one JSON line (the check result, or the output shape
  without --check); on error a one-line message on stderr and exit status 1.
"""
import hashlib
import json
import os
import re
import sys
import time

import numpy as np

CHECK_TOLERANCE = 1e-3     # absolute, per node and on the final matte (0..1)
SIZE = 1024
INPUT_SHAPE = (1, 3, SIZE, SIZE)
_FLOAT_TYPES = (1, 10, 11)  # onnx TensorProto FLOAT, FLOAT16, DOUBLE


class UnsupportedModel(ValueError):
    pass


# --------------------------------------------------------------------------- chunks -> ONNX bytes

def assemble(package_dir, variant="medium"):
    """-> the ONNX file of /models/<variant>, from its sha256-named chunks, every chunk verified."""
    dist = os.path.join(package_dir, "dist")
    try:
        with open(os.path.join(dist, "resources.json"), encoding="utf-8") as f:
            resources = json.load(f)
    except json.JSONDecodeError as e:
        raise UnsupportedModel(f"resources.json is not JSON: {e}")
    entry = resources.get("/models/" + variant) if isinstance(resources, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("chunks"), list) or not entry["chunks"]:
        raise UnsupportedModel(f"resources.json has no chunks for /models/{variant}")
    chunks = []
    for c in entry["chunks"]:
        name, offs = c.get("hash") if isinstance(c, dict) else None, c.get("offsets") if isinstance(c, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[0-9a-f]{64}", name):
            raise UnsupportedModel(f"chunk name {name!r} is not a plain sha256 file name")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) for o in offs)
                or offs[0] < 0 or offs[1] <= offs[0]):
            raise UnsupportedModel(f"chunk {name[:12]} has bad offsets {offs!r}")
        chunks.append((offs[0], offs[1], name))
    chunks.sort()
    out, at = bytearray(), 0
    for start, end, name in chunks:
        if start != at:
            raise UnsupportedModel(f"chunk offsets leave a gap or overlap at byte {at}")
        with open(os.path.join(dist, name), "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != name:
            raise UnsupportedModel(f"chunk {name[:12]}… does not match its sha256 name")
        if len(data) != end - start:
            raise UnsupportedModel(f"chunk {name[:12]}… holds {len(data)} bytes, offsets say {end - start}")
        out += data
        at = end
    size = entry.get("size")
    if isinstance(size, int) and size != at:
        raise UnsupportedModel(f"/models/{variant} is {at} bytes, resources.json says {size}")
    return bytes(out)


def load_model(onnx_or_path):
    """bytes, a path, or an onnx.ModelProto -> onnx.ModelProto."""
    import onnx
    if isinstance(onnx_or_path, onnx.ModelProto):
        return onnx_or_path
    import warnings
    try:
        with warnings.catch_warnings():   # protobuf warns before it fails on garbage; the error says it
            warnings.simplefilter("ignore", RuntimeWarning)
            if isinstance(onnx_or_path, (bytes, bytearray)):
                return onnx.load_from_string(bytes(onnx_or_path))
            return onnx.load(os.fspath(onnx_or_path))
    except OSError:
        raise
    except Exception as e:   # protobuf DecodeError is not a ValueError
        raise UnsupportedModel(f"not an ONNX model: {e}")


def _attrs(node):
    import onnx.helper
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _initializers(model, dtype):
    """name -> numpy array; floating initializers as `dtype` (fp16 up-casts exactly)."""
    from onnx import numpy_helper
    out = {}
    for t in model.graph.initializer:
        a = numpy_helper.to_array(t)
        out[t.name] = a.astype(dtype) if a.dtype.kind == "f" else a
    return out


def _constant_value(node, dtype):
    from onnx import numpy_helper
    a = _attrs(node)
    if "value" in a:
        v = numpy_helper.to_array(a["value"])
    elif "value_float" in a or "value_floats" in a:
        v = np.asarray(a.get("value_float", a.get("value_floats")), np.float64)
    elif "value_int" in a or "value_ints" in a:
        v = np.asarray(a.get("value_int", a.get("value_ints")), np.int64)
    else:
        raise UnsupportedModel(f"Constant {node.name} with attributes {sorted(a)}")
    return v.astype(dtype) if v.dtype.kind == "f" else v


def _needed_nodes(model, output):
    """The nodes the graph output `output` depends on, in a topological order (file order where it
    allows: this export appends its fp16 Cast nodes at the end of the file)."""
    import heapq
    producer = {}
    for i, n in enumerate(model.graph.node):
        for o in n.output:
            if o in producer:
                raise UnsupportedModel(f"tensor {o} is produced twice")
            producer[o] = i
    need, stack = set(), [output]
    while stack:
        name = stack.pop()
        i = producer.get(name)
        if i is None or i in need:
            continue
        need.add(i)
        stack.extend(x for x in model.graph.node[i].input if x)
    deps = {i: {producer[x] for x in model.graph.node[i].input if x in producer} for i in need}
    users = {i: [] for i in need}
    for i, d in deps.items():
        for j in d:
            users[j].append(i)
    waiting = {i: len(d) for i, d in deps.items()}
    ready = [i for i, k in waiting.items() if k == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(need):
        raise UnsupportedModel("the graph has a cycle")
    known = {t.name for t in model.graph.initializer} | {i.name for i in model.graph.input}
    for i in order:
        for x in model.graph.node[i].input:
            if x and x not in producer and x not in known:
                raise UnsupportedModel(f"node {model.graph.node[i].name} reads undefined tensor {x}")
    return [model.graph.node[i] for i in order]


def _io(model):
    inits = {t.name for t in model.graph.initializer}
    ins = [i.name for i in model.graph.input if i.name not in inits]
    if len(ins) != 1:
        raise UnsupportedModel(f"expected one graph input, found {ins}")
    return ins[0], model.graph.output[0].name


# --------------------------------------------------------------------------- build: fold shapes, plan tensor ops

TENSOR_OPS = ("Conv", "Relu", "Sigmoid", "Add", "Mul", "Concat", "MaxPool", "Resize")
SHAPE_OPS = ("Constant", "Shape", "Gather", "Slice", "Unsqueeze", "Squeeze", "Concat", "Cast", "Identity",
             "Add", "Mul")


class _T:
    """A planned tensor: only its shape is known at build time."""
    def __init__(self, shape):
        self.shape = tuple(int(s) for s in shape)


def _fold_shape_op(op, a, ins):
    """Shape arithmetic on numpy values (the build-time side)."""
    if op == "Identity":
        return np.asarray(ins[0])
    if op == "Cast":
        import onnx.mapping
        return np.asarray(ins[0]).astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
    if op == "Gather":
        return np.take(np.asarray(ins[0]), np.asarray(ins[1]).astype(np.int64), axis=a.get("axis", 0))
    if op == "Slice":
        data = np.asarray(ins[0])
        starts, ends = np.asarray(ins[1]).astype(np.int64), np.asarray(ins[2]).astype(np.int64)
        axes = np.asarray(ins[3]).astype(np.int64) if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = np.asarray(ins[4]).astype(np.int64) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        sl = [slice(None)] * data.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            if st == 0:
                raise UnsupportedModel("Slice with step 0")
            big = 2 ** 62
            sl[int(ax)] = slice(int(max(min(s, big), -big)), int(max(min(e, big), -big)), int(st))
        return data[tuple(sl)]
    if op in ("Unsqueeze", "Squeeze"):
        axes = a.get("axes")
        if axes is None and len(ins) > 1 and ins[1] is not None:
            axes = [int(v) for v in np.asarray(ins[1]).reshape(-1)]
        x = np.asarray(ins[0])
        if op == "Squeeze":
            return np.squeeze(x, axis=tuple(axes) if axes else None)
        nd = x.ndim + len(axes)
        for ax in sorted(ax % nd for ax in axes):
            x = np.expand_dims(x, ax)
        return x
    if op == "Concat":
        return np.concatenate([np.asarray(v) for v in ins], axis=a.get("axis", 0))
    if op == "Add":
        return np.asarray(ins[0]) + np.asarray(ins[1])
    if op == "Mul":
        return np.asarray(ins[0]) * np.asarray(ins[1])
    raise UnsupportedModel(f"op {op} on constant values")


def _conv_params(a, w_shape, x_shape):
    if len(w_shape) != 4 or len(x_shape) != 4:
        raise UnsupportedModel("only 2-D Conv is supported")
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise UnsupportedModel(f"Conv auto_pad {a['auto_pad']}")
    k = list(a.get("kernel_shape", w_shape[2:]))
    if k != list(w_shape[2:]):
        raise UnsupportedModel(f"Conv kernel_shape {k} disagrees with weights {w_shape}")
    p = dict(stride=tuple(a.get("strides", (1, 1))), dilation=tuple(a.get("dilations", (1, 1))),
             groups=int(a.get("group", 1)), pads=tuple(a.get("pads", (0, 0, 0, 0))))  # (top, left, bottom, right)
    if x_shape[1] != w_shape[1] * p["groups"] or w_shape[0] % p["groups"]:
        raise UnsupportedModel(f"Conv weights {w_shape} do not fit input {x_shape} in {p['groups']} groups")
    (t, l, b, r), (sh, sw), (dh, dw) = p["pads"], p["stride"], p["dilation"]
    oh = (x_shape[2] + t + b - dh * (k[0] - 1) - 1) // sh + 1
    ow = (x_shape[3] + l + r - dw * (k[1] - 1) - 1) // sw + 1
    return p, (x_shape[0], w_shape[0], oh, ow)


def _pool_len(n, k, s, ceil_mode):
    if ceil_mode:
        o = -(-(n - k) // s) + 1
        if (o - 1) * s >= n:          # a last window must start inside the input
            o -= 1
        return o
    return (n - k) // s + 1


def _maxpool_params(a, x_shape):
    if a.get("auto_pad", "NOTSET") != "NOTSET" or any(a.get("pads", (0, 0, 0, 0))):
        raise UnsupportedModel("MaxPool with padding")
    if any(d != 1 for d in a.get("dilations", (1, 1))):
        raise UnsupportedModel("MaxPool with dilation")
    k, s = tuple(a["kernel_shape"]), tuple(a.get("strides", (1, 1)))
    if len(k) != 2 or k[0] != k[1] or s[0] != s[1]:
        raise UnsupportedModel(f"MaxPool kernel {k} stride {s}: only square 2-D pools")
    ceil = bool(a.get("ceil_mode", 0))
    return (dict(k=k[0], s=s[0], ceil_mode=ceil),
            (*x_shape[:2], _pool_len(x_shape[2], k[0], s[0], ceil), _pool_len(x_shape[3], k[1], s[1], ceil)))


def _resize_params(a, x_shape, ins):
    """-> (out_h, out_w, scale_h, scale_w) with scale = input/output coordinate ratio."""
    mode, ctm = a.get("mode", "nearest"), a.get("coordinate_transformation_mode", "half_pixel")
    if mode != "linear" or ctm != "half_pixel" or a.get("antialias", 0):
        raise UnsupportedModel(f"Resize mode={mode} coordinate_transformation_mode={ctm}: only linear half_pixel")
    if len(x_shape) != 4:
        raise UnsupportedModel("Resize of a tensor that is not 4-D")
    sizes = ins[3] if len(ins) > 3 and ins[3] is not None and np.size(ins[3]) else None
    scales = ins[2] if len(ins) > 2 and ins[2] is not None and np.size(ins[2]) else None
    if sizes is not None:
        sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
        if len(sizes) != 4 or tuple(sizes[:2]) != tuple(x_shape[:2]):
            raise UnsupportedModel(f"Resize sizes {sizes} for input {x_shape}: only H and W may change")
        return sizes[2], sizes[3], x_shape[2] / sizes[2], x_shape[3] / sizes[3]
    if scales is None:
        raise UnsupportedModel("Resize with neither scales nor sizes")
    sc = [float(v) for v in np.asarray(scales).reshape(-1)]
    if len(sc) != 4 or sc[0] != 1 or sc[1] != 1:
        raise UnsupportedModel(f"Resize scales {sc}: only H and W may change")
    return int(np.floor(x_shape[2] * sc[2])), int(np.floor(x_shape[3] * sc[3])), 1 / sc[2], 1 / sc[3]


def plan(model):
    """-> dict(steps, consts, input, output): the pruned graph's tensor ops with every attribute and
    shape resolved to Python values for the fixed input, Casts removed, shape arithmetic folded."""
    inp, out = _io(model)
    nodes = _needed_nodes(model, out)
    unknown = sorted({n.op_type for n in nodes} - set(TENSOR_OPS) - set(SHAPE_OPS))
    if unknown:
        raise UnsupportedModel("unsupported ONNX op(s): " + ", ".join(unknown))
    declared = {}
    for v in list(model.graph.value_info) + list(model.graph.output) + list(model.graph.input):
        dims = v.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            declared[v.name] = tuple(d.dim_value for d in dims)
    if declared.get(inp, INPUT_SHAPE) != INPUT_SHAPE:
        raise UnsupportedModel(f"graph input {inp} is {declared[inp]}, expected {INPUT_SHAPE}")
    env = dict(_initializers(model, np.float32))
    env[inp] = _T(INPUT_SHAPE)
    alias = {}                     # a removed Cast's output -> the tensor it casts
    steps, consts = [], {}

    def tensor_name(name):
        return alias.get(name, name)

    for node in nodes:
        op, a = node.op_type, _attrs(node)
        names = [tensor_name(n) if n else "" for n in node.input]
        ins = [env[n] if n else None for n in names]
        is_t = [isinstance(v, _T) for v in ins]
        if op == "Constant":
            env[node.output[0]] = _constant_value(node, np.float32)
            continue
        if op == "Shape":
            v = ins[0]
            env[node.output[0]] = np.asarray(v.shape, np.int64)[a.get("start", 0):a.get("end", None)]
            continue
        if op in ("Cast", "Identity") and is_t[0]:
            if op == "Cast" and a["to"] not in _FLOAT_TYPES:
                raise UnsupportedModel(f"Cast of a tensor to ONNX type {a['to']}")
            alias[node.output[0]] = names[0]
            continue
        if op == "Cast" and a["to"] in _FLOAT_TYPES and np.asarray(ins[0]).dtype.kind == "f":
            env[node.output[0]] = np.asarray(ins[0], np.float32)
            continue
        if not any(is_t):
            env[node.output[0]] = _fold_shape_op(op, a, ins)
            continue
        if op not in TENSOR_OPS:
            raise UnsupportedModel(f"op {op} ({node.name}) on a tensor")
        if len(node.output) != 1:
            raise UnsupportedModel(f"{op} {node.name} with {len(node.output)} outputs")
        x = ins[0].shape if is_t[0] else None
        if op == "Conv":
            if not is_t[0] or any(is_t[1:]):
                raise UnsupportedModel(f"Conv {node.name} with computed weights")
            p, shape = _conv_params(a, ins[1].shape, x)
            args = [names[0], names[1]] + ([names[2]] if len(names) > 2 and names[2] else [])
            for n in args[1:]:
                consts[n] = np.asarray(env[n], np.float32)
        elif op == "MaxPool":
            if len(node.output) > 1:
                raise UnsupportedModel("MaxPool with an indices output")
            p, shape = _maxpool_params(a, x)
            args = [names[0]]
        elif op == "Resize":
            oh, ow, shs, sws = _resize_params(a, x, ins)
            by_scale = abs(shs - x[2] / oh) > 1e-12 or abs(sws - x[3] / ow) > 1e-12
            p = dict(size=(oh, ow), scale=(shs, sws), by_scale=by_scale)
            shape, args = (*x[:2], oh, ow), [names[0]]
        elif op in ("Relu", "Sigmoid"):
            p, shape, args = {}, x, [names[0]]
        elif op in ("Add", "Mul"):
            for n, v in zip(names, ins):
                if not isinstance(v, _T):
                    consts[n] = np.asarray(v, np.float32)
            shape = np.broadcast_shapes(*[v.shape for v in ins])
            p, args = {}, names[:2]
        else:  # Concat
            axis = a["axis"] % len(ins[0].shape)
            for n, v in zip(names, ins):
                if not isinstance(v, _T):
                    consts[n] = np.asarray(v, np.float32)
            shapes = [v.shape for v in ins]
            if any(len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]
                   for s in shapes):
                raise UnsupportedModel(f"Concat {node.name} of shapes {shapes}")
            shape = list(shapes[0])
            shape[axis] = sum(s[axis] for s in shapes)
            p, args = dict(axis=axis), names
        shape = tuple(int(s) for s in shape)
        want = declared.get(node.output[0])
        if want is not None and want != shape:
            raise UnsupportedModel(f"{op} {node.name}: planned shape {shape}, the file declares {want}")
        env[node.output[0]] = _T(shape)
        steps.append((op, tuple(args), node.output[0], p, shape))
    out_name = tensor_name(out)
    if not isinstance(env.get(out_name), _T):
        raise UnsupportedModel(f"graph output {out} is not computed from the input")
    if env[out_name].shape != (1, 1, SIZE, SIZE):
        raise UnsupportedModel(f"graph output {out} is {env[out_name].shape}, expected (1, 1, {SIZE}, {SIZE})")
    return dict(steps=steps, consts=consts, input=inp, output=out_name, alias=alias)


# --------------------------------------------------------------------------- torch module

def _torch_step(op, p, xs, torch, F):
    if op == "Conv":
        x, w = xs[0], xs[1]
        b = xs[2] if len(xs) > 2 else None
        t, l, bo, r = p["pads"]
        if (t, l) != (bo, r):
            x = F.pad(x, (l, r, t, bo))
            t = l = 0
        return F.conv2d(x, w, b, stride=p["stride"], padding=(t, l), dilation=p["dilation"], groups=p["groups"])
    if op == "Relu":
        return torch.relu(xs[0])
    if op == "Sigmoid":
        return torch.sigmoid(xs[0])
    if op == "Add":
        return xs[0] + xs[1]
    if op == "Mul":
        return xs[0] * xs[1]
    if op == "Concat":
        return torch.cat(xs, dim=p["axis"])
    if op == "MaxPool":
        return F.max_pool2d(xs[0], p["k"], p["s"], 0, ceil_mode=p["ceil_mode"])
    if op == "Resize":
        # linear + half_pixel == bilinear, align_corners=False, no antialias. Given sizes, both use
        # in/out as the coordinate scale; given scales, ONNX uses 1/scale, as torch does here.
        if p["by_scale"]:
            return F.interpolate(xs[0], scale_factor=tuple(1 / s for s in p["scale"]), mode="bilinear",
                                 align_corners=False, recompute_scale_factor=False)
        return F.interpolate(xs[0], size=p["size"], mode="bilinear", align_corners=False)
    raise UnsupportedModel(op)


def build_module(model):
    """The eager torch module of the planned graph (float32). forward(x) -> the matte;
    forward_env(x) -> every step's output by ONNX name (used by check)."""
    import torch
    import torch.nn.functional as F
    pl = plan(load_model(model))

    class OnnxGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.steps, self.input, self.output = pl["steps"], pl["input"], pl["output"]
            self.const_attr = {}
            for i, (name, arr) in enumerate(pl["consts"].items()):
                self.register_buffer(f"c{i}", torch.from_numpy(np.ascontiguousarray(arr)))
                self.const_attr[name] = f"c{i}"
            last = {}
            for i, (_, args, _, _, _) in enumerate(self.steps):
                for n in args:
                    last[n] = i
            self.free_after = {}
            for n, i in last.items():
                if n != self.output and n not in self.const_attr:
                    self.free_after.setdefault(i, []).append(n)

        def forward_env(self, x, keep=True):
            tracing = torch.jit.is_tracing()   # shapes are fixed; check them in eager runs only
            if not tracing and tuple(x.shape) != INPUT_SHAPE:
                raise ValueError(f"input is {tuple(x.shape)}, the graph is fixed at {INPUT_SHAPE}")
            env = {self.input: x}
            for name, attr in self.const_attr.items():
                env[name] = getattr(self, attr)
            for i, (op, args, out, p, shape) in enumerate(self.steps):
                y = _torch_step(op, p, [env[n] for n in args], torch, F)
                if not tracing and tuple(y.shape) != shape:
                    raise ValueError(f"{op} -> {out}: torch gives {tuple(y.shape)}, planned {shape}")
                env[out] = y
                if not keep:
                    for n in self.free_after.get(i, ()):
                        del env[n]
            return env

        def forward(self, x):
            return self.forward_env(x, keep=False)[self.output]

    return OnnxGraph().eval()


def example_input(seed=0):
    import torch
    return torch.rand(INPUT_SHAPE, generator=torch.Generator().manual_seed(seed)) - 0.5


def convert(onnx_bytes_or_path):
    """-> frozen TorchScript: float32 [1,3,1024,1024] normalised RGB -> float32 [1,1,1024,1024] matte."""
    from ts_export import trace_frozen
    module = build_module(onnx_bytes_or_path)
    return trace_frozen(module, example_input(), probes=())


# --------------------------------------------------------------------------- independent numpy reference

def _crop(x, r0, r1, c0, c1):
    """x[..., r0:r1, c0:c1] with zeros where the range leaves the array."""
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + (r1 - r0, c1 - c0), np.float64)
    rr0, rr1, cc0, cc1 = max(r0, 0), min(r1, h), max(c0, 0), min(c1, w)
    if rr0 < rr1 and cc0 < cc1:
        out[:, :, rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = x[:, :, rr0:rr1, cc0:cc1]
    return out


def _tiles(n, t):
    """Start offsets of up to three length-t windows along n: start, middle, end."""
    if n <= 3 * t:
        return [(0, n)]
    return [(0, t), ((n - t) // 2, (n - t) // 2 + t), (n - t, n)]


def _ref_conv(node, a, ins, tiles=None):
    """ONNX Conv by npref.conv2d, parsing the attributes itself. tiles=None: the whole output;
    else a list of (r0, r1, c0, c1) output windows -> list of outputs on those windows."""
    import npref
    x, w = ins[0], np.asarray(ins[1], np.float64)
    b = np.asarray(ins[2], np.float64) if len(ins) > 2 and ins[2] is not None else None
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise UnsupportedModel(f"numpy reference: Conv auto_pad {a['auto_pad']}")
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    g = a.get("group", 1)
    if tiles is None:
        return npref.conv2d(x, w, b, stride=(sh, sw), pads=(pt, pl, pb, pr), dilation=(dh, dw), groups=g)
    kh, kw = w.shape[2:]
    outs = []
    for r0, r1, c0, c1 in tiles:
        # output row r reads padded rows r*sh .. r*sh + dh*(kh-1), i.e. input rows minus pt
        xin = _crop(x, r0 * sh - pt, (r1 - 1) * sh - pt + dh * (kh - 1) + 1,
                    c0 * sw - pl, (c1 - 1) * sw - pl + dw * (kw - 1) + 1)
        outs.append(npref.conv2d(xin, w, b, stride=(sh, sw), pads=(0, 0, 0, 0), dilation=(dh, dw), groups=g))
    return outs


def _ref_op(node, a, ins):
    """One ONNX node in float64 numpy (shape values stay integer)."""
    import npref
    op = node.op_type
    f = lambda v: np.asarray(v, np.float64)  # noqa: E731
    if op == "Constant":
        return _constant_value(node, np.float64)
    if op == "Shape":
        return np.array(np.shape(ins[0]), np.int64)[a.get("start", 0):a.get("end", None)]
    if op == "Cast":
        v = np.asarray(ins[0])
        if a["to"] in _FLOAT_TYPES:
            return v.astype(np.float64)      # fp16/fp32 casts: everything is float64 here
        import onnx.mapping
        return v.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
    if op == "Identity":
        return ins[0]
    if op == "Gather":
        return np.take(np.asarray(ins[0]), np.asarray(ins[1]).astype(np.int64), axis=a.get("axis", 0))
    if op == "Slice":
        data = np.asarray(ins[0])
        st, en = [int(v) for v in ins[1]], [int(v) for v in ins[2]]
        axes = [int(v) for v in ins[3]] if len(ins) > 3 and ins[3] is not None else list(range(len(st)))
        steps = [int(v) for v in ins[4]] if len(ins) > 4 and ins[4] is not None else [1] * len(st)
        idx = [slice(None)] * data.ndim
        for s, e, ax, k in zip(st, en, axes, steps):
            idx[ax] = slice(s, e, k)
        return data[tuple(idx)]
    if op in ("Unsqueeze", "Squeeze"):
        axes = a["axes"] if "axes" in a else ([int(v) for v in ins[1]] if len(ins) > 1 and ins[1] is not None else None)
        v = np.asarray(ins[0])
        if op == "Squeeze":
            return np.squeeze(v, axis=tuple(axes) if axes else None)
        return np.expand_dims(v, tuple(ax % (v.ndim + len(axes)) for ax in axes))
    if op == "Concat":
        vs = [np.asarray(v) for v in ins]
        if all(v.dtype.kind in "iu" for v in vs):
            return np.concatenate(vs, axis=a["axis"])
        return np.concatenate([f(v) for v in vs], axis=a["axis"])
    if op in ("Add", "Mul"):
        x, y = np.asarray(ins[0]), np.asarray(ins[1])
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            x, y = f(x), f(y)
        return x + y if op == "Add" else x * y
    if op == "Relu":
        return npref.relu(f(ins[0]))
    if op == "Sigmoid":
        return npref.sigmoid(f(ins[0]))
    if op == "Conv":
        return _ref_conv(node, a, ins)
    if op == "MaxPool":
        k, s = a["kernel_shape"], a.get("strides", [1, 1])
        if any(a.get("pads", [0, 0, 0, 0])) or k[0] != k[1] or s[0] != s[1] or any(d != 1 for d in a.get("dilations", [1, 1])):
            raise UnsupportedModel("numpy reference: MaxPool other than square, unpadded, undilated")
        return npref.max_pool2d(f(ins[0]), k[0], s[0], bool(a.get("ceil_mode", 0)))
    if op == "Resize":
        if (a.get("mode") != "linear" or a.get("coordinate_transformation_mode", "half_pixel") != "half_pixel"
                or a.get("antialias", 0)):
            raise UnsupportedModel("numpy reference: Resize other than linear half_pixel")
        x = f(ins[0])
        if len(ins) > 3 and ins[3] is not None and np.size(ins[3]):
            oh, ow = int(ins[3][2]), int(ins[3][3])
            return npref.resize(x, oh, ow, "linear")
        sc = np.asarray(ins[2], np.float64)
        return npref.resize(x, int(np.floor(x.shape[2] * sc[2])), int(np.floor(x.shape[3] * sc[3])), "linear",
                            scale_h=1 / sc[2], scale_w=1 / sc[3])
    raise UnsupportedModel(f"numpy reference: op {op}")


def reference_forward(model, x):
    """The whole graph in float64 numpy -> the first output. ~160 GMAC at 1024x1024: ~3 minutes."""
    model = load_model(model)
    inp, out = _io(model)
    nodes = _needed_nodes(model, out)
    env = dict(_initializers(model, np.float64))
    env[inp] = np.asarray(x, np.float64)
    last = {}
    for i, n in enumerate(nodes):
        for name in n.input:
            last[name] = i
    for i, node in enumerate(nodes):
        env_out = _ref_op(node, _attrs(node), [env[n] if n else None for n in node.input])
        env[node.output[0]] = env_out
        for name in node.input:
            if last.get(name) == i and name != out and name != inp:
                env.pop(name, None)
    return env[out]


def reference_per_node(model, torch_env, tile=8):
    """Every node of the pruned graph recomputed in numpy from the torch values of its inputs
    (the reference's own values for shape arithmetic and Cast outputs), compared with the torch value
    of its output. -> (nodes compared, max abs diff, worst node, max |value| seen)."""
    model = load_model(model)
    inp, out = _io(model)
    nodes = _needed_nodes(model, out)
    own = dict(_initializers(model, np.float64))
    tv = lambda n: torch_env[n].detach().double().numpy() if n in torch_env else own[n]  # noqa: E731
    compared, worst, worst_node, peak = 0, 0.0, None, 0.0
    for node in nodes:
        a = _attrs(node)
        ins = [tv(n) if n else None for n in node.input]
        name = node.output[0]
        if node.op_type == "Conv" and name in torch_env:
            got = torch_env[name].detach().double().numpy()
            h, w = got.shape[2:]
            tiles = [(r0, r1, c0, c1) for r0, r1 in _tiles(h, tile) for c0, c1 in _tiles(w, tile)]
            want = _ref_conv(node, a, ins, tiles)
            diffs = [float(np.abs(got[:, :, r0:r1, c0:c1] - y).max()) for (r0, r1, c0, c1), y in zip(tiles, want)]
            d, p = max(diffs), max(float(np.abs(y).max()) for y in want)
            y = None
        else:
            y = _ref_op(node, a, ins)
            if name not in torch_env:
                own[name] = y
                continue
            got = torch_env[name].detach().double().numpy()
            if got.shape != y.shape:
                raise AssertionError(f"{node.op_type} {node.name}: torch shape {got.shape}, numpy {y.shape}")
            d, p = float(np.abs(got - y).max()), float(np.abs(y).max())
        compared += 1
        peak = max(peak, p)
        if d > worst or worst_node is None:
            worst, worst_node = d, f"{node.op_type} {node.name}"
    return compared, worst, worst_node, peak


def check(onnx_model, ts_module, seed=1234, fast=False):
    """-> dict with max_abs_diff; raises AssertionError when above CHECK_TOLERANCE."""
    import torch
    t0 = time.time()
    model = load_model(onnx_model)
    rng = np.random.default_rng(seed)
    x = (rng.random(INPUT_SHAPE) - 0.5).astype(np.float32)
    with torch.no_grad():
        got = ts_module(torch.from_numpy(x))
    if tuple(got.shape) != (1, 1, SIZE, SIZE):
        raise AssertionError(f"TorchScript output shape {tuple(got.shape)}, expected (1, 1, {SIZE}, {SIZE})")
    got = got.double().numpy()
    if not fast:
        want = reference_forward(model, x)
        diff = float(np.abs(got - want).max())
        result = {"check": f"float64 numpy forward of the whole ONNX graph vs the TorchScript, random "
                           f"{SIZE}x{SIZE} input in [-0.5, 0.5)", "max_abs_diff": diff,
                  "matte_range": [float(want.min()), float(want.max())]}
    else:
        module = build_module(model)
        with torch.no_grad():
            env = module.forward_env(torch.from_numpy(x), keep=True)
        eager = env[module.output].double().numpy()
        ts_vs_eager = float(np.abs(got - eager).max())
        n, node_diff, worst, peak = reference_per_node(model, env)
        del env
        diff = max(ts_vs_eager, node_diff)
        result = {"check": f"every node vs float64 numpy (npref) on its torch inputs, real size, random "
                           f"{SIZE}x{SIZE} input in [-0.5, 0.5) (Conv: 9 8x8 output tiles each); TorchScript "
                           f"vs eager on the output", "nodes": n, "max_abs_diff": diff,
                  "node_max_abs_diff": node_diff, "worst_node": worst, "max_abs_activation": peak,
                  "ts_vs_eager": ts_vs_eager, "matte_range": [float(eager.min()), float(eager.max())]}
    result["tolerance"] = CHECK_TOLERANCE
    result["seconds"] = round(time.time() - t0, 1)
    if not diff <= CHECK_TOLERANCE:
        raise AssertionError(f"TorchScript vs numpy reference: max abs diff {diff} > {CHECK_TOLERANCE}")
    return result


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("package_dir")
    ap.add_argument("out")
    ap.add_argument("--variant", default="medium")
    ap.add_argument("--check", action="store_true", help="whole-graph float64 numpy reference check (~3 min)")
    ap.add_argument("--check-fast", action="store_true", help="per-node numpy reference check (~1.5 min)")
    a = ap.parse_args(argv)
    tmp = a.out + ".tmp"
    try:
        import torch
        model = load_model(assemble(a.package_dir, a.variant))
        ts = convert(model)
        torch.jit.save(ts, tmp)
        os.replace(tmp, a.out)
        if a.check or a.check_fast:
            result = check(model, torch.jit.load(a.out), fast=a.check_fast and not a.check)
        else:
            result = {"output": a.out, "input": list(INPUT_SHAPE), "output_shape": [1, 1, SIZE, SIZE]}
        print(json.dumps(result))
    except (UnsupportedModel, AssertionError, OSError, ValueError, RuntimeError) as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        print(f"onnx_graph: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
