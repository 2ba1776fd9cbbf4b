"""Rounding mode ``rnz`` (nearest, ties toward zero; DeepGEMM's FP4 cast) vs exact fractions.

The mode lives in ``fp8ref.core.rounding``; it is tested here because the DeepGEMM FP4 element
cast is what needs it. Oracle: every finite value of the format from ml_dtypes, the nearest to
the exact input by Fraction comparison, ties to the smaller magnitude, saturation at +-max.
"""

from fractions import Fraction

import numpy as np
import pytest

import fp8ref

from ..oracles.shared import ml_values

F32 = np.float32


def _values(name):
    """The format's non-negative finite values, from ml_dtypes (codes viewed as its type)."""
    v = ml_values(name)
    return np.unique(np.abs(v[np.isfinite(v)]))


def _oracle(x, name):
    pos = [Fraction(float(p)) for p in _values(name)]
    mx = pos[-1]
    out = []
    for v in np.asarray(x, np.float64):
        a = Fraction(abs(float(v)))
        if a >= mx:
            r = mx
        else:
            i = next(k for k, p in enumerate(pos) if p >= a)
            lo, hi = pos[max(i - 1, 0)], pos[i]
            r = hi if (hi - a) < (a - lo) else lo  # a tie goes to lo: toward zero
        out.append(-float(r) if np.signbit(v) else float(r))
    return np.array(out)


def _inputs(name):
    """Every midpoint between neighbouring values, one float32 ulp either side, and random."""
    pos = _values(name)
    mids = ((pos[:-1] + pos[1:]) / 2).astype(F32)
    mx = F32(pos[-1])
    v = np.concatenate([mids, np.nextafter(mids, F32(0)), np.nextafter(mids, F32(np.inf)), pos.astype(F32),
                        [mx * F32(1.5), F32(0)]])
    r = (np.random.default_rng(2).standard_normal(2000) * float(mx) / 4).astype(F32)
    return np.concatenate([v, -v, r])


@pytest.mark.parametrize("name", ["e2m1fn", "e2m3fn", "e4m3fn", "e5m2"])
@pytest.mark.parametrize("size", [1, 70000])  # below and above the key-table fast-path threshold
def test_rnz_vs_fractions(name, size):
    x = _inputs(name)
    reps = -(-size // x.size)
    xs = np.tile(x, reps)[: max(size, x.size)]
    got = fp8ref.decode(fp8ref.encode(xs, name, rounding="rnz", overflow="sat_finite"), name)
    want = np.tile(_oracle(x, name), reps)[: xs.size]
    assert np.array_equal(got.astype(np.float64), want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    # ties really go toward zero: the midpoints, compared with rne / rna
    pos = _values(name)
    mid = F32((pos[1] + pos[2]) / 2)
    assert float(fp8ref.decode(fp8ref.encode(mid, name, rounding="rnz"), name)) == pos[1]
    assert float(fp8ref.decode(fp8ref.encode(mid, name, rounding="rna"), name)) == pos[2]


def test_rnz_overflow_and_flags():
    # e5m2: max 57344, next binade step 65536; the midpoint 61440 ties toward zero -> max, above -> Inf
    x = np.array([61440.0, np.nextafter(F32(61440.0), F32(np.inf)), -61440.0], F32)
    c, f = fp8ref.encode(x, "e5m2", rounding="rnz", return_flags=True)
    assert fp8ref.decode(c, "e5m2").tolist() == [57344.0, np.inf, -57344.0]
    assert (f[1] & fp8ref.FLAG_OVERFLOW) and not (f[0] & fp8ref.FLAG_OVERFLOW) and (f[0] & fp8ref.FLAG_INEXACT)
