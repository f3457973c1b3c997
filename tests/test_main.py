"""python -m fastconv: the self-check registry reports PASS/FAIL and sets the exit status."""
import io

import numpy as np
import pytest

import fastconv
from fastconv import __main__ as main_mod

SMALL = [c for c in main_mod.CASES if not c.bench]


def test_registry_covers_the_variants():
    variants = {c.variant.split()[0] for c in main_mod.CASES}
    assert {"dense", "1x1", "depthwise", "grouped", "dilated", "stem", "asymmetric", "NHWC", "float64"} <= variants
    assert all(c.family in main_mod.FAMILIES for c in main_mod.CASES)
    assert any(c.bench for c in main_mod.CASES) and SMALL


def test_checks_pass_on_every_isa():
    buf = io.StringIO()
    assert main_mod.run_checks(SMALL, file=buf) == 0
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip().startswith(("PASS", "FAIL"))]
    assert len(lines) == len(SMALL) * len(fastconv.available_isas())
    assert all(ln.strip().startswith("PASS") for ln in lines)


def test_a_wrong_kernel_fails_and_sets_exit_status(monkeypatch, capsys):
    real = fastconv.conv2d

    def off_by_a_little(*args, **kwargs):
        y = real(*args, **kwargs)
        y.flat[y.size // 2] += 1e-2 * (1 + abs(y.flat[y.size // 2]))
        return y

    monkeypatch.setattr(fastconv, "conv2d", off_by_a_little)
    monkeypatch.setattr(main_mod, "CASES", SMALL[:2])
    assert main_mod.main(["--no-bench"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "exceed the error bound" in out and "check(s) FAILED" in out


def test_an_exception_is_a_failure_not_a_crash(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(fastconv, "conv2d", broken)
    buf = io.StringIO()
    assert main_mod.run_checks(SMALL[:1], isas=fastconv.available_isas()[:1], file=buf) == 1
    assert "RuntimeError: boom" in buf.getvalue()


def test_benchmark_table(monkeypatch):
    case = main_mod.Case("conv2d", "tiny", ((1, 4, 8, 8), (4, 4, 3, 3), None), dict(padding=1), bench=True)
    monkeypatch.setattr(main_mod, "_time_interleaved", lambda fns: [1e-3] * len(fns))
    buf = io.StringIO()
    rows = main_mod.run_bench([case], threads=1, file=buf)
    assert len(rows) == 1
    assert rows[0]["gflops"] == pytest.approx(2 * 4 * 8 * 8 * 36 / 1e-3 / 1e9)
    assert "tiny" in buf.getvalue() and "GFLOP/s" in buf.getvalue()


def test_time_interleaved_runs_every_function():
    calls = [0, 0]

    def f0():
        calls[0] += 1

    def f1():
        calls[1] += 1

    times = main_mod._time_interleaved([f0, f1], budget_s=0.001, min_reps=3, max_reps=5)
    assert len(times) == 2 and calls[0] == calls[1] >= 4
    assert all(np.isfinite(times))


def test_benchmark_without_torch(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # import torch -> ImportError
    case = main_mod.Case("conv2d", "tiny", ((1, 4, 8, 8), (4, 4, 3, 3), None), dict(padding=1), bench=True)
    monkeypatch.setattr(main_mod, "_time_interleaved", lambda fns: [1e-3] * len(fns))
    buf = io.StringIO()
    rows = main_mod.run_bench([case], threads=1, file=buf)
    assert "torch: not installed" in buf.getvalue() and "torch_ms" not in rows[0]
