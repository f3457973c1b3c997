"""fastconv.conv2d against the NumPy oracle (and PyTorch when installed).

Sections: oracle self-tests on hand-computed cases; hypothesis property tests over
random configurations on every ISA; edge cases; memory layouts and out=; NaN/Inf;
every argument error; threads.
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastconv
from fastconv import reference
from fastconv._kernels import max_threads

from conftest import LAYOUTS, assert_matches_oracle, assert_within, conv2d_k, error_bound, magnitude, random_array

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def check(x, w, b=None, **kw):
    """fastconv.conv2d(x, w, b, **kw) must match the oracle within the error bound."""
    y = fastconv.conv2d(x, w, b, **kw)
    kw.pop("num_threads", None)
    kw.pop("out", None)
    groups = kw.get("groups", 1)
    assert_matches_oracle(y, reference.conv2d, x, w, b, k=conv2d_k(w, groups),
                          context=f"x {np.shape(x)} w {np.shape(w)} {kw} isa {fastconv.get_isa()}", **kw)
    return y


# ---------------------------------------------------------------------------------------------
# oracle self-tests: small cases computed by hand
# ---------------------------------------------------------------------------------------------

def test_oracle_valid_2x2_box_filter():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y = reference.conv2d(x, np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(y[0, 0], [[10, 14, 18], [26, 30, 34], [42, 46, 50]])


def test_oracle_is_cross_correlation_not_convolution():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])  # top-left tap: not flipped
    np.testing.assert_array_equal(reference.conv2d(x, w)[0, 0], [[0, 1], [3, 4]])


def test_oracle_zero_padding_counts_neighbours():
    y = reference.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), padding=1)
    np.testing.assert_array_equal(y[0, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]])


def test_oracle_stride_and_dilation():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(reference.conv2d(x, np.ones((1, 1, 1, 1)), stride=2)[0, 0],
                                  [[0, 2], [8, 10]])
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    y = reference.conv2d(x, np.ones((1, 1, 2, 2)), dilation=2)
    assert y.shape == (1, 1, 3, 3)
    assert y[0, 0, 0, 0] == 0 + 2 + 10 + 12
    assert y[0, 0, 2, 1] == 11 + 13 + 21 + 23


def test_oracle_same_padding_puts_odd_extra_at_bottom_right():
    # kernel width 2 -> total padding 1, all of it on the right (as PyTorch)
    x = np.array([0.0, 1.0, 2.0, 3.0]).reshape(1, 1, 1, 4)
    w = np.array([1.0, 10.0]).reshape(1, 1, 1, 2)
    np.testing.assert_array_equal(reference.conv2d(x, w, padding="same")[0, 0, 0], [10, 21, 32, 3])
    # kernel 4 with dilation 1 -> total 3: 1 top, 2 bottom
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 3, 1)
    w = np.array([1.0, 10.0, 100.0, 1000.0]).reshape(1, 1, 4, 1)
    np.testing.assert_array_equal(reference.conv2d(x, w, padding="same")[0, 0, :, 0],
                                  [10 * 1 + 100 * 2 + 1000 * 3, 1 + 10 * 2 + 100 * 3, 2 + 10 * 3])


def test_oracle_groups_bias_and_depthwise_multiplier():
    x = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 2.0)])[None]  # channels 1 and 2
    w = np.array([2.0, 3.0, 5.0, 7.0]).reshape(4, 1, 1, 1)  # multiplier 2 per channel
    y = reference.conv2d(x, w, np.array([0.5, 0.0, 0.0, -1.0]), groups=2)
    np.testing.assert_array_equal(y[0, :, 0, 0], [2.5, 3, 10, 13])
    # dense: every output sees every input channel
    y = reference.conv2d(x, np.ones((1, 2, 1, 1)))
    np.testing.assert_array_equal(y[0, 0], np.full((2, 2), 3.0))


def test_oracle_layouts_unbatched_and_dtype():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3))
    y = reference.conv2d(x, w, padding=1)
    assert y.dtype == np.float64 and y.flags.c_contiguous
    yn = reference.conv2d(x.transpose(0, 2, 3, 1), w, padding=1, layout="NHWC")
    np.testing.assert_allclose(yn, y.transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(reference.conv2d(x[1], w, padding=1), y[1], rtol=1e-12, atol=1e-12)
    assert reference.conv2d(x, w.astype(np.float32)).dtype == np.float32


def test_oracle_empty_batch():
    y = reference.conv2d(np.ones((0, 2, 4, 4)), np.ones((3, 2, 3, 3)))
    assert y.shape == (0, 3, 2, 2)


# ---------------------------------------------------------------------------------------------
# random configurations (hypothesis)
# ---------------------------------------------------------------------------------------------

@st.composite
def conv_configs(draw, max_batch=3):
    """A valid conv2d configuration: (x, w, b, kwargs) with random data."""
    kind = draw(st.sampled_from(["dense", "grouped", "depthwise", "wide", "pointwise"]))
    if kind == "depthwise":
        groups = draw(st.integers(1, 8))
        cg, og = 1, draw(st.integers(1, 3))            # any channel multiplier
    elif kind == "grouped":
        groups = draw(st.integers(2, 4))
        cg, og = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    elif kind == "wide":                               # several output-channel blocks
        groups = 1
        cg, og = draw(st.integers(1, 6)), draw(st.integers(17, 70))
    else:
        groups = 1
        cg, og = draw(st.integers(1, 8)), draw(st.integers(1, 12))
    if kind == "pointwise":
        kh = kw = 1
    else:
        kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad_kind = draw(st.sampled_from(["int", "pair", "same", "valid"]))
    if pad_kind == "same":
        stride = draw(st.sampled_from([1, (1, 1)]))
        padding, totals = "same", (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    elif pad_kind == "valid":
        padding, totals = "valid", (0, 0)
    elif pad_kind == "int":
        p = draw(st.integers(0, 3))
        padding, totals = p, (2 * p, 2 * p)
    else:
        padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        totals = (2 * padding[0], 2 * padding[1])
    # images at least as large as the dilated kernel minus the padding
    min_h = max(1, dilation[0] * (kh - 1) + 1 - totals[0])
    min_w = max(1, dilation[1] * (kw - 1) + 1 - totals[1])
    h = draw(st.integers(min_h, min_h + 10))
    w_ = draw(st.integers(min_w, min_w + (40 if kind != "wide" else 10)))
    n = draw(st.integers(0, max_batch))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    wdtype = draw(st.sampled_from([dtype, dtype, np.float32, np.float64]))  # mixed sometimes
    layout = draw(st.sampled_from(["NCHW", "NHWC"]))
    mem = draw(st.sampled_from(("C",) * 4 + LAYOUTS))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    c, o = cg * groups, og * groups
    xshape = (n, h, w_, c) if layout == "NHWC" else (n, c, h, w_)
    if draw(st.booleans()) and n == 1:
        xshape = xshape[1:]                             # unbatched
    x = random_array(rng, xshape, dtype, mem)
    wt = random_array(rng, (o, cg, kh, kw), wdtype)
    b = random_array(rng, (o,), wdtype) if draw(st.booleans()) else None
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, layout=layout)
    return x, wt, b, kwargs


@settings(max_examples=300)
@given(cfg=conv_configs(), num_threads=st.sampled_from([None, 1, 2]))
def test_conv2d_matches_oracle(isa, cfg, num_threads):
    x, w, b, kw = cfg
    x0, w0 = x.copy(), w.copy()
    check(x, w, b, num_threads=num_threads, **kw)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


@settings(max_examples=150)
@given(n=st.integers(0, 2), c=st.integers(1, 5), mult=st.integers(1, 2), h=st.integers(1, 12),
       w=st.integers(1, 70), s2=st.booleans(), stride_h=st.integers(1, 3), pad=st.integers(0, 3),
       pad_h=st.integers(0, 2), dil_h=st.integers(1, 2), dtype=st.sampled_from([np.float32, np.float64]),
       bias=st.booleans(), nonfinite=st.booleans(), num_threads=st.sampled_from([1, 2]),
       seed=st.integers(0, 2**32 - 1))
def test_depthwise_3x3_read_in_place(isa, n, c, mult, h, w, s2, stride_h, pad, pad_h, dil_h, dtype,
                                     bias, nonfinite, num_threads, seed):
    """The depthwise 3x3 kernels that read the input rows in place (edges masked,
    no panel): horizontal stride 2 with padding 1 (deinterleaved in registers;
    any vertical stride, padding, dilation), and stride 1 with any padding.  Any
    width (partial vectors, rows shorter than one), NaN/Inf."""
    if s2:
        stride, padding, dilation = (stride_h, 2), (pad_h, 1), (dil_h, 1)
    else:
        stride, padding, dilation = 1, (pad_h, pad), 1
        w = max(w, 3 - 2 * pad)
    h = max(h, 2 * dilation[0] + 1 - 2 * padding[0]) if s2 else max(h, 3 - 2 * pad_h)
    rng = np.random.default_rng(seed)
    x = random_array(rng, (n, c, h, w), dtype)
    wt = random_array(rng, (c * mult, 1, 3, 3), dtype)
    b = random_array(rng, (c * mult,), dtype) if bias else None
    if nonfinite and n > 0:
        x[rng.integers(n), rng.integers(c), rng.integers(h), rng.integers(w)] = np.nan
        x[rng.integers(n), rng.integers(c), rng.integers(h), rng.integers(w)] = np.inf
        wt[rng.integers(c * mult), 0, rng.integers(3), rng.integers(3)] = -np.inf
    check(x, wt, b, stride=stride, padding=padding, dilation=dilation, groups=c,
          num_threads=num_threads)


@settings(max_examples=150)
@given(n=st.integers(0, 2), groups=st.sampled_from([1, 1, 2, 3]), cg=st.sampled_from([1, 3, 16, 40, 70]),
       og=st.sampled_from([1, 5, 16, 32, 37, 64]), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.sampled_from([1, 1, 2, 3]), dil=st.sampled_from([1, 1, 2]), same=st.booleans(),
       h=st.integers(0, 12), w=st.integers(0, 40), dtype=st.sampled_from([np.float32, np.float64]),
       bias=st.booleans(), nonfinite=st.booleans(), num_threads=st.sampled_from([1, 2, 3]),
       seed=st.integers(0, 2**32 - 1))
def test_nhwc_unpadded_read_in_place(isa, n, groups, cg, og, kh, kw, stride, dil, same, h, w, dtype, bias,
                                     nonfinite, num_threads, seed):
    """Unpadded NHWC in the oc-vector form reads the input in place (the pixels
    of a tile stride_w*C apart) and accumulates whole channel blocks straight
    into the output, a partial last block through a tile.  Any kernel, stride,
    dilation and group count; several reduction chunks (70 channels x 4 taps);
    a bias; NaN/Inf; and 'same' with an even kernel, whose padding is all at the
    bottom and right (so not this path, though the top and left are unpadded)."""
    if same:
        stride, padding = 1, "same"
    else:
        padding = 0
    h, w = h + dil * (kh - 1) + 1, w + dil * (kw - 1) + 1
    rng = np.random.default_rng(seed)
    c, o = cg * groups, og * groups
    x = random_array(rng, (n, h, w, c), dtype)
    wt = random_array(rng, (o, cg, kh, kw), dtype)
    b = random_array(rng, (o,), dtype) if bias else None
    if nonfinite and n > 0:
        x[rng.integers(n), rng.integers(h), rng.integers(w), rng.integers(c)] = np.nan
        x[rng.integers(n), rng.integers(h), rng.integers(w), rng.integers(c)] = -np.inf
        wt[rng.integers(o), rng.integers(cg), rng.integers(kh), rng.integers(kw)] = np.inf
    kwargs = dict(stride=stride, padding=padding, dilation=dil, groups=groups, layout="NHWC")
    y = check(x, wt, b, num_threads=num_threads, **kwargs)
    if num_threads > 1:  # whole and partial blocks shift with the thread count
        np.testing.assert_array_equal(fastconv.conv2d(x, wt, b, num_threads=1, **kwargs), y)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 3), groups=st.sampled_from([1, 1, 2, 3]), cg=st.sampled_from([1, 7, 40, 300]),
       og=st.sampled_from([16, 32, 48, 33]), hw=st.sampled_from([(1, 1), (5, 7), (7, 7), (14, 14), (17, 17), (1, 29)]),
       kw=st.integers(1, 5), dil=st.sampled_from([1, 2]), stride_h=st.sampled_from([1, 2]),
       dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans(), nonfinite=st.booleans(),
       num_threads=st.sampled_from([1, 2, 3, 8]), seed=st.integers(0, 2**32 - 1))
def test_single_row_read_in_place(isa, n, groups, cg, og, hw, kw, dil, stride_h, dtype, bias, nonfinite,
                                  num_threads, seed):
    """An unpadded NCHW input of one row read at unit stride -- a 1x1 layer,
    which conv2d flattens into one row of H*W pixels, or a 1xk kernel on a
    one-row image -- is its own panel in the oc-vector form (many output
    channels, a pixel count off the vector width): the items read it in place,
    and, when images, groups and channel blocks are fewer than the threads,
    split the row's tiles between them.  Results must not depend on the split."""
    h, w = hw
    if kw > 1:  # a 1xk kernel on one row (any vertical stride: one output row)
        h, w = 1, w + dil * (kw - 1)
    rng = np.random.default_rng(seed)
    c, o = cg * groups, og * groups
    x = random_array(rng, (n, c, h, w), dtype)
    wt = random_array(rng, (o, cg, 1, kw), dtype)
    b = random_array(rng, (o,), dtype) if bias else None
    if nonfinite and n > 0:
        x[rng.integers(n), rng.integers(c), rng.integers(h), rng.integers(w)] = np.nan
        wt[rng.integers(o), rng.integers(cg), 0, rng.integers(kw)] = -np.inf
    kwargs = dict(stride=(stride_h if kw > 1 else 1, 1), dilation=(1, dil), groups=groups)
    y = check(x, wt, b, num_threads=num_threads, **kwargs)
    if num_threads > 1:  # the row's tiles are split by the thread count
        np.testing.assert_array_equal(fastconv.conv2d(x, wt, b, num_threads=1, **kwargs), y)


def padding_tap_share(h, w, kh, kw, stride, padding, dilation):
    """The share of kernel taps over all outputs that fall on padding (as the C
    planner computes it: NHWC layers with at most 5% take the channels-last panel)."""
    def valid(size, k, s, p, dl, out):
        return sum(sum(0 <= o * s - p + t * dl < size for t in range(k)) for o in range(out))
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    vh = valid(h, kh, stride[0], padding[0], dilation[0], ho)
    vw = valid(w, kw, stride[1], padding[1], dilation[1], wo)
    return 1 - vh * vw / (ho * kh * wo * kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 33, 61, 40), (37, 40, 3, 3), dict(padding=1)),               # partial last block
    ((1, 30, 64, 24), (64, 12, 3, 3), dict(padding=(1, 2), stride=2, dilation=(1, 2), groups=2)),
    ((1, 1, 400, 6), (40, 6, 1, 5), dict(padding=(0, 2))),           # one long row, 1x5
    ((1, 112, 112, 3), (32, 3, 7, 7), dict(padding=3, stride=2)),     # a stem, 3 channels
    ((2, 100, 90, 70), (48, 70, 1, 1), dict(padding=1)),             # padded 1x1: zero borders
])
def test_nhwc_channels_last_panel(isa, rng, dtype, xs, ws, kw):
    """Padded NHWC layers with few padding taps read a channels-last panel of
    their input rows (plain row copies with the padding's zeros), pixels
    stride_w*Cg apart; whole channel blocks go straight into the output.
    NaN/Inf in the input and weights, several thread counts."""
    full = dict(stride=(1, 1), dilation=(1, 1), padding=(0, 0))
    geo = {k: (v, v) if isinstance(v, int) else v for k, v in {**full, **kw}.items() if k in full}
    assert padding_tap_share(xs[1], xs[2], ws[2], ws[3], **geo) <= 0.05  # the path under test
    x, w, b = random_array(rng, xs, dtype), random_array(rng, ws, dtype), random_array(rng, ws[:1], dtype)
    x[0, rng.integers(xs[1]), rng.integers(xs[2]), rng.integers(xs[3])] = np.nan
    w[rng.integers(ws[0]), 0, 0, 0] = -np.inf
    y = check(x, w, b, layout="NHWC", **kw)
    for nt in (2, 3, 8):
        np.testing.assert_array_equal(fastconv.conv2d(x, w, b, layout="NHWC", num_threads=nt, **kw), y)


@settings(max_examples=150)
@given(n=st.integers(0, 3), c=st.integers(1, 40), k=st.sampled_from([3, 5, 7]), s=st.sampled_from([1, 2]),
       dil=st.sampled_from([1, 1, 2, 3, 4, 6]),
       h=st.integers(1, 40), w=st.integers(1, 40), pad_h=st.integers(0, 4), pad_w=st.integers(0, 4),
       dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans(), nonfinite=st.booleans(),
       nhwc=st.booleans(), num_threads=st.sampled_from([1, 2]), seed=st.integers(0, 2**32 - 1))
def test_depthwise_channel_vectors(isa, n, c, k, s, dil, h, w, pad_h, pad_w, dtype, bias, nonfinite,
                                   nhwc, num_threads, seed):
    """The depthwise kernels on channel vectors (3x3, 5x5 and 7x7, stride 1 and 2;
    3x3 stride 1 dilated by 2 and 4 compiled in, other dilations at run time):
    blocks of V channels transposed (NCHW) or copied (NHWC) into a panel of
    pixel vectors and back.  Any channel count (a partial last block), planes
    narrower than a vector (the transposes' scalar edge), rows whose last chunk
    overlaps the one before, padding up to and past the kernel, NaN/Inf, empty
    batches."""
    ext = (k - 1) * dil + 1
    pad_h, pad_w = min(pad_h * dil, ext - 1), min(pad_w * dil, ext - 1)
    h, w = max(h, ext - 2 * pad_h), max(w, ext - 2 * pad_w)
    rng = np.random.default_rng(seed)
    x = random_array(rng, (n, c, h, w), dtype)
    wt = random_array(rng, (c, 1, k, k), dtype)
    b = random_array(rng, (c,), dtype) if bias else None
    if nonfinite and n > 0:
        x[rng.integers(n), rng.integers(c), rng.integers(h), rng.integers(w)] = np.nan
        x[rng.integers(n), rng.integers(c), rng.integers(h), rng.integers(w)] = -np.inf
        wt[rng.integers(c), 0, rng.integers(k), rng.integers(k)] = np.inf
    if nhwc:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    check(x, wt, b, stride=s, padding=(pad_h, pad_w), dilation=dil, groups=c,
          num_threads=num_threads, layout="NHWC" if nhwc else "NCHW")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,k,kw", [
    ((1, 240, 28, 28), 5, dict(padding=2)),          # 14-pixel chunks, several bands at 2 threads
    ((2, 37, 7, 7), 5, dict(padding=2)),             # partial channel block, 7-pixel chunks
    ((1, 20, 112, 112), 5, dict(stride=2, padding=2)),
    ((3, 17, 9, 30), 5, dict(padding=(0, 2))),       # overlapping last chunk
    ((1, 48, 7, 7), 3, dict(padding=1)),            # 3x3 takes this path on rows of <= 8
    ((1, 33, 14, 14), 3, dict(stride=2, padding=1)),
    ((2, 19, 4, 4), 3, dict(padding=1)),             # planes of fewer pixels than a vector
    ((1, 96, 56, 56), 7, dict(padding=3)),           # ConvNeXt: 16-pixel chunks
    ((2, 45, 14, 14), 7, dict(padding=3)),           # 14-pixel chunks, a partial channel block
    ((1, 21, 7, 7), 7, dict(padding=3)),             # 7-pixel chunks, kernel as large as the plane
    ((1, 24, 5, 6), 7, dict(padding=3)),             # 4-pixel chunks, kernel past the plane
    ((1, 18, 29, 31), 7, dict(stride=2, padding=3)),
    ((1, 40, 33, 33), 3, dict(padding=2, dilation=2)),  # DeepLab's atrous depthwise
    ((2, 21, 17, 23), 3, dict(padding=4, dilation=4)),
    ((1, 19, 9, 12), 3, dict(padding=(1, 3), dilation=2)),  # kernel past the plane
    # other dilations: the run-time-dilation kernels (16-, 8- and 4-pixel chunks)
    ((2, 40, 19, 19), 7, dict(padding=6, dilation=2)),
    ((1, 33, 33, 33), 5, dict(padding=4, dilation=2)),
    ((1, 20, 14, 14), 3, dict(padding=3, dilation=3)),
    ((1, 24, 28, 28), 3, dict(stride=2, padding=2, dilation=2)),
    ((1, 17, 23, 80), 5, dict(stride=2, padding=(3, 6), dilation=(3, 3))),
    ((1, 9, 6, 5), 7, dict(padding=(9, 7), dilation=3)),  # kernel far past the plane
    # NHWC rows of 28 or more read in place (whole rows copied with their
    # padding): a partial last channel block, padding wider than the kernel
    ((2, 37, 9, 40), 3, dict(padding=(2, 5))),
    ((1, 21, 30, 61), 5, dict(stride=2, padding=(4, 3), dilation=(2, 2))),
])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_depthwise_channel_vectors_shapes(isa, rng, dtype, xs, k, kw, layout):
    """Layer-like shapes on the channel-vector path, equal across thread counts
    and layouts."""
    c = xs[1]
    x, w, b = random_array(rng, xs, dtype), random_array(rng, (c, 1, k, k), dtype), random_array(rng, (c,), dtype)
    if layout == "NHWC":
        x = x.transpose(0, 2, 3, 1)  # a view: the API makes it contiguous
    y1 = check(x, w, b, groups=c, num_threads=1, layout=layout, **kw)
    np.testing.assert_array_equal(fastconv.conv2d(x, w, b, groups=c, num_threads=2, layout=layout, **kw), y1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,kw", [
    ((1, 45, 14, 14), dict(padding=1)),             # several planes per kernel call, a partial run
    ((2, 67, 7, 9), dict(padding=(0, 2))),
    ((1, 70, 5, 1), dict(padding=1)),               # one-column planes
    ((3, 33, 9, 13), dict(stride=2, padding=1)),
    ((1, 40, 31, 6), dict(stride=(1, 2), padding=1, dilation=(2, 1))),
])
def test_depthwise_3x3_small_planes(isa, rng, dtype, xs, kw):
    """Many small channel planes: the in-place kernels take several per call; the
    planes' outputs follow each other, so partial vectors spill into the next one."""
    c = xs[1]
    x, w, b = random_array(rng, xs, dtype), random_array(rng, (c, 1, 3, 3), dtype), random_array(rng, (c,), dtype)
    y1 = check(x, w, b, groups=c, num_threads=1, **kw)
    np.testing.assert_array_equal(fastconv.conv2d(x, w, b, groups=c, num_threads=2, **kw), y1)


torch = None
try:  # optional: an independent implementation of the same semantics
    import torch
    import torch.nn.functional as F
except ImportError:
    pass


def torch_conv2d(x, w, b, stride, padding, dilation, groups, layout):
    dtype = np.result_type(*[a.dtype for a in (x, w, b) if a is not None])
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))  # noqa: E731
    xt = t(x)
    if layout == "NHWC":
        xt = xt.permute(0, 3, 1, 2) if xt.ndim == 4 else xt.permute(2, 0, 1)
    y = F.conv2d(xt, t(w), None if b is None else t(b), stride, padding, dilation, groups)
    if layout == "NHWC":
        y = y.permute(0, 2, 3, 1) if y.ndim == 4 else y.permute(1, 2, 0)
    return np.ascontiguousarray(y.numpy())


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=200)
@given(cfg=conv_configs())
def test_conv2d_matches_torch(cfg):
    x, w, b, kw = cfg
    y = fastconv.conv2d(x, w, b, **kw)
    yt = torch_conv2d(x, w, b, **kw)
    # both are within error_bound of the exact result, so of each other within twice that
    mag = magnitude(reference.conv2d, x, w, b, **kw)
    assert_within(y, yt, 2 * error_bound(mag, conv2d_k(w), y.dtype), context=f"vs torch {kw}")


# ---------------------------------------------------------------------------------------------
# edge cases, on every ISA
# ---------------------------------------------------------------------------------------------

EDGE_CASES = {
    # name: (x shape, w shape, kwargs)
    "1x1 image, 1x1 kernel": ((2, 3, 1, 1), (4, 3, 1, 1), {}),
    "1x1 image, padded 3x3": ((2, 3, 1, 1), (4, 3, 3, 3), dict(padding=1)),
    "1x1 image, depthwise padded": ((1, 5, 1, 1), (10, 1, 3, 3), dict(padding=1, groups=5)),
    "kernel == padded input": ((1, 2, 5, 4), (3, 2, 7, 6), dict(padding=1)),
    "kernel == input, valid": ((2, 3, 6, 9), (2, 3, 6, 9), {}),
    "dilated kernel == input": ((1, 2, 7, 7), (4, 2, 3, 3), dict(dilation=3)),
    "stride > kernel": ((1, 3, 17, 19), (5, 3, 2, 2), dict(stride=5)),
    # output rows read disjoint input rows (the panel holds kh rows per output row;
    # one thread: several output rows per work item)
    "1x1 stride 2": ((2, 40, 13, 11), (36, 40, 1, 1), dict(stride=2, num_threads=1)),
    "1x1 stride 3, padded": ((1, 24, 20, 9), (32, 24, 1, 1),
                             dict(stride=(3, 2), padding=1, num_threads=1)),
    # (one kernel row: all of an item's panel rows in one pass per channel,
    # zero rows for the padding above and below)
    "1x3 stride 2, padded rows": ((1, 6, 9, 10), (4, 6, 1, 3),
                                  dict(stride=2, padding=1, num_threads=1)),
    "1x1 stride 2, two threads": ((1, 64, 8, 8), (256, 64, 1, 1), dict(stride=2, num_threads=2)),
    "2x2 stride 3, grouped": ((1, 8, 25, 10), (12, 4, 2, 2),
                              dict(stride=3, padding=1, groups=2, num_threads=1)),
    "3x1 stride 4, depthwise": ((1, 6, 31, 8), (6, 1, 3, 1),
                                dict(stride=(4, 1), padding=(1, 0), groups=6, num_threads=1)),
    "stride > image": ((1, 2, 4, 4), (3, 2, 3, 3), dict(stride=(7, 9), padding=1)),
    # unpadded with wide strides: read in place, pixels stride_w apart
    "patchify 4x4 stride 4": ((2, 3, 18, 21), (40, 3, 4, 4), dict(stride=4)),
    "3x3 stride 3, grouped, dilated": ((1, 8, 23, 26), (36, 4, 3, 3),
                                       dict(stride=(3, 4), dilation=(2, 1), groups=2)),
    # 'same' with an even kernel: padded only on the right (pad_w, the left, is 0)
    "same, 1x2 on one row": ((1, 10, 1, 45), (8, 10, 1, 2), dict(padding="same")),
    "same, 2x2 stride-free, wide": ((1, 6, 5, 40), (8, 6, 2, 2), dict(padding="same")),
    "odd sizes": ((3, 5, 7, 13), (7, 5, 3, 5), dict(padding=(1, 2))),
    "1xk and kx1": ((2, 4, 9, 11), (6, 4, 1, 7), dict(padding=(0, 3))),
    "7x1": ((2, 4, 11, 9), (6, 4, 7, 1), dict(padding="same")),
    "same, even kernel, dilated": ((1, 3, 8, 9), (4, 3, 4, 2), dict(padding="same", dilation=(2, 3))),
    "asymmetric stride/dilation": ((1, 4, 15, 12), (8, 2, 3, 2), dict(stride=(2, 1), dilation=(1, 2), groups=2)),
    "many channels": ((1, 96, 6, 7), (96, 96, 3, 3), dict(padding=1)),
    "depthwise x3 wide": ((1, 16, 5, 67), (48, 1, 3, 3), dict(padding=1, groups=16)),
    "strided stem": ((1, 3, 23, 23), (16, 3, 7, 7), dict(stride=2, padding=3)),
    "wide row, 1 channel": ((1, 1, 2, 200), (1, 1, 1, 3), {}),
    # stride 2: one stride phase has a pixel past the last whole vector the two
    # phases share (8 and 16 shared pixels: AVX2 and AVX-512 lanes)
    "stride 2, odd phase longer (17)": ((1, 3, 3, 17), (4, 3, 3, 3), dict(stride=2)),
    "stride 2, odd phase longer (33), grouped": ((1, 4, 5, 33), (8, 2, 3, 3), dict(stride=2, groups=2)),
    # rows of one vector, or mostly padding: the oc-vector form where the pixel
    # form would tie on lanes (fc_conv2d_plan)
    "rows of 16, channels of 32": ((1, 32, 16, 16), (32, 32, 3, 3), dict(padding=1)),
    "7x7 on 8x8, padded": ((2, 16, 8, 8), (16, 16, 7, 7), dict(padding=3)),
}


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases(isa, rng, name, dtype, layout):
    xs, ws, kw = EDGE_CASES[name]
    if layout == "NHWC":
        xs = (xs[0], xs[2], xs[3], xs[1])
    x, w, b = random_array(rng, xs, dtype), random_array(rng, ws, dtype), random_array(rng, ws[:1], dtype)
    y = check(x, w, b, layout=layout, **kw)
    assert y.flags.c_contiguous and y.flags.writeable and y.dtype == dtype


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_empty_batch(isa, layout):
    x = np.ones((0, 5, 6, 3) if layout == "NHWC" else (0, 3, 5, 6), np.float32)
    w = np.ones((4, 3, 3, 3), np.float32)
    y = fastconv.conv2d(x, w, np.ones(4, np.float32), padding=(0, 1), layout=layout)
    assert y.shape == ((0, 3, 6, 4) if layout == "NHWC" else (0, 4, 3, 6)) and y.dtype == np.float32
    out = np.empty_like(y)
    assert fastconv.conv2d(x, w, padding=(0, 1), layout=layout, out=out) is out


@pytest.mark.parametrize("xdt,wdt,bdt,expected", [
    (np.float32, np.float32, None, np.float32),
    (np.float32, np.float32, np.float32, np.float32),
    (np.float32, np.float64, None, np.float64),
    (np.float64, np.float32, np.float32, np.float64),
    (np.float32, np.float32, np.float64, np.float64),
    (np.float64, np.float64, np.float64, np.float64),
])
def test_dtype_promotion(rng, xdt, wdt, bdt, expected):
    x = random_array(rng, (2, 3, 6, 6), xdt)
    w = random_array(rng, (4, 3, 3, 3), wdt)
    b = None if bdt is None else random_array(rng, (4,), bdt)
    assert check(x, w, b, padding=1).dtype == expected


def test_lists_are_accepted(rng):
    x = random_array(rng, (1, 2, 4, 5), np.float64)
    w = random_array(rng, (3, 2, 2, 2), np.float64)
    b = random_array(rng, (3,), np.float64)
    y = fastconv.conv2d(x.tolist(), w.tolist(), b.tolist(), stride=[1, 2], padding=[1, 0])
    np.testing.assert_array_equal(y, fastconv.conv2d(x, w, b, stride=(1, 2), padding=(1, 0)))
    assert y.dtype == np.float64
    check(x.tolist(), w.tolist(), b.tolist())


def test_unbatched_input(isa, rng):
    x = random_array(rng, (3, 7, 8))
    w = random_array(rng, (5, 3, 3, 3))
    y = check(x, w, padding=1)
    assert y.shape == (5, 7, 8)
    np.testing.assert_array_equal(y, fastconv.conv2d(x[None], w, padding=1)[0])
    yn = check(x.transpose(1, 2, 0), w, padding=1, layout="NHWC")
    np.testing.assert_array_equal(yn, y.transpose(1, 2, 0))
    out = np.empty((5, 7, 8), np.float32)
    assert fastconv.conv2d(x, w, padding=1, out=out) is out
    np.testing.assert_array_equal(out, y)


@pytest.mark.parametrize("xmem", LAYOUTS)
@pytest.mark.parametrize("wmem", ["C", "F", "reversed", "bigendian", "unaligned"])
def test_any_memory_layout_and_inputs_unchanged(isa, rng, xmem, wmem):
    for dtype in (np.float32, np.float64):
        x = random_array(rng, (2, 4, 9, 7), dtype, xmem)
        w = random_array(rng, (6, 2, 3, 2), dtype, wmem)
        b = random_array(rng, (6,), dtype, "unaligned" if wmem == "C" else wmem)
        copies = [a.copy() for a in (x, w, b)]
        flags = [(a.flags.c_contiguous, a.flags.f_contiguous, a.dtype.byteorder, a.strides) for a in (x, w, b)]
        y = check(x, w, b, padding=(2, 1), stride=(2, 1), groups=2)
        assert y.dtype == dtype and y.dtype.isnative
        # identical values to the contiguous computation, inputs untouched
        ref = fastconv.conv2d(*[np.ascontiguousarray(a, dtype) for a in copies],
                              padding=(2, 1), stride=(2, 1), groups=2)
        np.testing.assert_array_equal(y, ref)
        for a, c, f in zip((x, w, b), copies, flags):
            np.testing.assert_array_equal(a, c)
            assert (a.flags.c_contiguous, a.flags.f_contiguous, a.dtype.byteorder, a.strides) == f


def test_readonly_and_broadcast_inputs(rng):
    x = random_array(rng, (1, 3, 6, 6))
    x.flags.writeable = False
    w = np.broadcast_to(np.float32(0.5), (2, 3, 3, 3))  # zero strides
    check(x, w)


# ---------------------------------------------------------------------------------------------
# out=
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_is_filled_and_returned(isa, rng, dtype):
    x, w = random_array(rng, (2, 3, 8, 8), dtype), random_array(rng, (4, 3, 3, 3), dtype)
    expected = fastconv.conv2d(x, w, padding=1)
    out = np.full((2, 4, 8, 8), np.nan, dtype)
    assert fastconv.conv2d(x, w, padding=1, out=out) is out
    np.testing.assert_array_equal(out, expected)
    # a C-contiguous view into a larger buffer is a valid out
    big = np.full((3, 2, 4, 8, 8), np.nan, dtype)
    assert fastconv.conv2d(x, w, padding=1, out=big[1]) is not None
    np.testing.assert_array_equal(big[1], expected)
    assert np.isnan(big[0]).all() and np.isnan(big[2]).all()


def test_out_overlapping_input(isa, rng):
    # 1x1 conv with C == O: out may be the input itself
    x = random_array(rng, (2, 6, 5, 5))
    w = random_array(rng, (6, 6, 1, 1))
    expected = fastconv.conv2d(x.copy(), w)
    res = fastconv.conv2d(x, w, out=x)
    assert res is x
    np.testing.assert_array_equal(x, expected)
    # out overlapping the weight
    buf = random_array(rng, (4, 1, 3, 3))
    w2 = buf
    x2 = random_array(rng, (1, 1, 5, 5))
    expected = fastconv.conv2d(x2, w2.copy())
    out = buf.reshape(-1)[:36].reshape(1, 4, 3, 3)
    assert fastconv.conv2d(x2, w2, out=out) is out
    np.testing.assert_array_equal(out, expected)


# ---------------------------------------------------------------------------------------------
# NaN and Inf propagate exactly as the oracle says
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,xs,ws,kw", [
    ("dense", (1, 3, 8, 9), (5, 3, 3, 3), dict(padding=1)),
    # the non-finite weights land in the vectorised part of the weight packing
    ("dense wide", (1, 16, 8, 9), (32, 16, 3, 3), dict(padding=1)),
    ("depthwise", (1, 4, 8, 9), (8, 1, 3, 3), dict(padding=1, groups=4)),
    # output rows in pairs sharing their input rows: the pair's first and last
    # rows feed one output row only (an Inf there must not reach the other)
    ("depthwise 4x4 row pairs", (1, 4, 8, 9), (4, 1, 4, 4), dict(padding=1, groups=4)),
    ("depthwise 7x7 narrow", (1, 3, 8, 9), (3, 1, 7, 7), dict(padding=(1, 0), groups=3)),
    ("strided", (1, 3, 9, 9), (4, 3, 3, 3), dict(stride=2)),
    ("NHWC grouped", (1, 8, 9, 4), (6, 2, 3, 3), dict(padding=1, groups=2, layout="NHWC")),
])
def test_nan_inf_propagate_as_oracle(isa, rng, dtype, name, xs, ws, kw):
    x, w, b = random_array(rng, xs, dtype), random_array(rng, ws, dtype), random_array(rng, ws[:1], dtype)
    for idx, val in (((0, 1, 2, 3), np.nan), ((0, 2, 5, 0), np.inf), ((0, 0, 7, 8), -np.inf)):
        x[tuple(i % n for i, n in zip(idx, xs))] = val
    check(x, w, b, **kw)
    # a non-finite weight meets padding zeros: 0 * inf is NaN in the oracle too
    w2 = w.copy()
    w2[0, 0, 0, 0] = np.inf
    check(random_array(rng, xs, dtype), w2, b, **kw)
    w2[-1, 0, 2, 2] = np.nan
    check(random_array(rng, xs, dtype), w2, b, **kw)
    b2 = b.copy()
    b2[1] = -np.inf
    check(random_array(rng, xs, dtype), w, b2, **kw)


# ---------------------------------------------------------------------------------------------
# errors: raised before any C code runs, naming the argument
# ---------------------------------------------------------------------------------------------

X = np.zeros((2, 4, 8, 8), np.float32)
W = np.zeros((6, 4, 3, 3), np.float32)


def call(x=X, w=W, b=None, **kw):
    return fastconv.conv2d(x, w, b, **kw)


ERRORS = [
    # (description, callable, exception, regex)
    ("input 2-D", lambda: call(x=X[0, 0]), ValueError, r"input must be 4-D .*got shape \(8, 8\)"),
    ("input 5-D", lambda: call(x=X[None]), ValueError, r"input must be 4-D"),
    ("weight 3-D", lambda: call(w=W[0]), ValueError, r"weight must be 4-D .*\(4, 3, 3\)"),
    ("channel mismatch", lambda: call(w=W[:, :3]), ValueError,
     r"channel mismatch: input has 4 channels.*\(6, 3, 3, 3\)"),
    ("groups not dividing in", lambda: call(w=W[:, :1], groups=3), ValueError,
     r"groups=3 must divide both in_channels=4 and out_channels=6"),
    ("groups not dividing out", lambda: call(w=W[:5, :1], groups=4), ValueError,
     r"groups=4 must divide .*out_channels=5"),
    ("groups zero", lambda: call(groups=0), ValueError, r"groups must be positive"),
    ("groups negative", lambda: call(groups=-2), ValueError, r"groups must be positive"),
    ("groups float", lambda: call(groups=2.0), TypeError, r"groups must be an int"),
    ("groups bool", lambda: call(groups=True), TypeError, r"groups must be an int"),
    ("stride zero", lambda: call(stride=0), ValueError, r"stride must be positive"),
    ("stride negative pair", lambda: call(stride=(1, -1)), ValueError, r"stride must be positive"),
    ("stride triple", lambda: call(stride=(1, 1, 1)), ValueError, r"stride must be an int or a pair"),
    ("stride float", lambda: call(stride=1.5), TypeError, r"stride must be an int or a pair"),
    ("stride str", lambda: call(stride="2"), TypeError, r"stride must be an int or a pair"),
    ("dilation zero", lambda: call(dilation=0), ValueError, r"dilation must be positive"),
    ("dilation negative", lambda: call(dilation=(2, -3)), ValueError, r"dilation must be positive"),
    ("padding negative", lambda: call(padding=-1), ValueError, r"padding must be non-negative"),
    ("padding negative pair", lambda: call(padding=(0, -2)), ValueError, r"padding must be non-negative"),
    ("padding unknown string", lambda: call(padding="full"), ValueError,
     r"padding must be an int, a pair of ints, 'valid' or 'same', got 'full'"),
    ("padding same strided", lambda: call(padding="same", stride=2), ValueError,
     r"padding='same' requires stride 1"),
    ("padding float", lambda: call(padding=0.5), TypeError, r"padding must be an int"),
    ("kernel larger than padded input", lambda: call(w=np.zeros((6, 4, 11, 3), np.float32), padding=1),
     ValueError, r"kernel height 11 .*larger than the padded input height 10 .*\(2, 4, 8, 8\)"),
    ("dilated kernel larger", lambda: call(dilation=(1, 5)), ValueError,
     r"kernel width 3 \(dilation 5, effective 11\) is larger than the padded input width 8"),
    ("empty spatial", lambda: call(x=np.zeros((2, 4, 0, 8), np.float32)), ValueError,
     r"input must have non-empty spatial dimensions, got shape \(2, 4, 0, 8\)"),
    ("empty weight", lambda: call(x=np.zeros((2, 0, 8, 8), np.float32), w=np.zeros((6, 0, 3, 3), np.float32)),
     ValueError, r"weight must have no zero-sized dimension"),
    ("bias length", lambda: call(b=np.zeros(5, np.float32)), ValueError,
     r"bias must have shape \(6,\) .*got \(5,\)"),
    ("bias 2-D", lambda: call(b=np.zeros((6, 1), np.float32)), ValueError, r"bias must have shape \(6,\)"),
    ("layout", lambda: call(layout="NCWH"), ValueError, r"layout must be 'NCHW' or 'NHWC'"),
    ("ragged list", lambda: call(x=[[1.0, 2.0], [1.0]]), TypeError, r"input must be an array"),
    ("out shape", lambda: call(out=np.zeros((2, 6, 8, 8), np.float32)), ValueError,
     r"out has shape \(2, 6, 8, 8\), expected \(2, 6, 6, 6\)"),
    ("out dtype", lambda: call(out=np.zeros((2, 6, 6, 6))), ValueError,
     r"out has dtype float64, expected float32"),
    ("out read-only", lambda: call(out=np.broadcast_to(np.float32(0), (2, 6, 6, 6))), ValueError,
     r"out is read-only"),
    ("out Fortran", lambda: call(out=np.zeros((2, 6, 6, 6), np.float32, order="F")), ValueError,
     r"out must be C-contiguous"),
    ("out strided", lambda: call(out=np.zeros((2, 6, 6, 12), np.float32)[..., ::2]), ValueError,
     r"out must be C-contiguous"),
    ("out big-endian", lambda: call(out=np.zeros((2, 6, 6, 6), ">f4" if np.little_endian else "<f4")),
     ValueError, r"out has dtype"),
    ("out list", lambda: call(out=[0.0]), TypeError, r"out must be a numpy.ndarray"),
    ("out unbatched shape", lambda: call(x=X[0], out=np.zeros((1, 6, 6, 6), np.float32)), ValueError,
     r"out has shape \(1, 6, 6, 6\), expected \(6, 6, 6\)"),
    ("num_threads zero", lambda: call(num_threads=0), ValueError, r"num_threads must be None or a positive int"),
    ("num_threads negative", lambda: call(num_threads=-3), ValueError, r"num_threads must be None or a positive"),
    ("num_threads float", lambda: call(num_threads=2.0), TypeError, r"num_threads must be None or a positive"),
    ("num_threads bool", lambda: call(num_threads=True), TypeError, r"num_threads must be None or a positive"),
    # sizes that overflow 64-bit indexing or cannot be allocated
    ("stride huge", lambda: call(stride=2**62), ValueError, r"stride is too large"),
    ("dilation huge", lambda: call(dilation=(2**60, 1)), ValueError, r"dilation is too large"),
    ("padding huge", lambda: call(padding=(2**57, 0)), ValueError, r"padding \(.*\) is too large: padded input height"),
    ("output overflows", lambda: call(padding=2**40), ValueError, r"output of shape .* is too large"),
    ("output cannot be allocated", lambda: call(w=W[:1], padding=2**23), MemoryError, r"allocate"),
]


@pytest.mark.parametrize("desc,fn,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(desc, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


BAD_DTYPES = ["int8", "int32", "int64", "uint8", "float16", "complex64", "complex128", "bool", "object", "U3"]
if np.dtype(np.longdouble).itemsize > 8:
    BAD_DTYPES.append("longdouble")


@pytest.mark.parametrize("dtype", BAD_DTYPES)
@pytest.mark.parametrize("arg", ["input", "weight", "bias"])
def test_unsupported_dtypes(arg, dtype):
    args = {"input": X, "weight": W, "bias": np.zeros(6, np.float32)}
    args[arg] = args[arg].astype(dtype)
    with pytest.raises(TypeError, match=rf"{arg} must have dtype float32 or float64, got {np.dtype(dtype)}"):
        fastconv.conv2d(args["input"], args["weight"], args["bias"])


def test_int_lists_are_rejected_like_int_arrays():
    with pytest.raises(TypeError, match=r"input must have dtype float32 or float64, got int"):
        fastconv.conv2d([[[[1, 2], [3, 4]]]], [[[[1.0]]]])


# ---------------------------------------------------------------------------------------------
# threads
# ---------------------------------------------------------------------------------------------

THREAD_CASES = [
    ((1, 16, 20, 20), (32, 16, 3, 3), dict(padding=1)),           # N=1: parallel over rows/blocks
    ((1, 24, 17, 19), (24, 1, 3, 3), dict(padding=1, groups=24)),  # depthwise
    ((3, 8, 9, 9), (12, 2, 3, 3), dict(groups=4, stride=2, layout="NHWC")),
    # 1x1 GEMM: its pixel blocks depend on the thread count (a partial last
    # vector at the end of the image); with a bias
    ((1, 40, 37, 41), (24, 40, 1, 1), dict()),
    ((2, 16, 19, 23), (8, 4, 3, 3), dict(padding=1, groups=4)),   # pixel-vector form
    ((1, 12, 23, 45), (24, 1, 3, 3), dict(padding=1, stride=2, groups=12)),  # depthwise s2
    # weights outweigh the input: the threads split the output channels and
    # build the few panels together (shared), the blocks narrow on 8 threads
    ((1, 96, 6, 7), (160, 96, 3, 3), dict(padding=1)),
    ((1, 64, 14, 13), (96, 64, 1, 1), dict(stride=2)),
    ((2, 48, 9, 8), (64, 24, 3, 3), dict(padding=(2, 1), stride=2, groups=2, layout="NHWC")),
    # unpadded NHWC read in place: the blocks narrow on many threads, so whole
    # blocks (straight into y) and partial ones (through a tile) trade places
    ((1, 96, 6, 7), (150, 96, 3, 3), dict(layout="NHWC")),
    ((2, 40, 9, 11), (37, 40, 1, 1), dict(stride=2, layout="NHWC")),
    # a 1x1 layer read in place as one row of 17x17 pixels, its tiles split
    # between the threads (one image, one channel block)
    ((1, 48, 17, 17), (16, 48, 1, 1), dict()),
    ((1, 300, 1, 40), (48, 100, 1, 3), dict(groups=3, dilation=2)),
    # NHWC groups on images of over 1 MB: items of a row block of every group,
    # the groups' panels built row by row (float32; float64 in the next one)
    ((1, 64, 64, 70), (64, 4, 3, 3), dict(padding=1, groups=16, layout="NHWC")),
    ((1, 96, 48, 60), (48, 8, 3, 3), dict(stride=2, padding=(1, 2), dilation=(2, 1), groups=12,
                                          layout="NHWC")),
]


@pytest.mark.parametrize("xs,ws,kw", THREAD_CASES)
def test_results_identical_across_thread_counts(isa, rng, xs, ws, kw):
    x, w, b = random_array(rng, xs), random_array(rng, ws), random_array(rng, ws[:1])
    if xs == (1, 96, 48, 60):  # the float64 case (an image of 2.2 MB)
        x, w, b = x.astype(np.float64), w.astype(np.float64), b.astype(np.float64)
    if kw.get("layout") == "NHWC":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    y1 = fastconv.conv2d(x, w, b, **kw, num_threads=1)
    for nt in (2, 3, 8, 16):  # more threads than cores is fine
        np.testing.assert_array_equal(fastconv.conv2d(x, w, b, **kw, num_threads=nt), y1)
    check(x, w, b, **kw)


def test_release_memory_keeps_results(rng):
    """The scratch kept between calls can be given back at any time; the next call
    allocates afresh and gives the same result."""
    x, w = random_array(rng, (1, 16, 20, 20)), random_array(rng, (32, 16, 3, 3))
    y1 = fastconv.conv2d(x, w, padding=1)
    assert fastconv.release_memory() is True
    np.testing.assert_array_equal(fastconv.conv2d(x, w, padding=1), y1)


def test_threadpoolctl_limits_openmp(rng):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x, w = random_array(rng, (1, 8, 16, 16)), random_array(rng, (16, 8, 3, 3))
    y = fastconv.conv2d(x, w, padding=1, num_threads=1)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert max_threads() == 1
        np.testing.assert_array_equal(fastconv.conv2d(x, w, padding=1), y)
    np.testing.assert_array_equal(fastconv.conv2d(x, w, padding=1), y)


def test_concurrent_calls_from_python_threads(rng):
    cases = [(random_array(rng, (2, 6, 12, 12), dt), random_array(rng, (8, 3, 3, 3), dt))
             for dt in (np.float32, np.float64, np.float32, np.float64)]
    expected = [fastconv.conv2d(x, w, padding=1, groups=2, num_threads=1) for x, w in cases]
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(5):
                x, w = cases[i]
                results[i] = fastconv.conv2d(x, w, padding=1, groups=2, num_threads=2)
                np.testing.assert_array_equal(results[i], expected[i])
        except Exception as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == len(cases)


def test_gil_is_released_during_the_kernel(rng):
    # With a huge switch interval a thread holding the GIL keeps it until it blocks; the main
    # thread can only observe "kernel still running" if conv2d released the GIL.
    x, w = random_array(rng, (1, 32, 32, 32)), random_array(rng, (32, 32, 3, 3))
    started, state = threading.Event(), {"done": False, "seen": False}

    def work():
        started.set()
        # keep calling until the main thread has looked (or give up after ~1-2 s of kernels)
        for _ in range(2000):
            fastconv.conv2d(x, w, padding=1, num_threads=1)
            if state["seen"]:
                break
        state["done"] = True

    old = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        t = threading.Thread(target=work)
        t.start()
        started.wait()
        seen_running = not state["done"]
        state["seen"] = True
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert seen_running


# ---------------------------------------------------------------------------------------------
# scratch sizing at absurd (but valid) strides and paddings, run in a subprocess so that a
# crash fails the test, not the suite
# ---------------------------------------------------------------------------------------------

def run_isolated(code):
    """Run code in a fresh interpreter that imports this same fastconv."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(fastconv.__file__))] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_huge_stride_and_padding_do_not_crash():
    # valid for the Python checks (padded width 2**57 + 1 <= 2**58, output (1, 1, 1, 3)); a
    # panel spanning stride * width would overflow int64.  Expected: the right answer (the
    # panel keeps only the columns read), or at worst a clean MemoryError/ValueError.
    r = run_isolated(
        "import numpy as np, fastconv\n"
        "x = np.ones((1, 256, 1, 1), np.float32)\n"
        "try:\n"
        "    y = fastconv.conv2d(x, x, stride=(1, 2**56), padding=(0, 2**56))\n"
        "    assert y.ravel().tolist() == [0.0, 256.0, 0.0], y\n"
        "except (MemoryError, ValueError) as e:\n"
        "    print('clean', type(e).__name__)\n")
    assert r.returncode == 0, f"exit status {r.returncode}: {r.stderr[-500:]}"


def test_scratch_memory_does_not_scale_with_padding():
    # a (1, 1, 1, 3) result from a 1x1 image, stride 10**7 and padding 10**7: only 3 input
    # columns are ever read, so scratch must stay small
    r = run_isolated(
        "import resource, numpy as np, fastconv\n"
        "x = np.ones((1, 1, 1, 1), np.float32)\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "y = fastconv.conv2d(x, x, stride=(1, 10**7), padding=(0, 10**7), num_threads=1)\n"
        "assert y.ravel().tolist() == [0.0, 1.0, 0.0]\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n")
    assert r.returncode == 0, r.stderr[-500:]
    assert int(r.stdout.split()[-1]) < 64, f"{r.stdout.split()[-1]} MB of scratch for a 3-element result"


# ---- the plain-call path (_conv2d_plain) against the full path -------------------

def _outcome(f, *args):
    """(result array, None) or (None, (exception type, message))."""
    try:
        return f(*args), None
    except Exception as exc:  # noqa: BLE001 - the comparison is the point
        return None, (type(exc), str(exc))


_ODD_VALUES = {
    "groups": [-1, 0, True, (1, 1), np.int64(1), 2.0, 7],
    "stride": [-1, 0, True, (1, 1), np.int64(1), 2.0, "same"],
    "padding": [-1, True, (1, 1), np.int64(1), 2.0, "same", "valid", 10**20],
    "dilation": [-1, 0, True, (1, 2), 2.0, 50],
    "layout": ["NHWC", "nchw", None],
    "num_threads": [0, -1, True, 2.0, 10**6, np.int64(2)],
}


@settings(max_examples=400)
@given(n=st.integers(0, 2), g=st.integers(1, 3), cg=st.integers(1, 3), og=st.integers(1, 3),
       dh=st.integers(0, 5), dw=st.integers(0, 5), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.integers(0, 2), dilation=st.integers(1, 2),
       num_threads=st.sampled_from([None, 1, 3]), odd=st.sampled_from(
           [None] * 8 + list(_ODD_VALUES) + ["dtypes", "reversed", "strided", "3d", "5d", "list",
                                             "bias", "short bias", "list bias", "float64"]),
       odd_index=st.integers(0, 7))
def test_plain_call_path_matches_the_checked_path(n, g, cg, og, dh, dw, kh, kw, stride, padding,
                                                 dilation, num_threads, odd, odd_index):
    """Whatever the arguments, plain or not, valid or not, conv2d (which takes
    _conv2d_plain's shortcut where it applies) returns exactly what the fully
    checked path returns, or raises the same error; with `out` the shortcut
    never applies.  Each example is a valid plain call with at most one thing
    made odd."""
    from fastconv._conv import _conv2d_checked, _conv2d_plain

    c, o, groups, layout = g * cg, g * og, g, "NCHW"
    h = max(1, (kh - 1) * dilation + 1 - 2 * padding + dh)
    w = max(1, (kw - 1) * dilation + 1 - 2 * padding + dw)
    rng = np.random.default_rng(n * 1000 + c * 100 + h * 10 + w)
    xdt = wdt = "f8" if odd == "float64" else "f4"
    if odd == "dtypes":
        xdt, wdt = [("f4", "f8"), (">f4", ">f4"), ("f8", "f4"), ("f4", ">f4")][odd_index % 4]
    x = rng.standard_normal((n, c, h, w)).astype(xdt)
    wt = rng.standard_normal((o, cg, kh, kw)).astype(wdt)
    b = rng.standard_normal(o).astype(wdt) if odd_index % 2 else None
    if odd == "reversed":
        wt = wt[..., ::-1]
    elif odd == "strided":
        x = np.repeat(x, 2, axis=3)[..., ::2]
    elif odd == "3d":
        x = x[0] if n else np.zeros((c, h, w), xdt)
    elif odd == "5d":
        x = x[None]
    elif odd == "list":
        x = x.tolist()
    elif odd == "bias":
        b = rng.standard_normal(o).astype(">f4")
    elif odd == "short bias":
        b = np.zeros(o - 1, wdt)
    elif odd == "list bias":
        b = [0.5] * o
    elif odd in _ODD_VALUES:
        v = _ODD_VALUES[odd][odd_index % len(_ODD_VALUES[odd])]
        groups, stride, padding, dilation, layout, num_threads = [
            v if k == odd else cur for k, cur in
            zip(("groups", "stride", "padding", "dilation", "layout", "num_threads"),
                (groups, stride, padding, dilation, layout, num_threads))]
    args = (x, wt, b, stride, padding, dilation, groups, layout, None, num_threads)
    got, err = _outcome(lambda *a: fastconv.conv2d(*a[:7], layout=a[7], num_threads=a[9]), *args)
    want, want_err = _outcome(_conv2d_checked, *args)
    assert err == want_err
    if want is not None:
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert _conv2d_plain(*args[:8], np.empty_like(want), num_threads) is None
    if odd is None and n > 0:  # a plain call takes the shortcut
        assert _conv2d_plain(*args) is not None


def test_plain_call_path_is_taken_for_a_plain_call(rng):
    """A plain float32 or float64 NCHW call (bias or none) goes through the shortcut."""
    from fastconv._conv import _conv2d_plain

    for dt in (np.float32, np.float64):
        x = rng.standard_normal((2, 4, 7, 6)).astype(dt)
        w = rng.standard_normal((6, 2, 3, 3)).astype(dt)
        for b in (None, rng.standard_normal(6).astype(dt)):
            y = _conv2d_plain(x, w, b, 2, 1, 1, 2, "NCHW", None, None)
            assert y is not None and y.dtype == dt and y.shape == (2, 6, 4, 3)
            assert_matches_oracle(y, reference.conv2d, x, w, b, stride=2, padding=1, groups=2,
                                  k=conv2d_k(w, 2))
