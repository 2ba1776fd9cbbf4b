"""Flags and delivered values vs an exact `fractions` reference written from the definitions
(IEEE 754 §7, TestFloat conventions), independent of fp8ref's integer pipeline."""

import math
from fractions import Fraction

import numpy as np
import pytest

from fp8ref import Format, decode, encode, get_format

from .edge_cases import edge_values
from ..oracles.shared import NV, NX, OF, UF, ieee_reference

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
        ref, rflags = ieee_reference(xi, fmt, mode, overflow, tininess)
        if ref == "nan":
            ok = math.isnan(gi)
        elif ref in ("inf", "-inf"):
            ok = math.isinf(gi) and (gi < 0) == (ref == "-inf")
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
