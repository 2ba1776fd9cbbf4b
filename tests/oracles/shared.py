"""The shared test oracles (test-only; nothing here calls fp8ref's codecs).

* ml_dtypes: which fp8ref formats it implements (``ML_DTYPES``), its casts as codes, its
  decoded values, and ml_dtypes 0.6.0's array cast restated;
* gfloat: its description of an IEEE-like layout (``gfloat_format``), rounding modes, values;
* exact ``fractions`` rounding written from the definitions (IEEE 754 §4.3, §7):
  ``floor_log2``, ``pick`` (which neighbour a mode chooses), ``round_unbounded`` (p significant
  bits, no exponent bounds), ``round_f32_bits`` (binary32, RNE, with subnormals and overflow),
  ``ieee_reference`` (an IEEE-like format's result and flags, every deterministic mode).
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from functools import lru_cache

import gfloat
import ml_dtypes
import numpy as np

# ---- ml_dtypes --------------------------------------------------------------------------------
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
#: the element formats among them (at most 8 bits, one code per byte)
ML_ELEMENTS = {k: v for k, v in ML_DTYPES.items() if np.dtype(v).itemsize == 1}
#: ML_DTYPES plus the scale format (whose fp8ref codec has its own tests, tests/codecs/ue8m0)
ML_CASTS = {**ML_DTYPES, "ue8m0": ml_dtypes.float8_e8m0fnu}
_BITS = {"e2m3fn": 6, "e3m2fn": 6, "e2m1fn": 4}


def ml_codes(x, name):
    """ml_dtypes' cast of x (its own dtype) as integer codes."""
    dt = ML_CASTS[name]
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(x).astype(dt)
    return out.view(np.uint8 if np.dtype(dt).itemsize == 1 else np.uint16)


def ml_values(name) -> np.ndarray:
    """float64 value of every code of an element format, decoded by ml_dtypes."""
    n = 1 << _BITS.get(name, 8)
    return np.arange(n, dtype=np.uint8).view(ML_ELEMENTS[name]).astype(np.float64)


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


# ---- gfloat -----------------------------------------------------------------------------------
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


@lru_cache(maxsize=None)
def code_values(fmt) -> dict:
    """{code: float value} for every code of an IEEE-like format, from gfloat's decoder."""
    fi = gfloat_format(fmt)
    return {c: gfloat.decode_float(fi, c).fval for c in range(fmt.num_codes)}


@lru_cache(maxsize=None)
def finite_values(fmt):
    """Sorted exact finite values of an IEEE-like format, from gfloat's decoder."""
    return tuple(sorted({Fraction(v) for v in code_values(fmt).values() if np.isfinite(v)}))


def exact(x) -> Fraction:
    return Fraction(float(x))


def finite_sorted(vals) -> list[Fraction]:
    """The distinct finite values of a float array, exact and sorted."""
    return sorted({Fraction(float(v)) for v in vals if np.isfinite(v)})


# ---- exact rounding of fractions ----------------------------------------------------------------
def floor_log2(a: Fraction) -> int:
    """``floor(log2 a)`` of a positive rational, exactly."""
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    if Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def pick(a, lo, hi, mode, neg, lo_odd, r=None, n=0):
    """The neighbour (``lo <= a <= hi``, magnitudes) that rounding ``mode`` delivers for a
    value of sign ``neg``; ``lo_odd``: whether ``lo``'s code is odd (ties to even, to odd);
    ``stochastic``: up iff ``floor(d * 2^n) + r >= 2^n`` with ``d = (a - lo) / (hi - lo)``."""
    if lo == hi or mode == "rtz":
        return lo
    if mode == "rup":
        return lo if neg else hi
    if mode == "rdn":
        return hi if neg else lo
    if mode == "rto":
        return lo if lo_odd else hi
    if mode == "raz":
        return hi
    if mode == "stochastic":
        d = (a - lo) / (hi - lo)
        return hi if math.floor(d * 2**n) + r >= 2**n else lo
    dl, dh = a - lo, hi - a
    if dl != dh:
        return lo if dl < dh else hi
    if mode == "rna":
        return hi
    if mode == "rnz":
        return lo
    return hi if lo_odd else lo  # rne: the even neighbour


def round_unbounded(a, p, mode, neg, r=None, n=0, odd_of=None):
    """``a > 0`` rounded to ``p`` significant bits with an unbounded exponent range. The parity
    of a candidate's code is its last significand bit, or ``odd_of(candidate)`` if given (for
    ``p = 1``, where it is the exponent's)."""
    q = Fraction(2) ** (floor_log2(a) - p + 1)
    lo = math.floor(a / q) * q
    hi = lo if lo == a else lo + q
    return pick(a, lo, hi, mode, neg, odd_of(lo) if odd_of else (lo / q) % 2 == 1, r, n)


def round_f32_bits(fr: Fraction) -> int:
    """binary32 bits of the exact rational ``fr`` rounded to nearest even (from the definition:
    subnormals below 2^-126, +-Inf above the largest finite)."""
    if fr == 0:
        return 0
    neg = fr < 0
    a = abs(fr)
    e = max(floor_log2(a), -126)
    k = a / Fraction(2) ** (e - 23)
    m = math.floor(k)
    rem = k - m
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and m % 2):
        m += 1
    if m >= 2**24:  # carried into the next binade
        m //= 2
        e += 1
    if e > 127:
        bits = 0x7F800000
    elif m < 2**23:  # subnormal
        bits = m
    else:
        bits = ((e + 127) << 23) | (m - 2**23)
    return bits | (0x80000000 if neg else 0)


def round_f32(fr: Fraction) -> float:
    """The float32 value nearest ``fr`` (ties to even), as a Python float."""
    return struct.unpack("<f", struct.pack("<I", round_f32_bits(fr)))[0]


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
    if mode not in ("rne", "rna", "rnz", "rtz", "rup", "rdn", "rto", "raz"):
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
        # round to odd saturates (SoftFloat round_odd), except in the signed P3109 formats, whose
        # Saturate sends ToOdd overflow to ±Inf (P3109 interim report, ωSaturate under OvfInf)
        odd_to_max = mode == "rto" and not fmt.name.startswith("p3109")
        to_max = overflow != "ovf_inf" or mode == "rtz" or odd_to_max or (mode == "rup" and neg) or (mode == "rdn" and not neg)
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
