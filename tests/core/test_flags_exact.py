"""Flags and delivered values vs an exact `fractions` reference written from the definitions
(IEEE 754 §7, TestFloat conventions), independent of fp8ref's integer pipeline."""

import math
from bisect import bisect_left
from fractions import Fraction

import numpy as np
import pytest

from fp8ref import Format, decode, encode, get_format

from .edge_cases import edge_values
from .oracles import finite_values

NX, UF, OF, NV = 0x01, 0x02, 0x04, 0x10


def _round_unbounded(a: Fraction, p: int, emin, mode, neg, odd_of):
    """Round a > 0 to p significant bits (exponent clamped below at emin if given)."""
    e = math.floor(math.log2(a)) if a > 0 else 0
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    if emin is not None:
        e = max(e, emin)
    q = Fraction(2) ** (e - p + 1)
    lo = math.floor(a / q) * q
    hi = lo + q if lo != a else lo
    if emin is None:
        # unbounded extension of the code order: for p > 1 the code's last bit is the
        # significand's; for p = 1 consecutive powers of two alternate parity
        def odd_of(v):
            if p > 1:
                return (v / q) % 2 == 1
            k = math.floor(math.log2(v)) if v else 0
            return (k - fmt_emin_holder[0]) % 2 == 0
    return _pick(a, lo, hi, mode, neg, odd_of)


fmt_emin_holder = [0]


def _pick(a, lo, hi, mode, neg, odd_of):
    if lo == hi:
        return lo
    if mode == "rtz":
        return lo
    if mode == "rup":
        return lo if neg else hi
    if mode == "rdn":
        return hi if neg else lo
    if mode == "rto":
        return lo if odd_of(lo) else hi
    d_lo, d_hi = a - lo, hi - a
    if d_lo != d_hi:
        return lo if d_lo < d_hi else hi
    if mode == "rna":
        return hi
    return hi if odd_of(lo) else lo  # rne: the even neighbour


def reference(x: float, fmt, mode, overflow, tininess):
    """(value or 'nan', flags) for a finite or special float x."""
    vals = [v for v in finite_values(fmt) if v >= 0]
    maxf = vals[-1]
    p, emin = fmt.man_bits + 1, fmt.emin
    fmt_emin_holder[0] = emin  # p = 1: 2^emin has code 1 (odd)
    if math.isnan(x):
        return "nan", 0
    neg = math.copysign(1, x) < 0
    if math.isinf(x):
        if overflow == "sat_finite" or not (fmt.has_infinity or fmt.has_nan):
            return (-maxf if neg else maxf), (0 if overflow == "sat_finite" else NV)
        return ("inf" if fmt.has_infinity else "nan"), 0
    a = abs(Fraction(x))
    if a == 0:
        return Fraction(0), 0
    # parity of the *code*: position in the ordered value list
    odd_of = lambda v: (bisect_left(vals, v) % 2 == 1) if v <= maxf else ((bisect_left(vals, maxf) + 1) % 2 == 1)
    r_unb = _round_unbounded(a, p, None, mode, neg, odd_of)
    flags = 0
    if r_unb > maxf:
        flags |= OF | NX
        # round to odd saturates (SoftFloat round_odd), except in the signed P3109 formats, whose
        # Saturate sends ToOdd overflow to ±Inf (P3109 interim report, ωSaturate under OvfInf)
        odd_to_max = mode == "rto" and not fmt.name.startswith("p3109")
        to_max = overflow != "ovf_inf" or mode == "rtz" or odd_to_max or (mode == "rup" and neg) or (mode == "rdn" and not neg)
        if to_max or not (fmt.has_infinity or fmt.has_nan):
            return (-maxf if neg else maxf), flags
        return ("inf" if fmt.has_infinity else "nan"), flags
    # delivered: neighbours in the actual value set
    i = bisect_left(vals, a)
    if i == len(vals):  # above max, but rounds back to it
        lo = hi = maxf
    else:
        lo = vals[i - 1] if vals[i] != a else vals[i]
        hi = vals[i]
    r = _pick(a, lo, hi, mode, neg, odd_of)
    if r != a:
        flags |= NX
        tiny = (a < 2**emin) if tininess == "before" else (_round_unbounded(a, p, None, mode, neg, odd_of) < 2**emin)
        if tiny:
            flags |= UF
    return (-r if neg else r), flags


CASES = ["e4m3fn", "e5m2", "e2m1fn", "e4m3fnuz", "p3109_8p1", "p3109_8p4", "e3m4"]


@pytest.mark.parametrize("name", CASES + ["user_e3m2_inf"])
@pytest.mark.parametrize("mode", ["rne", "rna", "rtz", "rup", "rdn", "rto"])
@pytest.mark.parametrize("overflow", ["ovf_inf", "sat_finite"])
@pytest.mark.parametrize("tininess", ["after", "before"])
def test_values_and_flags_vs_fractions(name, mode, overflow, tininess):
    fmt = Format("user_e3m2_inf", 3, 2, 3, True, 3) if name == "user_e3m2_inf" else get_format(name)
    x = edge_values(fmt, np.float32, ulps=(1,))
    x = x[::3] if x.size > 2000 else x
    kw = dict(rounding=mode, overflow=overflow, tininess=tininess)
    if not fmt.has_nan:
        x = x[~np.isnan(x)]
    codes, flags = encode(x, fmt, return_flags=True, **kw)
    got = decode(codes, fmt, dtype=np.float64)
    for xi, gi, fi in zip(x.tolist(), got.tolist(), flags.tolist()):
        ref, rflags = reference(xi, fmt, mode, overflow, tininess)
        if ref == "nan":
            ok = math.isnan(gi)
        elif ref == "inf":
            ok = math.isinf(gi) and (gi < 0) == (math.copysign(1, xi) < 0)
        else:
            ok = Fraction(gi) == ref
            if ref == 0 and fmt.has_negative_zero:
                ok &= math.copysign(1, gi) == math.copysign(1, xi)
        assert ok and fi == rflags, f"{fmt.name} {kw} x={xi!r}: got {gi!r} flags {fi:#x}, expected {ref} flags {rflags:#x}"


def test_hand_derived_flags():
    # IEEE overflow rule: 464 ties to 448 (no overflow), 465 overflows even when saturating
    c, f = encode(np.array([464.0, 465.0, 480.0, 2.0**-10, 2.0**-9, 0.5 * 2.0**-6 * 1.875]), "e4m3fn",
                  overflow="sat_finite", return_flags=True)
    assert f.tolist() == [NX, NX | OF, NX | OF, NX | UF, 0, NX | UF]
    assert c.tolist()[:3] == [0x7E, 0x7E, 0x7E]
    # e5m2: 61440 ties up to 65536 > max: overflow; RTZ never overflows to Inf
    c, f = encode(np.array([61440.0]), "e5m2", return_flags=True)
    assert c.tolist() == [0x7C] and f.tolist() == [NX | OF]
    c, f = encode(np.array([1e9, -1e9]), "e5m2", rounding="rtz", return_flags=True)
    assert c.tolist() == [0x7B, 0xFB] and f.tolist() == [NX | OF, NX | OF]
    # tininess: 0.96875 * 2^-6 rounds (RNE) to 2^-6 = min normal: tiny only "before"
    x = np.array([2.0**-6 * 0.99])
    assert encode(x, "e4m3fn", return_flags=True)[1].tolist() == [NX]
    assert encode(x, "e4m3fn", tininess="before", return_flags=True)[1].tolist() == [NX | UF]
    # signalling NaN input raises invalid; quiet NaN does not; Inf into FP4 is invalid
    snan = np.array([0x7F800001], np.uint32).view(np.float32)
    qnan = np.array([0x7FC00000], np.uint32).view(np.float32)
    assert encode(snan, "e4m3fn", return_flags=True)[1].tolist() == [NV]
    assert encode(qnan, "e4m3fn", return_flags=True)[1].tolist() == [0]
    c, f = encode(np.array([np.inf]), "e2m1fn", return_flags=True)
    assert c.tolist() == [0x7] and f.tolist() == [NV]
    c, f = encode(np.array([np.inf]), "e2m1fn", overflow="sat_finite", return_flags=True)
    assert c.tolist() == [0x7] and f.tolist() == [0]
