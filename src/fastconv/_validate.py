"""Argument checking shared by every public function.

Everything here runs before any C code: each problem becomes a ValueError or a
TypeError that names the argument and the shapes involved.
"""
import math
import numbers
import operator
import os

import numpy as np

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# element counts above this cannot be indexed safely with byte offsets in C
MAX_ELEMENTS = 2**58
# num_threads is a cap: more threads than this never help, and asking OpenMP for
# thousands of them can exhaust memory or PIDs, which makes libgomp exit the process
MAX_THREADS = 4 * (os.cpu_count() or 1)


def as_float_array(name, a):
    """np.asarray(a), checked to be float32 or float64 (any layout, any byte order)."""
    if type(a) is np.ndarray and a.dtype in SUPPORTED_DTYPES:  # the common case, cheaply
        return a
    try:
        arr = np.asarray(a)
    except Exception as exc:  # noqa: BLE001 - ragged lists and the like
        raise TypeError(f"{name} must be an array of float32 or float64, could not convert: {exc}") from None
    if arr.dtype.kind != "f" or arr.dtype.itemsize not in (4, 8):
        raise TypeError(f"{name} must have dtype float32 or float64, got {arr.dtype}")
    return arr


def result_dtype(*arrays):
    dt = arrays[0].dtype
    for a in arrays:  # the common case, cheaply: one native dtype throughout
        if a is not None and a.dtype != dt:
            break
    else:
        if dt.isnative:
            return dt
    return np.result_type(*[a.dtype for a in arrays if a is not None])


def prepare(a, dtype):
    """C-contiguous, aligned, native-endian copy-if-needed of `a` in `dtype`.

    Never modifies `a`: a copy is made whenever anything has to change."""
    flags = a.flags
    if a.dtype == dtype and a.dtype.isnative and flags.c_contiguous and flags.aligned:
        return a  # nothing to change (np.require costs microseconds per call)
    return np.require(a, dtype=np.dtype(dtype).newbyteorder("="), requirements=["C", "A"])


def check_ndim(name, arr, ndim, what):
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {what}, got shape {arr.shape}")


def as_int(name, v, what="an int"):
    if type(v) is int:  # the common case, cheaply
        return v
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be {what}, got {v!r}")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{name} must be {what}, got {v!r}") from None


def pair(name, v, minimum):
    """int or length-2 sequence of ints -> (a, b), each >= minimum."""
    if type(v) is int and minimum <= v <= MAX_ELEMENTS:  # the common case, cheaply
        return (v, v)
    what = "an int or a pair of ints"
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, (tuple, list, np.ndarray)):
        if len(v) != 2:
            raise ValueError(f"{name} must be {what}, got {v!r}")
        out = (as_int(name, v[0], what), as_int(name, v[1], what))
    else:
        out = (as_int(name, v, what),) * 2
    if min(out) < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {kind}, got {v!r}")
    if max(out) > MAX_ELEMENTS:
        raise ValueError(f"{name} is too large: {v!r}")
    return out


def num_threads(v):
    if v is None:
        return 0
    if type(v) is int and v >= 1:  # the common case, cheaply (numbers.Integral is an ABC check)
        return min(v, MAX_THREADS)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"num_threads must be None or a positive int, got {v!r}")
    v = int(v)
    if v < 1:
        raise ValueError(f"num_threads must be None or a positive int, got {v}")
    return min(v, MAX_THREADS)


def check_bias(name, b, n, weight_shape=None):
    """A bias (when given) must have shape (n,); the message names the weight's
    shape when given (formatted only then: this runs on every call)."""
    if b is not None and b.shape != (n,):
        context = "" if weight_shape is None else f" for weight {weight_shape}"
        raise ValueError(f"{name} must have shape ({n},){context}, got {b.shape}")


def check_size(name, shape):
    # a broadcast view can claim more elements than memory holds, so existing arrays are checked too
    total = math.prod(shape)
    if total > MAX_ELEMENTS:
        raise ValueError(f"{name} of shape {tuple(shape)} is too large ({total} elements)")


def check_array_size(name, a):
    """check_size for an existing array (its element count is a.size)."""
    if a.size > MAX_ELEMENTS:
        check_size(name, a.shape)


def output_array(out, shape, dtype, inputs):
    """The array to write into: `out` after checks, or a fresh one.

    Returns (target, out_or_None); when `out` overlaps an input the result is
    computed into a temporary and copied at the end, as NumPy ufuncs do."""
    check_size("output", shape)
    if out is None:
        return np.empty(shape, dtype=dtype), None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"out has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != dtype:
        raise ValueError(f"out has dtype {out.dtype}, expected {np.dtype(dtype)}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if not (out.flags.c_contiguous and out.flags.aligned and out.dtype.isnative):
        raise ValueError("out must be C-contiguous, aligned and in native byte order")
    if any(a is not None and np.may_share_memory(out, a) for a in inputs):
        return np.empty(shape, dtype=dtype), out
    return out, out


def image_batch(name, x, layout):
    """Checks the layout and shape of an image argument of a conv-like function.

    Returns (x4, nhwc, unbatched, (N, C, H, W)): x4 is 4-D (an unbatched 3-D
    input gains a batch axis of 1), nhwc is True for layout "NHWC"."""
    if layout not in ("NCHW", "NHWC"):
        raise ValueError(f"layout must be 'NCHW' or 'NHWC', got {layout!r}")
    nhwc = layout == "NHWC"
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    check_ndim(name, x, 4, "(N, H, W, C) or (H, W, C)" if nhwc else "(N, C, H, W) or (C, H, W)")
    n, c, h, w = (x.shape[0], x.shape[3], x.shape[1], x.shape[2]) if nhwc else x.shape
    return x, nhwc, unbatched, (n, c, h, w)


def finish_output(y, user_out):
    """The value to return after a kernel wrote `y` (see output_array): `y`, or
    the caller's `out` after copying a temporary result into it."""
    if user_out is not None and y is not user_out:
        user_out[...] = y
        return user_out
    return y


def conv_output_hw(x_shape, w_shape, hw, kernel_hw, stride, pad_totals, dilation, padding):
    """(Ho, Wo) of a convolution, after checking that the input is not empty and
    that the dilated kernel fits the padded input along both axes (`padding`:
    the caller's argument, for the messages)."""
    if hw[0] == 0 or hw[1] == 0:
        raise ValueError(f"input must have non-empty spatial dimensions, got shape {tuple(x_shape)}")
    (h, w), (kh, kw), (dh, dw) = hw, kernel_hw, dilation
    ph, pw = pad_totals
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # the dilated kernel's extent
    if h + ph > MAX_ELEMENTS or w + pw > MAX_ELEMENTS or eh > h + ph or ew > w + pw:
        _kernel_fit_error(x_shape, w_shape, hw, kernel_hw, pad_totals, dilation, padding)
    return (h + ph - eh) // stride[0] + 1, (w + pw - ew) // stride[1] + 1


def _kernel_fit_error(x_shape, w_shape, hw, kernel_hw, pad_totals, dilation, padding):
    """Raises conv_output_hw's error for the first axis that fails (the slow path)."""
    for axis, size, k, p, d in zip(("height", "width"), hw, kernel_hw, pad_totals, dilation):
        if size + p > MAX_ELEMENTS:
            raise ValueError(f"padding {padding!r} is too large: padded input {axis} {size + p}")
        if d * (k - 1) + 1 > size + p:
            raise ValueError(
                f"kernel {axis} {k} (dilation {d}, effective {d * (k - 1) + 1}) is larger than the "
                f"padded input {axis} {size + p} (input shape {tuple(x_shape)}, weight shape "
                f"{tuple(w_shape)})")
    raise AssertionError("unreachable")
