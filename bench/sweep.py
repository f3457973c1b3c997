"""fastconv vs PyTorch on randomly drawn realistic layers (not the listed shapes).

Draws layers of one kind -- dense (any kernel up to 7x7, 1xk and kx1, stride 1-2,
dilation 1-3, 'same' or no padding, batch 1-4, 15% float64), depthwise (3x3,
5x5, 7x7, channel multiplier 1-2, stride 1-2, dilation 1-2) or grouped (3x3,
2-64 groups of 2-32 channels) -- checks each against PyTorch and times both
side by side (bench/compare.py's interleaved rounds), then prints the
geometric-mean speed-up and the slowest layers.

    python bench/sweep.py --kind dense --seed 1 --count 40
    python bench/sweep.py --kind depthwise --threads 2
"""
import argparse
import math
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastconv  # noqa: E402
from compare import interleaved, keep_freed_memory  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def draw(rng, kind):
    """One layer: (x shape, w shape, conv2d keywords, dtype), or None if invalid."""
    dtype = np.float64 if rng.random() < 0.15 else np.float32
    n = rng.choice([1, 1, 1, 2, 4])
    if kind == "dense":
        k = rng.choice([1, 3, 3, 3, 5, 7, (1, 3), (3, 1), (1, 5), (5, 1), (1, 7)])
        kh, kw = (k, k) if isinstance(k, int) else k
        c = rng.choice([16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512])
        o = rng.choice([16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512])
        hw = rng.choice([7, 8, 13, 14, 17, 19, 28, 35, 38, 56, 64])
        s = rng.choice([1, 1, 1, 2])
        d = rng.choice([1, 1, 1, 1, 2, 3]) if max(kh, kw) > 1 else 1
        g = 1
        pad = ((kh - 1) * d // 2, (kw - 1) * d // 2) if rng.random() < 0.85 else (0, 0)
    elif kind == "depthwise":
        kh = kw = rng.choice([3, 3, 5, 7])
        c = rng.choice([32, 64, 96, 144, 192, 240, 384, 576, 960])
        hw = rng.choice([7, 10, 14, 19, 28, 38, 56, 112])
        s, d = rng.choice([1, 1, 2]), rng.choice([1, 1, 1, 2])
        g, o = c, c * rng.choice([1, 1, 1, 2])
        pad = ((kh - 1) * d // 2,) * 2
    else:
        kh = kw = 3
        g = rng.choice([2, 4, 8, 16, 32, 32, 64])
        c = o = g * rng.choice([2, 4, 8, 16, 32])
        hw = rng.choice([7, 14, 28, 56])
        s, d, pad = rng.choice([1, 1, 2]), 1, (1, 1)
    if n * c * hw * hw * o * kh * kw / g / s / s > 4e9 or c * hw * hw * n > 6e6:
        return None  # too slow for a sweep
    if min(hw + 2 * pad[0] - d * (kh - 1), hw + 2 * pad[1] - d * (kw - 1)) < 1:
        return None
    return (n, c, hw, hw), (o, c // g, kh, kw), dict(stride=s, padding=pad, dilation=d, groups=g), dtype


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=["dense", "depthwise", "grouped"], default="dense")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=40, help="layers to draw")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if torch is None:
        sys.exit("bench/sweep.py needs PyTorch (pip install torch)")
    torch.set_num_threads(args.threads)
    keep_freed_memory()  # as compare.py: no output page-faults in afresh, either side
    rng, nprng = random.Random(args.seed), np.random.default_rng(args.seed)
    rows = []
    for _ in range(args.count):
        layer = draw(rng, args.kind)
        if layer is None:
            continue
        xs, ws, kw, dtype = layer
        x = nprng.standard_normal(xs).astype(dtype)
        w = nprng.standard_normal(ws).astype(dtype)
        xt, wt = torch.from_numpy(x), torch.from_numpy(w)
        y = fastconv.conv2d(x, w, **kw, num_threads=args.threads)
        with torch.no_grad():
            yt = torch.nn.functional.conv2d(xt, wt, **kw).numpy()
            err = float(np.max(np.abs(y - yt)) / (np.max(np.abs(yt)) + 1e-30))
            t_fc, t_pt, _ = interleaved(
                lambda: fastconv.conv2d(x, w, **kw, num_threads=args.threads),
                lambda: torch.nn.functional.conv2d(xt, wt, **kw), args.rounds, 0.02)
        gflops = 2 * y.size * ws[1] * ws[2] * ws[3] / t_fc * 1e-9
        desc = (f"n{xs[0]} c{xs[1]} {xs[2]}x{xs[3]} -> {ws[0]} k{ws[2]}x{ws[3]} s{kw['stride']} "
                f"d{kw['dilation']} g{kw['groups']} p{kw['padding']} {np.dtype(dtype).name}")
        print(f"{desc:58s} fastconv {t_fc * 1e3:8.3f} ms  torch {t_pt * 1e3:8.3f} ms  "
              f"{t_pt / t_fc:5.2f}x  {gflops:6.1f} GFLOP/s  rel.err {err:.1e}", flush=True)
        rows.append((t_pt / t_fc, desc))
    ratios = [r for r, _ in rows]
    print(f"# {args.kind}, {args.threads} thread(s), seed {args.seed}: geometric-mean speed-up "
          f"{math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}x, min {min(ratios):.2f}x "
          f"over {len(ratios)} layers")
    for r, desc in sorted(rows)[:3]:
        print(f"#   slowest: {desc}  {r:.2f}x")


if __name__ == "__main__":
    main()
