"""pytest-benchmark regression suite for conv2d (fastconv only, float32).

    pytest bench/ --benchmark-only --benchmark-autosave          # saves JSON in .benchmarks/
    pytest bench/ --benchmark-only --benchmark-compare           # against the last saved run
    pytest bench/ --benchmark-only --benchmark-compare=0001 --benchmark-compare-fail=median:10%

Thread count: FASTCONV_BENCH_THREADS (default 1), so runs are comparable.
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastconv  # noqa: E402
from shapes import EXTRA_SHAPES, ISSUE_SHAPES, conv_args, conv_flops  # noqa: E402

THREADS = int(os.environ.get("FASTCONV_BENCH_THREADS", "1"))
ALL = {**ISSUE_SHAPES, **EXTRA_SHAPES}


@pytest.mark.parametrize("name", list(ALL))
def test_conv2d(benchmark, name):
    s = ALL[name]
    xs, ws, kw = conv_args(s)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs, dtype=np.float32)
    w = rng.standard_normal(ws, dtype=np.float32)
    out = fastconv.conv2d(x, w, **kw)
    benchmark.extra_info.update(threads=THREADS, isa=fastconv.get_isa(), flops=conv_flops(s, out.shape))
    benchmark(fastconv.conv2d, x, w, **kw, out=out, num_threads=THREADS)
