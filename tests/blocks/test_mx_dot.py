"""Exact MX dot / matmul vs a Fraction evaluation of X_A X_B Σ P_A P_B over blocks."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fp8ref
from fp8ref.blocks import MXTensor, mx

from ._ref import round_f32


def _frac_matrix(t: MXTensor):
    """Exact values of an MX tensor from its codes: format exact_value times 2^(code-127)."""
    vals = np.empty(t.shape, dtype=object)
    X = np.repeat(t.scales.astype(np.int64), t.block_size, axis=t.axis)
    X = np.take(X, np.arange(t.shape[t.axis]), axis=t.axis)
    for idx in np.ndindex(*t.shape):
        c = int(t.codes[idx])
        p = Fraction(np.int8(np.uint8(c).view(np.int8)).item(), 64) if t.elem.name == "int8" \
            else fp8ref.get_format(t.elem.name).exact_value(c)
        vals[idx] = p * Fraction(2) ** (int(X[idx]) - 127)
    return vals


ELEMS = ["e4m3fn", "e5m2", "e2m1fn", "e3m2fn", "e2m3fn", "int8"]


@given(st.sampled_from(ELEMS), st.sampled_from(ELEMS), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from([1, 4, 32]), st.integers(1, 3), st.integers(0, 2**31))
def test_matmul_exact_vs_fractions(ea, eb, m, n, bs, nblk, seed):
    rng = np.random.default_rng(seed)
    k = bs * nblk
    a = rng.standard_normal((m, k)) * np.ldexp(1.0, rng.integers(-130, 120, (m, k)) // 4)
    b = rng.standard_normal((k, n)) * np.ldexp(1.0, rng.integers(-130, 120, (k, n)) // 4)
    A = mx.encode(a.astype(np.float32), ea, block_size=bs, axis=1)
    B = mx.encode(b.astype(np.float32), eb, block_size=bs, axis=0)
    FA, FB = _frac_matrix(A), _frac_matrix(B)
    exact = mx.matmul(A, B, dtype="exact")
    r64 = mx.matmul(A, B, dtype=np.float64)
    r32 = mx.matmul(A, B)
    assert r32.dtype == np.float32 and r64.dtype == np.float64
    for i in range(m):
        for j in range(n):
            want = sum((FA[i, t] * FB[t, j] for t in range(k)), Fraction(0))
            assert exact[i, j] == want
            assert r64[i, j] == float(want)  # Fraction -> float is correctly rounded
            assert r32[i, j] == round_f32(want)


def test_dot_1d_and_large_exponent_spread():
    x = np.array([2.0**100, 1.0] + [0.0] * 30 + [2.0**-100, 3.0] + [0.0] * 30, dtype=np.float32)
    y = np.array([2.0**-100, 2.0**90] + [0.0] * 30 + [2.0**100, 2.0**-120] + [0.0] * 30, dtype=np.float32)
    A, B = mx.encode(x, "e4m3fn"), mx.encode(y, "e4m3fn")
    want = sum(Fraction(float(u)) * Fraction(float(v)) for u, v in zip(A.dequantize(np.float64), B.dequantize(np.float64)))
    assert mx.dot(A, B, dtype="exact") == want
    assert mx.dot(A, B, dtype=np.float64) == float(want)
    assert isinstance(mx.dot(A, B), np.float32)


def test_cancellation_is_exact():
    # one element per block: (2^100 + 1) - 2^100 is 0 in float64 left to right, 1 exactly
    A = mx.encode(np.array([[2.0**100, 1.0, -(2.0**100)]], np.float32), "e5m2", block_size=1, axis=1)
    B = mx.encode(np.ones((3, 1), np.float32), "e5m2", block_size=1, axis=0)
    assert (2.0**100 + 1.0) - 2.0**100 == 0.0
    assert mx.matmul(A, B, dtype=np.float64)[0, 0] == 1.0
    assert mx.matmul(A, B, dtype="exact")[0, 0] == 1


def test_specials_nan_scale_and_inf_elements():
    x = np.ones((2, 32), dtype=np.float32)
    x[1, 3] = np.nan
    A = mx.encode(x, "e4m3fn", axis=1)
    B = mx.encode(np.ones((32, 1), np.float32), "e4m3fn", axis=0)
    r = mx.matmul(A, B)
    assert r[0, 0] == 32.0 and np.isnan(r[1, 0])
    # hand-built tensors with Inf elements (E5M2 0x7C) in a finite-scale block
    inf = MXTensor(np.array([0x7C, 0x3C], np.uint8), np.array([127], np.uint8), "e5m2", block_size=2)
    one = MXTensor(np.array([0x3C, 0x3C], np.uint8), np.array([127], np.uint8), "e5m2", block_size=2)
    zero_one = MXTensor(np.array([0x00, 0x3C], np.uint8), np.array([127], np.uint8), "e5m2", block_size=2)
    assert mx.dot(inf, one) == np.inf
    assert np.isnan(mx.dot(inf, zero_one))  # Inf * 0
    assert mx.dot(inf, one, dtype="exact") == float("inf")


def test_argument_checks():
    A = mx.encode(np.ones((2, 32), np.float32), "e4m3fn", axis=1)
    B = mx.encode(np.ones((32, 2), np.float32), "e4m3fn", axis=1, pad=True)
    with pytest.raises(ValueError, match="axis 0"):
        mx.matmul(A, B)
    with pytest.raises(ValueError, match="block sizes differ"):
        mx.matmul(A, mx.encode(np.ones((32, 2), np.float32), "e4m3fn", axis=0, block_size=16))
    with pytest.raises(TypeError):
        mx.matmul(A, np.ones((32, 2)))
    with pytest.raises(ValueError, match="dtype"):
        mx.matmul(A, mx.encode(np.ones((32, 2), np.float32), "e4m3fn", axis=0), dtype=np.float16)
    with pytest.raises(ValueError, match="1-D"):
        mx.dot(A, A)


def _mx_terms(terms):
    """1xK and Kx1 E5M2 tensors with block size 1 whose product is Σ a·2^sa · b·2^sb over
    ``terms`` = [(code_a, exp_a, code_b, exp_b)]."""
    ca, ea, cb, eb = (np.array([t[i] for t in terms]) for i in range(4))
    A = MXTensor(ca[None, :].astype(np.uint8), (ea + 127)[None, :].astype(np.uint8), "e5m2", 1, 1)
    B = MXTensor(cb[:, None].astype(np.uint8), (eb + 127)[:, None].astype(np.uint8), "e5m2", 1, 0)
    return A, B


ONE, ONE_HALF, TWO, MINUS_ONE = 0x3C, 0x3E, 0x40, 0xBC  # E5M2 codes of 1, 1.5, 2, -1
FLT_MAX = float(np.finfo(np.float32).max)


@pytest.mark.parametrize("terms,want", [
    ([(ONE, 0, ONE, 0), (ONE, -24, ONE, 0)], 1.0),  # 1 + 2^-24: a tie, to even
    ([(ONE, 0, ONE, 0), (ONE_HALF, -23, ONE, 0)], 1.0 + 2.0**-22),  # 1 + 3*2^-24: a tie, to even (up)
    ([(ONE, 0, ONE, 0), (ONE, -24, ONE, 0), (ONE, -100, ONE, -27)], 1.0 + 2.0**-23),  # just above the tie
    ([(ONE_HALF, -127, ONE, -22)], 2.0**-148),  # 1.5 * 2^-149: subnormal tie, to even (up)
    ([(ONE, -127, ONE, -23)], 0.0),  # 2^-150: half the smallest subnormal, to even (zero)
    ([(TWO, 127, ONE, 0), (MINUS_ONE, 103, ONE, 0)], np.inf),  # FLT_MAX + half an ulp: a tie, to even (Inf)
    ([(TWO, 127, ONE, 0), (MINUS_ONE, 103, ONE, 0), (MINUS_ONE, -100, ONE, 0)], FLT_MAX),
    ([(MINUS_ONE, 0, ONE, 0), (MINUS_ONE, -24, ONE, 0)], -1.0),
])
def test_final_rounding_ties_subnormals_overflow(terms, want):
    """The one final rounding to float32 at its hard points, against hand-computed RNE results
    (and the exact sum against Fractions)."""
    A, B = _mx_terms(terms)
    exact = sum((Fraction(2) ** (ea + eb) * fp8ref.get_format("e5m2").exact_value(a)
                 * fp8ref.get_format("e5m2").exact_value(b) for a, ea, b, eb in terms), Fraction(0))
    assert mx.matmul(A, B, dtype="exact")[0, 0] == exact
    got = mx.matmul(A, B)[0, 0]
    assert got == want and np.signbit(got) == (want < 0)
    assert mx.matmul(A, B, dtype=np.float64)[0, 0] == float(exact)
