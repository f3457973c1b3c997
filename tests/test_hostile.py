"""Hostile input: bad calls to every public kernel must raise ValueError, TypeError
or MemoryError (ValueError/TypeError naming the argument) and never crash.

The tables below hold one row per bad call.  Each function's table runs in a
child process (``python tests/test_hostile.py FUNC START``) that prints a JSON
line before and after every row, so a segfault or an abort inside the C core
fails exactly the row that caused it instead of killing the test session; a
fresh child then resumes after that row.  The child caps its address space, so
a row that would allocate terabytes on a machine that overcommits memory gets a
MemoryError instead of the OOM killer.

Functions that have not landed yet (``hasattr(fastconv, name)`` is false) are
skipped, so rows for them can be written ahead of the kernels.
"""
import functools
import inspect
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastconv

HUGE = 2**62  # fits in int64, far beyond any array
OK = (ValueError, TypeError, MemoryError)
# each row: (id, kwargs overrides, expected exception types, names one of which the
# message must contain as a word; None: any message, e.g. numpy's MemoryError)
BAD_DTYPES = {
    "int32": np.int32, "int64": np.int64, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128, "float16": np.float16,
    "longdouble": np.longdouble,
    "object": object, "str": np.str_, "bytes": np.bytes_, "datetime": "datetime64[s]",
}


def _bad_dtype(a, dtype):
    a = np.asarray(a)
    if dtype is object:
        return a.astype(object)
    if np.dtype(dtype).kind in "US":
        return np.full(a.shape, "1.5", dtype=dtype)
    return np.ones(a.shape, dtype=dtype)


def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def array_rows(base, name, *, ndims=(), allow=()):
    """Rows that put a wrong dtype or a wrong number of dimensions into `name`."""
    rows = []
    for dname, dt in BAD_DTYPES.items():
        if dname not in allow:
            rows.append((f"{name}-dtype-{dname}", {name: _bad_dtype(base[name], dt)}, (TypeError,), [name]))
    rows.append((f"{name}-ragged-list", {name: [[1.0, 2.0], [3.0]]}, (TypeError, ValueError), [name]))
    rows.append((f"{name}-none-scalar", {name: np.float32(1.0)}, (ValueError, TypeError), [name]))
    for nd in ndims:
        rows.append((f"{name}-{nd}d", {name: np.ones((2,) * nd, np.float32)}, (ValueError,), [name]))
    return rows


def int_param_rows(name, *, minimum=1, pair=True):
    """Non-positive, absurd, non-integer and wrongly shaped values of an int parameter."""
    rows = [
        (f"{name}-float", {name: 1.5}, (TypeError,), [name]),
        (f"{name}-str", {name: "2"}, (TypeError, ValueError), [name]),
        (f"{name}-bool", {name: True}, (TypeError,), [name]),
        (f"{name}-none", {name: None}, (TypeError, ValueError), [name]),
        (f"{name}-huge", {name: HUGE}, (ValueError,), [name]),
        (f"{name}-2**64", {name: 2**64}, (ValueError, OverflowError), [name]),
        (f"{name}-neg-huge", {name: -HUGE}, (ValueError,), [name]),
        (f"{name}-nan", {name: float("nan")}, (TypeError, ValueError), [name]),
        (f"{name}-array2d", {name: np.ones((2, 2), dtype=np.int64)}, (TypeError, ValueError), [name]),
    ]
    rows += [(f"{name}-{v}", {name: v}, (ValueError,), [name]) for v in range(minimum - 2, minimum)]
    if pair:
        rows += [
            (f"{name}-pair-bad", {name: (1, minimum - 1)}, (ValueError,), [name]),
            (f"{name}-triple", {name: (1, 1, 1)}, (ValueError,), [name]),
            (f"{name}-empty", {name: ()}, (ValueError,), [name]),
            (f"{name}-pair-huge", {name: (1, HUGE)}, (ValueError,), [name]),
            (f"{name}-pair-float", {name: (1, 2.0)}, (TypeError,), [name]),
        ]
    return rows


def common_rows(base, result_shape, result_dtype):
    """out= and num_threads= rows shared by every kernel."""
    ro = np.empty(result_shape, result_dtype)
    ro.flags.writeable = False
    rows = [
        ("out-shape", {"out": np.empty((1,) + tuple(result_shape), result_dtype)}, (ValueError,), ["out"]),
        ("out-dtype", {"out": np.empty(result_shape, np.float64 if result_dtype == np.float32 else np.float32)},
         (ValueError, TypeError), ["out"]),
        ("out-int", {"out": np.empty(result_shape, np.int32)}, (ValueError, TypeError), ["out"]),
        ("out-readonly", {"out": ro}, (ValueError,), ["out"]),
        ("out-list", {"out": np.zeros(result_shape).tolist()}, (TypeError, ValueError), ["out"]),
        ("out-noncontiguous", {"out": np.empty(tuple(result_shape[:-1]) + (2 * result_shape[-1],),
                                               result_dtype)[..., ::2]}, (ValueError,), ["out"]),
        ("out-bigendian", {"out": np.empty(result_shape, np.dtype(result_dtype).newbyteorder(">"))},
         (ValueError,), ["out"]),
        ("out-virtual", {"out": np.broadcast_to(np.zeros((), result_dtype), result_shape)},
         (ValueError,), ["out"]),
    ]
    for v in (0, -1, -HUGE, 1.5, "2", True, [2], np.float64(2.0)):
        rows.append((f"num_threads-{v!r}", {"num_threads": v}, (ValueError, TypeError), ["num_threads"]))
    return rows


def huge_virtual(shape):
    """An array of `shape` that costs one element of memory (np.broadcast_to)."""
    return np.broadcast_to(np.float32(1.0), shape)


# ---- the tables -------------------------------------------------------------------

def conv2d_table():
    x = np.ones((2, 4, 8, 8), np.float32)
    w = np.ones((6, 2, 3, 3), np.float32)
    base = dict(input=x, weight=w, bias=np.ones(6, np.float32), groups=2)
    rows = array_rows(base, "input", ndims=(0, 1, 2, 5)) + array_rows(base, "weight", ndims=(2, 3, 5))
    rows += array_rows(base, "bias", ndims=(0, 2))
    rows += int_param_rows("stride") + int_param_rows("dilation") + int_param_rows("padding", minimum=0)
    rows += int_param_rows("groups", pair=False)
    rows += [
        ("channels-mismatch", {"weight": np.ones((6, 3, 3, 3), np.float32)}, (ValueError,), ["weight", "channels"]),
        ("groups-not-dividing-in", {"groups": 3, "weight": np.ones((6, 1, 3, 3), np.float32)},
         (ValueError,), ["groups"]),
        ("groups-not-dividing-out", {"weight": np.ones((5, 2, 3, 3), np.float32), "bias": None},
         (ValueError,), ["groups"]),
        ("groups-larger-than-channels", {"groups": 8}, (ValueError,), ["groups"]),
        ("bias-length", {"bias": np.ones(5, np.float32)}, (ValueError,), ["bias"]),
        ("bias-column", {"bias": np.ones((6, 1), np.float32)}, (ValueError,), ["bias"]),
        ("weight-zero-sized", {"weight": np.ones((6, 0, 3, 3), np.float32)}, (ValueError,), ["weight"]),
        ("weight-no-outputs", {"weight": np.ones((0, 2, 3, 3), np.float32), "bias": None},
         (ValueError,), ["weight"]),
        ("input-empty-spatial", {"input": np.ones((2, 4, 0, 8), np.float32)}, (ValueError,), ["input"]),
        ("kernel-larger-than-input", {"weight": np.ones((6, 2, 9, 3), np.float32)}, (ValueError,), ["kernel"]),
        ("dilation-larger-than-input", {"dilation": (1, 5)}, (ValueError,), ["dilation", "kernel"]),
        ("padding-bogus-string", {"padding": "full"}, (ValueError,), ["padding"]),
        ("padding-same-strided", {"padding": "same", "stride": 2}, (ValueError,), ["padding"]),
        ("padding-2**57", {"padding": 2**57}, (ValueError, MemoryError), ["padding", "output"]),
                        ("layout-lower", {"layout": "nchw"}, (ValueError,), ["layout"]),
        ("layout-bogus", {"layout": "NCWH"}, (ValueError,), ["layout"]),
        ("layout-int", {"layout": 1}, (ValueError, TypeError), ["layout"]),
        ("layout-none", {"layout": None}, (ValueError, TypeError), ["layout"]),
        ("input-virtual-2**60", {"input": huge_virtual((2**16, 2**16, 2**14, 2**14))},
         (ValueError,), ["input", "channels", "weight"]),
        ("input-virtual-2**60-matching", {"input": huge_virtual((2**30, 4, 2**14, 2**14))},
         (ValueError, MemoryError), ["input", "output"]),
        ("input-virtual-1TB", {"input": huge_virtual((2**30, 4, 8, 8))}, (MemoryError, ValueError), None),
        ("weight-virtual-2**60", {"weight": huge_virtual((2**45, 2, 2**7, 2**7))},
         (ValueError, MemoryError), ["weight", "kernel", "output", "bias"]),
        ("weight-virtual-1TB", {"weight": huge_virtual((2**36, 2, 3, 3)), "bias": None},
         (MemoryError, ValueError), None),
    ]
    rows += common_rows(base, (2, 6, 6, 6), np.float32)
    return base, rows


def deform_conv2d_table():
    x = np.ones((1, 4, 6, 6), np.float32)
    base = dict(input=x, offset=np.zeros((1, 18, 4, 4), np.float32), weight=np.ones((6, 2, 3, 3), np.float32),
                bias=np.ones(6, np.float32), mask=np.ones((1, 9, 4, 4), np.float32))
    rows = array_rows(base, "input", ndims=(0, 2, 3, 5)) + array_rows(base, "offset", ndims=(2, 3, 5))
    rows += array_rows(base, "weight", ndims=(2, 3)) + array_rows(base, "bias", ndims=(0, 2))
    rows += array_rows(base, "mask", ndims=(2, 3, 5))
    rows += int_param_rows("stride") + int_param_rows("dilation") + int_param_rows("padding", minimum=0)
    rows += [
        ("offset-channels-odd", {"offset": np.zeros((1, 17, 4, 4), np.float32)}, (ValueError,), ["offset"]),
        ("offset-channels-not-2K", {"offset": np.zeros((1, 20, 4, 4), np.float32)}, (ValueError,), ["offset"]),
        ("offset-groups-not-dividing", {"offset": np.zeros((1, 54, 4, 4), np.float32),
                                        "mask": np.ones((1, 27, 4, 4), np.float32)},
         (ValueError,), ["offset", "offset_groups"]),
        ("offset-spatial", {"offset": np.zeros((1, 18, 5, 4), np.float32)}, (ValueError,), ["offset"]),
        ("offset-batch", {"offset": np.zeros((2, 18, 4, 4), np.float32)}, (ValueError,), ["offset"]),
        ("mask-channels", {"mask": np.ones((1, 8, 4, 4), np.float32)}, (ValueError,), ["mask"]),
        ("mask-spatial", {"mask": np.ones((1, 9, 4, 5), np.float32)}, (ValueError,), ["mask"]),
        ("weight-groups", {"weight": np.ones((5, 2, 3, 3), np.float32), "bias": np.ones(5, np.float32)},
         (ValueError,), ["weight", "groups"]),
        ("weight-channels", {"weight": np.ones((6, 3, 3, 3), np.float32)}, (ValueError,), ["weight", "channels"]),
        ("bias-length", {"bias": np.ones(5, np.float32)}, (ValueError,), ["bias"]),
        ("kernel-larger-than-input", {"weight": np.ones((6, 2, 7, 3), np.float32)}, (ValueError,),
         ["kernel", "weight", "offset"]),
        ("input-virtual-2**60", {"input": huge_virtual((2**16, 4, 2**21, 2**21))},
         (ValueError, MemoryError), ["input", "offset"]),
        ("offset-virtual-1TB", {"input": huge_virtual((2**28, 4, 6, 6)),
                                "offset": np.broadcast_to(np.float32(0), (2**28, 18, 4, 4)),
                                "mask": None}, (MemoryError, ValueError), None),
    ]
    rows += common_rows(base, (1, 6, 4, 4), np.float32)
    return base, rows


def channel_shuffle_table():
    base = dict(x=np.ones((2, 6, 3, 3), np.float32), groups=2)
    rows = array_rows(base, "x", ndims=(0, 1, 2), allow=("float16", "longdouble"))
    rows += int_param_rows("groups", pair=False)
    rows += [
        ("groups-not-dividing", {"groups": 4}, (ValueError,), ["groups"]),
        ("groups-more-than-channels", {"groups": 12}, (ValueError,), ["groups"]),
        ("x-virtual-2**60", {"x": huge_virtual((2**20, 2**20, 2**10, 2**10))}, (ValueError, MemoryError),
         ["x"]),
        ("x-virtual-1TB", {"x": huge_virtual((2**30, 6, 8, 8))}, (MemoryError, ValueError), None),
    ]
    rows += common_rows(base, (2, 6, 3, 3), np.float32)
    return base, rows


def separable_conv2d_table():
    base = dict(x=np.ones((2, 4, 8, 8), np.float32), dw_weight=np.ones((8, 1, 3, 3), np.float32),
                pw_weight=np.ones((5, 8, 1, 1), np.float32), dw_bias=np.ones(8, np.float32),
                pw_bias=np.ones(5, np.float32))
    rows = array_rows(base, "x", ndims=(0, 2, 5)) + array_rows(base, "dw_weight", ndims=(2, 3))
    rows += array_rows(base, "pw_weight", ndims=(2, 3)) + array_rows(base, "dw_bias", ndims=(0, 2))
    rows += array_rows(base, "pw_bias", ndims=(0, 2))
    rows += int_param_rows("stride") + int_param_rows("dilation") + int_param_rows("padding", minimum=0)
    rows += [
        ("dw-not-depthwise", {"dw_weight": np.ones((8, 2, 3, 3), np.float32)}, (ValueError,), ["dw_weight"]),
        ("dw-not-multiple-of-C", {"dw_weight": np.ones((6, 1, 3, 3), np.float32),
                                  "dw_bias": np.ones(6, np.float32)}, (ValueError,), ["dw_weight"]),
        ("pw-in-channels", {"pw_weight": np.ones((5, 7, 1, 1), np.float32)}, (ValueError,), ["pw_weight"]),
        ("pw-not-1x1", {"pw_weight": np.ones((5, 8, 3, 3), np.float32)}, (ValueError,), ["pw_weight"]),
        ("dw_bias-length", {"dw_bias": np.ones(7, np.float32)}, (ValueError,), ["dw_bias"]),
        ("pw_bias-length", {"pw_bias": np.ones(4, np.float32)}, (ValueError,), ["pw_bias"]),
        ("kernel-larger-than-input", {"dw_weight": np.ones((8, 1, 9, 3), np.float32)}, (ValueError,),
         ["kernel", "dw_weight"]),
        ("layout-bogus", {"layout": "HWCN"}, (ValueError,), ["layout"]),
        ("x-virtual-2**60", {"x": huge_virtual((2**32, 4, 2**13, 2**13))}, (ValueError, MemoryError),
         ["x", "output"]),
        ("x-virtual-1TB", {"x": huge_virtual((2**30, 4, 8, 8))}, (MemoryError, ValueError), None),
    ]
    rows += common_rows(base, (2, 5, 6, 6), np.float32)
    return base, rows


def squeeze_excitation_table():
    base = dict(x=np.ones((2, 8, 5, 5), np.float32), w1=np.ones((2, 8), np.float32), b1=np.ones(2, np.float32),
                w2=np.ones((8, 2), np.float32), b2=np.ones(8, np.float32))
    rows = array_rows(base, "x", ndims=(0, 2, 5)) + array_rows(base, "w1", ndims=(1, 3))
    rows += array_rows(base, "w2", ndims=(1, 3)) + array_rows(base, "b1", ndims=(0, 2))
    rows += array_rows(base, "b2", ndims=(0, 2))
    rows += [
        ("w1-in", {"w1": np.ones((2, 7), np.float32)}, (ValueError,), ["w1"]),
        ("w2-out", {"w2": np.ones((7, 2), np.float32)}, (ValueError,), ["w2"]),
        ("w2-hidden", {"w2": np.ones((8, 3), np.float32)}, (ValueError,), ["w2", "w1"]),
        ("b1-length", {"b1": np.ones(3, np.float32)}, (ValueError,), ["b1"]),
        ("b2-length", {"b2": np.ones(7, np.float32)}, (ValueError,), ["b2"]),
        ("x-virtual-2**60", {"x": huge_virtual((2**20, 8, 2**18, 2**18))}, (ValueError, MemoryError),
         ["x"]),
        ("x-virtual-1TB", {"x": huge_virtual((2**30, 8, 5, 5))}, (MemoryError, ValueError), None),
    ]
    rows += common_rows(base, (2, 8, 5, 5), np.float32)
    return base, rows


TABLES = {
    "conv2d": conv2d_table,
    "deform_conv2d": deform_conv2d_table,
    "channel_shuffle": channel_shuffle_table,
    "separable_conv2d": separable_conv2d_table,
    "squeeze_excitation": squeeze_excitation_table,
}

# Odd but valid calls (overrides of the base call, like the tables): they must
# not crash, and either work or raise one of OK (a huge dilation may need more
# scratch memory than exists, or a smarter kernel may not).
_dw4096 = dict(input=np.ones((1, 4096, 1, 2), np.float32), weight=np.ones((4096, 1, 1, 1), np.float32),
               bias=None, groups=4096)
STRESS = {
    "conv2d": [
        # far more threads than work items or cores: capped, not thousands of threads
        ("num_threads-10**6-4096-channels", dict(_dw4096, num_threads=10**6)),
        ("num_threads-2**31", dict(num_threads=2**31)),
        ("nan-inf-input", dict(input=np.array([[[[np.nan, np.inf], [-np.inf, 1e308]]]]),
                               weight=np.full((1, 1, 2, 2), 1e308), bias=None, groups=1)),
        ("stride-2**40", dict(stride=2**40)),
        ("stride-2**58", dict(stride=2**58)),
        ("dilation-just-fits", dict(input=np.ones((1, 1, 2, 2**16 + 1), np.float32), bias=None, groups=1,
                                    weight=np.ones((1, 1, 2, 2), np.float32), dilation=(1, 2**16))),
        # the zero-padded input row is 2^57 wide: the C core's scratch would not fit
        ("padding-dilation-2**57-64-channels",
         dict(input=np.ones((1, 64, 1, 1), np.float32), weight=np.ones((2, 64, 1, 2), np.float32),
              bias=None, groups=1, padding=(0, 2**56), dilation=(1, 2**57))),
        ("depthwise-stride-dilation-2**56",
         dict(input=np.ones((1, 2, 1, 3), np.float32), weight=np.ones((2, 1, 1, 2), np.float32),
              bias=None, padding=(0, 2**55), dilation=(1, 2**56), stride=(1, 2**54))),
    ],
    "deform_conv2d": [
        ("offset-nan-inf", dict(offset=np.resize(np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 2.5**70],
                                                          np.float32), (1, 18, 4, 4)))),
        ("offset-float64-huge", dict(offset=np.full((1, 18, 4, 4), 1e300), input=np.ones((1, 4, 6, 6)))),
        ("mask-nan", dict(mask=np.full((1, 9, 4, 4), np.nan, np.float32))),
        ("num_threads-10**6", dict(num_threads=10**6)),
    ],
    "channel_shuffle": [("num_threads-10**6", dict(num_threads=10**6)),
                        ("float16", dict(x=np.ones((2, 6, 3, 3), np.float16)))],
    "separable_conv2d": [
        ("padding-dilation-2**56", dict(padding=(0, 2**56), dilation=(1, 2**55))),
        ("num_threads-10**6", dict(num_threads=10**6)),
    ],
    "squeeze_excitation": [("num_threads-10**6", dict(num_threads=10**6))],
}


def table(name):
    base, rows = TABLES[name]()
    ids = [r[0] for r in rows]
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, f"duplicate row ids in {name}: {dup}"
    return base, rows


# ---- the child -------------------------------------------------------------------

def _emit(**rec):
    sys.stdout.write(json.dumps(rec) + "\n")
    sys.stdout.flush()


def _calls(name):
    """Every call of the child, in order: (key, id, overrides of the base call)."""
    base, rows = table(name)
    calls = [(i, r[0], r[1]) for i, r in enumerate(rows)]
    calls += [(f"stress{i}", rid, over) for i, (rid, over) in enumerate(STRESS.get(name, ()))]
    return base, calls


def _child(name, start):
    try:  # a row that would allocate terabytes must fail, whatever the overcommit policy
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (16 << 30, 16 << 30))
    except (ImportError, ValueError, OSError):
        pass
    fn = getattr(fastconv, name)
    base, calls = _calls(name)
    fn(**base)  # the unmodified call must work, or every row would fail for the wrong reason
    for pos, (key, rid, over) in enumerate(calls):
        if pos < start:
            continue
        _emit(event="start", pos=pos, key=key, id=rid)
        try:
            res = fn(**dict(base, **over))
        except BaseException as e:  # noqa: BLE001 - reported to the parent as data
            _emit(event="done", pos=pos, key=key, id=rid, exc=type(e).__name__, msg=str(e)[:400])
        else:
            _emit(event="done", pos=pos, key=key, id=rid, exc=None,
                  msg=f"returned {type(res).__name__} {getattr(res, 'shape', '')}")


# ---- the parent: run children, one per function, resuming after a crash --------

def _child_env():
    env = dict(os.environ)
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(fastconv.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkg_root] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("OMP_NUM_THREADS", "2")
    return env


@functools.lru_cache(maxsize=None)
def run_table(name):
    """{row index or 'stressN': record}; a row that killed the child gets exc='CRASH'."""
    results = {}
    start = 0
    for _attempt in range(100):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), name, str(start)],
                              capture_output=True, text=True, timeout=600, env=_child_env())
        running = None
        for line in proc.stdout.splitlines():
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            running = rec if rec["event"] == "start" else None
            if rec["event"] == "done":
                results[rec["key"]] = rec
        if proc.returncode == 0:
            return results
        tail = proc.stderr.strip()[-1500:]
        if running is None:
            raise AssertionError(f"{name}: child exited with {proc.returncode} outside any row:\n{tail}")
        results[running["key"]] = dict(running, exc="CRASH",
                                       msg=f"child died (exit status {proc.returncode}): {tail}")
        start = running["pos"] + 1
    raise AssertionError(f"{name}: too many crashes")


def _row_params():
    params = []
    for name in TABLES:
        if not hasattr(fastconv, name):
            params.append(pytest.param(name, -1, id=f"{name}-not-available",
                                       marks=pytest.mark.skip(reason=f"fastconv.{name} not available")))
            continue
        for i, row in enumerate(table(name)[1]):
            params.append(pytest.param(name, i, id=f"{name}-{row[0]}"))
    return params


@pytest.mark.parametrize("name,i", _row_params())
def test_bad_call_raises_clear_error(name, i):
    rid, _over, expected, names = table(name)[1][i]
    rec = run_table(name).get(i)
    assert rec is not None, f"row {rid} did not run"
    assert rec["exc"] != "CRASH", f"{name} {rid}: {rec['msg']}"
    assert rec["exc"] is not None, f"{name} {rid}: no error raised ({rec['msg']})"
    allowed = {e.__name__ for e in expected}
    assert rec["exc"] in allowed, f"{name} {rid}: raised {rec['exc']}: {rec['msg']} (expected {allowed})"
    if names is not None and rec["exc"] != "MemoryError":
        pattern = r"\b(" + "|".join(re.escape(n) for n in names) + r")\b"
        assert re.search(pattern, rec["msg"]), \
            f"{name} {rid}: message does not name {names}: {rec['exc']}: {rec['msg']}"


@pytest.mark.parametrize("name", list(STRESS))
def test_odd_but_valid_calls_never_crash(name):
    if not hasattr(fastconv, name):
        pytest.skip(f"fastconv.{name} not available")
    results = run_table(name)
    for i, (rid, _kwargs) in enumerate(STRESS[name]):
        rec = results.get(f"stress{i}")
        assert rec is not None, f"{rid} did not run"
        assert rec["exc"] != "CRASH", f"{name} {rid}: {rec['msg']}"
        assert rec["exc"] in (None, "ValueError", "TypeError", "MemoryError"), f"{name} {rid}: {rec}"


def test_every_public_kernel_has_a_table():
    """A new public kernel (a function taking num_threads=) must get rows here."""
    kernels = set()
    for n in dir(fastconv):
        obj = getattr(fastconv, n)
        if not n.startswith("_") and callable(obj):
            try:
                if "num_threads" in inspect.signature(obj).parameters:
                    kernels.add(n)
            except (TypeError, ValueError):
                pass
    assert "conv2d" in kernels
    missing = kernels - set(TABLES)
    assert not missing, f"public kernels without a hostile-input table: {sorted(missing)}"


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]))
