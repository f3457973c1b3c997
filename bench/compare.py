"""fastconv vs PyTorch (and torchvision for deform_conv2d), side by side.

Times both libraries interleaved in one process, at 1 thread and at all cores,
and prints per shape: both times, the ratio (PyTorch time / fastconv time, so
> 1 means fastconv is faster), fastconv's GFLOP/s and its fraction of the
machine's float32 FMA peak, measured with a small FMA loop timed in the same
rounds as the shape (see Timing).

    python bench/compare.py                 # issue shapes, 1 thread and all cores
    python bench/compare.py --extra         # plus other realistic layers
    python bench/compare.py --threads 1 --markdown
    python bench/compare.py --extra --nhwc  # channels-last, against torch channels_last

Timing: for each shape, R rounds; a round runs fastconv then the peer, each for
enough calls to fill about `--round-ms`, then the FMA loop once (about 10 ms);
each time is the median over rounds.  Interleaving makes all three see the
same machine load: on a shared guest whose speed drifts by 10-20% between
minutes, a peak taken once at the start (printed in the header, best of 0.3 s)
would mix the drift into the fraction of peak, so the fraction divides by the
FMA loop's median over the shape's own rounds (column "FMA peak"), per core
times the thread count.

For scale, the header also times a large float32 matrix product on one thread
(the peer's BLAS, or NumPy's) beside the same FMA loop: what fraction of that
loop's rate a vendor GEMM kernel reaches on this machine.
"""
import argparse
import ctypes
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastconv  # noqa: E402
from fastconv import _config, _kernels  # noqa: E402
from shapes import EXTRA_SHAPES, ISSUE_SHAPES, conv_args, conv_flops  # noqa: E402

try:
    import torch
except ImportError:  # the comparison column is optional
    torch = None


def fma_peak():
    """float32 GFLOP/s of one core with the ISA fastconv uses now."""
    return _kernels.fma_peak_gflops(_config._isa_index(), 0.3)


def keep_freed_memory():
    """Keep freed blocks up to 32 MB in the process (glibc mallopt), so that no
    call's output page-faults in afresh.  glibc hands a freed block above its
    mmap threshold back to the OS; the threshold moves with what was freed
    before, so whether a library's ~1 MB outputs came back as fresh zero pages
    (about 1000 faults a call) depended on the calls before it: torch's
    depthwise3x3_c144_56 measured 0.63 ms in one run of this script and 1.4-1.9
    ms in another, the kernel unchanged.  Both libraries run under the same
    setting.  False where there is no glibc."""
    try:
        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20) and
                    libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):
        return False


def fma_sample():
    """One timing of the FMA loop (the first of at least 10 ms), GFLOP/s of one core."""
    return _kernels.fma_peak_gflops(_config._isa_index(), 0.0)


def gemm_reference(n=2048, rounds=5):
    """GFLOP/s of one thread's n x n x n float32 matrix product (torch.mm when
    torch is installed, else NumPy's matmul), its library, and the FMA loop's
    median timed beside it."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    if torch is not None:
        torch.set_num_threads(1)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        f, lib = (lambda: torch.mm(ta, tb)), "torch.mm"
    else:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return None
        def f():
            with threadpool_limits(1):
                return a @ b
        lib = "numpy.matmul"
    t, _, pk = interleaved(f, None, rounds, 0.0, fma_sample)
    return 2.0 * n**3 / t / 1e9, lib, pk


def interleaved(f_a, f_b, rounds, round_s, probe=None):
    """Median per-call seconds of f_a and f_b, timed alternately (f_b may be None:
    NaN for it), and the median of probe() called once per round after them
    (None without a probe)."""
    fns = [f_a] if f_b is None else [f_a, f_b]
    for f in fns:  # warm up (allocations, thread pools, caches)
        f()
    per = []
    for f in fns:
        t = time.perf_counter()
        f()
        per.append(max(time.perf_counter() - t, 1e-6))
    reps = [max(1, int(round_s / p)) for p in per]
    ta, tb, tp = [], [], []
    for _ in range(rounds):
        for f, n, out in zip(fns, reps, (ta, tb)):
            t = time.perf_counter()
            for _ in range(n):
                f()
            out.append((time.perf_counter() - t) / n)
        if probe is not None:
            tp.append(probe())
    return (statistics.median(ta), statistics.median(tb) if tb else math.nan,
            statistics.median(tp) if tp else None)


def conv_cases(names, nhwc=False):
    """With nhwc: channels-last input and output (fastconv layout="NHWC", torch
    tensors in channels_last memory format, which its oneDNN path reads directly)."""
    shapes = {**ISSUE_SHAPES, **EXTRA_SHAPES}
    rng = np.random.default_rng(0)
    for name in names:
        s = shapes[name]
        xs, ws, kw = conv_args(s)
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        b = rng.standard_normal(ws[0], dtype=np.float32)
        if nhwc:
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
            kw = dict(kw, layout="NHWC")
        y = fastconv.conv2d(x, w, b, **kw)
        flops = conv_flops(s, y.transpose(0, 3, 1, 2).shape if nhwc else y.shape)

        def run_fc(nt, x=x, w=w, b=b, kw=kw):
            return lambda: fastconv.conv2d(x, w, b, **kw, num_threads=nt)

        run_peer = None
        if torch is not None:
            tkw = {k: v for k, v in kw.items() if k != "layout"}
            tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
            if nhwc:
                tx = tx.permute(0, 3, 1, 2)  # a channels_last view, no copy
                tw = tw.contiguous(memory_format=torch.channels_last)
            ref = torch.nn.functional.conv2d(tx, tw, tb, **tkw)
            ref = (ref.permute(0, 2, 3, 1) if nhwc else ref).numpy()
            scale = np.abs(ref).max() + 1
            assert np.abs(ref - y).max() <= 1e-3 * scale, f"{name}: fastconv and torch disagree"

            def run_peer(tx=tx, tw=tw, tb=tb, kw=tkw):
                return torch.nn.functional.conv2d(tx, tw, tb, **kw)
        yield name + ("_nhwc" if nhwc else ""), s["kind"], flops, run_fc, run_peer


def deform_cases():
    """deform_conv2d shapes (bench/deform_shapes.py) vs torchvision, when both exist."""
    if not hasattr(fastconv, "deform_conv2d"):
        return
    try:
        from deform_shapes import DEFORM_SHAPES, make_deform_inputs
    except ImportError:
        return
    try:
        import torchvision.ops as tvops
    except Exception:  # noqa: BLE001 - absent or broken torchvision
        tvops = None
    for name, s in DEFORM_SHAPES.items():
        inp = make_deform_inputs(s)
        y = fastconv.deform_conv2d(**inp["fastconv"])
        flops = inp["flops"]

        def run_fc(nt, inp=inp):
            return lambda: fastconv.deform_conv2d(**inp["fastconv"], num_threads=nt)

        run_peer = None
        if tvops is not None:
            targs = {k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v)
                     for k, v in inp["torchvision"].items()}
            ref = tvops.deform_conv2d(**targs).numpy()
            assert np.abs(ref - y).max() <= 1e-3 * (np.abs(ref).max() + 1), f"{name}: mismatch"

            def run_peer(targs=targs):
                return tvops.deform_conv2d(**targs)
        yield name, "deform", flops, run_fc, run_peer


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="*", help="thread counts (default: 1 and all cores)")
    ap.add_argument("--extra", action="store_true", help="also the EXTRA_SHAPES")
    ap.add_argument("--only", nargs="*", help="shape names to run")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--round-ms", type=float, default=30.0)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--no-deform", action="store_true")
    ap.add_argument("--nhwc", action="store_true",
                    help="channels-last conv2d (layout='NHWC', torch channels_last) instead")
    args = ap.parse_args(argv)

    cores = os.cpu_count() or 1
    threads = args.threads or sorted({1, cores})
    pinned = keep_freed_memory()
    names = args.only or list(ISSUE_SHAPES) + (list(EXTRA_SHAPES) if args.extra else [])
    peak1 = fma_peak()
    peer = f"torch {torch.__version__}" if torch is not None else "torch: not installed"
    print(f"# fastconv {fastconv.__version__} ({_config.get_isa()}), {peer}, "
          f"{time.strftime('%Y-%m-%d')}, {_cpu_name()}, {cores} cores")
    print(f"# measured float32 FMA peak: {peak1:.1f} GFLOP/s per core (best of 0.3 s, now; "
          "each row's fraction uses the FMA loop timed in its own rounds)")
    print("# freed blocks up to 32 MB stay mapped (mallopt): no output page-faults in"
          if pinned else "# malloc thresholds left as they are (no glibc mallopt)")
    ref = None if args.only else gemm_reference()
    if ref is not None:
        gf, lib, pk = ref
        print(f"# for scale: {lib} 2048^3 float32 on 1 thread {gf:.1f} GFLOP/s, "
              f"{100 * gf / pk:.0f}% of the FMA loop timed beside it ({pk:.1f})")

    cases = list(conv_cases([n for n in names if n in {**ISSUE_SHAPES, **EXTRA_SHAPES}], args.nhwc))
    if not args.no_deform and not args.nhwc:
        cases += [c for c in deform_cases() if not args.only or c[0] in args.only]
    rows = []
    for nt in threads:
        if torch is not None:
            torch.set_num_threads(nt)
        for name, kind, flops, run_fc, run_peer in cases:
            f = run_fc(nt)
            t_fc, t_peer, pk = interleaved(f, run_peer, args.rounds, args.round_ms / 1e3,
                                           fma_sample)
            gf = flops / t_fc / 1e9
            rows.append(dict(name=name, kind=kind, threads=nt, fc_ms=t_fc * 1e3, peer_ms=t_peer * 1e3,
                             ratio=t_peer / t_fc, gflops=gf, fma=pk, peak=gf / (pk * nt)))
            _print_row(rows[-1], args.markdown, header=len(rows) == 1)
    _summary(rows)
    return rows


def _print_row(r, markdown, header):
    if markdown:
        if header:
            print("| shape | threads | fastconv ms | peer ms | speed-up | GFLOP/s | FMA peak/core | "
                  "% of FMA peak |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {r['name']} | {r['threads']} | {r['fc_ms']:.3f} | {r['peer_ms']:.3f} | "
              f"{r['ratio']:.2f}x | {r['gflops']:.1f} | {r['fma']:.1f} | {100 * r['peak']:.0f}% |")
    else:
        if header:
            print(f"{'shape':28s} {'thr':>3s} {'fastconv ms':>12s} {'peer ms':>10s} {'speed-up':>9s} "
                  f"{'GFLOP/s':>8s} {'FMA/core':>8s} {'peak':>6s}")
        print(f"{r['name']:28s} {r['threads']:3d} {r['fc_ms']:12.3f} {r['peer_ms']:10.3f} "
              f"{r['ratio']:8.2f}x {r['gflops']:8.1f} {r['fma']:8.1f} {100 * r['peak']:5.0f}%",
              flush=True)


def _summary(rows):
    """Geometric means per target group, as the targets are stated."""
    groups = {"dense/dilated/asym/1x1/stem": {"dense", "dilated", "asymmetric", "1x1", "stem"},
              "depthwise": {"depthwise"}, "grouped": {"grouped"}, "deform": {"deform"}}
    for nt in sorted({r["threads"] for r in rows}):
        for label, kinds in groups.items():
            rs = [r["ratio"] for r in rows if r["threads"] == nt and r["kind"] in kinds
                  and not math.isnan(r["ratio"])]
            if rs:
                gm = math.exp(sum(math.log(v) for v in rs) / len(rs))
                print(f"# {nt} thread(s), {label}: geometric-mean speed-up {gm:.2f}x, "
                      f"min {min(rs):.2f}x over {len(rs)} shapes")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
