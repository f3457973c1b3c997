"""fastconv.deform_conv2d vs torchvision.ops.deform_conv2d, side by side.

    PYTHONPATH=src python bench/compare_deform.py [--threads 1 2] [--repeat 7] [shape ...]

Both run in this process, interleaved call by call so that machine noise hits
both alike; each time is the best of --repeat runs (the machine this was
written on is shared, and the minimum is the least noisy statistic).  With torchvision
missing, only the fastconv columns are printed.  The last columns compare
deform_conv2d with zero offsets against fastconv.conv2d on the same shape
(the "at least half of conv2d" target): conv2d time / deform time.
torch is never a dependency of fastconv; run this in a separate venv.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastconv  # noqa: E402
from deform_shapes import SHAPES, flops, make_arrays  # noqa: E402

try:
    import torch
    import torchvision.ops

    HAVE_TV = True
except ImportError:
    HAVE_TV = False

try:  # NumPy's BLAS pool spins between calls and fights OpenMP for the cores
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
except ImportError:
    pass


def best_interleaved(fns, repeat):
    """Best time of each callable, calling them round-robin."""
    for f in fns:
        f()  # warm-up (allocations, thread pool start)
    times = [[] for _ in fns]
    for _ in range(repeat):
        for k, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return [float(np.min(t)) for t in times]


def run_shape(name, spec, threads, repeat):
    x, off, w, b, m = make_arrays(spec)
    st, pd, dl = spec["stride"], spec["padding"], spec["dilation"]
    zoff = np.zeros_like(off)
    fns = [
        lambda: fastconv.deform_conv2d(x, off, w, b, st, pd, dl, mask=m, num_threads=threads),
        lambda: fastconv.deform_conv2d(x, zoff, w, b, st, pd, dl, mask=None, num_threads=threads),
        lambda: fastconv.conv2d(x, w, b, st, pd, dl, groups=spec["groups"], num_threads=threads),
    ]
    if HAVE_TV:
        torch.set_num_threads(threads)
        tx, toff, tw, tb = (torch.from_numpy(a) for a in (x, off, w, b))
        tm = None if m is None else torch.from_numpy(m)
        ref = torchvision.ops.deform_conv2d(tx, toff, tw, tb, st, pd, dl, mask=tm).numpy()
        got = fastconv.deform_conv2d(x, off, w, b, st, pd, dl, mask=m)
        err = float(np.abs(ref - got).max() / max(1e-30, np.abs(ref).max()))
        with torch.inference_mode():
            fns.append(lambda: torchvision.ops.deform_conv2d(tx, toff, tw, tb, st, pd, dl, mask=tm))
            t = best_interleaved(fns, repeat)
    else:
        err = float("nan")
        t = best_interleaved(fns, repeat) + [float("nan")]
    gf = flops(spec) / 1e9
    return dict(name=name, threads=threads, fc=t[0], tv=t[3], zero=t[1], conv=t[2],
                gf_fc=gf / t[0], gf_tv=gf / t[3], speedup=t[3] / t[0], conv_ratio=t[2] / t[1], err=err)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shapes", nargs="*", default=list(SHAPES))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="seconds of multi-threaded calls first: on a VM an idle vCPU wakes slowly")
    args = ap.parse_args()
    x, off, w, b, m = make_arrays(SHAPES[args.shapes[0]])
    t_end = time.perf_counter() + args.warmup
    while time.perf_counter() < t_end:
        fastconv.deform_conv2d(x, off, w, b, 1, 1, num_threads=max(args.threads))
    print(f"fastconv isa={fastconv.get_isa()}  torchvision={'yes ' + torchvision.__version__ if HAVE_TV else 'not installed'}")
    hdr = (f"{'shape':<24}{'thr':>4}{'fastconv ms':>12}{'tv ms':>10}{'fc GF/s':>9}{'tv GF/s':>9}"
           f"{'x tv':>7}{'zero-off ms':>12}{'conv2d ms':>10}{'conv/zero':>10}{'rel err':>9}")
    print(hdr)
    print("-" * len(hdr))
    for name in args.shapes:
        for thr in args.threads:
            r = run_shape(name, SHAPES[name], thr, args.repeat)
            print(f"{r['name']:<24}{r['threads']:>4}{r['fc'] * 1e3:>12.2f}{r['tv'] * 1e3:>10.2f}"
                  f"{r['gf_fc']:>9.1f}{r['gf_tv']:>9.1f}{r['speedup']:>7.1f}{r['zero'] * 1e3:>12.2f}"
                  f"{r['conv'] * 1e3:>10.2f}{r['conv_ratio']:>10.2f}{r['err']:>9.1e}", flush=True)


if __name__ == "__main__":
    main()
