"""Building blocks of efficient CNNs: channel shuffle, fused depthwise-separable
convolution and squeeze-excitation.  Validation here, the work in csrc/blocks/."""
import numpy as np

from . import _kernels, _validate as V
from ._config import _isa_index
from ._conv import normalize_padding
from .analysis import conv_output_shape

__all__ = ["channel_shuffle", "separable_conv2d", "squeeze_excitation"]


def channel_shuffle(x, groups, *, out=None, num_threads=None):
    """ShuffleNet channel shuffle, exactly as ``torch.nn.functional.channel_shuffle``.

    The C channels of ``x`` (shape (*, C, H, W)) are viewed as (groups, C/groups)
    and transposed to (C/groups, groups): output channel ``j*groups + i`` is input
    channel ``i*(C/groups) + j``.  After a grouped convolution this lets the next
    grouped convolution see channels from every group.

    Parameters
    ----------
    x : array_like of any floating dtype (float16 ... longdouble), at least 3-D
    groups : int dividing C
    out : ndarray, optional -- C-contiguous, of x's shape and dtype
    num_threads : int, optional -- cap on OpenMP threads

    Returns a new array (or ``out``) of x's shape and dtype.
    """
    try:
        x = np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - ragged lists and the like
        raise TypeError(f"x must be a floating-point array, could not convert: {exc}") from None
    if x.dtype.kind != "f":
        raise TypeError(f"x must have a floating-point dtype, got {x.dtype}")
    if x.ndim < 3:
        raise ValueError(f"x must be at least 3-D (*, C, H, W), got shape {x.shape}")
    groups = V.as_int("groups", groups)
    C = x.shape[-3]
    if groups < 1 or C % groups:
        raise ValueError(f"groups={groups} must be a positive divisor of the {C} channels "
                         f"(x shape {x.shape})")
    nt = V.num_threads(num_threads)
    V.check_array_size("x", x)
    dtype = x.dtype.newbyteorder("=")  # the result is native-endian, like every other
    y, user_out = V.output_array(out, x.shape, dtype, (x,))
    if x.size:
        xc = V.prepare(x, dtype)
        outer = int(np.prod(x.shape[:-3], dtype=np.int64))
        inner = x.shape[-2] * x.shape[-1]
        _kernels.channel_shuffle(xc, y, outer, C, inner, groups, nt)
    return V.finish_output(y, user_out)


def separable_conv2d(x, dw_weight, pw_weight, dw_bias=None, pw_bias=None, stride=1, padding=0,
                     dilation=1, *, layout="NCHW", out=None, num_threads=None):
    """Depthwise-separable convolution: a depthwise conv2d then a 1x1 pointwise conv2d, fused.

    Equal to ``conv2d(conv2d(x, dw_weight, dw_bias, stride, padding, dilation,
    groups=C), pw_weight, pw_bias)``, but the depthwise result is produced one
    band of rows at a time in a cache-sized buffer and consumed at once by the
    pointwise GEMM instead of being written out whole.

    Parameters
    ----------
    x : array_like, (N, C, H, W)  (or (C, H, W) unbatched; (N, H, W, C) with layout="NHWC")
    dw_weight : array_like, (C*multiplier, 1, kh, kw) -- the depthwise filters
    pw_weight : array_like, (O, C*multiplier, 1, 1) -- the pointwise filters
    dw_bias : array_like (C*multiplier,), optional
    pw_bias : array_like (O,), optional
    stride, padding, dilation : as conv2d, for the depthwise stage
    layout : "NCHW" (default) or "NHWC" for input and output
    out : ndarray, optional -- C-contiguous, of the result's shape and dtype
    num_threads : int, optional -- cap on OpenMP threads

    Returns
    -------
    ndarray (N, O, Ho, Wo) (or (N, Ho, Wo, O) for NHWC), dtype ``numpy.result_type`` of
    the inputs.  The depthwise bias enters as ``pw_bias + pw_weight @ dw_bias``
    (equal in exact arithmetic; nothing non-linear sits between the stages).
    """
    x = V.as_float_array("x", x)
    dw = V.as_float_array("dw_weight", dw_weight)
    pw = V.as_float_array("pw_weight", pw_weight)
    db = None if dw_bias is None else V.as_float_array("dw_bias", dw_bias)
    pb = None if pw_bias is None else V.as_float_array("pw_bias", pw_bias)
    x, nhwc, unbatched, (N, C, H, W_) = V.image_batch("x", x, layout)
    V.check_ndim("dw_weight", dw, 4, "(C*multiplier, 1, kh, kw)")
    V.check_ndim("pw_weight", pw, 4, "(out_channels, C*multiplier, 1, 1)")
    Cm, one, kh, kw = dw.shape
    O = pw.shape[0]
    if C == 0 or H == 0 or W_ == 0:
        raise ValueError(f"x must have channels and non-empty spatial dimensions, got shape {x.shape}")
    if one != 1 or Cm == 0 or Cm % C or kh == 0 or kw == 0:
        raise ValueError(f"dw_weight must have shape (C*multiplier, 1, kh, kw) with C={C} "
                         f"(x shape {x.shape}), got {dw.shape}")
    if O == 0 or pw.shape[1:] != (Cm, 1, 1):
        raise ValueError(f"pw_weight must have shape (out_channels, {Cm}, 1, 1) for dw_weight "
                         f"{dw.shape}, got {pw.shape}")
    V.check_bias("dw_bias", db, Cm)
    V.check_bias("pw_bias", pb, O)
    sh, sw = V.pair("stride", stride, 1)
    dh, dwl = V.pair("dilation", dilation, 1)
    (pt, _), (pl, _) = normalize_padding(padding, (kh, kw), (sh, sw), (dh, dwl))
    Ho, Wo = conv_output_shape((H, W_), (kh, kw), (sh, sw), padding, (dh, dwl))
    nt = V.num_threads(num_threads)
    for name, a in (("x", x), ("dw_weight", dw), ("pw_weight", pw)):
        V.check_array_size(name, a)

    dtype = V.result_dtype(x, dw, pw, db, pb)
    shape = (N, Ho, Wo, O) if nhwc else (N, O, Ho, Wo)
    # an unbatched call takes and returns an unbatched `out`, as conv2d does
    y, user_out = V.output_array(out, shape[1:] if unbatched else shape, dtype, (x, dw, pw, db, pb))
    if N > 0:
        args = [None if a is None else V.prepare(a, dtype) for a in (x, dw, db, pw, pb)]
        _kernels.separable_conv2d(*args, y[None] if unbatched else y, (sh, sw), (pt, pl), (dh, dwl),
                                  nhwc, nt, _isa_index())
    return V.finish_output(y, user_out)


def _same_buffer(a, b):
    """True when a and b are the very same elements (in-place operation is safe)."""
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype)


def squeeze_excitation(x, w1, b1, w2, b2, *, out=None, num_threads=None):
    """Squeeze-and-excitation channel attention (Hu et al., 2018).

    ``s = mean(x, axis=(H, W))``, ``h = relu(w1 @ s + b1)``, ``e = sigmoid(w2 @ h + b2)``,
    ``y = x * e[:, :, None, None]``: a per-channel gain computed from the whole image.

    Parameters
    ----------
    x : array_like, (N, C, H, W) or (C, H, W)
    w1 : array_like, (C/r, C) -- the squeeze FC layer (r is the reduction ratio)
    b1 : array_like (C/r,) or None
    w2 : array_like, (C, C/r) -- the excitation FC layer
    b2 : array_like (C,) or None
    out : ndarray, optional -- C-contiguous, of the result's shape and dtype; may be
        ``x`` itself (in place) when x is C-contiguous of that dtype
    num_threads : int, optional -- cap on OpenMP threads

    Returns an ndarray of x's shape, dtype ``numpy.result_type`` of the inputs.
    """
    x = V.as_float_array("x", x)
    w1 = V.as_float_array("w1", w1)
    w2 = V.as_float_array("w2", w2)
    b1 = None if b1 is None else V.as_float_array("b1", b1)
    b2 = None if b2 is None else V.as_float_array("b2", b2)
    xb, _, _, (N, C, H, W_) = V.image_batch("x", x, "NCHW")
    if C == 0 or H == 0 or W_ == 0:
        raise ValueError(f"x must have channels and non-empty spatial dimensions, got shape {x.shape}")
    V.check_ndim("w1", w1, 2, "(C/r, C)")
    Cr = w1.shape[0]
    if Cr == 0 or w1.shape[1] != C:
        raise ValueError(f"w1 must have shape (C/r, {C}) for x of shape {x.shape}, got {w1.shape}")
    if w2.shape != (C, Cr):
        raise ValueError(f"w2 must have shape ({C}, {Cr}) for w1 of shape {w1.shape}, got {w2.shape}")
    V.check_bias("b1", b1, Cr)
    V.check_bias("b2", b2, C)
    nt = V.num_threads(num_threads)
    V.check_array_size("x", x)

    dtype = V.result_dtype(x, w1, w2, b1, b2)
    xc = V.prepare(xb, dtype)
    if isinstance(out, np.ndarray) and _same_buffer(out, xc.reshape(x.shape)) and out.flags.writeable:
        y, user_out = out, out  # in place: everything is pooled before anything is scaled
    else:
        y, user_out = V.output_array(out, x.shape, dtype, (x, w1, w2, b1, b2))
    if N > 0:
        w1c, w2c = V.prepare(w1, dtype), V.prepare(w2, dtype)
        b1c = None if b1 is None else V.prepare(b1, dtype)
        b2c = None if b2 is None else V.prepare(b2, dtype)
        _kernels.squeeze_excitation(xc.reshape(N, C, H * W_), w1c, b1c, w2c, b2c,
                                    y.reshape(N, C, H * W_), nt, _isa_index())
    return V.finish_output(y, user_out)
