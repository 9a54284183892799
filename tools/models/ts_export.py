"""ts_export.py — turn an eager torch module into frozen TorchScript, and prove the trace generalises.

Contract: `trace_frozen(module, example, probes)` traces `module` (eval mode, no grad) on `example`,
freezes it (parameters become constants, only `forward` remains) and then runs the frozen module on
every tensor in `probes` — inputs of *other* sizes — comparing shape and values with the eager
module. A trace that baked in the example's size (a Python int taken from a shape) fails here with
ValueError instead of producing wrong-sized output in the engine. Used by every converter.
"""
import torch


def trace_frozen(module, example, probes=(), atol=1e-3):
    module = module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
        frozen = torch.jit.freeze(traced.eval())
        for probe in [example, *probes]:
            want = module(probe)
            got = frozen(probe)
            if tuple(got.shape) != tuple(want.shape):
                raise ValueError(f"traced model gives shape {tuple(got.shape)} for input "
                                 f"{tuple(probe.shape)}; eager gives {tuple(want.shape)}")
            diff = float((got - want).abs().max())
            if diff > atol:
                raise ValueError(f"traced model differs from eager by {diff} at input {tuple(probe.shape)}")
    return frozen


def max_abs_diff(a, b):
    import numpy as np
    a = a.detach().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, np.float64)
    b = b.detach().double().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch {a.shape} vs {b.shape}")
    return float(np.abs(a - b).max())
