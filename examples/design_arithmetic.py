"""The arithmetic behind convolution-design choices, with fastconv.analysis.

    python examples/design_arithmetic.py

Prints the worked numbers of docs/design.md: parameters and receptive fields of
stacked small kernels against one large kernel, the cost of a 1x3 + 3x1
factorisation, grouped and depthwise-separable savings, and a layer table.
"""
from fastconv.analysis import conv_macs, conv_params, receptive_field, summarize


def stacked_versus_large():
    print("== stacked small kernels vs one large kernel ==")
    rows = [
        ("one 5x5, 10->10", conv_params(10, 10, 5), receptive_field([(5, 1)])),
        ("two 3x3, 10->10", 2 * conv_params(10, 10, 3), receptive_field([(3, 1)] * 2)),
        ("one 7x7, 10->10", conv_params(10, 10, 7), receptive_field([(7, 1)])),
        ("three 3x3, 10->10", 3 * conv_params(10, 10, 3), receptive_field([(3, 1)] * 3)),
        ("one 5x5, 3->64", conv_params(3, 64, 5), receptive_field([(5, 1)])),
        ("3x3 3->64 + 3x3 64->64", conv_params(3, 64, 3) + conv_params(64, 64, 3),
         receptive_field([(3, 1)] * 2)),
        ("one 5x5, 64->64", conv_params(64, 64, 5), receptive_field([(5, 1)])),
        ("two 3x3, 64->64", 2 * conv_params(64, 64, 3), receptive_field([(3, 1)] * 2)),
    ]
    for name, params, rf in rows:
        print(f"  {name:<24} {params:>8,} parameters   receptive field {rf}")


def asymmetric():
    print("== asymmetric 1x3 then 3x1 vs 3x3, on a 5x5 input ==")
    full = conv_macs(5, 1, 1, 3)
    row = conv_macs(5, 1, 1, (1, 3))
    col = conv_macs((5, 3), 1, 1, (3, 1))
    print(f"  3x3: {full} multiplications;  1x3 + 3x1: {row} + {col} = {row + col}")
    print(f"  same 3x3 receptive field: {receptive_field([((1, 3), 1), ((3, 1), 1)])}")


def dilated():
    print("== dilated 3x3 kernels: receptive field grows, parameters do not ==")
    for rates in ((1, 1, 1), (1, 2, 4), (1, 2, 4, 8)):
        rf = receptive_field([(3, 1, r) for r in rates])
        print(f"  dilations {rates}: {len(rates) * conv_params(64, 64, 3):,} parameters, "
              f"receptive field {rf}")


def grouped_and_separable():
    print("== grouped and depthwise-separable ==")
    print(f"  5x5, 12->6, dense: {conv_params(12, 6, 5):,} parameters; "
          f"3 groups: {conv_params(12, 6, 5, groups=3):,}")
    dense = conv_macs(56, 144, 144, 3, padding=1)
    sep = conv_macs(56, 144, 144, 3, padding=1, groups=144) + conv_macs(56, 144, 144, 1)
    print(f"  3x3 144->144 on 56x56: dense {dense:,} MACs, depthwise + 1x1 {sep:,} MACs "
          f"({dense / sep:.1f}x fewer)")


def layer_table():
    print("== a MobileNet-style stem, layer by layer ==")
    print(summarize([
        {"name": "stem 3x3/2", "out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1},
        {"name": "dw 3x3", "out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 32},
        {"name": "pw 1x1", "out_channels": 64, "kernel_size": 1},
        {"name": "dw 3x3/2", "out_channels": 64, "kernel_size": 3, "stride": 2, "padding": 1,
         "groups": 64},
        {"name": "pw 1x1", "out_channels": 128, "kernel_size": 1},
    ], input_size=224, in_channels=3))


def main():
    stacked_versus_large()
    asymmetric()
    dilated()
    grouped_and_separable()
    layer_table()


if __name__ == "__main__":
    main()
