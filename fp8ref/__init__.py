"""fp8ref: the bit-exact reference for 8-bit and block-scaled number formats."""

__version__ = "0.1.0"

from .codecs import decode, decode_table, encode, quantize  # noqa: E402
from .formats import Format, get_format, list_formats, register  # noqa: E402
from .policy import (  # noqa: E402
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

from . import blocks  # noqa: E402
from .blocks import deepseek, mx, nvfp4  # noqa: E402

__all__ = [
    "blocks", "mx", "nvfp4", "deepseek",
    "Format", "get_format", "list_formats", "register",
    "encode", "decode", "quantize", "decode_table",
    "Policy", "PRESETS", "make_policy", "flag_names",
    "FLAG_INEXACT", "FLAG_UNDERFLOW", "FLAG_OVERFLOW", "FLAG_INFINITE", "FLAG_INVALID",
    "__version__",
]
