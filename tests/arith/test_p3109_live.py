"""fp8ref.arith against the live P3109 reference driver (tests/oracles/p3109; built and cached
by the oracle tests, skipped with the reason where g++/boost/mpfr/gmp are missing).

The committed digests (test_p3109_digests.py) cover fixed operand sets; here every call draws
fresh operands (SplitMix64) and a mode, including stochastic widths the digests rotate through,
and mixed operand formats."""

from __future__ import annotations

import numpy as np
import pytest

import fp8ref.arith as A
from fp8ref.formats.p3109 import P3109_ROUNDING, P3109_SATURATION
from fp8ref.golden.prng import stream
from tests.oracles import p3109 as P
from tests.oracles.p3109 import cases as C

N = 2000
CASES = [
    ("add", ("binary8p3se",) * 3, "NearestTiesToEven", "OvfInf", None),
    ("sub", ("binary8p4ue",) * 3, "TowardNegative", "SatPropagate", None),
    ("mul", ("binary8p4sf",) * 3, "ToOdd", "SatFinite", None),
    ("div", ("binary8p3se",) * 3, "TowardMaxMagnitude", "OvfInf", None),
    ("fma", ("binary8p3se",) * 4, "StochasticB", "SatFinite", 6),
    ("mul", ("binary8p4se",) * 3, "StochasticC", "OvfInf", 12),
    ("add", ("binary16p11se",) * 3, "NearestTiesToAway", "OvfInf", None),
    ("sqrt", ("binary6p3se",) * 2, "ToOdd", "SatPropagate", None),
    ("rsqrt", ("binary10p5se",) * 2, "TowardPositive", "OvfInf", None),
    ("add", ("binary8p3se", "binary8p4se", "binary8p3se"), "NearestTiesToEven", "SatFinite", None),
    ("maximum_magnitude_number", ("binary7p4se",) * 3, "NearestTiesToEven", "OvfInf", None),
    ("clamp", ("binary8p4se",) * 4, "NearestTiesToEven", "SatFinite", None),
]


@pytest.mark.parametrize("op,fmts,rnd,sat,nbits", CASES, ids=[f"{c[0]}-{c[1][0]}-{c[2]}" for c in CASES])
def test_random_operands_vs_live_driver(op, fmts, rnd, sat, nbits):
    P.driver()  # skips with the reason when the reference cannot be built here
    k = C.arity(op)
    s = stream(11, "p3109-live", op, *fmts, rnd)
    ops = []
    for f in fmts[1:1 + k]:
        pf = C.parse(f)
        x = s.below(N, 1 << pf.K).astype(np.int64)
        bad = np.isin(x, pf.reference_inf_codes())  # README quirk 2: the reference takes ±max for ±Inf
        ops.append(np.where(bad, 0, x))
    kw = dict(rounding=P3109_ROUNDING[rnd], overflow=P3109_SATURATION[sat])
    rb = None
    if nbits:
        rb = s.bits(N, nbits).astype(np.int64)
        kw.update(rbits=rb, srbits=nbits)
    got = A.apply(op, *ops, fmt=fmts[1], fmts=list(fmts[1:1 + k]), out_fmt=fmts[0], **kw)
    want = P.run(op, fmts, *ops, rounding=rnd, saturation=sat, nbits=nbits, rbits=rb)
    bad = np.flatnonzero(got.astype(np.int64) != want.astype(np.int64))
    assert bad.size == 0, [(tuple(hex(int(o[i])) for o in ops), hex(int(got[i])), hex(int(want[i]))) for i in bad[:5]]
