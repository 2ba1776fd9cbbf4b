"""Block element formats: the registered IEEE-like formats of up to 8 bits, and MXINT8.

Every element is encoded and decoded by the format codecs (``fp8ref.encode`` /
``fp8ref.decode``); this module only names the elements and adapts MXINT8's code layout.

**MXINT8** (OCP MX v1.0 §5.3) stores a two's-complement int8 ``n`` meaning ``n * 2^-6``.
Its magnitudes ``0..127`` times ``2^-6`` are exactly the values of the IEEE-like layout
*e1m6, bias 1, no Inf/NaN* (subnormals ``f * 2^-6``, normals ``(64 + f) * 2^-6``: one uniform
quantum). So MXINT8 is rounded by the generic IEEE codec on that internal twin (RNE/RNA/...,
saturating to ±127/64, the symmetric clamp of microxcaling) and its sign-magnitude code is
then rewritten as two's complement (``-0`` becomes ``0``). Decoding reads the byte as int8, so
``0x80`` (never produced) decodes to ``-2.0`` as gfloat's ``ocp_int8`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import numpy as np

from ..codecs import decode, encode
from ..core.rounding import MAX_SR_BITS
from ..formats import Format, FormatLike, get_format

__all__ = ["Element", "ElementSpec", "element", "INT8_TWIN"]

#: MXINT8's sign-magnitude twin (not registered: its codes are not MXINT8's bytes)
INT8_TWIN = Format("mxint8_sign_magnitude", 1, 6, 1, False, 0, True,
                   doc="MXINT8 magnitudes as an IEEE-like e1m6 layout (internal)")

_INT8_NAMES = ("int8", "mxint8", "ocp_int8")


@dataclass(frozen=True)
class Element:
    """One block element type: the format the codec rounds to and how codes are stored."""

    name: str
    fmt: Format
    is_int: bool = False

    @property
    def bits(self) -> int:
        return self.fmt.bits

    @property
    def emax(self) -> int:
        """Exponent of the largest finite element (OCP ``emax_elem``)."""
        return self.fmt.emax

    @property
    def man_bits(self) -> int:
        return self.fmt.man_bits

    @property
    def max_value(self) -> float:
        return self.fmt.max_finite

    @property
    def quantum_exp(self) -> int:
        """Every finite element value is an integer multiple of ``2^quantum_exp``."""
        return self.fmt.emin - self.fmt.man_bits

    @property
    def fill_code(self) -> int:
        """Element code stored in a block whose scale is NaN: the canonical NaN, else 0."""
        c = None if self.is_int else self.fmt.canonical_nan
        return 0 if c is None else int(c)

    def encode(self, scaled, rounding="rne", rbits=None, srbits=None) -> np.ndarray:
        """uint8 codes of the (already scaled) values: saturating conversion, ``rounding``."""
        codes = encode(scaled, self.fmt, rounding=rounding, overflow="sat_finite", rbits=rbits, srbits=srbits)
        codes = codes.astype(np.uint8, copy=False)
        if self.is_int:
            mag = codes & np.uint8(0x7F)
            codes = np.where(codes & np.uint8(0x80), (np.uint8(0) - mag), mag).astype(np.uint8)
        return codes

    def decode(self, codes, dtype=np.float64) -> np.ndarray:
        """Element values of ``codes`` (no scale)."""
        codes = np.asarray(codes)
        if codes.dtype.kind not in "iu":
            raise TypeError(f"element codes must be integers, got dtype {codes.dtype.name!r}")
        if codes.size and (codes.min() < 0 or codes.max() >= (1 << self.bits)):
            raise ValueError(f"code out of range for {self.name} (valid: 0..{(1 << self.bits) - 1})")
        if self.is_int:
            return (codes.astype(np.uint8).view(np.int8).astype(np.float64) * 2.0**-6).astype(dtype)
        return decode(codes, self.fmt, dtype=dtype)

    def int_values(self, codes):
        """``(n, special)``: integers n with value ``n * 2^quantum_exp`` (int64, 0 where the code
        is NaN/Inf) and a mask of the NaN/Inf codes."""
        v = self.decode(codes, np.float64)
        special = ~np.isfinite(v)
        n = np.ldexp(np.where(special, 0.0, v), -self.quantum_exp)
        return n.astype(np.int64), special

    def __repr__(self):
        return f"Element({self.name!r})"


#: what block quantizers accept as an element format: a name or alias (``"int8"`` for MXINT8),
#: a format description, or an :class:`Element` (None only where a deprecated keyword may stand in)
ElementSpec = str | FormatLike | Element | None


@lru_cache(maxsize=None)
def _element(key):
    if key in _INT8_NAMES:
        return Element("int8", INT8_TWIN, True)
    fmt = get_format(key)
    if getattr(fmt, "kind", None) != "ieee" or fmt.bits > 8:
        raise ValueError(
            f"block element format must be an IEEE-like format of at most 8 bits or 'int8', got {fmt.name!r}"
        )
    # scaled values below 2^-126 never change an element result (see mx.quantize): guaranteed
    # when the element quantum lies far enough above float32's smallest normal
    assert fmt.emin - fmt.man_bits - MAX_SR_BITS - 2 >= -126
    return Element(fmt.name, fmt, False)


def element(elem) -> Element:
    """Resolve an element: an :class:`Element`, a format name/alias/object, or ``'int8'``."""
    if isinstance(elem, Element):
        return elem
    if isinstance(elem, str):
        return _element(elem.lower())
    if hasattr(elem, "kind") and hasattr(elem, "bits"):
        if elem.kind != "ieee" or elem.bits > 8:
            raise ValueError(f"block element format must be IEEE-like with at most 8 bits, got {elem.name!r}")
        return Element(elem.name, elem, False)
    raise TypeError(f"expected an element format name, got {type(elem).__name__}")
