"""Pieces of the Numba engine against their one home: the rounding twin against
``core.rounding.round_shift``, the float64 constants against ``core.floats``."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fp8ref.accum import kernel as K
from fp8ref.core.floats import F32, F64
from fp8ref.core.rounding import round_shift


@pytest.mark.parametrize("mode", sorted(K.MODE_CODES))
def test_round_shift_twin_equals_core(mode):
    """round_shift_nb (scalar, Numba) == core.rounding.round_shift (vectorised numpy) on the same
    inputs: every mode the twin supports, shifts of every sign and size, ties, sticky bits."""
    rng = np.random.default_rng(sorted(K.MODE_CODES).index(mode))
    n = 4000
    bits = rng.integers(0, 63, n)
    M = np.minimum(rng.integers(0, 1 << 62, n) >> (62 - bits), (1 << 62) - 1).astype(np.int64)
    s = rng.integers(-70, 130, n)
    s[: n // 4] = rng.integers(1, 8, n // 4)  # short shifts: ties and near-ties
    M[: n // 8] = (M[: n // 8] >> s[: n // 8]) << s[: n // 8] | (np.int64(1) << (s[: n // 8] - 1))  # exact ties
    neg = rng.random(n) < 0.5
    want_k, want_i = round_shift(M, s, neg, mode)
    code = K.MODE_CODES[mode]
    got = [K.round_shift_nb(np.int64(m), np.int64(t), bool(g), code) for m, t, g in zip(M, s, neg)]
    assert [int(k) for k, _ in got] == want_k.tolist()
    assert [bool(i) for _, i in got] == want_i.tolist()


@given(st.integers(0, (1 << 62) - 1), st.integers(-80, 140), st.booleans(), st.sampled_from(sorted(K.MODE_CODES)))
def test_round_shift_twin_hypothesis(M, s, neg, mode):
    k, i = round_shift(np.array([M]), np.array([s]), np.array([neg]), mode)
    assert K.round_shift_nb(np.int64(M), np.int64(s), neg, K.MODE_CODES[mode]) == (int(k[0]), bool(i[0]))


def test_float_constants_come_from_core_floats():
    assert (K._F64_MAN, K._F64_BIAS, K._EXP_MAX) == (F64.man_bits, F64.bias, F64.exp_max)
    assert (K._C_EMIN, K._F32_FRAC, K._F32_EMAX) == (F32.emin, F32.man_bits, F32.emax)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64), st.sampled_from(["rtz", "rne", "rto"]))
def test_round_pair_of_a_float_is_the_float_rounded(x, mode):
    """round_pair(x, 0) rounds x once (binary32 grid), as core.round_shift would."""
    from fractions import Fraction

    from fp8ref.accum.reference import round_fraction

    want = round_fraction(Fraction(x), 23, -126, 127, None, mode=mode) if x else x
    got = K.round_pair(x, 0.0, 23, -126, 127, K.MODE_CODES[mode])
    assert np.float64(got).tobytes() == np.float64(want).tobytes()


def _scan_reference(xs, emin):
    """The operand scan restated with fractions: exponents and the lsb/significance range, the
    binary32 check, and whether every value is finite."""
    from fractions import Fraction

    E, maxe, lsb, sig, f32 = [], None, None, 0, True
    finite = all(math.isfinite(x) for x in xs)
    for x in xs:
        if x == 0 or not math.isfinite(x):
            E.append(K.ZERO_EXP)
            continue
        fl = math.frexp(abs(x))[1] - 1  # floor(log2|x|), exact
        q = Fraction(abs(x))
        num, v = q.numerator, -(q.denominator.bit_length() - 1)
        while num % 2 == 0:
            num //= 2
            v += 1
        E.append(max(fl, emin))
        maxe = fl + 1 if maxe is None else max(maxe, fl + 1)
        lsb = v if lsb is None else min(lsb, v)
        sig = max(sig, fl + 1 - v)
        with np.errstate(over="ignore"):
            f32 = f32 and float(np.float32(x)) == x
    return E, maxe, lsb, sig, f32, finite


_SPECIAL64 = st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -2.0**-1022, 2.0**-1074 * 3,
                              2.0**-149, 2.0**-126 * 1.5, 3.4028234663852886e38, 2.0**128, 1.0 + 2.0**-52])


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), _SPECIAL64), max_size=40),
       st.integers(-1100, 10))
def test_scan_operand_equals_a_fractions_restatement(xs, emin):
    """kernel.scan_operand (the front end's one pass: alignment exponents, the range, the binary32
    check and the finiteness that decide exactness, float32 products and int32 sums) against
    Fraction arithmetic."""
    X = np.array(xs, dtype=np.float64)
    E = np.empty(X.size, np.int32)
    maxe, lsb, sig, f32, finite = K.scan_operand(X, emin, E)
    rE, rmaxe, rlsb, rsig, rf32, rfinite = _scan_reference(xs, emin)
    assert E.tolist() == rE
    assert sig == rsig and f32 == rf32 and finite == rfinite
    if rsig:
        assert (maxe, lsb) == (rmaxe, rlsb)


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), _SPECIAL64), max_size=60),
       st.integers(-1100, 10), st.integers(1, 20))
def test_scan_kernel_in_pieces_equals_a_fractions_restatement(xs, emin, chunks):
    """kernel.scan_kernel (scan_operand over contiguous pieces in parallel, results combined) gives
    the restatement's results too, whatever the number of pieces (also more pieces than values)."""
    X = np.array(xs, dtype=np.float64)
    E = np.empty(X.size, np.int32)
    maxe, lsb, sig, f32, finite = K.scan_kernel(X, emin, E, chunks)
    rE, rmaxe, rlsb, rsig, rf32, rfinite = _scan_reference(xs, emin)
    assert E.tolist() == rE
    assert sig == rsig and f32 == rf32 and finite == rfinite
    if rsig:
        assert (maxe, lsb) == (rmaxe, rlsb)
