"""Operand sets for the arithmetic tests: special codes, steered and random cases.

Codes are picked from each format's exact values (``fp8ref.decode_table``) and drawn from the
project's SplitMix64 (``fp8ref.golden.prng``): deterministic, no numpy RNG.
"""

from __future__ import annotations

import numpy as np

import fp8ref
from fp8ref.golden.prng import stream


def special_codes(fmt) -> np.ndarray:
    """Zeros, smallest / largest subnormal, smallest normal, 1 and its neighbours, 1.5, 3,
    max and the code below it, ±Inf, every NaN code (up to 4), and the negatives."""
    f = fp8ref.get_format(fmt)
    v = fp8ref.decode_table(f)
    codes = np.arange(f.num_codes)
    fin = np.isfinite(v)
    pos = fin & (v > 0)
    order = codes[pos][np.argsort(v[pos], kind="stable")]
    picks = {int(order[0]), int(order[1]), int(order[-1]), int(order[-2])}
    for target in (getattr(f, "min_normal", None), 1.0, 1.5, 3.0):
        if target is None:
            continue
        i = int(np.searchsorted(v[order], target))
        picks |= {int(order[j]) for j in (i - 1, i, i + 1) if 0 <= j < order.size}
    zero = codes[fin & (v == 0)]
    picks |= set(zero.tolist())
    picks |= set(codes[np.isinf(v)].tolist())
    nans = codes[np.isnan(v)]
    picks |= set(nans[:: max(1, nans.size // 4)][:4].tolist()) | set(nans[-1:].tolist())
    negs = {int(np.flatnonzero(v == -v[c])[0]) for c in list(picks) if np.isfinite(v[c]) and v[c] != 0 and (v == -v[c]).any()}
    return np.array(sorted(picks | negs), dtype=np.int64)


def random_codes(fmt, n, *names) -> np.ndarray:
    f = fp8ref.get_format(fmt)
    return (stream(1, "arith-tests", f.name, *names).bits(n, 32).astype(np.int64) % f.num_codes)


def operand_sets(op_arity, fmts, n_random, *names):
    """Crossed specials (capped), then random tuples: a list of int64 arrays, one per operand."""
    sp = [special_codes(f) for f in fmts]
    if op_arity == 3:
        sp = [s[:: max(1, s.size // 8)] for s in sp]
    grids = np.meshgrid(*sp[:op_arity], indexing="ij")
    cols = [g.reshape(-1) for g in grids]
    rnd = [random_codes(f, n_random, *names, str(i)) for i, f in enumerate(fmts[:op_arity])]
    return [np.concatenate([c, r]) for c, r in zip(cols, rnd)]


def steered_pairs(fmt, n, *names):
    """(a, b) with b near -a (cancellation in add) and both large / both small (overflow,
    underflow in mul): indices into the value-sorted code list."""
    f = fp8ref.get_format(fmt)
    v = fp8ref.decode_table(f)
    codes = np.arange(f.num_codes)
    fin = codes[np.isfinite(v)]
    order = fin[np.argsort(v[fin], kind="stable")]
    r = stream(1, "arith-steer", f.name, *names).bits(4 * n, 32).astype(np.int64)
    i = r[:n] % order.size
    j = np.clip(order.size - 1 - i + (r[n:2 * n] % 5) - 2, 0, order.size - 1)  # mirror: about -v
    big = order.size - 1 - (r[2 * n:3 * n] % max(1, order.size // 8))
    small = order.size // 2 + (r[3 * n:] % max(1, order.size // 8)) - order.size // 16
    a = np.concatenate([order[i], order[big], order[np.clip(small, 0, order.size - 1)]])
    b = np.concatenate([order[j], order[big[::-1]], order[np.clip(small[::-1], 0, order.size - 1)]])
    return a, b
