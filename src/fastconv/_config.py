"""Instruction-set selection and build information.

The C core is stateless; the ISA used by every kernel call lives here.  At import
the widest ISA the CPU supports is chosen, unless the environment variable
``FASTCONV_ISA`` (generic, avx2, avx512, neon) forces one.
"""
import os
import platform
import sys

from . import _kernels

ISA_NAMES = tuple(_kernels.isa_name(i) for i in range(_kernels.ISA_COUNT))
# fit_threads: conv2d runs a small layer on the threads it repays (fc_conv2d_threads);
# the tests turn it off to drive the parallel paths with small shapes
_state = {"isa": _kernels.isa_best(), "fit_threads": True}


def available_isas():
    """Names of the instruction sets this build has *and* this CPU can run."""
    return tuple(n for i, n in enumerate(ISA_NAMES) if _kernels.isa_supported(i))


def get_isa():
    """Name of the instruction set the kernels use now."""
    return ISA_NAMES[_state["isa"]]


def set_isa(name):
    """Force the kernels onto one instruction set ('generic', 'avx2', 'avx512', 'neon').

    Returns the previous name.  Raises ValueError for an unknown name and
    RuntimeError for one this build or this CPU cannot run.
    """
    if not isinstance(name, str) or name.lower() not in ISA_NAMES:
        raise ValueError(f"isa must be one of {ISA_NAMES}, got {name!r}")
    idx = ISA_NAMES.index(name.lower())
    if not _kernels.isa_supported(idx):
        raise RuntimeError(
            f"isa {name!r} is not available on this machine/build; available: {available_isas()}")
    prev = get_isa()
    _state["isa"] = idx
    return prev


def _isa_index():
    return _state["isa"]


def _fit_threads():
    return _state["fit_threads"]


def _init_from_env():
    forced = os.environ.get("FASTCONV_ISA")
    if forced:
        try:
            set_isa(forced.strip())
        except (ValueError, RuntimeError) as exc:
            raise ImportError(f"FASTCONV_ISA={forced!r}: {exc}") from None


def config_dict():
    import numpy

    info = _kernels.build_info()
    return {
        "fastconv": _version(),
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "machine": platform.machine(),
        "compiler": info["compiler"],
        "openmp": info["openmp"],
        "isa": get_isa(),
        "isas_available": ", ".join(available_isas()),
        "threads": _kernels.max_threads(),
    }


def _version():
    try:
        from importlib.metadata import version

        return version("fastconv")
    except Exception:  # noqa: BLE001 - not installed (in-place build)
        return "unknown (not installed)"


def release_memory():
    """Free the scratch memory fastconv keeps between calls.

    Each call needs its packed weights and, per thread, an input panel and
    result tiles (sized for the L2 cache).  They are kept for the next call, so
    that it does not page-fault fresh memory in (5% of a 64-channel 3x3 layer);
    this returns them to the system.  Returns True, or False when a call running
    in another thread is using them (nothing is freed then).
    """
    return _kernels.release_scratch()


def show_config(file=None):
    """Print the compiler, OpenMP runtime, instruction set in use and thread count."""
    for key, val in config_dict().items():
        print(f"{key:>15}: {val}", file=file or sys.stdout)


_init_from_env()
