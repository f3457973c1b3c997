"""fastconv.analysis: the article's worked numbers, and properties checked against
what conv2d actually computes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastconv
from fastconv import analysis as A

# ---- the article's numbers --------------------------------------------------------


def test_two_3x3_versus_one_5x5_on_10_channels():
    assert A.conv_params(10, 10, 5) == 2500
    assert 2 * A.conv_params(10, 10, 3) == 1800
    assert A.receptive_field([(5, 1)]) == 5
    assert A.receptive_field([(3, 1), (3, 1)]) == 5


def test_three_3x3_versus_one_7x7_on_10_channels():
    assert A.conv_params(10, 10, 7) == 4900
    assert 3 * A.conv_params(10, 10, 3) == 2700
    assert A.receptive_field([(7, 1)]) == 7
    assert A.receptive_field([(3, 1)] * 3) == 7


def test_first_layer_from_rgb():
    assert A.conv_params(3, 64, 5) == 4800
    assert A.conv_params(3, 64, 3) + A.conv_params(64, 64, 3) == 38592


def test_64_channels():
    assert A.conv_params(64, 64, 5) == 102400
    assert 2 * A.conv_params(64, 64, 3) == 73728


def test_asymmetric_factorisation_of_3x3_on_5x5():
    assert A.conv_macs(5, 1, 1, 3) == 81
    assert A.conv_macs(5, 1, 1, (1, 3)) == 45
    assert A.conv_macs((5, 3), 1, 1, (3, 1)) == 27
    s = A.summarize([(1, (1, 3)), (1, (3, 1))], 5, 1)
    assert [r["macs"] for r in s] == [45, 27] and s.macs == 72
    assert s.output == (1, 3, 3) and s.receptive_field == 3


def test_grouped_convolution():
    assert A.conv_params(12, 6, 5, groups=3) == 600
    assert A.conv_params(12, 6, 5) == 1800
    assert A.conv_params(12, 6, 5) == 3 * A.conv_params(12, 6, 5, groups=3)


# ---- more fixed values ---------------------------------------------------------------


def test_bias_and_rectangular_kernels():
    assert A.conv_params(3, 8, (1, 7), bias=True) == 8 * 3 * 7 + 8
    assert A.conv_params(32, 32, 3, groups=32) == 288  # depthwise
    with pytest.raises(TypeError, match="bias"):
        A.conv_params(3, 8, 3, bias=1)


def test_receptive_field_strides_and_dilation():
    # 3x3 s2 then 3x3: the second layer's taps are 2 input pixels apart
    assert A.receptive_field([(3, 2), (3, 1)]) == 7
    # dilated stack 1, 2, 4 (WaveNet / DeepLab style): 3 + 4 + 8
    assert A.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == 15
    assert A.receptive_field([((1, 3), 1), ((3, 1), 1)]) == 3
    assert A.receptive_field([((1, 5), 1)]) == (1, 5)
    assert A.receptive_field([{"kernel_size": 3, "dilation": 2}]) == 5
    assert A.receptive_field([]) == 1


def test_output_shape_matches_conv2d_rules():
    assert A.conv_output_shape(224, 7, 2, 3) == (112, 112)
    assert A.conv_output_shape((5, 6), 3, padding="same") == (5, 6)
    assert A.conv_output_shape((5, 6), 4, padding="same", dilation=2) == (5, 6)
    assert A.conv_output_shape((5, 6), 3, padding="valid") == (3, 4)
    assert A.conv_macs(56, 64, 64, 3, padding="same") == 56 * 56 * 64 * 64 * 9


def test_summary_table():
    s = A.summarize([
        {"out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1, "name": "stem"},
        {"out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 32, "name": "dw"},
        {"out_channels": 64, "kernel_size": 1, "bias": True, "name": "pw"},
    ], 224, 3)
    assert [r["output"] for r in s] == [(32, 112, 112), (32, 112, 112), (64, 112, 112)]
    assert [r["params"] for r in s] == [864, 288, 2112]
    assert [r["receptive_field"] for r in s] == [3, 7, 7]
    assert s.params == 864 + 288 + 2112
    assert s.macs == 112 * 112 * (864 + 288 + 2048)
    text = str(s)
    assert "stem" in text and "2,112" in text and f"{s.macs:,}" in text and "total" in text
    assert len(text.splitlines()) == 3 + 3 + 2
    assert "params=3264" in repr(s)
    empty = A.summarize([], (4, 5), 2)
    assert empty.params == 0 and empty.output == (2, 4, 5) and empty.receptive_field == 1


@pytest.mark.parametrize("call, exc, match", [
    (lambda: A.conv_params(0, 4, 3), ValueError, "in_channels"),
    (lambda: A.conv_params(4, 4, 0), ValueError, "kernel_size"),
    (lambda: A.conv_params(4, 6, 3, groups=4), ValueError, "groups=4 must divide"),
    (lambda: A.conv_params(4, 4, 2.5), TypeError, "kernel_size"),
    (lambda: A.conv_params(4, 4, (3, 3, 3)), ValueError, "kernel_size"),
    (lambda: A.conv_macs(4, 1, 1, 5), ValueError, "kernel height 5"),
    (lambda: A.conv_macs(8, 1, 1, 3, dilation=(1, 4)), ValueError, "kernel width 3 .dilation 4"),
    (lambda: A.conv_macs(8, 1, 1, 3, stride=2, padding="same"), ValueError, "stride 1"),
    (lambda: A.conv_macs(8, 1, 1, 3, padding="full"), ValueError, "padding"),
    (lambda: A.conv_macs(8, 1, 1, 3, padding=-1), ValueError, "padding"),
    (lambda: A.receptive_field([(3,)]), ValueError, "layer 0"),
    (lambda: A.receptive_field([(3, 1), (3, 0)]), ValueError, "layer 1 stride"),
    (lambda: A.receptive_field(3), TypeError, "sequence"),
    (lambda: A.receptive_field([{"k": 3}]), ValueError, "kernel_size"),
    (lambda: A.summarize([(8, 3), (8, 9)], 10, 3), ValueError, r"layer 1 \(conv2, input 8x8x8\)"),
    (lambda: A.summarize([(8, 3, 1, 0, 1, 2)], 10, 3), ValueError, "layer 0.*groups=2"),
    (lambda: A.summarize([{"out_channels": 8}], 10, 3), ValueError, "missing"),
    (lambda: A.summarize([{"out_channels": 8, "kernel_size": 3, "padd": 1}], 10, 3), ValueError, "unknown"),
    (lambda: A.summarize([(8, 3)], 10, 0), ValueError, "in_channels"),
])
def test_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- properties against what the kernels compute ----------------------------------------

conv_cfg = st.fixed_dictionaries({
    "c": st.integers(1, 4), "g": st.integers(1, 2), "o": st.integers(1, 3),
    "h": st.integers(1, 9), "w": st.integers(1, 9), "kh": st.integers(1, 4), "kw": st.integers(1, 4),
    "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "padding": st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.just("same"),
                         st.just("valid")),
})


@settings(max_examples=60, deadline=None)
@given(conv_cfg)
def test_shape_params_macs_agree_with_conv2d(cfg):
    c, o, g = cfg["c"] * cfg["g"], cfg["o"] * cfg["g"], cfg["g"]
    stride = (1, 1) if cfg["padding"] == "same" else cfg["stride"]
    args = dict(stride=stride, padding=cfg["padding"], dilation=cfg["dilation"])
    x = np.ones((1, c, cfg["h"], cfg["w"]), np.float32)
    wt = np.ones((o, c // g, cfg["kh"], cfg["kw"]), np.float32)
    try:
        y = fastconv.conv2d(x, wt, groups=g, **args)
    except ValueError:
        # conv2d refuses exactly when the analysis does
        with pytest.raises(ValueError):
            A.conv_output_shape((cfg["h"], cfg["w"]), (cfg["kh"], cfg["kw"]), **args)
        return
    assert A.conv_output_shape((cfg["h"], cfg["w"]), (cfg["kh"], cfg["kw"]), **args) == y.shape[2:]
    params = A.conv_params(c, o, (cfg["kh"], cfg["kw"]), g)
    assert params == wt.size
    assert A.conv_macs((cfg["h"], cfg["w"]), c, o, (cfg["kh"], cfg["kw"]), groups=g, **args) \
        == y.shape[2] * y.shape[3] * params
    assert A.conv_params(c, o, (cfg["kh"], cfg["kw"])) == g * params


layer_st = st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(1, 2))


@settings(max_examples=40, deadline=None)
@given(st.lists(layer_st, min_size=1, max_size=4))
def test_receptive_field_is_the_dependency_span(layers):
    """Feed every unit impulse of a 1 x W row through the stack (all-ones kernels,
    no padding): the input pixels that reach output pixel 0 span exactly RF."""
    width = 200  # >= the largest RF these strategies produce
    x = np.eye(width, dtype=np.float64).reshape(width, 1, 1, width)
    for k, s, d in layers:
        x = fastconv.conv2d(x, np.ones((1, 1, 1, k)), stride=(1, s), dilation=(1, d))
    reach = np.nonzero(x[:, 0, 0, 0])[0]
    span = reach.max() - reach.min() + 1
    rf = A.receptive_field([((1, k), s, d) for k, s, d in layers])
    assert rf == (1, span) if span > 1 else rf == 1
    assert A.receptive_field([(k, s, d) for k, s, d in layers]) == span


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
                          st.integers(0, 1)), min_size=1, max_size=3),
       st.integers(6, 12), st.integers(1, 3))
def test_summary_follows_the_actual_stack(layers, size, cin):
    spec = [(o, k, s, p) for o, k, s, p in layers]
    x = np.ones((1, cin, size, size))
    try:
        for o, k, s, p in spec:
            x = fastconv.conv2d(x, np.ones((o, x.shape[1], k, k)), stride=s, padding=p)
    except ValueError:
        with pytest.raises(ValueError):
            A.summarize(spec, size, cin)
        return
    s = A.summarize(spec, size, cin)
    assert s.output == x.shape[1:]
    assert s.params == sum(r["params"] for r in s)
    assert s.macs == sum(r["macs"] for r in s)
    assert s.receptive_field == A.receptive_field([(k, st_) for _, k, st_, _ in spec])
