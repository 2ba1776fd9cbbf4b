"""ftz / daz restated with exact `fractions`, on every IEEE-like format of up to 8 bits (OCP,
FNUZ, MX FP6/FP4, IEEE P3109 binary8p1..p7), from the definitions:

* daz: ``0 < |x| < 2^-126`` (a float32 subnormal) is read as a zero of x's sign, no flag;
* ftz: the result is tiny — ``0 < |x| < 2^emin`` (tininess ``before``) or ``0 < |x rounded to p
  bits, exponent unbounded| < 2^emin`` (``after``) — then it is ±0 (+0 without -0) with
  underflow|inexact, whether or not the rounding was exact; otherwise the IEEE result.

The IEEE result comes from tests/oracles/shared.py's independent `fractions` reference.
"""

import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

from fp8ref import decode, encode, get_format

from ..codecs.edge_cases import edge_values
from ..oracles.shared import ieee_reference, round_p

NX, UF = 0x01, 0x02
FORMATS = ["e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz", "e4m3b11fnuz", "e4m3", "e3m4", "e2m3fn", "e3m2fn",
           "e2m1fn"] + [f"p3109_8p{p}" for p in range(1, 8)]


def reference(x: float, fmt, mode, tininess):
    return ieee_reference(x, fmt, mode, "ovf_inf", tininess)


def expected(x: float, fmt, mode, tininess, ftz, daz):
    if daz and 0 < abs(x) < 2.0**-126:
        x = math.copysign(0.0, x)
    ref, flags = reference(x, fmt, mode, tininess)
    if not ftz or not math.isfinite(x) or x == 0:
        return ref, flags
    a, emin = abs(Fraction(x)), Fraction(2) ** fmt.emin
    tiny = a < emin if tininess == "before" else round_p(a, fmt.man_bits + 1, fmt.emin, mode, x < 0, unbounded=True) < emin
    if tiny:
        return Fraction(0), UF | NX
    return ref, flags


def matches(ref, got: float, x: float, fmt) -> bool:
    """``got`` is ``ref`` (a Fraction, "nan" or "inf" with x's sign); zeros keep x's sign when
    the format has -0."""
    if isinstance(ref, str):
        return math.isnan(got) if ref == "nan" else (math.isinf(got) and (got < 0) == (math.copysign(1, x) < 0))
    same_sign = ref != 0 or not fmt.has_negative_zero or math.copysign(1, got) == math.copysign(1, x)
    return Fraction(got) == ref and same_sign


def inputs(fmt):
    x = edge_values(fmt, np.float32, ulps=(1,))
    x = x[np.isnan(x) | (np.abs(x) < 4 * 2.0**fmt.emin) | (np.abs(x) > 2.0**126) | (x == 0)]
    subs = np.array([1, 3, 0x7FFFFF, 0x400000, 0x80000001, 0x80123456], dtype=np.uint32).view(np.float32)
    x = np.concatenate([x, subs])
    return x if fmt.has_nan else x[~np.isnan(x)]


COMBOS = [  # (rounding, tininess, ftz, daz): each rounding direction, both tininess rules, both fields
    ("rne", "after", True, False), ("rne", "before", True, False), ("rup", "after", True, True),
    ("rdn", "before", True, False), ("rtz", "after", True, True), ("rna", "after", False, True),
]


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("mode,tininess,ftz,daz", COMBOS)
def test_ftz_daz_vs_fractions(name, mode, tininess, ftz, daz):
    fmt = get_format(name)
    x = inputs(fmt)
    codes, flags = encode(x, fmt, rounding=mode, tininess=tininess, ftz=ftz, daz=daz, return_flags=True)
    got = decode(codes, fmt, dtype=np.float64)
    changed = 0
    for xi, gi, fi in zip(x.tolist(), got.tolist(), flags.tolist()):
        ref, rflags = expected(xi, fmt, mode, tininess, ftz, daz)
        changed += (ref, rflags) != reference(xi, fmt, mode, tininess)
        ok = matches(ref, gi, xi, fmt)
        assert ok and fi == rflags, (f"{name} {mode} tininess={tininess} ftz={ftz} daz={daz} x={xi!r}: got {gi!r} "
                                     f"flags {fi:#x}, expected {ref} flags {rflags:#x}")
    # the convention really changes results on these inputs (p = 1 has no subnormals: rounding
    # toward zero already gives 0 for every tiny input)
    assert changed > 0 or (fmt.man_bits == 0 and mode in ("rtz", "rdn") and tininess == "after")


def test_ftz_edges_by_hand():
    # e5m2 min normal 2^-14; 0.999 * 2^-14 rounds (RNE) to it: tiny only before rounding
    x = np.array([2.0**-14 * 0.999, -(2.0**-15), 2.0**-16 * 3, 2.0**-14], dtype=np.float32)
    c, f = encode(x, "e5m2", ftz=True, return_flags=True)
    assert c.tolist() == [0x04, 0x80, 0x00, 0x04] and f.tolist() == [NX, UF | NX, UF | NX, 0]
    c, f = encode(x, "e5m2", ftz=True, tininess="before", return_flags=True)
    assert c.tolist() == [0x00, 0x80, 0x00, 0x04] and f.tolist() == [UF | NX, UF | NX, UF | NX, 0]
    # no -0 in P3109 / FNUZ: a flushed negative is +0 (0x80 is NaN)
    c, f = encode(np.array([-(2.0**-16)], np.float32), "p3109_8p3", ftz=True, return_flags=True)
    assert c.tolist() == [0] and f.tolist() == [UF | NX]
    # daz: a float32 subnormal is zero (no flag); without daz it underflows
    s = np.array([0x00400000, 0x80000001], np.uint32).view(np.float32)
    assert encode(s, "bf16", daz=True, return_flags=True)[0].tolist() == [0x0000, 0x8000]
    assert encode(s, "bf16", daz=True, return_flags=True)[1].tolist() == [0, 0]
    assert encode(s, "bf16", return_flags=True)[0].tolist() == [0x0040, 0x8000]


@pytest.mark.parametrize("src", ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float6_e2m3fn"])
def test_daz_reads_the_source_formats_subnormals(src):
    """Codes inputs: the subnormals of the *source* format (exponent field 0) become zeros."""
    sfmt = get_format(src.replace("float8_", "").replace("float6_", ""))
    n = 1 << sfmt.bits
    arr = np.arange(n, dtype=np.uint8).view(getattr(ml_dtypes, src))
    vals = decode(np.arange(n), sfmt, dtype=np.float64)
    keep = ~np.isnan(vals)
    codes, flags = encode(arr[keep], "bf16", daz=True, return_flags=True)
    got = decode(codes, "bf16", dtype=np.float64)
    sub = (np.abs(vals[keep]) > 0) & (np.abs(vals[keep]) < 2.0**sfmt.emin)
    assert sub.sum() == 2 * ((1 << sfmt.man_bits) - 1) // (1 if sfmt.has_negative_zero else 2) or sub.sum() > 0
    assert (got[sub] == 0).all() and (np.signbit(got[sub]) == np.signbit(vals[keep][sub])).all()
    assert (got[~sub] == vals[keep][~sub]).all() and not flags.any()
