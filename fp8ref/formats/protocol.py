"""``FormatLike``: what every format description offers, whatever its kind.

The codecs, block quantizers and surfaces read formats only through these members, so a new
kind of format is a class that has them (and a codec registered for its ``kind``). The
built-in kinds are :class:`~fp8ref.formats.ieee.Format` (``"ieee"``),
:class:`~fp8ref.formats.ue8m0.UE8M0Format`, :class:`~fp8ref.formats.tapered.TaperedFormat` and
:class:`~fp8ref.formats.posit.PositFormat`. Public entry points take ``FormatSpec``: a
registered name or alias, or a description.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol, runtime_checkable

__all__ = ["FormatLike", "FormatSpec"]


@runtime_checkable
class FormatLike(Protocol):
    """An immutable, hashable description of a number format's codes and values."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...  # selects the codec (``fp8ref.codecs.register_codec``)
    @property
    def bits(self) -> int: ...
    @property
    def num_codes(self) -> int: ...
    @property
    def code_dtype(self) -> Any: ...  # numpy unsigned type that holds one code
    @property
    def has_nan(self) -> bool: ...
    @property
    def has_infinity(self) -> bool: ...
    @property
    def has_negative_zero(self) -> bool: ...
    @property
    def nan_codes(self) -> tuple[int, ...]: ...
    @property
    def canonical_nan(self) -> int | None: ...
    @property
    def emin(self) -> int: ...
    @property
    def emax(self) -> int: ...
    @property
    def max_finite(self) -> float: ...
    @property
    def min_normal(self) -> float: ...
    @property
    def min_subnormal(self) -> float: ...
    @property
    def num_finite(self) -> int: ...

    def exact_value(self, code: int) -> Fraction | float:
        """A Fraction for finite codes; float ±inf or nan otherwise."""
        ...

    def figures(self) -> dict: ...

    def __hash__(self) -> int: ...  # descriptions key caches (lru_cache) and tables


#: what public functions accept as a format: a registered name or alias, or a description
FormatSpec = str | FormatLike
