"""Field types of a vector line: how many hex digits, and what the bits mean.

A field's ``type`` is one of

* ``float16``, ``bfloat16``, ``float32``, ``float64``: IEEE interchange bit patterns (sources);
* the canonical name of any registered fp8ref format (``e4m3fn``, ``ue8m0``, ...): its codes
  (``ue8m0``: an OCP MX (E8M0) / DeepGEMM (UE8M0) scale byte, ``2^(code - 127)``, 0xFF NaN);
* ``mxint8``: an MXINT8 element, a two's-complement byte ``n`` meaning ``n * 2^-6``;
* ``uint<k>``: a k-bit unsigned integer (stochastic-rounding bits, block indices);
* ``flags``: one byte of exception flags in TestFloat order (``FLAG_ORDER``).

Every field is written as fixed-width uppercase hex, ``ceil(bits / 4)`` digits, sign at the
most significant end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..codecs import decode
from ..core.floats import FLOAT_TYPES, FloatType, float_type
from ..formats import get_format

__all__ = [
    "FloatType",
    "FLOAT_TYPES",
    "FLAG_ORDER",
    "FLAGS_MASK",
    "Field",
    "type_bits",
    "hex_digits",
    "float_type",
    "values",
    "nan_mask",
    "describe",
    "flag_diff",
    "encode_input",
]

#: Flag bits, LSB first, as written in every sidecar (TestFloat / RISC-V fflags order).
FLAG_ORDER = ("NX", "UF", "OF", "DZ", "NV")
FLAGS_MASK = 0x1F


#: block-layer byte types that are not registered formats
BLOCK_TYPES = ("mxint8",)


def type_bits(t: str) -> int:
    if t in FLOAT_TYPES:
        return FLOAT_TYPES[t].bits
    if t == "flags" or t in BLOCK_TYPES:
        return 8
    if t.startswith("uint") and t[4:].isdigit():
        return int(t[4:])
    return get_format(t).bits


def hex_digits(t: str) -> int:
    return math.ceil(type_bits(t) / 4)


@dataclass(frozen=True)
class Field:
    """One field of a line: ``count`` columns (a block of elements) of type ``type``.

    role: ``input``, ``result`` or ``flags``. Inputs come first, then results, then flags.
    """

    name: str
    role: str
    type: str
    count: int = 1

    @property
    def bits(self) -> int:
        return type_bits(self.type)

    @property
    def digits(self) -> int:
        return hex_digits(self.type)

    def as_dict(self) -> dict:
        d = {"name": self.name, "role": self.role, "type": self.type, "bits": self.bits, "hex_digits": self.digits}
        if self.count != 1:
            d["count"] = self.count
        return d


def encode_input(t: str, bits: np.ndarray) -> np.ndarray:
    """Bit patterns of source type ``t`` as an array ``fp8ref.encode`` reads exactly (bfloat16 as
    the float32 array of the same values: :meth:`FloatType.from_bits_native`)."""
    return float_type(t).from_bits_native(np.asarray(bits, dtype=np.uint64))


def values(t: str, bits) -> np.ndarray:
    """float64 values of the bit patterns (NaN/Inf kept; flags and uint as integers)."""
    u = np.asarray(bits, dtype=np.uint64)
    if t in FLOAT_TYPES:
        with np.errstate(invalid="ignore"):
            return encode_input(t, u).astype(np.float64)
    if t == "flags" or t.startswith("uint"):
        return u.astype(np.float64)
    if t == "mxint8":
        from ..blocks import element

        return element("int8").decode(u.astype(np.uint8)).astype(np.float64)
    return decode(u.astype(np.int64), get_format(t), dtype=np.float64)


def nan_mask(t: str, bits) -> np.ndarray:
    if t == "flags" or t.startswith("uint"):
        return np.zeros(np.shape(bits), dtype=bool)
    return np.isnan(values(t, bits))


def flag_text(f: int) -> str:
    names = [FLAG_ORDER[i] for i in range(5) if int(f) >> i & 1]
    return "|".join(names) if names else "-"


def describe(t: str, bit: int) -> str:
    """Human-readable value of one field value (for reports)."""
    if t == "flags":
        return flag_text(bit)
    if t.startswith("uint"):
        return str(int(bit))
    try:
        v = float(values(t, np.array([bit], dtype=np.uint64))[0])
    except ValueError as e:  # code out of range for the format
        return f"<{e}>"
    if math.isnan(v):
        return "-nan" if _sign_bit(t, bit) else "nan"
    if v == 0:
        return "-0" if _sign_bit(t, bit) else "0"
    return repr(v)


def _sign_bit(t: str, bit: int) -> bool:
    if t in FLOAT_TYPES:
        return bool(int(bit) & FLOAT_TYPES[t].sign_mask)
    if t == "mxint8":
        return bool(int(bit) & 0x80)
    fmt = get_format(t)
    sm = getattr(fmt, "sign_mask", None)
    return bool(sm and int(bit) & sm)


def flag_diff(expected: int, got: int, mask: int = FLAGS_MASK) -> str:
    """``+OF -NX``: flags the DUT set that were not expected (+) and expected ones it missed (-)."""
    out = []
    for i, n in enumerate(FLAG_ORDER):
        b = 1 << i
        if not mask & b:
            continue
        if got & b and not expected & b:
            out.append("+" + n)
        elif expected & b and not got & b:
            out.append("-" + n)
    return " ".join(out)

