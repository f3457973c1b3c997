"""fastconv.deform_conv2d against the NumPy oracle (and torchvision when present)."""
import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import reference

ISAS = fastconv.available_isas()
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@contextlib.contextmanager
def use_isa(name):
    prev = fastconv.set_isa(name)
    try:
        yield
    finally:
        fastconv.set_isa(prev)


def out_hw(h, w, kh, kw, s, p, d):
    return (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1, (w + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1


def make(rng, n, c, h, w, o, kh, kw, groups=1, offset_groups=1, stride=(1, 1), padding=(0, 0),
         dilation=(1, 1), with_mask=False, dtype=np.float64, offset_scale=1.0):
    ho, wo = out_hw(h, w, kh, kw, stride, padding, dilation)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c // groups, kh, kw)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    off = (rng.standard_normal((n, 2 * offset_groups * kh * kw, ho, wo)) * offset_scale).astype(dtype)
    m = rng.random((n, offset_groups * kh * kw, ho, wo)).astype(dtype) if with_mask else None
    return x, off, wt, b, m


# ---- the oracle itself, on cases computed by hand ---------------------------------

def test_oracle_bilinear_by_hand():
    x = np.arange(12, dtype=np.float64).reshape(1, 1, 3, 4)  # x[r, c] = 4r + c
    w = np.ones((1, 1, 1, 1))
    off = np.zeros((1, 2, 3, 4))
    # output (0, 0) samples at (0.5, 0.25): 4*0.5 + 0.25 (the image is linear)
    off[0, :, 0, 0] = (0.5, 0.25)
    # output (1, 1) samples at (1 - 1.5, 1 + 0) = (-0.5, 1): only the row-0 corners, weight 0.5
    off[0, :, 1, 1] = (-1.5, 0.0)
    # output (2, 3) samples at (2, 3 + 0.5) = (2, 3.5): x[2, 3] * 0.5, the right corner is outside
    off[0, :, 2, 3] = (0.0, 0.5)
    # output (0, 2) samples at (-1, 2): exactly on the cut-off line, so 0
    off[0, :, 0, 2] = (-1.0, 0.0)
    # output (2, 0) samples at (2 + 1.0, 0): y == H, so 0
    off[0, :, 2, 0] = (1.0, 0.0)
    y = reference.deform_conv2d(x, off, w)[0, 0]
    expect = x[0, 0].copy()
    expect[0, 0] = 4 * 0.5 + 0.25
    expect[1, 1] = 0.5 * x[0, 0, 0, 1]
    expect[2, 3] = 0.5 * x[0, 0, 2, 3]
    expect[0, 2] = 0.0
    expect[2, 0] = 0.0
    np.testing.assert_allclose(y, expect, rtol=0, atol=1e-15)


def test_oracle_layout_groups_and_mask_by_hand():
    # 2 channels, 2 offset groups, 1x2 kernel: channel c uses offset group c
    x = np.zeros((1, 2, 1, 3))
    x[0, 0] = [1.0, 2.0, 3.0]
    x[0, 1] = [10.0, 20.0, 30.0]
    w = np.zeros((1, 2, 1, 2))
    w[0, 0, 0, 1] = 1.0   # channel 0, tap 1 only
    w[0, 1, 0, 0] = 100.0  # channel 1, tap 0 only
    off = np.zeros((1, 2 * 2 * 2, 1, 2))  # (group, tap, dy/dx)
    off[0, 0 * 4 + 1 * 2 + 1, 0, 0] = 0.5   # group 0, tap 1, dx = +0.5
    off[0, 1 * 4 + 0 * 2 + 1, 0, 0] = 1.0   # group 1, tap 0, dx = +1
    mask = np.ones((1, 2 * 2, 1, 2))
    mask[0, 1 * 2 + 0, 0, 1] = 0.25           # group 1, tap 0, output column 1
    y = reference.deform_conv2d(x, off, w, mask=mask)[0, 0, 0]
    # column 0: ch0 at x = 1.5 -> 2.5; ch1 at x = 0 + 1 -> 20 * 100
    # column 1: ch0 at x = 2 -> 3; ch1 at x = 1, mask 0.25 -> 20 * 0.25 * 100
    np.testing.assert_allclose(y, [2.5 + 2000.0, 3.0 + 500.0], rtol=0, atol=1e-12)


def test_oracle_zero_offsets_is_conv2d():
    rng = np.random.default_rng(1)
    x, off, w, b, _ = make(rng, 2, 6, 7, 8, 4, 3, 2, groups=2, offset_groups=3, stride=(2, 1),
                           padding=(1, 2), dilation=(1, 2))
    off[...] = 0
    np.testing.assert_allclose(
        reference.deform_conv2d(x, off, w, b, (2, 1), (1, 2), (1, 2)),
        reference.conv2d(x, w, b, (2, 1), (1, 2), (1, 2), groups=2), rtol=1e-12, atol=1e-12)


def test_oracle_non_finite_offsets_sample_zero():
    x = np.ones((1, 1, 3, 3))
    w = np.ones((1, 1, 1, 1))
    off = np.zeros((1, 2, 3, 3))
    off[0, 0, 0, 0] = np.nan
    off[0, 1, 1, 1] = np.inf
    off[0, 0, 2, 2] = -1e30
    y = reference.deform_conv2d(x, off, w)[0, 0]
    np.testing.assert_array_equal(y, [[0, 1, 1], [1, 0, 1], [1, 1, 0]])


# ---- fastconv against the oracle -------------------------------------------------

@st.composite
def configs(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    offset_groups = draw(st.sampled_from([1, 1, 2, 3]))
    c = groups * offset_groups * draw(st.integers(1, 3))
    if draw(st.booleans()):
        c *= draw(st.sampled_from([1, 8]))
    o = groups * draw(st.integers(1, 5 if c < 8 else 20))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 11))
    return dict(n=draw(st.integers(1, 2)), c=c, h=h, w=w, o=o, kh=kh, kw=kw, groups=groups,
                offset_groups=offset_groups, stride=stride, padding=padding, dilation=dilation,
                with_mask=draw(st.booleans()),
                offsets=draw(st.sampled_from(["small", "integer", "far", "mixed"])),
                dtype=draw(st.sampled_from([np.float32, np.float64])), seed=draw(st.integers(0, 2**16)))


def draw_offsets(rng, off, kind, h, w):
    if kind == "small":
        return off * 0.7
    if kind == "integer":
        return np.round(off * 2)
    if kind == "far":
        return off * 3 * max(h, w)
    # a mix of everything, including exact cut-off lines and exact corners
    out = off * 2
    pick = rng.random(off.shape)
    out[pick < 0.2] = np.round(out[pick < 0.2])
    out[(pick >= 0.2) & (pick < 0.3)] *= 10 * max(h, w)
    out[(pick >= 0.3) & (pick < 0.35)] = -1.0
    return out.astype(off.dtype)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs())
def test_matches_oracle_every_isa(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x, off, w, b, m = make(rng, cfg["n"], cfg["c"], cfg["h"], cfg["w"], cfg["o"], cfg["kh"], cfg["kw"],
                           cfg["groups"], cfg["offset_groups"], cfg["stride"], cfg["padding"],
                           cfg["dilation"], cfg["with_mask"], cfg["dtype"])
    off = draw_offsets(rng, off, cfg["offsets"], cfg["h"], cfg["w"])
    args = (cfg["stride"], cfg["padding"], cfg["dilation"])
    ref = reference.deform_conv2d(x, off, w, b, *args, mask=m)
    tol = TOL[cfg["dtype"]]
    scale = 1 + np.abs(ref).max()
    for name in ISAS:
        with use_isa(name):
            got = fastconv.deform_conv2d(x, off, w, b, *args, mask=m)
        assert got.dtype == cfg["dtype"] and got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=tol["rtol"], atol=tol["atol"] * scale, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ISAS)
def test_realistic_shape(dtype, name):
    # enough channels and pixels for full vectors, several chunks and both tile kinds
    rng = np.random.default_rng(7)
    x, off, w, b, m = make(rng, 2, 40, 13, 17, 36, 3, 3, offset_groups=4, padding=(1, 1),
                           with_mask=True, dtype=dtype, offset_scale=2.0)
    ref = reference.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m)
    with use_isa(name):
        got = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m, num_threads=2)
    np.testing.assert_allclose(got, ref, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups,offset_groups,multiplier", [(24, 1, 1), (24, 24, 2), (12, 3, 1), (6, 2, 3)])
def test_depthwise_and_small_groups(dtype, groups, offset_groups, multiplier):
    # few channels per group: the pixel-vector form from NCHW planes
    rng = np.random.default_rng(groups + offset_groups)
    x, off, w, b, m = make(rng, 2, 24, 11, 37, groups * multiplier, 3, 3, groups=groups,
                           offset_groups=offset_groups, padding=(1, 1), with_mask=True, dtype=dtype,
                           offset_scale=2.0)
    ref = reference.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m)
    for name in ISAS:
        with use_isa(name):
            got = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m, num_threads=2)
        np.testing.assert_allclose(got, ref, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * 10,
                                   err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups,offset_groups", [(1, 1), (2, 1), (1, 4), (4, 2), (8, 8), (16, 1)])
def test_zero_offsets_equal_conv2d(dtype, groups, offset_groups):
    rng = np.random.default_rng(groups * 10 + offset_groups)
    x, off, w, b, _ = make(rng, 2, 16, 9, 12, 4 * groups, 3, 3, groups=groups,
                           offset_groups=offset_groups, stride=(1, 2), padding=(1, 1), dtype=dtype)
    off[...] = 0
    got = fastconv.deform_conv2d(x, off, w, b, (1, 2), 1, 1)
    want = fastconv.conv2d(x, w, b, (1, 2), 1, 1, groups=groups)
    np.testing.assert_allclose(got, want, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * 10)
    # a mask of ones is the same as no mask
    ones = np.ones((2, offset_groups * 9) + got.shape[2:], dtype=dtype)
    np.testing.assert_array_equal(fastconv.deform_conv2d(x, off, w, b, (1, 2), 1, 1, mask=ones), got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e30, -1e30, 3e9])
def test_non_finite_and_huge_offsets(dtype, bad):
    rng = np.random.default_rng(3)
    x, off, w, b, m = make(rng, 1, 8, 9, 10, 6, 3, 3, offset_groups=2, padding=(1, 1), with_mask=True,
                           dtype=dtype, offset_scale=1.5)
    poisoned = off.copy()
    hit = np.zeros(off.shape, dtype=bool)
    hit[0, 3, 2, 4] = hit[0, 8, 0, 0] = hit[0, 17, 8, 9] = hit[0, 30, 5, 5] = True
    poisoned[hit] = bad
    # the oracle's rule (a bad coordinate samples 0) and the far-outside equivalent
    far = off.copy()
    far[hit] = 1e6
    for name in ISAS:
        with use_isa(name):
            got = fastconv.deform_conv2d(x, poisoned, w, b, 1, 1, 1, mask=m)
            clean = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m)
        assert np.isfinite(got).all()
        ref = reference.deform_conv2d(x, far, w, b, 1, 1, 1, mask=m)
        np.testing.assert_allclose(got, ref, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * 10)
        np.testing.assert_allclose(got, reference.deform_conv2d(x, poisoned, w, b, 1, 1, 1, mask=m),
                                   rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * 10)
        # pixels whose samples are all fine are untouched by the bad ones
        touched = hit.any(axis=1)[:, None].repeat(6, axis=1)
        np.testing.assert_array_equal(got[~touched], clean[~touched])


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(5)
    x, off, w, b, m = make(rng, 2, 24, 15, 19, 40, 3, 3, groups=2, offset_groups=3, padding=(1, 1),
                           with_mask=True, dtype=np.float32, offset_scale=2.0)
    base = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m, num_threads=1)
    for nt in (2, 3, 7):
        np.testing.assert_array_equal(fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m, num_threads=nt),
                                      base)
    # and for the pixel-vector form (depthwise)
    wd = rng.standard_normal((24, 1, 3, 3)).astype(np.float32)
    base = fastconv.deform_conv2d(x, off, wd, None, 1, 1, 1, mask=m, num_threads=1)
    for nt in (2, 5):
        np.testing.assert_array_equal(fastconv.deform_conv2d(x, off, wd, None, 1, 1, 1, mask=m, num_threads=nt),
                                      base)


def test_out_argument_and_layouts():
    rng = np.random.default_rng(6)
    x, off, w, b, m = make(rng, 2, 6, 7, 8, 4, 3, 3, offset_groups=3, padding=(1, 1), with_mask=True)
    ref = reference.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m)
    out = np.empty_like(ref)
    res = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m, out=out)
    assert res is out
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    # non-contiguous, byte-swapped and mixed-dtype inputs are accepted and left alone
    xs = np.asfortranarray(x).astype(x.dtype.newbyteorder())
    off_view = np.concatenate([off, off], axis=3)[..., ::2]
    off_view[...] = off
    got = fastconv.deform_conv2d(xs, off_view, w.astype(np.float32), b, 1, 1, 1, mask=m.astype(np.float32))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, reference.deform_conv2d(x, off, w.astype(np.float32), b, 1, 1, 1,
                                                            mask=m.astype(np.float32)), rtol=1e-12, atol=1e-12)
    # out overlapping an input: computed into a temporary, then copied
    y = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m)
    again = fastconv.deform_conv2d(x, off, w, b, 1, 1, 1, mask=m, out=y)
    assert again is y
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_empty_batch():
    x = np.zeros((0, 4, 5, 5), np.float32)
    off = np.zeros((0, 18, 5, 5), np.float32)
    w = np.zeros((3, 4, 3, 3), np.float32)
    y = fastconv.deform_conv2d(x, off, w, padding=1)
    assert y.shape == (0, 3, 5, 5) and y.dtype == np.float32


@pytest.mark.parametrize("kwargs,match", [
    (dict(offset=np.zeros((1, 18, 4, 4))), r"offset must have shape \(2, 18, 5, 5\)"),
    (dict(offset=np.zeros((2, 17, 5, 5))), r"multiple of 2\*kh\*kw=18"),
    (dict(offset=np.zeros((2, 0, 5, 5))), r"multiple of 2\*kh\*kw=18"),
    (dict(offset=np.zeros((2, 54, 5, 5))), r"offset_groups=3 .* must divide in_channels=4"),
    (dict(offset=np.zeros((2, 18, 5))), r"offset must be 4-D"),
    (dict(mask=np.zeros((2, 18, 5, 5))), r"mask must have shape \(2, 9, 5, 5\)"),
    (dict(mask=np.zeros((1, 9, 5, 5))), r"mask must have shape"),
    (dict(weight=np.zeros((3, 3, 3, 3))), r"weight.shape\[1\]=3 must divide in_channels=4"),
    (dict(weight=np.zeros((3, 2, 3, 3))), r"out_channels=3 must be divisible by groups=2"),
    (dict(weight=np.zeros((3, 4, 3))), r"weight must be 4-D"),
    (dict(bias=np.zeros(4)), r"bias must have shape \(3,\)"),
    (dict(input=np.zeros((4, 5, 5))), r"input must be 4-D"),
    (dict(stride=0), r"stride must be positive"),
    (dict(padding=-1), r"padding must be non-negative"),
    (dict(weight=np.zeros((3, 4, 9, 9))), r"kernel height 9 .* larger than the padded input"),
    (dict(num_threads=0), r"num_threads"),
    (dict(out=np.zeros((2, 3, 5, 4))), r"out has shape"),
    (dict(out=np.zeros((2, 3, 5, 5), np.float32)), r"out has dtype"),
])
def test_validation_errors(kwargs, match):
    args = dict(input=np.zeros((2, 4, 5, 5)), offset=np.zeros((2, 18, 5, 5)), weight=np.zeros((3, 4, 3, 3)),
                bias=None, padding=1, mask=None)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fastconv.deform_conv2d(**args)


def test_type_errors():
    with pytest.raises(TypeError, match="offset must have dtype float32 or float64"):
        fastconv.deform_conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 2, 3, 3), np.int64), np.zeros((1, 1, 1, 1)))
    with pytest.raises(TypeError, match="stride"):
        fastconv.deform_conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 2, 3, 3)), np.zeros((1, 1, 1, 1)), stride=1.5)
    with pytest.raises(TypeError, match="padding"):
        fastconv.deform_conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 2, 3, 3)), np.zeros((1, 1, 1, 1)),
                               padding="same")


# ---- torchvision itself, when it is installed (never a dependency) ----------------

@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torchvision(with_mask, dtype):
    torch = pytest.importorskip("torch")
    tvops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(11)
    cases = [
        dict(n=2, c=12, h=11, w=9, o=10, kh=3, kw=3, groups=2, offset_groups=3, stride=(1, 2),
             padding=(1, 0), dilation=(2, 1)),
        dict(n=1, c=8, h=6, w=7, o=4, kh=2, kw=3, groups=1, offset_groups=8, stride=(1, 1),
             padding=(2, 1), dilation=(1, 1)),
    ]
    for cfg in cases:
        x, off, w, b, m = make(rng, cfg["n"], cfg["c"], cfg["h"], cfg["w"], cfg["o"], cfg["kh"], cfg["kw"],
                               cfg["groups"], cfg["offset_groups"], cfg["stride"], cfg["padding"],
                               cfg["dilation"], with_mask, dtype, offset_scale=3.0)
        off.flat[::5] = np.round(off.flat[::5])  # integer positions hit corner edge cases
        args = (cfg["stride"], cfg["padding"], cfg["dilation"])
        t = tvops.deform_conv2d(torch.from_numpy(x), torch.from_numpy(off), torch.from_numpy(w),
                                torch.from_numpy(b), *args,
                                mask=None if m is None else torch.from_numpy(m)).numpy()
        for name in ISAS:
            with use_isa(name):
                got = fastconv.deform_conv2d(x, off, w, b, *args, mask=m)
            np.testing.assert_allclose(got, t, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * 10)
