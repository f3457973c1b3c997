"""Shared fixtures and helpers for every kernel family's tests.

Fixtures
    isa        -- parametrised over fastconv.available_isas(): a test that takes it
                  runs once per instruction-set path this machine supports, with that
                  ISA selected (restored afterwards).
    rng        -- a numpy Generator seeded from the test's node id (reproducible,
                  different per test).
    (autouse)  -- conv2d's fitting of threads to the work is off, so that the tests'
                  small shapes run on every thread they ask for and drive the
                  parallel paths; test_concurrency.py tests the fitting itself.

Helpers (imported from fastconv.testing so that ``python -m fastconv`` applies the
same tolerance):
    error_bound(magnitude, k, dtype)   allowed |y - exact|: 4*eps*(k+2)*magnitude + tiny
    magnitude(oracle, *args, **kw)     oracle on |args|: the per-output sum of |terms|
    assert_within(actual, desired, bound)
    assert_matches_oracle(actual, oracle, *args, k=..., **kw)
    random_array(rng, shape, dtype, layout)   layouts: LAYOUTS (C, F, strided, reversed,
                                              bigendian, unaligned)
    conv2d_k(weight, groups=1)         k for conv2d-like kernels: C/groups * kh * kw

Typical use in a new kernel family's tests::

    def test_thing(isa, rng):
        x = random_array(rng, (2, 3, 8, 8))
        y = fastconv.thing(x, ...)
        assert_matches_oracle(y, fastconv.reference.thing, x, ..., k=...)

Hypothesis profiles: "dev" (default: random, no deadline) and "ci" (derandomized,
selected when the CI environment variable is set, so CI runs are reproducible);
choose one with HYPOTHESIS_PROFILE=dev|ci.
"""
import os
import zlib

import numpy as np
import pytest

import fastconv
from fastconv.testing import (LAYOUTS, assert_matches_oracle, assert_within, error_bound,  # noqa: F401
                              magnitude, random_array)

try:
    from hypothesis import HealthCheck, settings

    _common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                         HealthCheck.too_slow])
    settings.register_profile("dev", **_common)
    settings.register_profile("ci", derandomize=True, print_blob=True, **_common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
except ImportError:  # hypothesis is a test extra; tests that need it importorskip it
    pass


def conv2d_k(weight, groups=1):
    """Products summed per output element of a conv2d-like kernel: C/groups * kh * kw
    (weight is OIHW, so weight.shape[1] is already C/groups)."""
    _, cg, kh, kw = np.shape(weight)
    return cg * kh * kw


@pytest.fixture(autouse=True)
def _all_requested_threads():
    from fastconv import _config

    prev = _config._state["fit_threads"]
    _config._state["fit_threads"] = False
    try:
        yield
    finally:
        _config._state["fit_threads"] = prev


@pytest.fixture(params=fastconv.available_isas())
def isa(request):
    """Select each available instruction set in turn; restore the previous one afterwards."""
    prev = fastconv.set_isa(request.param)
    try:
        yield request.param
    finally:
        fastconv.set_isa(prev)


@pytest.fixture
def rng(request):
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
