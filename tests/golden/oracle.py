"""Independent oracles for golden-vector lines (test-only).

* values of IEEE-like formats from gfloat's decoder (not fp8ref's);
* conversions with flags in exact ``fractions`` arithmetic, written from the definitions
  (IEEE 754 §7, TestFloat conventions), sharing nothing with fp8ref's integer pipeline;
* a pure-Python SplitMix64.
"""

from __future__ import annotations

import math
import struct
from bisect import bisect_left
from fractions import Fraction
from functools import lru_cache

from ..oracles.shared import NV, NX, OF, UF, code_values, gfloat_format, pick, round_unbounded  # noqa: F401 (oracle.NV, ...)


def splitmix64(seed: int, n: int) -> list:
    """Reference SplitMix64 (Steele, Lea, Flood 2014) on Python integers."""
    out, s = [], seed & (2**64 - 1)
    for _ in range(n):
        s = (s + 0x9E3779B97F4A7C15) & (2**64 - 1)
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
        out.append(z ^ (z >> 31))
    return out


@lru_cache(maxsize=None)
def positives(fmt):
    """Sorted finite values >= 0 as Fractions (index parity = code parity for IEEE-like)."""
    return sorted({Fraction(abs(v)) for v in code_values(fmt).values() if math.isfinite(v)})


def f32_value(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def f64_value(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def convert(x: float, fmt, mode="rne", overflow="ovf_inf", tininess="after", snan=False, r=None, n=0):
    """(value, flags) of converting x into an IEEE-like fmt; value is 'nan', '+inf', '-inf'
    or (negative, magnitude as a Fraction).

    p > 1 only (the precision-1 parity rule is not modelled here).
    """
    assert fmt.man_bits >= 1
    vals = positives(fmt)
    maxf = vals[-1]
    p, emin = fmt.man_bits + 1, fmt.emin
    if math.isnan(x):
        return "nan", (NV if snan else 0)
    neg = math.copysign(1.0, x) < 0
    if math.isinf(x):
        if overflow == "sat_finite":
            return (neg, maxf), 0
        if fmt.has_infinity:
            return ("-inf" if neg else "+inf"), 0
        if fmt.has_nan:
            return "nan", 0
        return (neg, maxf), NV
    a = abs(Fraction(x))
    if a == 0:
        return (neg, Fraction(0)), 0
    r_unb = round_unbounded(a, p, mode, neg, r, n)
    if r_unb > maxf:
        to_max = overflow != "ovf_inf" or mode in ("rtz", "rto") or (mode == "rup" and neg) or (mode == "rdn" and not neg)
        if to_max or not (fmt.has_infinity or fmt.has_nan):
            return (neg, maxf), OF | NX
        return ("nan" if not fmt.has_infinity else ("-inf" if neg else "+inf")), OF | NX
    i = bisect_left(vals, a)
    if i == len(vals):
        lo = hi = maxf
    elif vals[i] == a:
        lo = hi = a
    else:
        lo, hi = vals[i - 1], vals[i]
    res = pick(a, lo, hi, mode, neg, (vals.index(lo) % 2) == 1, r, n)
    flags = 0
    if res != a:
        flags |= NX
        tiny = a < Fraction(2) ** emin if tininess == "before" else r_unb < Fraction(2) ** emin
        if tiny:
            flags |= UF
    return (neg, res), flags


def same_value(code: int, ref, fmt) -> bool:
    """Does fmt's ``code`` (decoded by gfloat) equal the oracle's value (sign of zero too)?"""
    v = code_values(fmt)[code]
    if ref == "nan":
        return math.isnan(v)
    if ref in ("+inf", "-inf"):
        return math.isinf(v) and (v < 0) == (ref == "-inf")
    neg, mag = ref
    if math.isnan(v) or math.isinf(v) or Fraction(abs(v)) != mag:
        return False
    if mag == 0:
        return bool(code & fmt.sign_mask) == neg if fmt.has_negative_zero else code == 0
    return (v < 0) == neg
