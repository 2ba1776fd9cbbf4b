"""Boundary-directed inputs for a format: every value, every midpoint, neighbours in the source
precision, thresholds, specials. Built from gfloat's value list, not from fp8ref."""

from __future__ import annotations

import numpy as np

from .oracles import finite_values


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
