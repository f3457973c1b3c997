"""fastconv.conv2d: validation and dispatch to the C core."""
import numpy as np

from . import _kernels, _validate as V
from ._config import _fit_threads, _isa_index

__all__ = ["conv2d", "conv_output_size", "normalize_padding"]


def conv_output_size(size, kernel, stride, pad_total, dilation):
    """Output length along one axis: floor((size + pad_total - dilation*(kernel-1) - 1) / stride) + 1."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def normalize_padding(padding, kernel_hw, stride, dilation):
    """padding argument -> ((top, bottom), (left, right)).

    int, pair of ints, 'valid' (no padding) or 'same' (stride 1 only; an odd
    total puts the extra row/column at the bottom/right, as PyTorch does)."""
    if type(padding) is int and 0 <= padding <= V.MAX_ELEMENTS:  # the common case, cheaply
        return (padding, padding), (padding, padding)
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"padding='same' requires stride 1, got stride={stride}")
            out = []
            for k, d in zip(kernel_hw, dilation):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise ValueError(f"padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    ph, pw = V.pair("padding", padding, 0)
    return (ph, ph), (pw, pw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           layout="NCHW", out=None, num_threads=None):
    """2-D cross-correlation, exactly as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    input : array_like, (N, C, H, W)  (or (C, H, W) unbatched; (N, H, W, C) with layout="NHWC")
    weight : array_like, (O, C/groups, kh, kw)  -- always OIHW
    bias : array_like (O,), optional
    stride, dilation : int or (int, int), positive
    padding : int, (int, int), 'valid' or 'same' (stride 1 only)
    groups : int dividing both C and O; groups == C is depthwise
    layout : "NCHW" (default) or "NHWC" (channels-last input and output)
    out : ndarray, optional -- C-contiguous, of the result's shape and dtype
    num_threads : int, optional -- cap on OpenMP threads (default: OMP_NUM_THREADS / all cores);
                  a layer too small to repay them runs on fewer (same results)

    Returns
    -------
    ndarray (N, O, Ho, Wo) (or (N, Ho, Wo, O) for NHWC) of dtype
    ``numpy.result_type(input, weight, bias)``: float32 or float64.

    The GIL is released while the kernel runs.  Inputs are never modified and may
    have any strides or byte order.
    """
    y = _conv2d_plain(input, weight, bias, stride, padding, dilation, groups, layout, out,
                      num_threads)
    if y is not None:
        return y
    return _conv2d_checked(input, weight, bias, stride, padding, dilation, groups, layout, out,
                           num_threads)


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _conv2d_plain(x, w, b, stride, padding, dilation, groups, layout, out, num_threads):
    """The plain call, recognised in a few operations, else None.

    ndarrays of one native float dtype, C-contiguous and aligned, a batch of NCHW
    images, int stride, padding, dilation and groups, no `out`: the kernel can
    take these as they are.  The full path's dozen helper calls cost ~6 us warm,
    and more right after a large kernel, the interpreter's data then cold.
    Interleaved against it: a 16x7x7 1x1 call 7.6 -> 4.6 us, 3-10 us less on
    mid-sized layers.  Everything it accepts the full path (_conv2d_checked)
    accepts with the same result; everything else, errors included, goes
    there."""
    if (out is not None or type(x) is not np.ndarray or type(w) is not np.ndarray or
            type(stride) is not int or type(padding) is not int or type(dilation) is not int or
            type(groups) is not int or type(layout) is not str or layout != "NCHW"):
        return None
    dt = x.dtype
    if ((dt is not _F32 and dt is not _F64) or w.dtype is not dt or x.ndim != 4 or w.ndim != 4 or
            (b is not None and (type(b) is not np.ndarray or b.dtype is not dt or b.ndim != 1))):
        return None
    if num_threads is None:
        nt = 0
    elif type(num_threads) is int and num_threads >= 1:
        nt = min(num_threads, V.MAX_THREADS)
    else:
        return None
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    lim = V.MAX_ELEMENTS
    if not (N > 0 and H > 0 and W > 0 and O > 0 and Cg > 0 and kh > 0 and kw > 0 and
            0 < groups and Cg * groups == C and O % groups == 0 and
            0 < stride <= lim and 0 < dilation <= lim and 0 <= padding <= lim and
            (b is None or b.shape[0] == O)):
        return None
    eh, ew = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    if eh > H + 2 * padding or ew > W + 2 * padding:
        return None
    Ho, Wo = (H + 2 * padding - eh) // stride + 1, (W + 2 * padding - ew) // stride + 1
    fx, fw = x.flags, w.flags
    if not (fx.c_contiguous and fx.aligned and fw.c_contiguous and fw.aligned and
            x.size <= lim and w.size <= lim and N * O * Ho * Wo <= lim and
            (b is None or (b.flags.c_contiguous and b.flags.aligned))):
        return None
    y = np.empty((N, O, Ho, Wo), dt)
    _kernels.conv2d(x, w, b, y, (stride, stride), (padding, padding), (dilation, dilation),
                    groups, False, nt, _isa_index(), _fit_threads())
    return y


def _conv2d_checked(input, weight, bias, stride, padding, dilation, groups, layout, out,
                    num_threads):
    """conv2d with every argument validated and converted (any array_like, layout,
    padding form, dtype mix, byte order, strides, `out`)."""
    x = V.as_float_array("input", input)
    w = V.as_float_array("weight", weight)
    b = None if bias is None else V.as_float_array("bias", bias)
    x, nhwc, unbatched, (N, C, H, W_) = V.image_batch("input", x, layout)
    V.check_ndim("weight", w, 4, "(out_channels, in_channels/groups, kh, kw)")
    O, Cg, kh, kw = w.shape
    groups = V.as_int("groups", groups)
    if groups < 1:
        raise ValueError(f"groups must be positive, got {groups}")
    if O == 0 or Cg == 0 or kh == 0 or kw == 0:
        raise ValueError(f"weight must have no zero-sized dimension, got shape {w.shape}")
    if C % groups or O % groups:
        raise ValueError(
            f"groups={groups} must divide both in_channels={C} and out_channels={O} "
            f"(input shape {x.shape}, weight shape {w.shape})")
    if Cg * groups != C:
        raise ValueError(
            f"channel mismatch: input has {C} channels, but weight {w.shape} with groups={groups} "
            f"expects {Cg * groups}")
    V.check_bias("bias", b, O, w.shape)
    sh, sw = V.pair("stride", stride, 1)
    dh, dw = V.pair("dilation", dilation, 1)
    (pt, pb), (pl, pr) = normalize_padding(padding, (kh, kw), (sh, sw), (dh, dw))
    Ho, Wo = V.conv_output_hw(x.shape, w.shape, (H, W_), (kh, kw), (sh, sw), (pt + pb, pl + pr),
                              (dh, dw), padding)
    nt = V.num_threads(num_threads)
    V.check_array_size("input", x)
    V.check_array_size("weight", w)

    dtype = V.result_dtype(x, w, b)
    shape = (N, Ho, Wo, O) if nhwc else (N, O, Ho, Wo)
    # an unbatched call takes and returns an unbatched `out`
    y, user_out = V.output_array(out, shape[1:] if unbatched else shape, dtype, (x, w, b))
    if N > 0:
        xc, wc = V.prepare(x, dtype), V.prepare(w, dtype)
        bc = None if b is None else V.prepare(b, dtype)
        _kernels.conv2d(xc, wc, bc, y[None] if unbatched else y, (sh, sw), (pt, pl), (dh, dw),
                        groups, nhwc, nt, _isa_index(), _fit_threads())
    if user_out is not None and y is not user_out:
        user_out[...] = y
        y = user_out
    return y
