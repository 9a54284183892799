"""npref.py — pure-numpy reference operators for checking the model converters.

Contract: every function takes and returns numpy arrays in NCHW layout (batch 1 is fine, any batch
works) and computes in float64. Nothing here imports torch: these are the *independent* half of each
converter's `--check`, so a mistake in the torch mapping of an op (padding side, pixel-shuffle order,
interpolation coordinates, ceil-mode pooling) shows up as a numeric difference instead of being
repeated on both sides. Speed is not a goal; the checks run them on small inputs.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """x [N,C,H,W], w [O,C/groups,kh,kw] (OIHW), pads = (top, left, bottom, right), zero padding."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    top, left, bottom, right = pads
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    o, cg, kh, kw = w.shape
    dh, dw = dilation
    sh, sw = stride
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1          # dilated kernel extent
    win = sliding_window_view(x, (eh, ew), axis=(2, 3))     # [N,C,OH,OW,eh,ew] (a view)
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]                  # stride and dilation
    outs = []
    og = o // groups
    for g in range(groups):
        xg = win[:, g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og]
        outs.append(np.einsum("nchwij,ocij->nohw", xg, wg, optimize=True))
    y = np.concatenate(outs, axis=1)
    if b is not None:
        y = y + np.asarray(b, np.float64).reshape(1, -1, 1, 1)
    return y


def relu(x):
    return np.maximum(x, 0.0)


def leaky_relu(x, slope):
    return np.where(x > 0, x, x * slope)


def prelu(x, slopes):
    s = np.asarray(slopes, np.float64).reshape(1, -1, 1, 1)
    return np.where(x > 0, x, x * s)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def upsample_nearest_int(x, sh, sw):
    """Nearest upsampling by integer factors: every pixel becomes an sh x sw block."""
    return np.repeat(np.repeat(x, int(sh), axis=2), int(sw), axis=3)


def pixel_shuffle(x, r):
    """[N, C*r*r, H, W] -> [N, C, H*r, W*r]; channel index c*r*r + i*r + j goes to (h*r+i, w*r+j)."""
    n, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(n, oc, r, r, h, w)
    y = y.transpose(0, 1, 4, 2, 5, 3)                      # n, oc, h, i, w, j
    return y.reshape(n, oc, h * r, w * r)


def max_pool2d(x, k, s, ceil_mode):
    """No padding. With ceil_mode a last, partial window is kept when it starts inside the input."""
    n, c, h, w = x.shape

    def out_len(L):
        if ceil_mode:
            o = -(-(L - k) // s) + 1
            if (o - 1) * s >= L:
                o -= 1
        else:
            o = (L - k) // s + 1
        return o

    oh, ow = out_len(h), out_len(w)
    ph = max(0, (oh - 1) * s + k - h)
    pw = max(0, (ow - 1) * s + k - w)
    xp = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), constant_values=-np.inf)
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    return win[:, :, :oh, :ow].max(axis=(4, 5))


def _linear_matrix(in_len, out_len, scale):
    """Row-stochastic [out, in] matrix of 2-tap linear interpolation, half-pixel centres, edge clamp."""
    m = np.zeros((out_len, in_len))
    for d in range(out_len):
        src = (d + 0.5) * scale - 0.5
        src = max(src, 0.0)
        i0 = int(np.floor(src))
        f = src - i0
        i0 = min(i0, in_len - 1)
        i1 = min(i0 + 1, in_len - 1)
        m[d, i0] += 1.0 - f
        m[d, i1] += f
    return m


def _cubic_matrix(in_len, out_len, scale, a=-0.75):
    """[out, in] matrix of Keys cubic interpolation (a = -0.75), half-pixel centres, edge clamp."""
    def k(t):
        t = abs(t)
        if t <= 1:
            return ((a + 2) * t - (a + 3)) * t * t + 1
        if t < 2:
            return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        return 0.0

    m = np.zeros((out_len, in_len))
    for d in range(out_len):
        src = (d + 0.5) * scale - 0.5
        i = int(np.floor(src))
        f = src - i
        for tap in range(-1, 3):
            j = min(max(i + tap, 0), in_len - 1)
            m[d, j] += k(tap - f)
    return m


def resize(x, out_h, out_w, mode, scale_h=None, scale_w=None):
    """Separable resize with half-pixel centres. scale_* = input/output coordinate ratio
    (defaults to in/out). mode: 'linear' or 'cubic'. No antialiasing (matches ONNX/ncnn/torch)."""
    n, c, h, w = x.shape
    sh = scale_h if scale_h is not None else h / out_h
    sw = scale_w if scale_w is not None else w / out_w
    mk = _linear_matrix if mode == "linear" else _cubic_matrix
    mh = mk(h, out_h, sh)
    mw = mk(w, out_w, sw)
    return np.einsum("oh,nchw,pw->ncop", mh, np.asarray(x, np.float64), mw, optimize=True)
