"""The NumPy oracle: slow, readable reference implementations.

Every kernel in fastconv is tested against these functions.  They are written
with a different algorithm from the C code -- explicit zero padding with
``np.pad``, one strided slice per kernel tap, float64 accumulation -- and parse
their own arguments, so that a bug in one is unlikely to be a bug in the other.
Results are returned in the dtype the fast functions return
(``numpy.result_type`` of the inputs).
"""
import numpy as np

__all__ = ["conv2d", "channel_shuffle", "separable_conv2d", "squeeze_excitation", "deform_conv2d"]


def _two(v):
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _pads(padding, kh, kw, dilation):
    """((top, bottom), (left, right)) for an int, a pair, 'valid' or 'same'."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
        return (th // 2, th - th // 2), (tw // 2, tw - tw // 2)
    ph, pw = _two(padding)
    return (ph, ph), (pw, pw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           layout="NCHW"):
    """Reference for fastconv.conv2d (same arguments, no out/num_threads)."""
    x = np.asarray(input)
    w = np.asarray(weight)
    b = None if bias is None else np.asarray(bias)
    dtype = np.result_type(*[a.dtype for a in (x, w, b) if a is not None])
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if layout == "NHWC":
        x = x.transpose(0, 3, 1, 2)
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = _two(stride)
    dh, dw = _two(dilation)
    (pt, pb), (pl, pr) = _pads(padding, kh, kw, (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    ho = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    y = np.zeros((n, o, ho, wo), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/Inf propagate silently
        for g in range(groups):
            xg = xp[:, g * cg:(g + 1) * cg]
            wg = w[g * og:(g + 1) * og]
            for i in range(kh):
                for j in range(kw):
                    # input pixels seen by tap (i, j) for every output position
                    patch = xg[:, :, i * dh: i * dh + (ho - 1) * sh + 1: sh,
                               j * dw: j * dw + (wo - 1) * sw + 1: sw]
                    y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, wg[:, :, i, j])
        if b is not None:
            y += b.astype(np.float64)[None, :, None, None]
    if layout == "NHWC":
        y = y.transpose(0, 2, 3, 1)
    y = np.ascontiguousarray(y.astype(dtype))
    return y[0] if unbatched else y


# ---- building blocks (fastconv.channel_shuffle / separable_conv2d / squeeze_excitation)

def channel_shuffle(x, groups):
    """Reference for fastconv.channel_shuffle: (*, g, C/g, H, W) -> (*, C/g, g, H, W)."""
    x = np.asarray(x)
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, groups, c // groups, h, w)
    y = np.swapaxes(y, -4, -3)
    return np.ascontiguousarray(y.reshape(x.shape))


def separable_conv2d(x, dw_weight, pw_weight, dw_bias=None, pw_bias=None, stride=1, padding=0,
                     dilation=1, *, layout="NCHW"):
    """Reference for fastconv.separable_conv2d: the two convolutions one after the other,
    the whole depthwise result in float64 in between."""
    x = np.asarray(x)
    dtype = np.result_type(*[np.asarray(a).dtype for a in (x, dw_weight, pw_weight, dw_bias, pw_bias)
                             if a is not None])
    channels = x.shape[-1] if layout == "NHWC" else x.shape[-3]
    f64 = [None if a is None else np.asarray(a, dtype=np.float64)
           for a in (x, dw_weight, pw_weight, dw_bias, pw_bias)]
    mid = conv2d(f64[0], f64[1], f64[3], stride, padding, dilation, groups=channels, layout=layout)
    return conv2d(mid, f64[2], f64[4], layout=layout).astype(dtype)


def squeeze_excitation(x, w1, b1, w2, b2):
    """Reference for fastconv.squeeze_excitation (x: (N, C, H, W) or (C, H, W))."""
    x = np.asarray(x)
    dtype = np.result_type(*[np.asarray(a).dtype for a in (x, w1, b1, w2, b2) if a is not None])
    xb = x.astype(np.float64).reshape((-1,) + x.shape[-3:])
    s = xb.mean(axis=(2, 3))                                   # squeeze: (N, C)
    h = s @ np.asarray(w1, dtype=np.float64).T
    if b1 is not None:
        h = h + np.asarray(b1, dtype=np.float64)
    z = np.maximum(h, 0.0) @ np.asarray(w2, dtype=np.float64).T
    if b2 is not None:
        z = z + np.asarray(b2, dtype=np.float64)
    e = 0.5 * (1.0 + np.tanh(0.5 * z))                         # sigmoid, overflow-free
    return (xb * e[:, :, None, None]).reshape(x.shape).astype(dtype)


def _bilinear_zero_outside(img, y, x):
    """Samples img (N, C, H, W) at float64 points y, x (N, Ho, Wo) -> (N, C, Ho, Wo).

    torchvision's rule: a point with y <= -1, y >= H, x <= -1 or x >= W (or a
    NaN / infinite coordinate) gives 0; otherwise the bilinear mix of its four
    neighbours, those outside the image counting as 0."""
    n, c, h, w = img.shape
    inside = (y > -1) & (y < h) & (x > -1) & (x < w)  # False for NaN
    y = np.where(inside, y, 0.0)
    x = np.where(inside, x, 0.0)
    y0 = np.floor(y).astype(np.int64)
    x0 = np.floor(x).astype(np.int64)
    ly, lx = y - y0, x - x0
    # one zero row/column on every side: the neighbours of any inside point
    # (rows -1..H, columns -1..W) are then real array elements
    padded = np.pad(img, ((0, 0), (0, 0), (1, 1), (1, 1)))
    nn = np.arange(n)[:, None, None, None]
    cc = np.arange(c)[None, :, None, None]
    out = np.zeros((n, c) + y.shape[1:], dtype=np.float64)
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            rows = (y0 + dy + 1)[:, None]
            cols = (x0 + dx + 1)[:, None]
            out += (wy * wx)[:, None] * padded[nn, cc, rows, cols]
    return np.where(inside[:, None], out, 0.0)


def deform_conv2d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None):
    """Reference for fastconv.deform_conv2d (same arguments, no out/num_threads).

    Samples every input channel at every kernel tap's displaced point into a
    (N, C, kh*kw, Ho, Wo) array, then contracts it with the weights per group."""
    arrays = [np.asarray(a) for a in (input, offset, weight) + tuple(
        a for a in (bias, mask) if a is not None)]
    dtype = np.result_type(*[a.dtype for a in arrays])
    x = np.asarray(input).astype(np.float64)
    off = np.asarray(offset).astype(np.float64)
    w = np.asarray(weight).astype(np.float64)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    groups = c // cg
    offset_groups = off.shape[1] // (2 * kh * kw)
    sh, sw = _two(stride)
    ph, pw = _two(padding)
    dh, dw = _two(dilation)
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    off = off.reshape(n, offset_groups, kh * kw, 2, ho, wo)
    m = None
    if mask is not None:
        m = np.asarray(mask).astype(np.float64).reshape(n, offset_groups, kh * kw, ho, wo)
    cog = c // offset_groups
    cols = np.zeros((n, c, kh * kw, ho, wo), dtype=np.float64)
    oh = np.arange(ho)[:, None] * sh - ph
    ow = np.arange(wo)[None, :] * sw - pw
    with np.errstate(invalid="ignore", over="ignore"):
        for g in range(offset_groups):
            chans = slice(g * cog, (g + 1) * cog)
            for i in range(kh):
                for j in range(kw):
                    k = i * kw + j
                    ys = (oh + i * dh)[None] + off[:, g, k, 0]
                    xs = (ow + j * dw)[None] + off[:, g, k, 1]
                    val = _bilinear_zero_outside(x[:, chans], ys, xs)
                    if m is not None:
                        val = val * m[:, g, k][:, None]
                    cols[:, chans, k] = val
    og = o // groups
    y = np.zeros((n, o, ho, wo), dtype=np.float64)
    for g in range(groups):
        cg_cols = cols[:, g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og].reshape(og, cg, kh * kw)
        y[:, g * og:(g + 1) * og] = np.einsum("nckhw,ock->nohw", cg_cols, wg)
    if bias is not None:
        y += np.asarray(bias).astype(np.float64)[None, :, None, None]
    return np.ascontiguousarray(y.astype(dtype))
