"""The RVBNA presets (rvbna_fp8, rvbna_bf16) against the independent fractions restatement of the
RISC-V spec (tests/oracles/rvbna_ref.py, aswaterman/riscv-misc b38069a), under hypothesis.

The preset's instruction is one RVBNA set of n products (vfqwldota / vfwldota with VLEN = 256,
LMUL = 1: n = 32 FP8 or 16 BF16 elements), its result and vd[0] summed exactly and rounded to
odd; K runs as a chain of such instructions. So each n-chunk is ``dot_instruction(chunk, c, n)``
of the restatement, c the previous chunk's result."""

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fp8ref.accum import MODELS, dot, gemm
from tests.oracles.rvbna_ref import dot_instruction

_ML = {"e4m3fn": (ml_dtypes.float8_e4m3fn, "e4m3", np.uint8), "e5m2": (ml_dtypes.float8_e5m2, "e5m2", np.uint8),
       "bf16": (ml_dtypes.bfloat16, "bf16", np.uint16)}


def _values(codes, fmt):
    t, _, u = _ML[fmt]
    return np.asarray(codes, dtype=u).view(t).astype(np.float64)


def _oracle(a, b, c_bits, fa, fb, n):
    acc = c_bits
    for j in range(0, len(a), n):
        acc, _ = dot_instruction(a[j:j + n], b[j:j + n], acc, _ML[fa][1], _ML[fb][1], n=n)
    return acc


@st.composite
def cases(draw):
    name = draw(st.sampled_from(["rvbna_fp8", "rvbna_bf16"]))
    m = MODELS[name]
    fa = draw(st.sampled_from(m.fmts))
    fb = draw(st.sampled_from(m.fmts)) if m.mixed else fa
    K = draw(st.integers(1, 3 * m.n + 5))
    top = 0xFF if fa != "bf16" else 0xFFFF

    def codes(fmt):
        top = 0xFF if fmt != "bf16" else 0xFFFF
        near = st.integers(0, top)  # every code: NaN, Inf, subnormals included
        if fmt == "bf16":  # mostly moderate exponents, so the sets add without total swamping
            near = st.one_of(near, st.integers(0x3C00, 0x4300), st.integers(0xBC00, 0xC300))
        return draw(st.lists(near, min_size=K, max_size=K))

    a, b = codes(fa), codes(fb)
    c = draw(st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([0, 0x80000000, 0x3F800000, 0x00000001]),
                       st.integers(0x3000_0000, 0x4800_0000)))
    del top
    return name, fa, fb, a, b, c


def _finite(x):
    return np.where(np.isfinite(x), x, 0.0)


@settings(max_examples=400)
@given(cases())
def test_rvbna_presets_equal_the_spec_restatement(case):
    name, fa, fb, a, b, c = case
    m = MODELS[name]
    want = _oracle(a, b, c, fa, fb, m.n)
    A, B = _values(a, fa)[None], _values(b, fb)[None]
    cv = np.array([c], dtype=np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        got_dot = int(dot(A, B, cv, model=name, a_fmt=fa, b_fmt=fb).view(np.uint32)[0])
        got_gemm = int(gemm(A, B.T, cv[0], model=name, a_fmt=fa, b_fmt=fb).view(np.uint32)[0, 0])
    assert got_dot == want, (hex(got_dot), hex(want))
    assert got_gemm == want


def test_rvbna_per_product_round_to_odd():
    """BF16, n = 16, g = 4: grid 2^(0 - 23 - 4) = 2^-27 below E = 0. The products 1, 61·2^-28
    (30.5 grid units) and 2^-28 (0.5 unit) round to odd one by one: 31 and 1 units, 32 = two FP32
    ulps exactly, so the result is 1 + 2^-22 (0x3F800002). Rounding the exact sum (1 + 31 units)
    to odd once would give 1 + 2^-23 (0x3F800001)."""
    a = np.array([[1.0, 61 * 2.0**-28, 2.0**-28]])
    b = np.ones((1, 3))
    got = int(dot(a, b, model="rvbna_bf16").view(np.uint32)[0])
    codes = [int(np.array(x, dtype=ml_dtypes.bfloat16).view(np.uint16)) for x in a[0]]
    assert got == _oracle(codes, [0x3F80] * 3, 0, "bf16", "bf16", 16) == 0x3F800002


def test_rvbna_overflow_is_infinity_and_zero_is_plus():
    """|sum| >= 2^128 gives Inf (not the largest finite number plain round to odd would give);
    an exactly zero result is +0, also where IEEE 754 would give -0."""
    d = dot(np.array([[2.0**100, 1.0]]), np.array([[-(2.0**100), 1.0]]), model="rvbna_bf16", fmt="bf16")
    assert d[0] == -math.inf
    for fmt in ("e4m3fn", "e5m2"):
        z = dot(np.array([[1.0, -1.0]]), np.array([[-0.0, -0.0]]), np.float32(-0.0), model="rvbna_fp8", fmt=fmt)
        assert z.view(np.uint32)[0] == 0
