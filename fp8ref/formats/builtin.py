"""The built-in formats of the kinds other than IEEE-like, registered when ``fp8ref.formats``
is imported (the IEEE-like built-ins are the table in :mod:`.registry`).

Registration order is the order ``list_formats()`` reports: the IEEE-like table, then
posit8 (es 0, 1, 2), HiF8, UE8M0.
"""

from __future__ import annotations

from .._deprecation import warn_renamed
from .posit import PositFormat
from .protocol import FormatLike
from .registry import register_default
from .tapered import HIF8
from .ue8m0 import UE8M0Format

__all__ = ["UE8M0", "HIF8", "POSIT8", "ALIASES", "register_builtins", "registration_shim"]

#: UE8M0 (OCP MX E8M0, ml_dtypes ``float8_e8m0fnu``)
UE8M0 = UE8M0Format()
#: the posit8 formats by es (``posit8`` is an alias of es = 2, the 2022 standard)
POSIT8 = {es: PositFormat(8, es) for es in (0, 1, 2)}

#: aliases by canonical name
ALIASES = {
    "posit8_es2": ("posit8",),
    "hif8": ("hifloat8", "hi_float8", "float8_hif8"),  # hifloat8: en_dtypes' spelling
    "ue8m0": ("e8m0fnu", "float8_e8m0fnu"),
}


def register_builtins() -> None:
    """Register each built-in whose name is free (again after a registry reset)."""
    builtins: tuple[FormatLike, ...] = (*POSIT8.values(), HIF8, UE8M0)
    for fmt in builtins:
        register_default(fmt, ALIASES.get(fmt.name, ()))


def registration_shim(module: str, result):
    """The deprecated ``register_formats()`` of codec ``module``: registers the built-ins where
    their names are free and returns ``result()`` (the registered format, or formats by es)."""

    def register_formats():
        warn_renamed(f"{module}.register_formats()", "fp8ref.get_format(...)",
                     note=": fp8ref.formats registers every built-in format")
        register_builtins()
        return result()

    return register_formats


register_builtins()
