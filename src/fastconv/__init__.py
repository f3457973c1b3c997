"""fastconv: fast CPU convolution kernels for NumPy.

Hand-written C micro-kernels with OpenMP behind a small API with PyTorch /
torchvision semantics.  ``fastconv.reference`` holds the NumPy oracle every
kernel is tested against.
"""
from . import reference
from ._config import available_isas, get_isa, release_memory, set_isa, show_config
from ._conv import conv2d
from ._deform import deform_conv2d

__all__ = ["conv2d", "deform_conv2d", "reference", "show_config", "get_isa", "set_isa",
           "available_isas", "release_memory"]

# ---- convolution-design toolkit: arithmetic and building blocks ----
from . import analysis  # noqa: E402
from ._blocks import channel_shuffle, separable_conv2d, squeeze_excitation  # noqa: E402

__all__ += ["analysis", "channel_shuffle", "separable_conv2d", "squeeze_excitation"]

try:
    from importlib.metadata import version as _v

    __version__ = _v("fastconv")
except Exception:  # noqa: BLE001 - in-place build, not installed
    __version__ = "0.1.0"
