"""python -m fastconv: build configuration, self-check, benchmark table.

1. ``show_config()``;
2. every case in CASES, on every available ISA, against the NumPy oracle, one
   PASS/FAIL line each (exit status 1 if anything fails), using the same error
   bound as the test suite (fastconv.testing);
3. a small table: time and GFLOP/s per benchmarked case, with a PyTorch column
   and the ratio when torch is importable (timed interleaved, same thread count).

Adding a kernel family: one FAMILIES entry (how to build its inputs, its
reduction length, its flop count, its torch equivalent), then one CASES entry per
row.  Options: --no-check, --no-bench, --threads N.
"""
import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

import fastconv
from fastconv import reference
from fastconv.testing import assert_matches_oracle


# ---- kernel families ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """How to run, check and time one kernel family (fastconv.NAME vs reference.NAME)."""
    inputs: Callable     # (rng, case) -> positional array arguments
    k: Callable          # (args, kwargs) -> products summed per output element (error bound)
    flops: Callable      # (args, kwargs, out) -> floating-point operations of one call
    torch: Optional[Callable] = None  # (args, kwargs) -> zero-argument callable running the torch
                                      # equivalent, or None when there is none
    abs_args: Optional[tuple] = None  # see fastconv.testing.magnitude


def _normal_inputs(rng, case):
    """Standard normal arrays of case.shapes in case.dtype (None stays None)."""
    return [None if s is None else rng.standard_normal(s).astype(case.dtype) for s in case.shapes]


def _conv2d_k(args, kwargs):
    _, cg, kh, kw = args[1].shape
    return cg * kh * kw


def _conv2d_flops(args, kwargs, out):
    return 2.0 * out.size * _conv2d_k(args, kwargs)


def _torch_conv2d(args, kwargs):
    import torch
    import torch.nn.functional as F

    x, w, b = (None if a is None else torch.from_numpy(np.ascontiguousarray(a)) for a in args)
    kw = dict(kwargs)
    if kw.pop("layout", "NCHW") == "NHWC":
        x = x.permute(0, 3, 1, 2)  # a channels_last tensor: torch runs its NHWC kernels
    return lambda: F.conv2d(x, w, b, **kw)


FAMILIES = {
    "conv2d": Family(inputs=_normal_inputs, k=_conv2d_k, flops=_conv2d_flops, torch=_torch_conv2d),
}


# ---- cases -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    family: str                 # key of FAMILIES; also the function name in fastconv and reference
    variant: str                # row label
    shapes: tuple               # shapes of the positional array arguments (None: pass None)
    kwargs: dict = field(default_factory=dict)
    dtype: str = "float32"
    bench: bool = False         # also a row of the benchmark table

    def describe(self):
        shapes = "x".join("-" if s is None else "(" + ",".join(map(str, s)) + ")" for s in self.shapes)
        kw = ", ".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{shapes}" + (f" {kw}" if kw else "")


# Each variant: a small odd-sized shape (check only) and a realistic one (checked and timed).
CASES = [
    Case("conv2d", "dense 3x3", ((2, 5, 11, 13), (7, 5, 3, 3), (7,)), dict(padding=1)),
    Case("conv2d", "dense 3x3", ((1, 64, 56, 56), (64, 64, 3, 3), (64,)), dict(padding=1), bench=True),
    Case("conv2d", "1x1", ((2, 6, 7, 9), (10, 6, 1, 1), None)),
    Case("conv2d", "1x1", ((1, 128, 28, 28), (256, 128, 1, 1), None), bench=True),
    Case("conv2d", "depthwise 3x3", ((2, 7, 10, 9), (7, 1, 3, 3), (7,)), dict(padding=1, groups=7)),
    Case("conv2d", "depthwise 3x3 x2", ((1, 5, 9, 12), (10, 1, 3, 3), None), dict(stride=2, groups=5)),
    Case("conv2d", "depthwise 3x3", ((1, 128, 56, 56), (128, 1, 3, 3), (128,)), dict(padding=1, groups=128),
         bench=True),
    Case("conv2d", "grouped 3x3 g=4", ((2, 8, 9, 11), (12, 2, 3, 3), (12,)), dict(padding=1, groups=4)),
    Case("conv2d", "grouped 3x3 g=8", ((1, 128, 28, 28), (128, 16, 3, 3), None), dict(padding=1, groups=8),
         bench=True),
    Case("conv2d", "dilated 3x3 d=2", ((1, 4, 12, 13), (6, 4, 3, 3), None), dict(padding=2, dilation=2)),
    Case("conv2d", "dilated 3x3 d=2", ((1, 64, 28, 28), (64, 64, 3, 3), None), dict(padding=2, dilation=2),
         bench=True),
    Case("conv2d", "stem 7x7/2", ((1, 3, 21, 22), (8, 3, 7, 7), (8,)), dict(stride=2, padding=3)),
    Case("conv2d", "stem 7x7/2", ((1, 3, 224, 224), (64, 3, 7, 7), (64,)), dict(stride=2, padding=3), bench=True),
    Case("conv2d", "asymmetric 1x7", ((1, 6, 9, 17), (5, 6, 1, 7), None), dict(padding=(0, 3))),
    Case("conv2d", "asymmetric 7x1", ((1, 64, 17, 17), (64, 64, 7, 1), None), dict(padding=(3, 0)), bench=True),
    Case("conv2d", "same, even kernel", ((2, 3, 8, 9), (4, 3, 2, 4), (4,)), dict(padding="same")),
    Case("conv2d", "NHWC 3x3", ((2, 9, 10, 6), (8, 6, 3, 3), (8,)), dict(padding=1, layout="NHWC")),
    Case("conv2d", "NHWC 3x3", ((1, 56, 56, 64), (64, 64, 3, 3), (64,)), dict(padding=1, layout="NHWC"),
         bench=True),
    Case("conv2d", "float64 3x3", ((2, 5, 11, 13), (7, 5, 3, 3), (7,)), dict(padding=1), dtype="float64"),
    Case("conv2d", "float64 3x3", ((1, 32, 56, 56), (32, 32, 3, 3), (32,)), dict(padding=1), dtype="float64",
         bench=True),
]


# ---- deformable convolution ---------------------------------------------------------------------
# deform_conv2d takes its mask after stride/padding/dilation, so its cases pass every argument
# positionally: DeformCase.geometry holds (stride, padding, dilation), Case.kwargs stays empty.

@dataclass(frozen=True)
class DeformCase(Case):
    geometry: tuple = (1, 0, 1)  # stride, padding, dilation

    def describe(self):
        s, p, d = self.geometry
        return super().describe() + f" stride={s}, padding={p}, dilation={d}"


def _deform_inputs(rng, case):
    """input, offset ~ N(0, 2), weight, bias, geometry, mask ~ U(0, 1) (or None)."""
    x, off, w, b, m = case.shapes
    arrays = [rng.standard_normal(x), 2.0 * rng.standard_normal(off), rng.standard_normal(w) / np.sqrt(np.prod(w[1:])),
              None if b is None else rng.standard_normal(b), None if m is None else rng.random(m)]
    x, off, w, b, m = (None if a is None else a.astype(case.dtype) for a in arrays)
    return [x, off, w, b, *case.geometry, m]


def _deform_k(args, kwargs):
    return _conv2d_k(args[1:], kwargs)  # args[1:][1] is the weight


def _deform_flops(args, kwargs, out):
    return 2.0 * out.size * _deform_k(args, kwargs)


def _torch_deform(args, kwargs):
    try:
        import torch
        from torchvision.ops import deform_conv2d
    except ImportError:
        return None
    x, off, w, b, s, p, d, m = (torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args)
    return lambda: deform_conv2d(x, off, w, b, s, p, d, mask=m)


FAMILIES["deform_conv2d"] = Family(inputs=_deform_inputs, k=_deform_k, flops=_deform_flops,
                                   torch=_torch_deform, abs_args=(0, 2, 3, 7))
CASES += [
    DeformCase("deform_conv2d", "3x3 og=2 mask", ((2, 6, 11, 13), (2, 36, 11, 13), (5, 6, 3, 3), (5,),
                                                  (2, 18, 11, 13)), geometry=(1, 1, 1)),
    DeformCase("deform_conv2d", "3x3 /2 groups=2", ((1, 8, 12, 9), (1, 18, 6, 5), (6, 4, 3, 3), None, None),
               geometry=(2, 1, 1)),
    DeformCase("deform_conv2d", "depthwise 3x3", ((1, 8, 10, 10), (1, 18, 10, 10), (8, 1, 3, 3), None, None),
               geometry=(1, 1, 1)),
    DeformCase("deform_conv2d", "3x3 c64", ((1, 64, 56, 56), (1, 18, 56, 56), (64, 64, 3, 3), (64,), None),
               geometry=(1, 1, 1), bench=True),
    DeformCase("deform_conv2d", "3x3 c64 mask", ((1, 64, 56, 56), (1, 18, 56, 56), (64, 64, 3, 3), (64,),
                                                 (1, 9, 56, 56)), geometry=(1, 1, 1), bench=True),
]


# ---- self-check --------------------------------------------------------------------------------

def _inputs(case, seed=0):
    return FAMILIES[case.family].inputs(np.random.default_rng(seed), case)


def check_case(case, args, expected=None):
    """Run one case on the current ISA; (ok, message)."""
    fam = FAMILIES[case.family]
    fn = getattr(fastconv, case.family)
    oracle = getattr(reference, case.family)
    try:
        y = fn(*args, **case.kwargs)
        assert_matches_oracle(y, oracle, *args, k=fam.k(args, case.kwargs), abs_args=fam.abs_args,
                              **case.kwargs)
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def run_checks(cases=None, isas=None, file=None):
    """Check every case on every ISA; prints one line each, returns the number of failures."""
    file = file or sys.stdout
    cases = CASES if cases is None else cases
    isas = fastconv.available_isas() if isas is None else isas
    prev = fastconv.get_isa()
    failures = 0
    print(f"\nself-check against fastconv.reference ({len(cases)} cases x ISAs {', '.join(isas)})", file=file)
    try:
        for case in cases:
            args = _inputs(case)
            for isa in isas:
                fastconv.set_isa(isa)
                ok, msg = check_case(case, args)
                failures += not ok
                print(f"  {'PASS' if ok else 'FAIL'}  {case.family:<8} {case.variant:<18} {case.dtype:<8} "
                      f"{isa:<8} {case.describe()}" + (f"\n        {msg}" if msg else ""), file=file)
    finally:
        fastconv.set_isa(prev)
    return failures


# ---- benchmark ---------------------------------------------------------------------------------

def _time_interleaved(fns, budget_s=0.3, min_reps=3, max_reps=50):
    """Median seconds per call of each function, calling them in turn (noise hits all alike)."""
    warm = []
    for f in fns:
        t0 = time.perf_counter()
        f()
        warm.append(time.perf_counter() - t0)
    reps = int(min(max_reps, max(min_reps, budget_s / max(sum(warm), 1e-6))))
    times = [[] for _ in fns]
    for _ in range(reps):
        for f, ts in zip(fns, times):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)) for ts in times]


def _torch_available(threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch.__version__


def run_bench(cases=None, threads=None, file=None):
    """Print the benchmark table for the cases marked bench=True; returns its rows."""
    file = file or sys.stdout
    cases = [c for c in (CASES if cases is None else cases) if c.bench]
    nthreads = threads or fastconv._kernels.max_threads()
    torch_version = _torch_available(nthreads)
    peer = f"torch {torch_version}" if torch_version else "torch: not installed"
    print(f"\nbenchmark: isa {fastconv.get_isa()}, {nthreads} threads, median of interleaved runs; {peer}",
          file=file)
    head = f"  {'kernel':<8} {'variant':<18} {'dtype':<8} {'ms':>9} {'GFLOP/s':>9}"
    if torch_version:
        head += f" {'torch ms':>9} {'GFLOP/s':>9} {'speedup':>8}"
    print(head + "  shapes", file=file)
    rows = []
    for case in cases:
        fam = FAMILIES[case.family]
        args = _inputs(case)
        fn = getattr(fastconv, case.family)
        fns = [lambda: fn(*args, **case.kwargs, num_threads=threads)]
        peer_fn = fam.torch(args, case.kwargs) if torch_version and fam.torch else None
        if peer_fn is not None:
            fns.append(peer_fn)
        times = _time_interleaved(fns)
        flops = fam.flops(args, case.kwargs, fns[0]())
        row = dict(case=case, ms=1e3 * times[0], gflops=flops / times[0] / 1e9)
        line = f"  {case.family:<8} {case.variant:<18} {case.dtype:<8} {row['ms']:9.3f} {row['gflops']:9.1f}"
        if peer_fn is not None:
            row.update(torch_ms=1e3 * times[1], torch_gflops=flops / times[1] / 1e9, speedup=times[1] / times[0])
            line += f" {row['torch_ms']:9.3f} {row['torch_gflops']:9.1f} {row['speedup']:7.2f}x"
        elif torch_version:
            line += f" {'-':>9} {'-':>9} {'-':>8}"
        print(line + "  " + case.describe(), file=file)
        rows.append(row)
    if torch_version:
        print("  speedup = torch time / fastconv time (> 1: fastconv is faster)", file=file)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m fastconv", description=__doc__.split("\n")[0])
    p.add_argument("--no-check", action="store_true", help="skip the self-check")
    p.add_argument("--no-bench", action="store_true", help="skip the benchmark table")
    p.add_argument("--threads", type=int, default=None, help="threads for the benchmark (default: all)")
    a = p.parse_args(argv)
    fastconv.show_config()
    failures = 0 if a.no_check else run_checks()
    if failures:
        print(f"\n{failures} check(s) FAILED")
    elif not a.no_check:
        print("\nall checks passed")
    if not a.no_bench:
        run_bench(threads=a.threads)
    sys.stdout.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
