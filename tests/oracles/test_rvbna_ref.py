"""The RVBNA restatement (rvbna_ref.py) against the spec's own statements and its pseudocode."""

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .rvbna_ref import (FORMATS, NAN32, decode, dot_instruction, fp32_bits_value, round_to_odd_fp32, rvbna,
                        rvbna_pseudocode, value)

BF = {1.0: 0x3F80, -1.0: 0xBF80, 0.0: 0x0000, -0.0: 0x8000, "inf": 0x7F80, "-inf": 0xFF80, "qnan": 0x7FC0,
      "snan": 0x7F81, "max": 0x7F7F}


def bf16(x):
    """BF16 code of an exactly representable float."""
    c = int(np.array(x, dtype=ml_dtypes.bfloat16).view(np.uint16))
    assert float(np.array(c, np.uint16).view(ml_dtypes.bfloat16)) == x
    return c


def f32(bits):
    return float(fp32_bits_value(bits))


# ---- the spec's own statements -------------------------------------------------------------

@pytest.mark.parametrize("fmt,inf,zero,one,qnan", [("bf16", 0x7F80, 0x0000, 0x3F80, 0x7FC0),
                                                    ("e5m2", 0x7C, 0x00, 0x3C, 0x7E)])
def test_spec_invalid_examples(fmt, inf, zero, one, qnan):
    """"the invalid exception flag can be raised even if one of the operands is a quiet NaN (for
    example with inf - inf + qNaN, or inf * 0 + qNaN)"; the result is the canonical quiet NaN."""
    neg = 1 << (sum(FORMATS[fmt][:2]))
    assert rvbna([inf, inf | neg, qnan], [one, one, one], fmt) == (NAN32, {"invalid"})
    assert rvbna([inf, qnan], [zero, one], fmt, n=2) == (NAN32, {"invalid"})
    assert rvbna([qnan, one], [one, one], fmt) == (NAN32, set())  # a quiet NaN alone: no flag
    assert rvbna([inf, inf], [one, one], fmt) == (0x7F800000, set())  # same-sign infinities


def test_signalling_nan_raises_invalid():
    assert rvbna([BF["snan"]], [BF[1.0]], "bf16") == (NAN32, {"invalid"})
    assert rvbna([0x7D], [0x3C], "e5m2") == (NAN32, {"invalid"})  # E5M2 S.11111.01: top mantissa bit clear
    assert rvbna([0x7F], [0x38], "e4m3") == (NAN32, set())  # OCP E4M3's only NaN


def test_zero_result_is_plus_zero():
    """"If the result of a dot product operation is zero, then +0 is returned, even if -0 would have
    been returned under IEEE 754 arithmetic." """
    assert rvbna([BF[1.0], BF[-1.0]], [BF[1.0], BF[1.0]], "bf16") == (0, set())
    assert rvbna([BF[-0.0], BF[-0.0]], [BF[1.0], BF[1.0]], "bf16") == (0, set())  # IEEE: -0
    assert rvbna([], [], "bf16", n=4) == (0, set())


def test_overflow_gives_infinity_and_the_flag():
    """"The result returned in case of an overflow is infinity with the sign of the result"."""
    assert rvbna([BF["max"]] * 2, [BF["max"]] * 2, "bf16") == (0x7F800000, {"overflow"})
    assert rvbna([BF["max"] | 0x8000], [BF["max"]], "bf16") == (0xFF800000, {"overflow"})


def test_only_invalid_and_overflow_flags():
    """No inexact, no underflow: an inexact subnormal result raises nothing."""
    bits, flags = rvbna([bf16(2.0 ** -100), bf16(2.0 ** -60)], [bf16(2.0 ** -40), bf16(2.0 ** -100)], "bf16")
    assert flags == set() and bits & 0x7F800000 == 0 and bits != 0


def test_each_aligned_product_is_rounded_to_odd():
    """n = 4, g = 2: the grid is 2^(0 - 23 - 2); 2^-40 and -0.75 * 2^-40 each jam to +-2^-25 and
    cancel, so the result is 1.0, where the exactly rounded (to odd) sum 1 + 2^-42 gives
    1 + 2^-23."""
    a = [bf16(1.0), bf16(2.0 ** -40), bf16(-0.75 * 2.0 ** -40)]
    ones = [bf16(1.0)] * 3
    assert rvbna(a, ones, "bf16", n=4) == (0x3F800000, set())
    assert round_to_odd_fp32(1 + Fraction(2) ** -42) == (0x3F800001, False)


def test_subnormal_reference_exponent_is_emin():
    """E5M2, n = 2: 2^-16 (subnormal, reference exponent emin = -14) x 57344 sets E = 1, so the
    grid is 2^-23 and 3 * 2^-32 jams to 2^-23: 0.875 + 2^-23 (exact in FP32). With the true
    exponent -16 the grid would be 2^-25 and the result 0.875 + 2^-24."""
    bits, _ = rvbna([0x01, 0x01], [0x7B, 0x03], "e5m2")
    assert f32(bits) == 0.875 + 2.0 ** -23


def test_final_rounding_is_round_to_odd():
    """1 + 1.5 * 2^-24 (n = 2, g = 1: grid 2^-24, the small product jams to 2^-24): the sum
    1 + 2^-24 is inexact in FP32 and rounds to odd, 1 + 2^-23."""
    assert rvbna([bf16(1.0), bf16(1.5 * 2.0 ** -24)], [bf16(1.0), bf16(1.0)], "bf16")[0] == 0x3F800001


def test_e4m3_has_no_infinity():
    assert decode(0x7E, "e4m3")[0] == "finite" and value(0x7E, "e4m3") == 448
    assert decode(0x78, "e4m3")[0] == "finite" and value(0x78, "e4m3") == 256
    assert f32(rvbna([0x7E], [0x7E], "e4m3")[0]) == 448.0 ** 2


# ---- the spec's pseudocode -----------------------------------------------------------------

def _codes(fmt):
    e, m, _, _ = FORMATS[fmt]
    return st.integers(0, (1 << (1 + e + m)) - 1)


@st.composite
def cases(draw, fmts=("bf16", "e5m2")):
    fmt = draw(st.sampled_from(fmts))
    n = draw(st.sampled_from([1, 2, 4, 8, 16, 32]))
    k = draw(st.integers(0, n))
    return fmt, n, draw(st.lists(_codes(fmt), min_size=k, max_size=k)), \
        draw(st.lists(_codes(fmt), min_size=k, max_size=k))


@st.composite
def narrow_cases(draw, fmts=("bf16", "e5m2")):
    """Finite codes with exponents near each other and near the FP32 subnormal boundary."""
    fmt = draw(st.sampled_from(fmts))
    e, m, bias, _ = FORMATS[fmt]
    n = draw(st.sampled_from([2, 4, 8, 16, 32]))
    lo = draw(st.integers(0, (1 << e) - 2 - 6))
    code = st.builds(lambda s, x, mm: (s << (e + m)) | (x << m) | mm, st.integers(0, 1),
                     st.integers(lo, lo + 6), st.integers(0, (1 << m) - 1))
    k = draw(st.integers(1, n))
    return fmt, n, draw(st.lists(code, min_size=k, max_size=k)), draw(st.lists(code, min_size=k, max_size=k))


@given(cases())
def test_restatement_equals_the_corrected_pseudocode(case):
    fmt, n, a, b = case
    assert rvbna(a, b, fmt, n=n) == rvbna_pseudocode(a, b, fmt, n=n, as_written=False)


@given(narrow_cases())
def test_restatement_equals_the_corrected_pseudocode_near_each_other(case):
    fmt, n, a, b = case
    assert rvbna(a, b, fmt, n=n) == rvbna_pseudocode(a, b, fmt, n=n, as_written=False)


@given(narrow_cases())
def test_pseudocode_as_written_differs_only_by_its_final_jam_and_denormalisation(case):
    """Where the FP32 result is normal and needs no final jam, the pseudocode as written agrees."""
    fmt, n, a, b = case
    want, flags = rvbna(a, b, fmt, n=n)
    got = rvbna_pseudocode(a, b, fmt, n=n, as_written=True)
    if want & 0x7F800000 and want & 0x7F800000 != 0x7F800000 and not want & 1:
        assert got == (want, flags)
    else:
        assert (got[0] ^ want) & ~1 == 0 or want & 0x7F800000 == 0  # at most the forced LSB, or subnormal


def test_pseudocode_as_written_drops_the_final_sticky_bit():
    a, b = [bf16(1.0), bf16(1.5 * 2.0 ** -24)], [bf16(1.0), bf16(1.0)]
    assert rvbna_pseudocode(a, b, "bf16", as_written=True)[0] == 0x3F800000  # truncated
    assert rvbna_pseudocode(a, b, "bf16", as_written=False)[0] == 0x3F800001 == rvbna(a, b, "bf16")[0]


def test_pseudocode_as_written_mis_scales_subnormal_results():
    """2^-63 * 2^-64 = 2^-127 is the FP32 subnormal 0x00400000; the as-written shift
    accAbs >> (q - 1 + resExp) gives 2^g instead."""
    a, b = [bf16(2.0 ** -63)], [bf16(2.0 ** -64)]
    assert rvbna(a, b, "bf16") == (0x00400000, set())
    assert rvbna_pseudocode(a, b, "bf16", n=4, as_written=False)[0] == 0x00400000
    assert rvbna_pseudocode(a, b, "bf16", n=4, as_written=True)[0] == 1 << 2


# ---- properties --------------------------------------------------------------------------------

def _finite_result(bits):
    return bits & 0x7F800000 != 0x7F800000


@given(cases(("bf16", "e5m2", "e4m3")))
def test_negating_a_negates_the_result(case):
    fmt, n, a, b = case
    e, m, _, _ = FORMATS[fmt]
    sign = 1 << (e + m)
    bits, flags = rvbna(a, b, fmt, n=n)
    nbits, nflags = rvbna([x ^ sign for x in a], b, fmt, n=n)
    assert flags == nflags
    if bits == NAN32:
        assert nbits == NAN32
    elif bits == 0:
        assert nbits == 0
    else:
        assert nbits == bits ^ 0x80000000


@given(narrow_cases(("bf16", "e5m2", "e4m3")))
def test_error_is_bounded(case):
    """|result - exact| <= (number of products) * grid + one FP32 ulp of the result."""
    fmt, n, a, b = case
    bits, _ = rvbna(a, b, fmt, n=n)
    if not _finite_result(bits):
        return
    exact = sum(value(x, fmt) * value(y, fmt) for x, y in zip(a, b))
    vals = [(decode(x, fmt), decode(y, fmt)) for x, y in zip(a, b)]
    refs = [da[2] + db[2] for da, db in vals if da[0] == db[0] == "finite"]
    if not refs:
        assert bits == 0 and exact == 0
        return
    g = (n - 1).bit_length()
    grid = Fraction(2) ** (max(refs) - 23 - g)
    got = fp32_bits_value(bits)
    ulp = Fraction(2) ** max(-149, (abs(got).numerator.bit_length() - abs(got).denominator.bit_length()) - 23) \
        if got else Fraction(2) ** -149
    assert abs(got - exact) <= len(refs) * grid + 2 * ulp


@given(st.lists(st.tuples(st.integers(-6, 7), st.integers(0, 15), st.integers(-14, 15), st.integers(0, 7)),
                min_size=1, max_size=16))
def test_mixed_formats_equal_the_same_normal_values_in_bf16(terms):
    """For normal operands the algorithm depends only on the values (the reference exponents are the
    true exponents), so E4M3 x E5M2 equals the same values as BF16 x BF16."""
    a4 = [((ma >> 3) << 7) | ((ea + 7) << 3) | (ma & 7) for ea, ma, _, _ in terms]  # mantissa bit 3: sign
    b5 = [((mb >> 2) << 7) | ((eb + 15) << 2) | (mb & 3) for _, _, eb, mb in terms]
    a16 = [bf16(float(value(x, "e4m3"))) for x in a4]
    b16 = [bf16(float(value(x, "e5m2"))) for x in b5]
    assert rvbna(a4, b5, "e4m3", "e5m2", n=16) == rvbna(a16, b16, "bf16", n=16)


def test_instruction_level_composition():
    """Two sets of n = 2 plus the accumulator, summed exactly and rounded to odd once."""
    a = [bf16(1.0), bf16(2.0 ** -30), bf16(2.0), bf16(-2.0 ** -30)]
    one = [bf16(1.0)] * 4
    assert dot_instruction(a, one, 0x3F800000, "bf16", n=2) == (0x40800000, set())  # 1+1+2, tails cancel
    assert dot_instruction(a, one, 0x7F800001, "bf16", n=2) == (NAN32, {"invalid"})  # signalling NaN c
    assert dot_instruction(a, one, 0xFF800000, "bf16", n=2) == (0xFF800000, set())
    assert dot_instruction([bf16(-1.0)], [bf16(1.0)], 0x3F800000, "bf16", n=2) == (0, set())
