"""Boundary-directed inputs for a format: every value, every midpoint, neighbours in the source
precision, thresholds, specials. Built from gfloat's value list, not from fp8ref."""

from __future__ import annotations

import numpy as np

from ..oracles.shared import finite_values


def edge_values(fmt, dtype=np.float32, ulps=(1, 2)):
    vals = [float(v) for v in finite_values(fmt) if v >= 0]
    pos = np.array(vals, dtype=np.float64)
    mids = (pos[1:] + pos[:-1]) / 2  # exact in float64 for <= 16-bit formats
    top_ulp = pos[-1] - pos[-2]
    beyond = pos[-1] + top_ulp * np.array([0.5, 1.0, 1.5, 2.0, 4.0])
    base = np.concatenate([pos, mids, beyond, [pos[1] / 2, pos[1] / 4, pos[1] * 0.75]])
    base = base[np.isfinite(base.astype(dtype))].astype(dtype)
    out = [base]
    for k in ulps:
        up, dn = base.copy(), base.copy()
        for _ in range(k):
            up = np.nextafter(up, dtype(np.inf))
            dn = np.nextafter(dn, dtype(0))
        out += [up, dn]
    allv = np.concatenate(out)
    allv = np.concatenate([allv, -allv])
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e30, -1e30, 1e-30, -1e-30], dtype=dtype)
    return np.concatenate([allv, specials, np.finfo(dtype).tiny * np.array([1, -1, 0.5, 3], dtype=dtype)]).astype(dtype)


def integer_traps():
    """Positive integers that float32 (ml_dtypes 0.6's path) or float64 would round onto a tie:
    every third bfloat16 midpoint and 1.5 * 2^(k-1) (the UE8M0 midpoint) in [2^(k-1), 2^k) for
    k = 9..64, each +-1 and +-2^(k-30) (below half a float32 ulp)."""
    v = set()
    for k in range(9, 65):
        mids = [(256 + 2 * f + 1) << (k - 9) for f in range(0, 128, 3)] + [3 << (k - 2)]
        for m in mids:
            for d in (-1, 0, 1, -(1 << max(k - 30, 0)), 1 << max(k - 30, 0)):
                v.add(m + d)
    return np.array(sorted(x for x in v if 0 < x < 2**64), dtype=np.uint64)
