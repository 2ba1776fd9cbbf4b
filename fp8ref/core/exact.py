"""Exact numbers from text, and one rounding of an exact number into an IEEE interchange type.

* :func:`parse_number`: a decimal, fraction or hex-float literal (``0.1``, ``-3e5``, ``3/8``,
  ``0x1.8p3``, ``inf``, ``nan``) -> its exact value (a ``Fraction``; ±0, ±inf, nan as floats).
* :func:`round_fraction`: an exact rational -> the bit pattern of a :class:`FloatType`
  (float16, bfloat16, float32, float64), rounded once by any deterministic rounding mode of
  :func:`~fp8ref.core.rounding.round_shift`, with IEEE 754 overflow for that mode. With
  ``rounding="rto"`` into float64 (53 bits) the result rounds again correctly into any format of
  at most 51 bits of precision (Boldo & Melquiond): that is how an exact decimal reaches the
  codecs, which read float64 arrays.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from .floats import FloatType
from .rounding import round_shift

__all__ = ["parse_number", "is_hex_integer", "round_fraction", "DETERMINISTIC_ROUNDINGS", "NumberValue"]

#: the rounding modes :func:`round_fraction` takes (stochastic ones need random bits: use encode)
DETERMINISTIC_ROUNDINGS = ("rne", "rna", "rnz", "rtz", "rup", "rdn", "rto")

#: what :func:`parse_number` returns: an exact Fraction, or a float for ±0, ±inf and nan
NumberValue = Fraction | float

_HEX_RE = re.compile(r"^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$", re.IGNORECASE)


def parse_number(text: str) -> NumberValue:
    """Exact value of a decimal, ``p/q`` or hex-float literal (``_`` separators allowed): a
    ``Fraction`` for finite non-zero numbers, the float ``0.0``/``-0.0`` for a signed zero,
    float inf/nan otherwise. Raises ValueError naming the text when it is not a number."""
    s = text.strip().replace("_", "")
    low = s.lower()
    sign = -1 if low.startswith("-") else 1
    body = low.lstrip("+-")
    if body in ("inf", "infinity"):
        return sign * math.inf
    if body == "nan":
        return math.copysign(math.nan, sign)
    m = _HEX_RE.match(s)
    if m and (m.group(2) or m.group(3)):
        ip, fp, ex = m.group(2) or "0", m.group(3) or "", int(m.group(4) or 0)
        q = Fraction(int(ip + fp, 16), 16 ** len(fp)) * Fraction(2) ** ex
        if m.group(1) == "-":
            q = -q
    else:
        try:
            q = Fraction(s)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"not a number: {text!r} (decimal like 0.1, 1e-3, 3/8, hex float like 0x1.8p3, "
                             "inf, nan)") from None
    if q == 0:
        return math.copysign(0.0, sign)
    return q


def is_hex_integer(text: str) -> bool:
    """Whether ``text`` is a hex literal without point or exponent (``0x3f80``): an integer, which
    a user may have meant as a bit pattern."""
    m = _HEX_RE.match(text.strip().replace("_", ""))
    return bool(m and m.group(3) is None and m.group(4) is None and m.group(2))


def _floor_log2(n: int, d: int) -> int:
    """``floor(log2(n / d))`` for positive integers, exactly."""
    e = n.bit_length() - d.bit_length()
    if (n << max(-e, 0)) < (d << max(e, 0)):
        e -= 1
    return e


def round_fraction(q: Fraction | int, ft: FloatType, rounding: str = "rne") -> int:
    """The bit pattern of ``ft`` for the exact value ``q``, rounded once by ``rounding``.

    The significand is cut two bits below the kept LSB (a guard bit and a sticky bit) and handed
    to :func:`~fp8ref.core.rounding.round_shift`; subnormals round on the subnormal grid. Beyond
    the largest finite value, the nearest modes (``rne``, ``rna``, ``rnz``) and the direction
    away from zero (``rup`` for positive, ``rdn`` for negative ``q``) give Inf, the others
    (``rtz``, ``rto``, the direction toward zero) the largest finite value. Zero gives +0.
    """
    if rounding not in DETERMINISTIC_ROUNDINGS:
        raise ValueError(f"round_fraction rounds by {', '.join(DETERMINISTIC_ROUNDINGS)}, got {rounding!r}")
    q = Fraction(q)
    if q == 0:
        return 0
    neg = q < 0
    n, d = abs(q.numerator), q.denominator
    e = max(_floor_log2(n, d), ft.emin)  # binade of the result's grid (subnormals: emin)
    sh = e - ft.man_bits - 1  # unit of the guard bit
    num, den = (n, d << sh) if sh >= 0 else (n << -sh, d)
    m, rest = divmod(num, den)  # m < 2^(man_bits + 2)
    kept, _ = round_shift(np.array([(m << 1) | (rest != 0)]), 2, np.array([neg]), rounding)
    bits = ((e - ft.emin) << ft.man_bits) + int(kept[0])  # a carry moves into the exponent field
    if bits >= ft.inf_bits:
        to_inf = rounding in ("rne", "rna", "rnz") or rounding == ("rdn" if neg else "rup")
        bits = ft.inf_bits if to_inf else ft.max_bits
    return bits | (ft.sign_mask if neg else 0)
