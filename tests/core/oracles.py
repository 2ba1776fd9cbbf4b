"""Bridges to the independent oracles (test-only): ml_dtypes (0.7.0), gfloat, exact fractions."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import gfloat
import ml_dtypes
import numpy as np

from ..golden.oracle import _binade as floor_log2  # floor(log2(a)) for a Fraction a > 0, exactly
from ..golden.oracle import _pick as pick  # the choice between two neighbours, by mode

#: fp8ref names that ml_dtypes implements, with its dtype
ML_DTYPES = {
    "e4m3fn": ml_dtypes.float8_e4m3fn,
    "e5m2": ml_dtypes.float8_e5m2,
    "e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "e4m3b11fnuz": ml_dtypes.float8_e4m3b11fnuz,
    "e4m3": ml_dtypes.float8_e4m3,
    "e3m4": ml_dtypes.float8_e3m4,
    "e2m3fn": ml_dtypes.float6_e2m3fn,
    "e3m2fn": ml_dtypes.float6_e3m2fn,
    "e2m1fn": ml_dtypes.float4_e2m1fn,
    "bf16": ml_dtypes.bfloat16,
    "fp16": np.float16,
}

GF_ROUND = {
    "rne": gfloat.RoundMode.TiesToEven,
    "rna": gfloat.RoundMode.TiesToAway,
    "rtz": gfloat.RoundMode.TowardZero,
    "rup": gfloat.RoundMode.TowardPositive,
    "rdn": gfloat.RoundMode.TowardNegative,
    "stochastic": gfloat.RoundMode.StochasticFastest,
    "stochastic_fast": gfloat.RoundMode.StochasticFast,
    "stochastic_rne": gfloat.RoundMode.Stochastic,
    "stochastic_rno": gfloat.RoundMode.StochasticOdd,
}


def gfloat_format(fmt) -> gfloat.FormatInfo:
    """gfloat's description of the same IEEE-like layout (field-by-field, no fp8ref logic)."""
    return gfloat.FormatInfo(
        fmt.name,
        fmt.bits,
        fmt.man_bits + 1,
        bias=fmt.bias,
        is_signed=True,
        domain=gfloat.Domain.Extended if fmt.has_infinity else gfloat.Domain.Finite,
        has_nz=fmt.has_negative_zero,
        num_high_nans=fmt.num_high_nans,
        has_subnormals=True,
        is_twos_complement=False,
    )


#: ML_DTYPES plus the scale format (whose fp8ref codec has its own tests, tests/ue8m0)
ML_CASTS = {**ML_DTYPES, "ue8m0": ml_dtypes.float8_e8m0fnu}


def ml_codes(x, name):
    """ml_dtypes' cast of x (its own dtype) as integer codes."""
    dt = ML_CASTS[name]
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(x).astype(dt)
    return out.view(np.uint8 if np.dtype(dt).itemsize == 1 else np.uint16)


def ml_dtypes_06_codes(x, name):
    """ml_dtypes 0.6.0's array cast, restated from independent parts: float64 and 32/64-bit
    integer inputs first rounded to float32 by numpy (RNE); then the installed ml_dtypes' cast
    (its float32/float16/bfloat16 casts are the same in 0.6.0 and 0.7.0, measured over every
    float16/bfloat16 input and 2.2 M float32 patterns); float8_e8m0fnu sends (2^-127, 2^-126) to
    0x01. test_ml_dtypes_06.py checks this restatement's subject, the ``ml_dtypes_0.6`` preset,
    against ml_dtypes 0.6.0 itself."""
    x = np.asarray(x)
    if (x.dtype.kind == "f" and x.dtype.itemsize > 4) or (x.dtype.kind in "iu" and x.dtype.itemsize >= 4):
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
    out = ml_codes(x, name)
    if name == "ue8m0":
        v = x.astype(np.float64)
        out = np.where((v > 2.0**-127) & (v < 2.0**-126), np.uint8(1), out)
    return out


def exact(x) -> Fraction:
    return Fraction(float(x))


@lru_cache(maxsize=None)
def finite_values(fmt):
    """Sorted exact finite values of an IEEE-like format, from gfloat's decoder."""
    fi = gfloat_format(fmt)
    vals = set()
    for c in range(fmt.num_codes):
        v = gfloat.decode_float(fi, c).fval
        if np.isfinite(v):
            vals.add(Fraction(v))
    return tuple(sorted(vals))


# ---- exact IEEE-like rounding with flags (Fractions; IEEE 754 §4.3, §7, TestFloat) ------------
NX, UF, OF, NV = 0x01, 0x02, 0x04, 0x10
TWO = Fraction(2)


@lru_cache(maxsize=None)
def ieee_facts(fmt):
    """(precision p, emin, max finite, has Inf, has NaN) of an IEEE-like format, read off gfloat's
    description of the same layout."""
    fi = gfloat_format(fmt)
    return fi.precision, floor_log2(Fraction(fi.smallest_normal)), Fraction(fi.max), fi.num_posinfs > 0, fi.num_nans > 0


def code_index(v: Fraction, p: int, emin: int, unbounded: bool = False) -> int:
    """Position of v >= 0 in the ordered non-negative values (= its magnitude code): subnormals
    k * 2^(emin-p+1) are k; a normal s * 2^(e-p+1) (2^(p-1) <= s < 2^p) is (e-emin) * 2^(p-1) + s.
    ``unbounded``: the normal rule for every exponent (the format with no lower exponent limit)."""
    if v == 0:
        return 0
    if v < TWO**emin and not unbounded:
        return int(v / TWO ** (emin - p + 1))
    e = floor_log2(v)
    return (e - emin) * 2 ** (p - 1) + int(v / TWO ** (e - p + 1))


def round_p(a: Fraction, p: int, emin: int, mode: str, neg: bool, unbounded: bool = False) -> Fraction:
    """a > 0 rounded to p significant bits, the exponent clamped below at emin unless
    ``unbounded``; ties and 'odd' by the code's parity."""
    e = floor_log2(a)
    if not unbounded:
        e = max(e, emin)
    q = TWO ** (e - p + 1)
    lo = (a // q) * q
    if lo == a:
        return a
    if mode not in ("rne", "rna", "rtz", "rup", "rdn", "rto"):
        raise ValueError(f"no reference for rounding {mode!r}")
    return pick(a, lo, lo + q, mode, neg, code_index(lo, p, emin, unbounded) % 2 == 1)


def ieee_reference(x, fmt, mode, overflow="ovf_inf", tininess="after"):
    """(result, flags) of encoding x into an IEEE-like format: x a float (NaN/Inf allowed) or a
    Fraction; result a signed Fraction (zero unsigned), 'inf', '-inf' or 'nan'.

    Written from the definitions: round once from the exact value to the format's values;
    overflow when the result rounded with unbounded exponent exceeds max finite (delivered as
    ±max for saturating policies and for directions that never round away from zero, else ±Inf,
    or NaN in a format without Inf); underflow when inexact and tiny, tiny meaning |x| < 2^emin
    ('before') or |x| rounded with unbounded exponent < 2^emin ('after')."""
    p, emin, maxf, has_inf, has_nan = ieee_facts(fmt)
    if isinstance(x, float):
        if math.isnan(x):
            return "nan", 0
        if math.isinf(x):
            if overflow == "sat_finite" or not (has_inf or has_nan):
                return (-maxf if x < 0 else maxf), (0 if overflow == "sat_finite" else NV)
            return ("-inf" if x < 0 else "inf") if has_inf else "nan", 0
        neg = math.copysign(1, x) < 0
        x = Fraction(x)
    else:
        neg = x < 0
    a = abs(x)
    if a == 0:
        return Fraction(0), 0
    r_unb = round_p(a, p, emin, mode, neg, unbounded=True)
    if r_unb > maxf:
        to_max = overflow != "ovf_inf" or mode in ("rtz", "rto") or (mode == "rup" and neg) or (mode == "rdn" and not neg)
        if to_max or not (has_inf or has_nan):
            return (-maxf if neg else maxf), OF | NX
        return (("-inf" if neg else "inf") if has_inf else "nan"), OF | NX
    r = min(round_p(a, p, emin, mode, neg), maxf)  # above max but not overflowing: max
    flags = 0
    if r != a:
        flags = NX
        if (a < TWO**emin) if tininess == "before" else (r_unb < TWO**emin):
            flags |= UF
    return (-r if neg else r), flags
