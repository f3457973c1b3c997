"""Deformable-convolution benchmark shapes (issue 4), as data.

Each entry: input (N, C, H, W), out_channels, kernel (kh, kw), stride, padding,
dilation, offset_groups, weight groups, mask (v2) or not.  Offsets are drawn
from N(0, offset_std**2); the mask from U(0, 1).  `make_arrays` builds them.
"""
import numpy as np

SHAPES = {
    # the two headline shapes: a ResNet stage-1 layer made deformable
    "deform3x3_c64_56": dict(input=(1, 64, 56, 56), out=64, kernel=(3, 3), stride=1, padding=1,
                             dilation=1, offset_groups=1, groups=1, mask=False),
    "deform3x3_mask_c64_56": dict(input=(1, 64, 56, 56), out=64, kernel=(3, 3), stride=1, padding=1,
                                  dilation=1, offset_groups=1, groups=1, mask=True),
    # realistic variants
    "deform3x3_og4_c64_56": dict(input=(1, 64, 56, 56), out=64, kernel=(3, 3), stride=1, padding=1,
                                 dilation=1, offset_groups=4, groups=1, mask=True),
    "deform3x3_c256_28": dict(input=(1, 256, 28, 28), out=256, kernel=(3, 3), stride=1, padding=1,
                              dilation=1, offset_groups=1, groups=1, mask=True),
    "deform3x3_b2_c64_56": dict(input=(2, 64, 56, 56), out=64, kernel=(3, 3), stride=1, padding=1,
                                dilation=1, offset_groups=1, groups=1, mask=False),
    "deform3x3_s2_c128_56": dict(input=(1, 128, 56, 56), out=128, kernel=(3, 3), stride=2, padding=1,
                                 dilation=1, offset_groups=1, groups=1, mask=True),
}

OFFSET_STD = 2.0


def output_hw(spec):
    _, _, h, w = spec["input"]
    kh, kw = spec["kernel"]
    s, p, d = spec["stride"], spec["padding"], spec["dilation"]
    return (h + 2 * p - d * (kh - 1) - 1) // s + 1, (w + 2 * p - d * (kw - 1) - 1) // s + 1


def flops(spec):
    """2 * multiply-adds of the convolution proper (sampling not counted)."""
    n, c, _, _ = spec["input"]
    kh, kw = spec["kernel"]
    ho, wo = output_hw(spec)
    return 2 * n * spec["out"] * ho * wo * (c // spec["groups"]) * kh * kw


def make_arrays(spec, dtype=np.float32, seed=0, zero_offsets=False):
    """(input, offset, weight, bias, mask_or_None) for one shape."""
    rng = np.random.default_rng(seed)
    n, c, h, w = spec["input"]
    kh, kw = spec["kernel"]
    ho, wo = output_hw(spec)
    og = spec["offset_groups"]
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = (rng.standard_normal((spec["out"], c // spec["groups"], kh, kw)) / np.sqrt(c * kh * kw)).astype(dtype)
    b = rng.standard_normal(spec["out"]).astype(dtype)
    off = (rng.standard_normal((n, 2 * og * kh * kw, ho, wo)) * OFFSET_STD).astype(dtype)
    if zero_offsets:
        off[...] = 0
    m = rng.random((n, og * kh * kw, ho, wo)).astype(dtype) if spec["mask"] else None
    return x, off, wt, b, m


# ---- the interface bench/compare.py reads --------------------------------------------
DEFORM_SHAPES = SHAPES


def make_deform_inputs(spec, dtype=np.float32, seed=0):
    """Keyword arguments for fastconv.deform_conv2d and torchvision.ops.deform_conv2d
    (the same names), and the flop count."""
    x, off, w, b, m = make_arrays(spec, dtype, seed)
    kw = dict(input=x, offset=off, weight=w, bias=b, stride=spec["stride"], padding=spec["padding"],
              dilation=spec["dilation"], mask=m)
    return {"fastconv": kw, "torchvision": dict(kw), "flops": flops(spec)}
