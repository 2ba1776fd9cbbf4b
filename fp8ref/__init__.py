"""fp8ref: the bit-exact reference for 8-bit and block-scaled number formats."""

__version__ = "0.1.0"

from .codecs import decode, decode_table, encode, quantize
from .formats import Format, FormatLike, get_format, list_formats, p3109_format, register
from .policy import (
    FLAG_INEXACT,
    FLAG_INFINITE,
    FLAG_INVALID,
    FLAG_OVERFLOW,
    FLAG_UNDERFLOW,
    PRESETS,
    Policy,
    flag_names,
    make_policy,
)

from . import blocks
from .blocks import deepseek, mx, nvfp4

_LAZY = {"accum": None, "gemm": "gemm", "dot": "dot", "AccumModel": "AccumModel",
         "error_study": "error_study"}


def __getattr__(name):
    """The accumulation layer (Numba) is imported on first use: ``fp8ref.gemm``, ``fp8ref.accum``."""
    if name in _LAZY:
        import importlib

        mod = importlib.import_module(".accum", __name__)
        return mod if _LAZY[name] is None else getattr(mod, _LAZY[name])
    raise AttributeError(f"module 'fp8ref' has no attribute {name!r}")


def __dir__():
    """The module's names and the lazy ones (tab completion sees ``fp8ref.gemm``)."""
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "accum", "gemm", "dot", "AccumModel", "error_study",
    "blocks", "mx", "nvfp4", "deepseek",
    "Format", "FormatLike", "get_format", "list_formats", "register", "p3109_format",
    "encode", "decode", "quantize", "decode_table",
    "Policy", "PRESETS", "make_policy", "flag_names",
    "FLAG_INEXACT", "FLAG_UNDERFLOW", "FLAG_OVERFLOW", "FLAG_INFINITE", "FLAG_INVALID",
    "__version__",
]
