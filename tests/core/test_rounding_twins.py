"""The Numba twins in ``core/rounding_nb.py`` equal the numpy rules they copy, case by case."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from fp8ref.core.rounding import bit_length, round_shift
from fp8ref.core.rounding_nb import (
    STOCHASTIC_RULES, bit_length_twin, hybrid_ssr_up_twin, stochastic_fraction_twin, stochastic_up_twin,
)


@njit  # not cached: numba would not notice an edited twin
def _twin_up(M, s, r, n, rule):
    out = np.empty(M.shape[0], np.bool_)
    for i in range(M.shape[0]):
        out[i] = stochastic_up_twin(M[i], s[i], r[i], n, rule)
    return out


@njit  # not cached: numba would not notice an edited twin
def _twin_fraction(M, s):
    out = np.empty(M.shape[0], np.uint64)
    for i in range(M.shape[0]):
        out[i] = stochastic_fraction_twin(M[i], s[i])
    return out


@njit  # not cached: numba would not notice an edited twin
def _twin_bits(M):
    out = np.empty(M.shape[0], np.int64)
    for i in range(M.shape[0]):
        out[i] = bit_length_twin(M[i])
    return out


@njit  # not cached: numba would not notice an edited twin
def _twin_ssr(S, s):
    out = np.empty(S.shape[0], np.bool_)
    for i in range(S.shape[0]):
        out[i] = hybrid_ssr_up_twin(S[i], s[i])
    return out


def _round_shift_up(M, s, r, n, mode):
    """Whether round_shift adds one to the truncated significand."""
    kept, _ = round_shift(M, s, np.zeros(M.shape, bool), mode, rbits=r, nbits=n)
    down, _ = round_shift(M, s, np.zeros(M.shape, bool), "rtz")
    return kept != down


def _cases(rng, size, n):
    """Significands of every width up to 62 bits, shifts from exact (<= 0) to beyond 62 (the
    sticky fold), random bits, and the tie points of each rule (d exactly k/2^(n+1))."""
    width = rng.integers(0, 63, size)
    M = rng.integers(0, 1 << 62, size, dtype=np.int64) >> (62 - width)
    s = rng.integers(-3, 130, size)
    r = rng.integers(0, 1 << n, size, dtype=np.int64)
    tie = rng.random(size) < 0.3  # M = q * 2^s + k * 2^(s - n - 1): ties and half-ties
    st_ = np.clip(s, n + 2, 60)
    k = rng.integers(0, 1 << (n + 1), size, dtype=np.int64)
    Mt = (rng.integers(0, 4, size) << st_) + (k << (st_ - n - 1))
    return np.where(tie, Mt, M), np.where(tie, st_, s), r


@pytest.mark.parametrize("mode", list(STOCHASTIC_RULES))
@pytest.mark.parametrize("n", [1, 2, 8, 13, 31, 32])
def test_stochastic_twin_equals_round_shift(mode, n):
    M, s, r = _cases(np.random.default_rng(n), 20000, n)
    want = _round_shift_up(M, s, r, n, mode)
    got = _twin_up(M, s, r, n, STOCHASTIC_RULES[mode])
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (mode, n, M[bad[:3]], s[bad[:3]], r[bad[:3]])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, (1 << 62) - 1), st.integers(-5, 200), st.integers(1, 32),
    st.sampled_from(list(STOCHASTIC_RULES)), st.data(),
)
def test_stochastic_twin_hypothesis(M, s, n, mode, data):
    r = data.draw(st.integers(0, (1 << n) - 1))
    a = lambda v: np.array([v], np.int64)  # noqa: E731
    assert _twin_up(a(M), a(s), a(r), n, STOCHASTIC_RULES[mode])[0] == _round_shift_up(a(M), a(s), a(r), n, mode)[0]


def test_stochastic_fraction_twin():
    """(M mod 2^s) * 2^(64 - s) with Python ints for s <= 62 (0 for s <= 0); past 62 the
    low s - 62 bits as a sticky bit, then s = 62."""
    rng = np.random.default_rng(5)
    M = rng.integers(0, 1 << 62, 20000, dtype=np.int64) >> rng.integers(0, 62, 20000)
    s = rng.integers(-3, 130, 20000)
    want = []
    for m, k in zip(M.tolist(), s.tolist()):
        if k > 62:
            pre = min(k - 62, 62)
            m, k = (m >> pre) | (m % (1 << pre) != 0), 62
        want.append((m % (1 << k)) << (64 - k) if k > 0 else 0)
    assert _twin_fraction(M, s).tolist() == want


def test_bit_length_twin():
    rng = np.random.default_rng(3)
    M = np.concatenate([[0, 1, 2, 3], rng.integers(0, 1 << 62, 5000, dtype=np.int64) >> rng.integers(0, 62, 5000)])
    np.testing.assert_array_equal(_twin_bits(M), bit_length(M))


def test_hybrid_ssr_twin_equals_the_rule():
    """HR's SSR (tapered docstring): r = the low s bits of S rounds up iff r != 0 and
    r >> (s - 14) >= r & 0x3FFF -- written here with Python ints."""
    rng = np.random.default_rng(4)
    s = rng.integers(14, 63, 20000)  # (past 24: r is all of S)
    S = rng.integers(1 << 23, 1 << 24, 20000, dtype=np.int64)
    # s = 24 with F14 == T14 (and one off): t = c | mid << 4 | c << 10, r = t << 10 | (t & 0x3FF)
    c, mid = rng.integers(0, 16, 20000), rng.integers(0, 64, 20000)
    t = c | (mid << 4) | (c << 10)
    r = ((t << 10) | (t & 0x3FF)) + rng.integers(-1, 2, 20000)
    tie = rng.random(20000) < 0.3
    S, s = np.where(tie, r & ((1 << 24) - 1), S), np.where(tie, 24, s)
    want = []
    for Si, si in zip(S.tolist(), s.tolist()):
        r = Si & ((1 << si) - 1)
        want.append(r != 0 and (r >> (si - 14)) >= (r & 0x3FFF))
    np.testing.assert_array_equal(_twin_ssr(S, s), want)
