"""Format descriptions and the registry that names them (every built-in is registered here)."""

from collections.abc import Callable

from . import builtin as _builtin  # noqa: F401  (registers posit8, hif8, ue8m0 after the IEEE-like table)
from . import registry as _registry
from .ieee import Format
from .p3109 import p3109_format
from .protocol import FormatLike, FormatSpec
from .registry import aliases_of, list_formats, register, register_default

#: ``registry.get_format`` itself (the same function), with its signature for type checkers
get_format: Callable[[FormatSpec], FormatLike] = _registry.get_format

__all__ = ["Format", "FormatLike", "FormatSpec", "get_format", "list_formats", "register", "register_default",
           "aliases_of", "p3109_format"]
