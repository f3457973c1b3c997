"""fastconv.deform_conv2d: validation and dispatch to the C core."""
from . import _kernels, _validate as V
from ._config import _isa_index

__all__ = ["deform_conv2d"]

# the C core finds sample corners with 32-bit integer conversions
_MAX_SIDE = 2**31 - 5


def deform_conv2d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1,
                  mask=None, *, out=None, num_threads=None):
    """Deformable 2-D convolution (v1; v2 with ``mask``), as ``torchvision.ops.deform_conv2d``.

    Every kernel tap samples the input at its regular position moved by a
    learned, per-output-pixel offset, with bilinear interpolation::

        y[n, o, ho, wo] = bias[o] + sum_{c in group(o)} sum_{i, j}
                          weight[o, c, i, j] * m * sample(input[n, c], py, px)
        py = ho*stride_h - pad_h + i*dilation_h + dy
        px = wo*stride_w - pad_w + j*dilation_w + dx

    with (dy, dx) and m taken from ``offset`` and ``mask`` for the offset group
    of channel c, tap k = i*kw + j and pixel (ho, wo).

    Offset and mask layout (G = offset_groups, K = kh*kw, taps row-major)::

        offset[n, :, ho, wo]   (2*G*K channels)
        +-------------------- group 0 ---------------------+-- group 1 --+ ...
        | dy(0,0) dx(0,0) | dy(0,1) dx(0,1) | ... | dy dx   |  dy dx ...  |
        |   ch 0    ch 1  |   ch 2    ch 3  |     | 2K-2 2K-1|  2K  2K+1   |
        +------ tap 0 ----+------ tap 1 ----+-----+- tap K-1+-------------+
        channel of (group g, tap k, dy) = 2*(g*K + k);  dx is the next one

        mask[n, :, ho, wo]     (G*K channels)
        | m(0,0) m(0,1) ... m(kh-1,kw-1) | group 1 ... |
        channel of (group g, tap k) = g*K + k

    Input channels are split into G consecutive blocks of C/G channels; block g
    uses offset group g.  dy comes first (the row), then dx (the column).

    sample() is torchvision's rule: a point with py <= -1, py >= H, px <= -1 or
    px >= W samples 0; otherwise the bilinear mix of its four neighbours, where
    neighbours outside the image count as 0.  A NaN, infinite or absurdly large
    offset is simply such an outside point: the sample contributes ``m * 0`` (0
    unless the mask itself is NaN/inf), never undefined behaviour, and the rest
    of the output is unaffected.  The mask multiplies the sample as given (no
    sigmoid inside the op); ``mask=None`` means all ones.

    Parameters
    ----------
    input : array_like (N, C, H, W)
    offset : array_like (N, 2*offset_groups*kh*kw, Ho, Wo); offset_groups must divide C
    weight : array_like (O, C/groups, kh, kw); groups = C / weight.shape[1] must divide O
    bias : array_like (O,), optional
    stride, dilation : int or (int, int), positive
    padding : int or (int, int), non-negative (zero padding on both sides)
    mask : array_like (N, offset_groups*kh*kw, Ho, Wo), optional
    out : ndarray, optional -- C-contiguous, of the result's shape and dtype
    num_threads : int, optional -- cap on OpenMP threads (default: OMP_NUM_THREADS / all cores)

    Returns
    -------
    ndarray (N, O, Ho, Wo), Ho = (H + 2*pad_h - dilation_h*(kh-1) - 1) // stride_h + 1
    (Wo likewise), of dtype ``numpy.result_type`` of all inputs: float32 or float64.

    The GIL is released while the kernel runs; inputs are never modified and
    may have any strides or byte order.
    """
    x = V.as_float_array("input", input)
    off = V.as_float_array("offset", offset)
    w = V.as_float_array("weight", weight)
    b = None if bias is None else V.as_float_array("bias", bias)
    m = None if mask is None else V.as_float_array("mask", mask)
    V.check_ndim("input", x, 4, "(N, C, H, W)")
    V.check_ndim("weight", w, 4, "(out_channels, in_channels/groups, kh, kw)")
    V.check_ndim("offset", off, 4, "(N, 2*offset_groups*kh*kw, Ho, Wo)")
    if m is not None:
        V.check_ndim("mask", m, 4, "(N, offset_groups*kh*kw, Ho, Wo)")
    N, C, H, W_ = x.shape
    O, Cg, kh, kw = w.shape
    if C == 0:
        raise ValueError(f"input must have at least one channel, got shape {x.shape}")
    if O == 0 or Cg == 0 or kh == 0 or kw == 0:
        raise ValueError(f"weight must have no zero-sized dimension, got shape {w.shape}")
    if C % Cg:
        raise ValueError(
            f"weight.shape[1]={Cg} must divide in_channels={C} (groups = in_channels / weight.shape[1]; "
            f"input shape {x.shape}, weight shape {w.shape})")
    groups = C // Cg
    if O % groups:
        raise ValueError(
            f"out_channels={O} must be divisible by groups={groups} (groups = in_channels / "
            f"weight.shape[1]; input shape {x.shape}, weight shape {w.shape})")
    V.check_bias("bias", b, O, w.shape)
    sh, sw = V.pair("stride", stride, 1)
    ph, pw = V.pair("padding", padding, 0)
    dh, dw = V.pair("dilation", dilation, 1)
    Ho, Wo = V.conv_output_hw(x.shape, w.shape, (H, W_), (kh, kw), (sh, sw), (2 * ph, 2 * pw),
                              (dh, dw), padding)
    if max(H, W_) > _MAX_SIDE:
        raise ValueError(f"input height and width must be below {_MAX_SIDE}, got shape {x.shape}")

    taps = kh * kw
    if off.shape[1] == 0 or off.shape[1] % (2 * taps):
        raise ValueError(
            f"offset.shape[1]={off.shape[1]} must be a positive multiple of 2*kh*kw={2 * taps} "
            f"(offset shape {off.shape}, weight shape {w.shape})")
    offset_groups = off.shape[1] // (2 * taps)
    if C % offset_groups:
        raise ValueError(
            f"offset_groups={offset_groups} (offset.shape[1] / (2*kh*kw)) must divide "
            f"in_channels={C} (offset shape {off.shape}, input shape {x.shape})")
    want = (N, 2 * offset_groups * taps, Ho, Wo)
    if off.shape != want:
        raise ValueError(
            f"offset must have shape {want} for input {x.shape}, weight {w.shape}, stride "
            f"{(sh, sw)}, padding {(ph, pw)}, dilation {(dh, dw)}; got {off.shape}")
    if m is not None and m.shape != (N, offset_groups * taps, Ho, Wo):
        raise ValueError(
            f"mask must have shape {(N, offset_groups * taps, Ho, Wo)} for offset {off.shape} "
            f"(offset_groups={offset_groups}, kh*kw={taps}); got {m.shape}")
    nt = V.num_threads(num_threads)
    for name, a in (("input", x), ("offset", off), ("weight", w), ("mask", m)):
        if a is not None:
            V.check_array_size(name, a)

    dtype = V.result_dtype(x, off, w, b, m)
    y, user_out = V.output_array(out, (N, O, Ho, Wo), dtype, (x, off, w, b, m))
    if N > 0:
        xc, oc, wc = V.prepare(x, dtype), V.prepare(off, dtype), V.prepare(w, dtype)
        bc = None if b is None else V.prepare(b, dtype)
        mc = None if m is None else V.prepare(m, dtype)
        _kernels.deform_conv2d(xc, oc, mc, wc, bc, y, (sh, sw), (ph, pw), (dh, dw), groups,
                               offset_groups, nt, _isa_index())
    if user_out is not None and y is not user_out:
        user_out[...] = y
        y = user_out
    return y
