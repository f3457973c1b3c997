"""Concurrent use: Python threads calling every kernel at once, the GIL released
during a kernel, and threadpoolctl controlling fastconv's OpenMP threads.

Kernels that have not landed yet (``hasattr(fastconv, name)`` false) are left
out of the mix, so this file runs before and after they arrive.
"""
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import fastconv


def _rand(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def kernel_calls(rng):
    """(label, function, args, kwargs) for every public kernel present, both dtypes."""
    calls = []
    for dt in (np.float32, np.float64):
        tag = np.dtype(dt).name
        calls += [
            (f"conv2d-dense-{tag}", "conv2d", (_rand(rng, (2, 16, 15, 17), dt), _rand(rng, (24, 16, 3, 3), dt)),
             dict(padding=1)),
            (f"conv2d-depthwise-{tag}", "conv2d", (_rand(rng, (2, 12, 20, 21), dt), _rand(rng, (12, 1, 5, 5), dt),
                                                   _rand(rng, (12,), dt)), dict(padding=2, groups=12)),
            (f"conv2d-grouped-nhwc-{tag}", "conv2d", (_rand(rng, (1, 11, 13, 8), dt), _rand(rng, (8, 2, 3, 3), dt)),
             dict(stride=2, dilation=(1, 2), groups=4, layout="NHWC")),
            (f"deform_conv2d-{tag}", "deform_conv2d",
             (_rand(rng, (2, 6, 9, 9), dt), 2 * _rand(rng, (2, 2 * 2 * 9, 7, 7), dt), _rand(rng, (8, 3, 3, 3), dt)),
             dict(mask=_rand(rng, (2, 2 * 9, 7, 7), dt))),
            (f"channel_shuffle-{tag}", "channel_shuffle", (_rand(rng, (2, 12, 9, 9), dt), 3), {}),
            (f"separable_conv2d-{tag}", "separable_conv2d",
             (_rand(rng, (2, 8, 14, 14), dt), _rand(rng, (16, 1, 3, 3), dt), _rand(rng, (10, 16, 1, 1), dt)),
             dict(padding=1)),
            (f"squeeze_excitation-{tag}", "squeeze_excitation",
             (_rand(rng, (2, 16, 9, 9), dt), _rand(rng, (4, 16), dt), _rand(rng, (4,), dt),
              _rand(rng, (16, 4), dt), _rand(rng, (16,), dt)), {}),
        ]
    return [c for c in calls if hasattr(fastconv, c[1])]


def test_threads_calling_every_kernel_match_serial_results():
    """8 Python threads, each running every kernel several times in its own order
    and with its own num_threads, reproduce the serial results bit for bit."""
    rng = np.random.default_rng(20240607)
    calls = kernel_calls(rng)
    assert any(c[1] == "conv2d" for c in calls)
    expected = {label: getattr(fastconv, fn)(*args, **kw, num_threads=1) for label, fn, args, kw in calls}
    snapshots = {label: [a.copy() for a in args if isinstance(a, np.ndarray)] for label, _f, args, _k in calls}
    errors = []
    barrier = threading.Barrier(8)

    def worker(seed):
        order = np.random.default_rng(seed).permutation(len(calls) * 3) % len(calls)
        nthreads = (None, 1, 2)[seed % 3]
        try:
            barrier.wait()  # start together, so the calls really overlap
            for i in order:
                label, fn, args, kw = calls[i]
                y = getattr(fastconv, fn)(*args, **kw, num_threads=nthreads)
                if y.dtype != expected[label].dtype or y.tobytes() != expected[label].tobytes():
                    errors.append(f"{label} in thread {seed} (num_threads={nthreads}) differs from serial")
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(f"thread {seed}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a kernel call hung"
    assert not errors, errors[:10]
    for label, fn, args, _kw in calls:  # inputs are never modified, even under contention
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        assert all(np.array_equal(a, s) for a, s in zip(arrays, snapshots[label])), label


def _progress_during(call):
    """How many steps a pure-Python thread made while `call()` ran in another thread.

    The switch interval is raised so that CPython does not take the GIL from a
    thread by force during the call (which must be shorter than a second): the
    counting thread can then only run while the caller releases the GIL itself.
    A call that keeps the GIL gives exactly 0."""
    state = {"count": 0, "stop": False}
    marks = {}

    def count():
        while not state["stop"]:
            state["count"] += 1
            time.sleep(0)  # releases the GIL for a moment

    def run():
        marks["before"] = state["count"]
        call()
        marks["after"] = state["count"]

    old = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        counter = threading.Thread(target=count)
        counter.start()
        caller = threading.Thread(target=run)
        caller.start()
        caller.join(timeout=120)
        state["stop"] = True
        counter.join(timeout=10)
    finally:
        sys.setswitchinterval(old)
    return marks["after"] - marks["before"]


def _scaled_call(fn, args, kw, batch_args, seconds=0.03):
    """fn(*args, **kw) with the batch axis of the arguments in `batch_args`
    (positions or keywords) repeated until one call takes about `seconds`.
    The unit call is timed warm (best of 3): a first call slowed by a busy
    machine (16 test workers on 16 cores) once sized the repeated call at ~20 us,
    too short for the counting thread to wake during it."""
    fn(*args, **kw, num_threads=1)
    unit = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn(*args, **kw, num_threads=1)
        unit = min(unit, time.perf_counter() - start)
    nbytes = sum(a.nbytes for a in args if isinstance(a, np.ndarray))
    reps = int(min(max(1, (64 << 20) // nbytes), max(1, seconds / max(unit, 1e-6))))

    def tile(k, v):
        return np.ascontiguousarray(np.concatenate([v] * reps)) if k in batch_args and v is not None else v

    big = tuple(tile(i, a) for i, a in enumerate(args))
    bkw = {k: tile(k, v) for k, v in kw.items()}
    return lambda: fn(*big, **bkw, num_threads=1)


def _progress_any(call, tries=20):
    """_progress_during, retried: a memory-bound kernel may finish before the
    counting thread is scheduled, but a call that keeps the GIL never shows progress."""
    steps = 0
    for _ in range(tries):
        steps = _progress_during(call)
        if steps > 0:
            break
    return steps


def test_gil_is_released_during_a_long_convolution():
    rng = np.random.default_rng(1)
    x, w = _rand(rng, (4, 64, 48, 48)), _rand(rng, (64, 64, 3, 3))
    # control: a pure-Python busy loop (~10 ms) keeps the GIL -> exactly no progress
    assert _progress_during(lambda: sum(i * i for i in range(100_000))) == 0
    steps = _progress_any(_scaled_call(fastconv.conv2d, (x, w), dict(padding=1), {0}, seconds=0.1))
    assert steps > 0, "the Python thread made no progress while conv2d ran: GIL not released"


# which arguments carry the batch axis, per kernel
BATCH_ARGS = {"deform_conv2d": {0, 1, "mask"}, "channel_shuffle": {0}, "separable_conv2d": {0},
              "squeeze_excitation": {0}}


@pytest.mark.parametrize("name", sorted(BATCH_ARGS))
def test_gil_is_released_by_other_kernels(name):
    if not hasattr(fastconv, name):
        pytest.skip(f"fastconv.{name} not available")
    rng = np.random.default_rng(2)
    label, fn, args, kw = next(c for c in kernel_calls(rng) if c[1] == name and c[0].endswith("float64"))
    steps = _progress_any(_scaled_call(getattr(fastconv, fn), args, kw, BATCH_ARGS[name], seconds=0.05))
    assert steps > 0, f"{label}: the Python thread made no progress: GIL not released"


THREADPOOLCTL_CHILD = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import threadpoolctl
    import fastconv
    from fastconv import _kernels

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    maps = open("/proc/self/maps").read()
    info = threadpoolctl.threadpool_info()
    gomp = [i for i in info if i["user_api"] == "openmp"]
    x = np.ones((1, 32, 64, 64), np.float32)  # worth 3 threads (fc_conv2d_threads)
    w = np.ones((32, 32, 3, 3), np.float32)
    t0 = os_threads()
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        limited_max = _kernels.max_threads()
        fastconv.conv2d(x, w, padding=1)
        t_limited = os_threads()
    default_max = _kernels.max_threads()
    fastconv.conv2d(x, w, padding=1)
    t_default = os_threads()
    print(json.dumps(dict(openmp=gomp, maps_has=[os.path.realpath(i["filepath"]) in maps for i in gomp],
                          limited_max=limited_max, default_max=default_max,
                          t0=t0, t_limited=t_limited, t_default=t_default)))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc/self/task")
def test_threadpoolctl_sees_and_limits_fastconv_openmp():
    """In a fresh process (no OpenMP threads yet): threadpoolctl lists the OpenMP
    runtime fastconv loaded, and under threadpool_limits(1) a conv2d call starts
    no worker thread at all; without the limit it starts OMP_NUM_THREADS - 1."""
    pytest.importorskip("threadpoolctl")
    if "none" in fastconv._kernels.build_info()["openmp"]:
        pytest.skip("serial build (no OpenMP)")
    import json

    env = dict(os.environ, OMP_NUM_THREADS="3")
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(fastconv.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkg_root] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    out = subprocess.run([sys.executable, "-c", THREADPOOLCTL_CHILD], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["openmp"], "threadpoolctl.threadpool_info() lists no OpenMP runtime after importing fastconv"
    assert all(r["maps_has"]), f"threadpoolctl lists an OpenMP runtime that is not loaded: {r['openmp']}"
    assert r["limited_max"] == 1 and r["default_max"] == 3, r
    assert r["t_limited"] == r["t0"], f"threadpool_limits(1) still started OpenMP threads: {r}"
    assert r["t_default"] == r["t0"] + 2, f"expected OMP_NUM_THREADS=3 -> 2 worker threads: {r}"


def _threads_for(xs, ws, nthreads, dtype=np.float32, stride=1, padding=0, groups=1):
    """fc_conv2d_threads for conv2d(zeros(xs), zeros(ws)) (zero-stride arrays: only
    their shapes are read)."""
    x = np.broadcast_to(np.zeros((), dtype), xs)
    w = np.broadcast_to(np.zeros((), dtype), ws)
    ho = (xs[2] + 2 * padding - ws[2]) // stride + 1
    wo = (xs[3] + 2 * padding - ws[3]) // stride + 1
    y = np.broadcast_to(np.zeros((), dtype), (xs[0], ws[0], ho, wo))
    return fastconv._kernels.conv2d_threads(np.asarray(x), np.asarray(w), np.asarray(y), (stride, stride),
                                            (padding, padding), (1, 1), groups, False, nthreads)


def test_conv2d_threads_fit_the_work():
    """Small layers run on the threads they repay (measured on the 2-core guest:
    32x7x7 3x3 took 0.58x as long on 1 thread as on 2), large ones on all that
    were asked for; more work never gets fewer threads, float64 never fewer than
    float32, and the count never exceeds the request."""
    tiny = ((1, 16, 7, 7), (16, 16, 1, 1))
    small = ((1, 32, 7, 7), (32, 32, 3, 3))
    big = ((1, 256, 56, 56), (256, 256, 3, 3))
    for nt in (1, 2, 4, 16):
        assert _threads_for(*tiny, nt) == 1
        assert _threads_for(*small, nt, padding=1) == 1
        assert _threads_for(*big, nt, padding=1) == nt
    assert 1 <= _threads_for(*big, 0, padding=1) <= fastconv._kernels.max_threads()
    prev = 0
    for c in (8, 16, 32, 64, 128, 256, 512):
        n32 = _threads_for((1, c, 14, 14), (c, c, 3, 3), 64, padding=1)
        n64 = _threads_for((1, c, 14, 14), (c, c, 3, 3), 64, np.float64, padding=1)
        assert prev <= n32 <= n64 <= 64
        prev = n32
    assert prev > 8  # 512x14x14 3x3, ~460 MFLOP, is worth many threads
    # an empty batch or a layer of one pixel: still a valid count
    assert _threads_for((0, 4, 5, 5), (4, 4, 3, 3), 4) == 1


def test_conv2d_results_do_not_depend_on_fitted_threads(rng):
    """With the fitting on (as users run it), a small layer asked to use 4 threads
    runs on fewer and returns exactly what 4 threads and 1 thread return."""
    from fastconv import _config

    x = rng.standard_normal((2, 32, 9, 9)).astype(np.float32)
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    forced = fastconv.conv2d(x, w, b, padding=1, num_threads=4)  # the fixture: no fitting
    _config._state["fit_threads"] = True  # (the autouse fixture restores it)
    fitted = fastconv.conv2d(x, w, b, padding=1, num_threads=4)
    serial = fastconv.conv2d(x, w, b, padding=1, num_threads=1)
    np.testing.assert_array_equal(fitted, forced)
    np.testing.assert_array_equal(fitted, serial)
