"""Exact decomposition of the interchange types (FloatType.significand) and floor(log2) of exact
values (core.rounding.floor_log2), against Python's exact ``Fraction`` of each value."""

import math
from fractions import Fraction

import numpy as np
import pytest

from fp8ref.core.floats import FLOAT_TYPES
from fp8ref.core.rounding import floor_log2
from fp8ref.core.unpack import FINITE, INF, QNAN, SNAN, ZERO, unpack_float_bits

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
RNG = np.random.default_rng(20261204)


def _patterns(t):
    if t.bits == 16:
        return np.arange(1 << 16, dtype=np.uint64).astype(t.uint)  # every pattern
    rnd = RNG.integers(0, 1 << t.bits, size=5000, dtype=np.uint64)
    edges = [0, 1, 2, 3, t.man_mask, t.min_normal_bits, t.min_normal_bits + 1, t.max_bits, t.inf_bits,
             t.inf_bits + 1, t.canonical_nan]
    return np.concatenate([rnd, np.array(edges + [e | t.sign_mask for e in edges], np.uint64)]).astype(t.uint)


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_significand_and_floor_log2_are_exact(t):
    u = _patterns(t)
    sign, exp, frac = t.fields(u)
    M, E = t.significand(exp, frac)
    vals = t.from_bits(u).astype(np.float64)  # every interchange value is a float64 value
    fl = floor_log2(M, E)
    neg, cls, M2, E2 = unpack_float_bits(u, t)
    assert np.array_equal(M, M2) and np.array_equal(E, E2) and np.array_equal(neg, sign.astype(bool))
    for i in range(u.size):
        v = float(vals[i])
        if math.isnan(v):
            assert cls[i] in (QNAN, SNAN) and M[i] == 0
            assert (cls[i] == QNAN) == bool(frac[i] & t.quiet_bit)
        elif math.isinf(v):
            assert cls[i] == INF and M[i] == 0
        elif v == 0:
            assert cls[i] == ZERO and M[i] == 0
        else:
            assert cls[i] == FINITE
            q = abs(Fraction(v))
            assert Fraction(int(M[i])) * Fraction(2) ** int(E[i]) == q
            assert Fraction(2) ** int(fl[i]) <= q < Fraction(2) ** (int(fl[i]) + 1)
    finite = M != 0
    assert np.array_equal(t.floor_log2(u)[finite], fl[finite])


def test_floor_log2_of_wide_significands():
    M = np.array([1, 2, 3, (1 << 62) - 1, 1 << 61, (1 << 53) + 1], dtype=np.int64)
    E = np.array([0, -1, 5, -70, 3, -1000], dtype=np.int64)
    want = [int(m).bit_length() - 1 + int(e) for m, e in zip(M, E)]
    assert floor_log2(M, E).tolist() == want
