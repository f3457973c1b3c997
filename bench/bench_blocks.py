"""Timings of the building blocks against their unfused / NumPy peers.

    PYTHONPATH=src python bench/bench_blocks.py [--repeat 15] [--threads N] [--dtype float32]

separable_conv2d (fused) vs conv2d(conv2d(x, dw, groups=C), pw) on MobileNet
shapes, squeeze_excitation vs a NumPy implementation.  Each pair is timed
interleaved in one process (A, B, A, B, ...) so that machine noise hits both
alike.  The minimum of the repeats is reported (on a shared machine the noise
only ever adds time, so the minimum is the least disturbed sample), with the
median beside it.  BLAS (used by the NumPy
squeeze-excitation's small matrix products) is held to one thread when
threadpoolctl is installed: its spinning pool otherwise fights OpenMP for the
cores and makes both sides erratic.
"""
import argparse
import time

import numpy as np

import fastconv

# (name, x shape, out channels of the pointwise stage): MobileNet v1/v2 blocks
SEPARABLE_CASES = [
    ("v2 56x56 144->24", (1, 144, 56, 56), 24),
    ("v2 56x56 144->144", (1, 144, 56, 56), 144),
    ("v2 112x112 32->16", (1, 32, 112, 112), 16),
    ("v1 112x112 32->64", (1, 32, 112, 112), 64),
    ("v1 28x28 256->256", (1, 256, 28, 28), 256),
    ("v2 56x56 144->24 N=8", (8, 144, 56, 56), 24),  # intermediate far beyond L2
]
SE_CASES = [(1, 144, 56, 56), (8, 256, 28, 28), (32, 512, 7, 7)]


def interleaved(fns, repeat):
    """(min, median) seconds of each function, run round-robin `repeat` times after a warm-up."""
    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for t, f in zip(times, fns):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
    return [(min(t), float(np.median(t))) for t in times]


def fmt(t):
    return f"{t[0] * 1e3:7.3f} ({t[1] * 1e3:6.3f})"


def numpy_se(x, w1, b1, w2, b2):
    s = x.mean(axis=(2, 3))
    h = np.maximum(s @ w1.T + b1, 0)
    z = h @ w2.T + b2
    e = np.exp(-np.abs(z))
    e = np.where(z >= 0, 1 / (1 + e), e / (1 + e))  # sigmoid without overflow
    return x * e[:, :, None, None].astype(x.dtype)


def main():
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1, user_api="blas")
    except ImportError:
        pass
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    dt = np.dtype(args.dtype)
    nt = args.threads
    print(f"isa={fastconv.get_isa()} threads={nt or fastconv._kernels.max_threads()} dtype={dt}")

    print("times in ms: min (median)")
    print(f"{'separable 3x3 s1 p1':<22} {'fused':>15} {'2x conv2d':>15} {'speedup':>8}")
    for name, shape, o in SEPARABLE_CASES:
        c = shape[1]
        x = rng.standard_normal(shape).astype(dt)
        dw = rng.standard_normal((c, 1, 3, 3)).astype(dt)
        pw = rng.standard_normal((o, c, 1, 1)).astype(dt)
        db, pb = rng.standard_normal(c).astype(dt), rng.standard_normal(o).astype(dt)
        fused = lambda: fastconv.separable_conv2d(x, dw, pw, db, pb, padding=1, num_threads=nt)  # noqa: E731
        two = lambda: fastconv.conv2d(  # noqa: E731
            fastconv.conv2d(x, dw, db, padding=1, groups=c, num_threads=nt), pw, pb, num_threads=nt)
        np.testing.assert_allclose(fused(), two(), rtol=1e-3, atol=1e-3)
        tf, tu = interleaved([fused, two], args.repeat)
        print(f"{name:<22} {fmt(tf)} {fmt(tu)} {tu[0] / tf[0]:7.2f}x")

    print(f"{'squeeze_excitation r=4':<22} {'fastconv':>15} {'numpy':>15} {'speedup':>8}")
    for shape in SE_CASES:
        n, c = shape[:2]
        x = rng.standard_normal(shape).astype(dt)
        w1, b1 = rng.standard_normal((c // 4, c)).astype(dt), rng.standard_normal(c // 4).astype(dt)
        w2, b2 = rng.standard_normal((c, c // 4)).astype(dt), rng.standard_normal(c).astype(dt)
        fc = lambda: fastconv.squeeze_excitation(x, w1, b1, w2, b2, num_threads=nt)  # noqa: E731
        ref = lambda: numpy_se(x, w1, b1, w2, b2)  # noqa: E731
        np.testing.assert_allclose(fc(), ref(), rtol=1e-4, atol=1e-5)
        tf, tn = interleaved([fc, ref], args.repeat)
        print(f"{'x'.join(map(str, shape)):<22} {fmt(tf)} {fmt(tn)} {tn[0] / tf[0]:7.2f}x")


if __name__ == "__main__":
    main()
