"""Benchmark shapes shared by bench/compare.py and the pytest-benchmark suite.

Each conv2d shape: name -> dict(N, C, H, W, O, k=(kh, kw), stride, padding, dilation, groups).
ISSUE_SHAPES are the ones the performance targets are stated on; EXTRA_SHAPES are
other realistic layers of the same kinds, to check that the speed generalises.
"""


def shape(n, c, h, w, o, k, stride=1, padding=0, dilation=1, groups=1, kind="dense"):
    k = (k, k) if isinstance(k, int) else tuple(k)
    return dict(N=n, C=c, H=h, W=w, O=o, k=k, stride=stride, padding=padding,
                dilation=dilation, groups=groups, kind=kind)


ISSUE_SHAPES = {
    "dense3x3_c64_56": shape(1, 64, 56, 56, 64, 3, padding=1),
    "dense3x3_c256_14": shape(1, 256, 14, 14, 256, 3, padding=1),
    "stem7x7_s2_c3_224": shape(1, 3, 224, 224, 64, 7, stride=2, padding=3, kind="stem"),
    "pointwise_256to64_56": shape(1, 256, 56, 56, 64, 1, kind="1x1"),
    "depthwise3x3_c144_56": shape(1, 144, 56, 56, 144, 3, padding=1, groups=144, kind="depthwise"),
    "depthwise3x3_s2_c144_56": shape(1, 144, 56, 56, 144, 3, stride=2, padding=1, groups=144,
                                     kind="depthwise"),
    "grouped3x3_g32_c128_56": shape(1, 128, 56, 56, 128, 3, padding=1, groups=32, kind="grouped"),
    "dilated3x3_d6_c256_33": shape(1, 256, 33, 33, 256, 3, padding=6, dilation=6, kind="dilated"),
    "asym1x7_c128_17": shape(1, 128, 17, 17, 128, (1, 7), padding=(0, 3), kind="asymmetric"),
    "dense3x3_c64_56_n8": shape(8, 64, 56, 56, 64, 3, padding=1),
}

EXTRA_SHAPES = {
    "dense3x3_c128_28": shape(1, 128, 28, 28, 128, 3, padding=1),
    "dense3x3_c512_7": shape(1, 512, 7, 7, 512, 3, padding=1),
    "dense3x3_s2_c128_56": shape(1, 128, 56, 56, 256, 3, stride=2, padding=1),
    "pointwise_64to256_56": shape(1, 64, 56, 56, 256, 1, kind="1x1"),
    "pointwise_1024to256_14": shape(1, 1024, 14, 14, 256, 1, kind="1x1"),
    "pointwise_s2_512to1024_28": shape(1, 512, 28, 28, 1024, 1, stride=2, kind="1x1"),
    "depthwise3x3_c32_112": shape(1, 32, 112, 112, 32, 3, padding=1, groups=32, kind="depthwise"),
    "depthwise5x5_c240_28": shape(1, 240, 28, 28, 240, 5, padding=2, groups=240, kind="depthwise"),
    "depthwise3x3_c576_14_n4": shape(4, 576, 14, 14, 576, 3, padding=1, groups=576,
                                     kind="depthwise"),
    "depthwise5x5_c672_14": shape(1, 672, 14, 14, 672, 5, padding=2, groups=672, kind="depthwise"),
    "depthwise3x3_c960_7": shape(1, 960, 7, 7, 960, 3, padding=1, groups=960, kind="depthwise"),
    # ConvNeXt-T's 7x7 depthwise layers (stages 1 and 3)
    "depthwise7x7_c96_56": shape(1, 96, 56, 56, 96, 7, padding=3, groups=96, kind="depthwise"),
    "depthwise7x7_c384_14": shape(1, 384, 14, 14, 384, 7, padding=3, groups=384, kind="depthwise"),
    # DeepLabv3+ on MobileNetV2 (output stride 16, 513x513 input): atrous depthwise
    "depthwise3x3_d2_c960_33": shape(1, 960, 33, 33, 960, 3, padding=2, dilation=2, groups=960,
                                     kind="depthwise"),
    "grouped3x3_g32_c256_28": shape(1, 256, 28, 28, 256, 3, padding=1, groups=32, kind="grouped"),
    "grouped3x3_g8_c128_28": shape(2, 128, 28, 28, 128, 3, padding=1, groups=8, kind="grouped"),
    # ResNeXt-50 32x4d: layer2's first block (stride 2), layer3 (16 channels a group)
    "grouped3x3_s2_g32_c256_56": shape(1, 256, 56, 56, 256, 3, stride=2, padding=1, groups=32,
                                       kind="grouped"),
    "grouped3x3_g32_c512_14": shape(1, 512, 14, 14, 512, 3, padding=1, groups=32, kind="grouped"),
    "dilated3x3_d2_c128_28": shape(1, 128, 28, 28, 128, 3, padding=2, dilation=2, kind="dilated"),
    "dilated3x3_d12_c256_33": shape(1, 256, 33, 33, 256, 3, padding=12, dilation=12,
                                    kind="dilated"),
    "asym7x1_c160_17": shape(1, 160, 17, 17, 160, (7, 1), padding=(3, 0), kind="asymmetric"),
    "asym1x3_c256_8": shape(2, 256, 8, 8, 256, (1, 3), padding=(0, 1), kind="asymmetric"),
    "stem3x3_s2_c3_224": shape(1, 3, 224, 224, 32, 3, stride=2, padding=1, kind="stem"),
}


def conv_args(s):
    """(input shape, weight shape, conv2d keyword arguments) of a shape dict."""
    kh, kw = s["k"]
    x = (s["N"], s["C"], s["H"], s["W"])
    w = (s["O"], s["C"] // s["groups"], kh, kw)
    kwargs = dict(stride=s["stride"], padding=s["padding"], dilation=s["dilation"], groups=s["groups"])
    return x, w, kwargs


def conv_flops(s, out_shape):
    """Nominal flops (2 per multiply-accumulate, padding taps included)."""
    kh, kw = s["k"]
    n, o, ho, wo = out_shape
    return 2 * n * o * ho * wo * (s["C"] // s["groups"]) * kh * kw
