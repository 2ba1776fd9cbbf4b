"""fp8ref.core.exact: literals parse to their exact values; round_fraction rounds once, checked
against Python's correctly rounded float(Fraction) (RNE into float64) and, for every mode and
type, a nearest-neighbour oracle written here with fractions over numpy/ml_dtypes bit patterns."""

import math
import random
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

from fp8ref.core.exact import DETERMINISTIC_ROUNDINGS, is_hex_integer, parse_number, round_fraction
from fp8ref.core.floats import BF16, F16, F32, F64

_NP = {"float16": (np.uint16, np.float16), "bfloat16": (np.uint16, ml_dtypes.bfloat16),
       "float32": (np.uint32, np.float32), "float64": (np.uint64, np.float64)}


def _value(t, bits: int) -> Fraction | float:
    """Exact value of a bit pattern, read by numpy / ml_dtypes (not by fp8ref)."""
    u, f = _NP[t.name]
    v = float(np.array([bits], dtype=u).view(f)[0])
    return Fraction(v) if math.isfinite(v) else v


def _oracle(q: Fraction, t, mode: str) -> int:
    """The pattern ``mode`` picks for q among the patterns bracketing |q| (found by scanning from
    numpy's own conversion of float(q)); Inf stands for 2^(emax+1) when deciding nearness."""
    neg, a = q < 0, abs(q)
    u, f = _NP[t.name]
    try:
        near = float(a)
    except OverflowError:
        near = math.inf
    with np.errstate(over="ignore"):
        start = int(np.array([near]).astype(f).view(u)[0])
    inf = (1 << (t.bits - 1)) - (1 << t.man_bits)  # +Inf pattern (numpy's layout)
    big = Fraction(2) ** (2 ** (t.bits - 1 - t.man_bits - 1))  # 2^(emax+1)
    cands = [b for b in range(max(start - 3, 0), min(start + 4, inf + 1))]
    val = {b: (big if b == inf else _value(t, b)) for b in cands}
    lo = max((b for b in cands if b < inf and val[b] <= a), key=lambda b: val[b], default=0)
    his = [b for b in cands if val[b] >= a]
    hi = min(his, key=lambda b: val[b]) if his else inf
    if val[lo] == a:
        r = lo
    elif mode == "rtz" or (mode == "rup" and neg) or (mode == "rdn" and not neg):
        r = lo
    elif mode in ("rup", "rdn"):
        r = hi
    elif mode == "rto":
        r = lo if lo & 1 else hi
    else:
        dl, dh = a - val[lo], val[hi] - a
        if dl != dh:
            r = lo if dl < dh else hi
        else:
            r = {"rne": lo if lo % 2 == 0 else hi, "rna": hi, "rnz": lo}[mode]
    return r | ((1 << (t.bits - 1)) if neg else 0)


def _cases(t, n=150, seed=5):
    """Exact values, midpoints and their close neighbours (±2^-80 relative), random fractions of
    a gap, subnormals, values below half the smallest subnormal, the overflow edge, huge values."""
    rnd = random.Random(seed)
    u, f = _NP[t.name]
    inf = (1 << (t.bits - 1)) - (1 << t.man_bits)
    picks = [1, 2, (1 << t.man_bits) - 1, 1 << t.man_bits, inf - 2, inf - 1]
    picks += [rnd.randrange(1, inf - 1) for _ in range(n)]
    qs = []
    for b in picks:
        a, c = _value(t, b), (_value(t, b + 1) if b + 1 < inf else None)
        if c is None:  # max finite: the next value would be max + ulp; its midpoint is the overflow tie
            c = 2 * a - _value(t, b - 1)
        m = (a + c) / 2
        tiny = (c - a) / 2**80
        qs += [a, m, m + tiny, m - tiny, a + (c - a) * Fraction(rnd.randrange(1, 997), 997)]
    sub = _value(t, 1)
    qs += [sub / 2, sub / 2 + sub / 2**70, sub / 2 - sub / 2**70, sub / 3, Fraction(1, 10**400),
           Fraction(10) ** 400, Fraction(3, 7), Fraction(-1, 3)]
    return qs + [-q for q in qs]


@pytest.mark.parametrize("t", [F16, BF16, F32, F64], ids=lambda t: t.name)
@pytest.mark.parametrize("mode", DETERMINISTIC_ROUNDINGS)
def test_round_fraction_matches_the_fractions_oracle(t, mode):
    for q in _cases(t):
        assert round_fraction(q, t, mode) == _oracle(q, t, mode), (t.name, mode, q)


def test_round_fraction_rne_float64_is_python_float():
    rnd = random.Random(11)
    qs = [Fraction(rnd.getrandbits(200) + 1, rnd.getrandbits(150) + 1) * Fraction(2) ** rnd.randrange(-1200, 1100)
          for _ in range(3000)]
    qs += [Fraction(1) + Fraction(1, 2**53), Fraction(2) ** -1075, Fraction(3, 2) * Fraction(2) ** -1075]
    for q in qs + [-q for q in qs]:
        try:
            want = float(q)  # correctly rounded, ties to even
        except OverflowError:
            want = -math.inf if q < 0 else math.inf
        got = np.array([round_fraction(q, F64, "rne")], dtype=np.uint64).view(np.float64)[0]
        assert got == want and math.copysign(1, got) == math.copysign(1, want), q


def test_round_fraction_refuses_stochastic_and_gives_plus_zero():
    with pytest.raises(ValueError, match="stochastic"):
        round_fraction(Fraction(1, 3), F32, "stochastic")
    assert round_fraction(0, F32) == 0 and round_fraction(Fraction(0), F64, "rup") == 0


def test_parse_number_exact_values_and_errors():
    assert parse_number("0x1.0000000000000001p0") == 1 + Fraction(1, 2**64)
    assert parse_number("-0x.8") == Fraction(-1, 2) and parse_number("1_000") == 1000
    assert math.copysign(1, parse_number("-0x0p0")) == -1
    with pytest.raises(ValueError, match="not a number: 'x1'"):
        parse_number("x1")
    assert is_hex_integer("0x3f80") and not is_hex_integer("0x1.8") and not is_hex_integer("0x1p3")
    assert not is_hex_integer("12")
