"""Format descriptions and the registry that names them (every built-in is registered here)."""

from . import builtin as _builtin  # noqa: F401  (registers posit8, hif8, ue8m0 after the IEEE-like table)
from .ieee import Format
from .protocol import FormatLike, FormatSpec
from .registry import aliases_of, get_format, list_formats, register, register_default

__all__ = ["Format", "FormatLike", "FormatSpec", "get_format", "list_formats", "register", "register_default",
           "aliases_of"]
