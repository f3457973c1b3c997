"""channel_shuffle, separable_conv2d and squeeze_excitation against the NumPy oracle,
on every instruction set this machine runs (conftest's `isa` fixture), both dtypes,
edge cases and bad input."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fastconv
from fastconv import reference

DTYPES = [np.float32, np.float64]
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_close(y, r, dtype, extra_atol=0.0):
    """Equal up to a few ulps of the result's scale, plus an element-wise error bound
    (extra_atol) where the computation amplifies rounding."""
    assert y.dtype == r.dtype and y.shape == r.shape
    tol = 2e-5 if np.dtype(dtype) == np.float32 else 1e-12
    scale = max(1.0, float(np.abs(r).max(initial=0.0)))
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities, checked below
        bad = np.abs(y.astype(np.float64) - r) > tol * scale + tol * np.abs(r) + extra_atol
    bad |= (np.isnan(y) != np.isnan(r)) | (np.isinf(y) & (y != r))
    assert not bad.any(), (f"{bad.sum()} of {bad.size} elements differ, e.g. at "
                           f"{np.argwhere(bad)[0]}: {y[bad][0]} vs {r[bad][0]}")


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# ---- channel_shuffle -----------------------------------------------------------------


@settings(max_examples=25, **SETTINGS)
@given(lead=st.lists(st.integers(0, 3), max_size=2), g=st.integers(1, 4), cpg=st.integers(1, 4),
       h=st.integers(1, 5), w=st.integers(1, 5),
       dtype=st.sampled_from([np.float16, np.float32, np.float64, np.longdouble]))
def test_channel_shuffle_matches_oracle(lead, g, cpg, h, w, dtype):
    x = np.arange(np.prod(lead, dtype=int) * g * cpg * h * w).reshape(*lead, g * cpg, h, w).astype(dtype)
    y = fastconv.channel_shuffle(x, g)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, reference.channel_shuffle(x, g))


def test_channel_shuffle_permutation_and_inverse():
    x = np.arange(6, dtype=np.float32).reshape(1, 6, 1, 1)
    np.testing.assert_array_equal(fastconv.channel_shuffle(x, 3).ravel(), [0, 2, 4, 1, 3, 5])
    x = np.random.default_rng(0).standard_normal((2, 12, 3, 4))
    # shuffling with g then with C/g undoes it
    np.testing.assert_array_equal(fastconv.channel_shuffle(fastconv.channel_shuffle(x, 3), 4), x)


def test_channel_shuffle_layouts_out_and_threads():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((3, 8, 70, 90))  # large enough to run in parallel
    for x in (base, base[:, :, ::2, 1:], base.transpose(0, 1, 3, 2), base.astype(">f8")):
        np.testing.assert_array_equal(fastconv.channel_shuffle(x, 4), reference.channel_shuffle(x, 4))
    out = np.empty_like(base)
    assert fastconv.channel_shuffle(base, 2, out=out, num_threads=1) is out
    np.testing.assert_array_equal(out, fastconv.channel_shuffle(base, 2, num_threads=2))
    # out overlapping the input: computed into a temporary first
    alias = base.copy()
    fastconv.channel_shuffle(alias, 2, out=alias)
    np.testing.assert_array_equal(alias, out)
    assert fastconv.channel_shuffle(np.zeros((0, 4, 2, 2)), 2).shape == (0, 4, 2, 2)


@pytest.mark.parametrize("args, exc, match", [
    ((np.zeros((1, 6, 2, 2)), 4), ValueError, "groups=4 must be a positive divisor of the 6"),
    ((np.zeros((1, 6, 2, 2)), 0), ValueError, "groups=0"),
    ((np.zeros((1, 6, 2, 2)), 2.0), TypeError, "groups"),
    ((np.zeros((6, 2)), 2), ValueError, "at least 3-D"),
    ((np.zeros((1, 6, 2, 2), dtype=np.int32), 2), TypeError, "floating-point"),
])
def test_channel_shuffle_validation(args, exc, match):
    with pytest.raises(exc, match=match):
        fastconv.channel_shuffle(*args)


# ---- separable_conv2d ------------------------------------------------------------------

sep_cfg = st.fixed_dictionaries({
    "n": st.integers(1, 2), "c": st.integers(1, 5), "mult": st.integers(1, 3), "o": st.integers(1, 40),
    "h": st.integers(1, 12), "w": st.integers(1, 40), "kh": st.integers(1, 4), "kw": st.integers(1, 4),
    "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "pad": st.tuples(st.integers(0, 3), st.integers(0, 3)),
    "bias": st.tuples(st.booleans(), st.booleans()), "dtype": st.sampled_from(DTYPES),
})


def sep_args(rng, cfg):
    c, cm, dt = cfg["c"], cfg["c"] * cfg["mult"], cfg["dtype"]
    # keep the dilated kernel inside the padded input
    h = max(cfg["h"], cfg["dilation"][0] * (cfg["kh"] - 1) + 1 - 2 * cfg["pad"][0])
    w = max(cfg["w"], cfg["dilation"][1] * (cfg["kw"] - 1) + 1 - 2 * cfg["pad"][1])
    return (rand(rng, (cfg["n"], c, h, w), dt), rand(rng, (cm, 1, cfg["kh"], cfg["kw"]), dt),
            rand(rng, (cfg["o"], cm, 1, 1), dt), rand(rng, cm, dt) if cfg["bias"][0] else None,
            rand(rng, cfg["o"], dt) if cfg["bias"][1] else None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", [
    # the 3x3 depthwise stage reads the input rows in place (conv2d's kernels)
    ((1, 3, 70, 37), dict(padding=1)),                               # bands past 32 rows
    ((2, 2, 9, 5), dict(padding=(2, 3))),                            # rows under one vector
    ((1, 4, 21, 64), dict(padding=(1, 0))),
    ((1, 3, 33, 45), dict(stride=2, padding=1)),                     # stride 2: deinterleaved
    ((1, 2, 17, 9), dict(stride=(3, 2), padding=(0, 1), dilation=(2, 1))),
])
def test_separable_3x3_depthwise_in_place(isa, dtype, shape, kw):
    rng = np.random.default_rng(sum(shape))
    c = shape[1]
    args = (rand(rng, shape, dtype), rand(rng, (2 * c, 1, 3, 3), dtype), rand(rng, (5, 2 * c, 1, 1), dtype),
            rand(rng, 2 * c, dtype), rand(rng, 5, dtype))
    assert_close(fastconv.separable_conv2d(*args, **kw), reference.separable_conv2d(*args, **kw), dtype)


@settings(max_examples=25, **SETTINGS)
@given(cfg=sep_cfg)
def test_separable_matches_oracle(isa, cfg):
    args = sep_args(np.random.default_rng(0), cfg)
    kw = dict(stride=cfg["stride"], padding=cfg["pad"], dilation=cfg["dilation"])
    assert_close(fastconv.separable_conv2d(*args, **kw), reference.separable_conv2d(*args, **kw),
                 cfg["dtype"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_separable_mobilenet_block_equals_two_conv2d(isa, dtype):
    """A full-size block (several bands per image, both pointwise forms) against
    the unfused pair it replaces."""
    rng = np.random.default_rng(2)
    x = rand(rng, (2, 24, 30, 29), dtype)
    dw, db = rand(rng, (24, 1, 3, 3), dtype), rand(rng, 24, dtype)
    for o in (48, 5):  # many output channels (oc-vector form), few (pixel-vector form)
        pw, pb = rand(rng, (o, 24, 1, 1), dtype), rand(rng, o, dtype)
        y = fastconv.separable_conv2d(x, dw, pw, db, pb, stride=2, padding=1)
        two = fastconv.conv2d(fastconv.conv2d(x, dw, db, stride=2, padding=1, groups=24), pw, pb)
        assert_close(y, two, dtype)
        assert_close(y, reference.separable_conv2d(x, dw, pw, db, pb, stride=2, padding=1), dtype)


def test_separable_padding_modes_layout_and_unbatched():
    rng = np.random.default_rng(3)
    x, dw, pw = rand(rng, (2, 3, 9, 8), np.float64), rand(rng, (6, 1, 4, 3), np.float64), \
        rand(rng, (7, 6, 1, 1), np.float64)
    for pad in ("same", "valid", 2, (0, 1)):
        assert_close(fastconv.separable_conv2d(x, dw, pw, padding=pad, dilation=(2, 1)),
                     reference.separable_conv2d(x, dw, pw, padding=pad, dilation=(2, 1)), np.float64)
    xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    for o in (7, 40):  # pixel-vector and oc-vector pointwise stores
        pwo = rand(rng, (o, 6, 1, 1), np.float64)
        y = fastconv.separable_conv2d(xh, dw, pwo, stride=(1, 2), padding=1, layout="NHWC")
        assert_close(y, reference.separable_conv2d(xh, dw, pwo, stride=(1, 2), padding=1,
                                                   layout="NHWC"), np.float64)
    assert_close(fastconv.separable_conv2d(x[0], dw, pw, padding=1),
                 reference.separable_conv2d(x, dw, pw, padding=1)[0], np.float64)


def test_separable_edge_cases():
    rng = np.random.default_rng(4)
    dw, pw = rand(rng, (4, 1, 1, 1), np.float32), rand(rng, (3, 4, 1, 1), np.float32)
    x = rand(rng, (2, 4, 1, 1), np.float32)  # 1x1 images
    assert_close(fastconv.separable_conv2d(x, dw, pw), reference.separable_conv2d(x, dw, pw), np.float32)
    dw3 = rand(rng, (4, 1, 3, 3), np.float32)
    assert_close(fastconv.separable_conv2d(x, dw3, pw, padding=1),
                 reference.separable_conv2d(x, dw3, pw, padding=1), np.float32)
    empty = fastconv.separable_conv2d(np.zeros((0, 4, 5, 5), np.float32), dw3, pw, padding=1)
    assert empty.shape == (0, 3, 5, 5) and empty.dtype == np.float32
    # non-contiguous, big-endian and mixed-dtype inputs
    big = rand(rng, (2, 8, 12, 14), np.float64)
    xs = big[:, ::2, 1:, ::-1]
    args = (xs, dw3.astype(">f4"), np.asfortranarray(pw), None, rand(rng, 3, np.float64))
    y = fastconv.separable_conv2d(*args, padding=1)
    assert y.dtype == np.float64
    assert_close(y, reference.separable_conv2d(*args, padding=1), np.float64)


def test_separable_out_threads_and_determinism():
    rng = np.random.default_rng(5)
    x = rand(rng, (1, 16, 40, 33), np.float32)
    dw, pw, pb = rand(rng, (32, 1, 3, 3), np.float32), rand(rng, (20, 32, 1, 1), np.float32), \
        rand(rng, 20, np.float32)
    ref = fastconv.separable_conv2d(x, dw, pw, None, pb, padding=1, num_threads=1)
    for nt in (2, 3, 4, 5, 7):  # different band heights
        np.testing.assert_array_equal(
            fastconv.separable_conv2d(x, dw, pw, None, pb, padding=1, num_threads=nt), ref)
    out = np.empty_like(ref)
    assert fastconv.separable_conv2d(x, dw, pw, None, pb, padding=1, out=out) is out
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(x=np.zeros((3, 5))), ValueError, "x must be 4-D"),
    (dict(dw_weight=np.zeros((6, 2, 3, 3))), ValueError, r"dw_weight must have shape \(C\*multiplier, 1"),
    (dict(dw_weight=np.zeros((4, 1, 3, 3))), ValueError, "C=3"),
    (dict(pw_weight=np.zeros((5, 4, 1, 1))), ValueError, r"pw_weight must have shape \(out_channels, 6, 1, 1\)"),
    (dict(pw_weight=np.zeros((5, 6, 3, 3))), ValueError, "pw_weight"),
    (dict(pw_weight=np.zeros((5, 6))), ValueError, "pw_weight must be 4-D"),
    (dict(dw_bias=np.zeros(5)), ValueError, r"dw_bias must have shape \(6,\)"),
    (dict(pw_bias=np.zeros(6)), ValueError, r"pw_bias must have shape \(5,\)"),
    (dict(padding=0, dilation=3), ValueError, "kernel height 3 .dilation 3"),
    (dict(stride=2, padding="same"), ValueError, "stride 1"),
    (dict(stride=0), ValueError, "stride"),
    (dict(x=np.zeros((1, 3, 5, 5), dtype=np.int64)), TypeError, "x must have dtype"),
    (dict(layout="CHWN"), ValueError, "layout"),
    (dict(num_threads=0), ValueError, "num_threads"),
    (dict(out=np.zeros((1, 5, 4, 4), np.float64)), ValueError, "out has shape"),
])
def test_separable_validation(kwargs, exc, match):
    args = dict(x=np.zeros((1, 3, 5, 5)), dw_weight=np.zeros((6, 1, 3, 3)),
                pw_weight=np.zeros((5, 6, 1, 1)), padding=1)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        fastconv.separable_conv2d(**args)


# ---- squeeze_excitation ----------------------------------------------------------------

se_cfg = st.fixed_dictionaries({
    "n": st.integers(1, 3), "c": st.integers(1, 40), "cr": st.integers(1, 12), "h": st.integers(1, 9),
    "w": st.integers(1, 9), "bias": st.tuples(st.booleans(), st.booleans()),
    "gain": st.sampled_from([0.1, 1.0, 30.0]), "dtype": st.sampled_from(DTYPES),
})


def se_args(rng, cfg):
    dt, c, cr = cfg["dtype"], cfg["c"], cfg["cr"]
    return (rand(rng, (cfg["n"], c, cfg["h"], cfg["w"]), dt) + 0.5,
            (cfg["gain"] * rand(rng, (cr, c), dt)).astype(dt),
            rand(rng, cr, dt) if cfg["bias"][0] else None,
            (cfg["gain"] * rand(rng, (c, cr), dt)).astype(dt),
            rand(rng, c, dt) if cfg["bias"][1] else None)


@settings(max_examples=25, **SETTINGS)
def se_logit_error(args, dtype):
    """A bound on how far rounding in `dtype` may move the excitation logits.

    Each FC layer is a sum whose rounding error is at most about (terms * eps) times
    the sum of the terms' magnitudes; with large weights (gain 30) those magnitudes
    are far above the logits themselves, and the sigmoid passes a logit error on to
    the gain with slope up to 1/4."""
    x, w1, b1, w2, b2 = (None if a is None else np.abs(a.astype(np.float64)) for a in args)
    eps = np.finfo(dtype).eps
    c, cr = w1.shape[1], w1.shape[0]
    s = x.mean(axis=(2, 3))                                   # |pooled|, (N, C)
    mag_h = s @ w1.T + (0 if b1 is None else b1)              # sum of |terms| of layer 1
    err_h = eps * (c + x.shape[2] * x.shape[3]) * mag_h      # pool + layer 1 rounding
    mag_z = mag_h @ w2.T + (0 if b2 is None else b2)          # >= sum of |terms| of layer 2
    return eps * (cr + 2) * mag_z + err_h @ w2.T              # (N, C)


@given(cfg=se_cfg)
def test_squeeze_excitation_matches_oracle(isa, cfg):
    args = se_args(np.random.default_rng(0), cfg)
    y, r = fastconv.squeeze_excitation(*args), reference.squeeze_excitation(*args)
    assert_close(y, r, cfg["dtype"], extra_atol=0.25 * np.abs(args[0]) *
                 se_logit_error(args, cfg["dtype"])[:, :, None, None])


def test_squeeze_excitation_saturated_sigmoid_is_finite():
    """Huge logits: the gains are exactly 0 or 1, never NaN or an overflow."""
    x = np.ones((1, 2, 3, 3), np.float32)
    w1 = np.array([[1.0, 1.0]], np.float32)
    w2 = np.array([[1e30], [-1e30]], np.float32)
    y = fastconv.squeeze_excitation(x, w1, None, w2, None)
    np.testing.assert_array_equal(y[0, 0], 1.0)
    np.testing.assert_array_equal(y[0, 1], 0.0)


def test_squeeze_excitation_edge_cases_and_in_place():
    rng = np.random.default_rng(6)
    cfg = dict(n=2, c=8, cr=2, h=1, w=1, bias=(True, True), gain=1.0, dtype=np.float64)
    args = se_args(rng, cfg)  # 1x1 images
    assert_close(fastconv.squeeze_excitation(*args), reference.squeeze_excitation(*args), np.float64)
    x, w1, b1, w2, b2 = se_args(rng, dict(cfg, h=130, w=131))  # parallel, planes in 2 pieces
    ref = reference.squeeze_excitation(x, w1, b1, w2, b2)
    assert_close(fastconv.squeeze_excitation(x[0], w1, b1, w2, b2), ref[0], np.float64)  # unbatched
    np.testing.assert_array_equal(fastconv.squeeze_excitation(x, w1, b1, w2, b2, num_threads=1),
                                  fastconv.squeeze_excitation(x, w1, b1, w2, b2, num_threads=2))
    y = x.copy()
    assert fastconv.squeeze_excitation(y, w1, b1, w2, b2, out=y) is y  # in place
    assert_close(y, ref, np.float64)
    y = x.copy()
    fastconv.squeeze_excitation(y[:, ::-1], w1, b1, w2, b2, out=y)  # overlapping, not identical
    assert_close(y, reference.squeeze_excitation(x[:, ::-1], w1, b1, w2, b2), np.float64)
    xs = np.repeat(x, 2, axis=3)[..., ::2].astype(">f8")  # strided, big-endian
    assert_close(fastconv.squeeze_excitation(xs, w1, b1, w2, b2), ref, np.float64)
    empty = fastconv.squeeze_excitation(np.zeros((0, 8, 3, 3), np.float32), w1, b1, w2, b2)
    assert empty.shape == (0, 8, 3, 3) and empty.dtype == np.float64


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(x=np.zeros((4, 5))), ValueError, "x must be 4-D"),
    (dict(x=np.zeros((1, 4, 0, 5))), ValueError, "non-empty spatial"),
    (dict(w1=np.zeros((2, 5))), ValueError, r"w1 must have shape \(C/r, 4\)"),
    (dict(w1=np.zeros(4)), ValueError, "w1 must be 2-D"),
    (dict(w2=np.zeros((2, 4))), ValueError, r"w2 must have shape \(4, 2\)"),
    (dict(b1=np.zeros(4)), ValueError, r"b1 must have shape \(2,\)"),
    (dict(b2=np.zeros(2)), ValueError, r"b2 must have shape \(4,\)"),
    (dict(w2=np.zeros((4, 2), dtype=np.int32)), TypeError, "w2 must have dtype"),
    (dict(out=np.zeros((1, 4, 3, 3), np.float32)), ValueError, "out has dtype"),
])
def test_squeeze_excitation_validation(kwargs, exc, match):
    args = dict(x=np.zeros((1, 4, 3, 3)), w1=np.zeros((2, 4)), b1=None, w2=np.zeros((4, 2)), b2=None)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        fastconv.squeeze_excitation(**args)
