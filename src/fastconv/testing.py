"""Helpers for checking fastconv kernels against the NumPy oracle.

Used by the test suite (``tests/conftest.py`` re-exports them) and by the
self-check of ``python -m fastconv``, so both apply the same tolerance.

The tolerance is a forward error bound, not a guess: a sum of ``k`` products plus
a bias, evaluated in floating point in any order (with or without FMA), is within
about ``(k + 2) * eps`` of the exact value *relative to the sum of the absolute
values of the terms*.  That sum is the oracle evaluated on ``|x|``, ``|w|``,
``|b|``.  We allow 4x that (the oracle's own float64 rounding, the final rounding
to the output dtype), plus a tiny absolute floor for subnormal results, so a
correct kernel never fails the check and a wrong one almost always does
(a wrong tap moves a result by about one term, far above ``eps * k``).
"""
import numpy as np

__all__ = ["error_bound", "magnitude", "assert_within", "assert_matches_oracle", "random_array", "LAYOUTS"]


def error_bound(magnitude, k, dtype, factor=4.0):
    """Allowed |actual - exact| elementwise.

    magnitude : the oracle evaluated on the absolute values of its inputs
                (see ``magnitude``), i.e. sum of |term| per output element
    k         : terms summed per output element (conv2d: C/groups * kh * kw)
    dtype     : the result dtype (float32 or float64)
    """
    info = np.finfo(dtype)
    tiny = 16 * float(info.smallest_normal)
    return factor * float(info.eps) * (k + 2) * np.abs(np.asarray(magnitude, dtype=np.float64)) + tiny


def magnitude(oracle, *args, abs_args=None, **kwargs):
    """oracle(*args, **kwargs) with the floating-point array arguments replaced by
    their absolute values.

    abs_args : positions of the arguments to take |.| of (default: every float
               ndarray).  Pass it when an argument is not a multiplicand, e.g. the
               sampling offsets of deform_conv2d.
    """
    def fix(i, a):
        if a is None or not isinstance(a, (np.ndarray, list, tuple)):
            return a
        a = np.asarray(a)  # array-likes too
        take = a.dtype.kind == "f" if abs_args is None else i in abs_args
        return np.abs(a) if take else a

    return oracle(*[fix(i, a) for i, a in enumerate(args)], **kwargs)


def assert_within(actual, desired, bound, context=""):
    """Assert shape and dtype equality and |actual - desired| <= bound elementwise.

    Where ``desired`` is NaN or +-Inf, ``actual`` must be exactly the same
    (NaN where the oracle has NaN, the same infinity): non-finite values
    propagate exactly as the oracle says."""
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    where = f" ({context})" if context else ""
    assert actual.shape == desired.shape, f"shape {actual.shape} != {desired.shape}{where}"
    assert actual.dtype == desired.dtype, f"dtype {actual.dtype} != {desired.dtype}{where}"
    a = actual.astype(np.float64)
    d = desired.astype(np.float64)
    finite = np.isfinite(d)
    nan_ok = np.array_equal(np.isnan(a), np.isnan(d))
    inf_ok = np.array_equal(a[np.isinf(d)], d[np.isinf(d)])
    assert nan_ok and inf_ok, (
        f"non-finite values differ from the oracle{where}: {np.count_nonzero(np.isnan(a))} NaN vs "
        f"{np.count_nonzero(np.isnan(d))} expected, infinities equal: {inf_ok}")
    with np.errstate(invalid="ignore"):  # inf - inf where both agree
        err = np.where(finite, np.abs(a - d), 0.0)
    bound = np.broadcast_to(np.asarray(bound, dtype=np.float64), d.shape)
    bad = err > bound
    if np.any(bad):
        i = np.unravel_index(np.argmax(np.where(bad, err / bound, 0.0)), d.shape)
        raise AssertionError(
            f"{np.count_nonzero(bad)} of {d.size} elements exceed the error bound{where}; worst at "
            f"{tuple(int(j) for j in i)}: actual {a[i]!r}, expected {d[i]!r}, |error| {err[i]:.3g} "
            f"> bound {bound[i]:.3g}")


def assert_matches_oracle(actual, oracle, *args, k, abs_args=None, factor=4.0, context="", **kwargs):
    """Compare a kernel's result with ``oracle(*args, **kwargs)`` under ``error_bound``.

    k is the number of products summed per output element; see ``magnitude``
    for abs_args.  Returns the oracle's result."""
    desired = oracle(*args, **kwargs)
    mag = magnitude(oracle, *args, abs_args=abs_args, **kwargs)
    assert_within(actual, desired, error_bound(mag, k, desired.dtype, factor), context)
    return desired


def random_array(rng, shape, dtype=np.float32, layout="C", low=None, high=None):
    """Standard normal values (uniform in [low, high) when both are given) in a
    given memory layout, to exercise the kernels' input handling:

    "C"          C-contiguous
    "F"          Fortran order
    "strided"    every second element of a larger array (non-contiguous)
    "reversed"   negative strides on every axis
    "bigendian"  non-native byte order
    "unaligned"  data pointer offset by one byte
    """
    dtype = np.dtype(dtype)
    if low is not None and high is not None:
        base = rng.uniform(low, high, size=shape)
    else:
        base = rng.standard_normal(shape)
    base = base.astype(dtype)
    if layout == "C":
        return base
    if layout == "F":
        return np.asfortranarray(base)
    if layout == "strided":
        big = np.zeros(tuple(2 * s for s in shape), dtype)
        view = big[tuple(slice(None, None, 2) for _ in shape)]
        view[...] = base
        return view
    if layout == "reversed":
        rev = np.ascontiguousarray(base[tuple(slice(None, None, -1) for _ in shape)])
        return rev[tuple(slice(None, None, -1) for _ in shape)]
    if layout == "bigendian":
        return base.astype(dtype.newbyteorder(">" if np.little_endian else "<"))
    if layout == "unaligned":
        raw = np.zeros(base.nbytes + 1, np.uint8)
        view = raw[1:].view(dtype).reshape(shape)
        view[...] = base
        return view
    raise ValueError(f"unknown layout {layout!r}")


LAYOUTS = ("C", "F", "strided", "reversed", "bigendian", "unaligned")
