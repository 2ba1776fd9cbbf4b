"""Result tables for small operands, built by the generic path (so both paths agree).

* one or two operands with at most 2^16 code combinations (every 8-bit pair, every 16-bit
  code): codes and flags of the operation on every combination;
* fma on 8-bit operands, in two levels: ``t1[a, b]`` numbers the distinct product states
  (``ops.product``: an exact product, ±0, ±∞, a NaN with its sign, 0 × ∞) and
  ``t2[state, c]`` holds ``ops.fma_from_product`` on one representative pair per state and
  every c; the generic fma is the same two functions, so the tables agree by construction.

A table is built on the first call that pays for it (inputs at least 1/16 of its size; for fma
2^16 elements) or that finds it built; built tables are kept per (operation, formats, policy).
Policies that raise per element keep working: a NaN-less result format under ``nan_to='error'``
gets its table built under ``nan_to='zero'`` plus a NaN-result mask that the lookup checks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from . import ops
from .operands import parts

__all__ = ["Table", "usable", "get", "lookup", "clear"]

FMA_MIN = 1 << 16  # fma elements from which the two-level table is built
_MAX_KEYS = 1 << 16
_KEEP = 128  # tables kept (least recently used dropped first)
_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


class Table:
    """codes / flags (and a NaN-result mask or None) indexed by the operands' key."""

    def __init__(self, tc, tf, tnan=None, t1=None, shift=0, nc=0):
        for t in (tc, tf, tnan, t1):
            if t is not None:
                t.setflags(write=False)
        self.tc, self.tf, self.tnan, self.t1, self.shift, self.nc = tc, tf, tnan, t1, shift, nc


def _grid(fmts):
    """Every code combination, first operand slowest: flat int64 arrays."""
    sizes = [f.num_codes for f in fmts]
    grids = np.meshgrid(*(np.arange(n, dtype=np.int64) for n in sizes), indexing="ij")
    return [g.reshape(-1) for g in grids]


def _table_policy(out, pol):
    if not getattr(out, "has_nan", True) and pol.nan_to == "error":
        return replace(pol, nan_to="zero"), True
    return pol, False


def _build(op, fmts, out, pol, compute, compare):
    flat = _grid(fmts)
    if compare is not None:
        res, fl = compare(op, fmts, flat)
        return Table(res, fl)
    tpol, mask = _table_policy(out, pol)
    res = compute(op, fmts, out, pol, flat)
    codes, flags = ops.deliver(res, out, tpol, what=op)
    return Table(codes.astype(out.code_dtype), flags, res.is_nan() if mask else None)


def _build_fma(fmts, out, pol, sem):
    fa, fb, fc = fmts
    a, b = _grid((fa, fb))
    p, inv = ops.product(parts(a, fa), parts(b, fb))
    state = np.stack([p.neg, p.cls, p.M, p.E, inv]).astype(np.int64).T
    uniq, first, t1 = np.unique(state, axis=0, return_index=True, return_inverse=True)
    rep = p.take(first)
    nc = fc.num_codes
    s = np.repeat(np.arange(uniq.shape[0]), nc)
    c = np.tile(np.arange(nc, dtype=np.int64), uniq.shape[0])
    tpol, mask = _table_policy(out, pol)
    res = ops.fma_from_product(sem, out, rep.take(s), inv[first][s], parts(c, fc), pol.rounding)
    codes, flags = ops.deliver(res, out, tpol, what="fma")
    t1 = t1.reshape(-1).astype(np.int32)
    return Table(codes.astype(out.code_dtype), flags, res.is_nan() if mask else None, t1, fb.bits, nc)


def usable(op, fmts, out, pol, n) -> bool:
    """Whether the table path applies (and pays) for ``n`` elements."""
    if pol.is_stochastic or pol.below_range == "error":
        return False
    if op == "fma":
        if len(fmts) != 3 or any(f.num_codes > 256 for f in fmts):
            return False
        return n >= FMA_MIN or _key(op, fmts, out, pol) in _CACHE
    size = int(np.prod([f.num_codes for f in fmts]))
    if size > _MAX_KEYS or len(fmts) > 2:
        return False
    return 16 * n >= size or _key(op, fmts, out, pol) in _CACHE


def _key(op, fmts, out, pol):
    return (op, tuple(fmts), out, pol)


def get(op, fmts, out, pol, compute, compare=None, sem=None) -> Table:
    key = _key(op, fmts, out, pol)
    with _LOCK:
        t = _CACHE.get(key)
        if t is not None:
            _CACHE.move_to_end(key)
            return t
    t = _build_fma(fmts, out, pol, sem) if op == "fma" else _build(op, fmts, out, pol, compute, compare)
    with _LOCK:
        _CACHE[key] = t
        while len(_CACHE) > _KEEP:
            _CACHE.popitem(last=False)
    return t


def clear():
    """Drop every built table."""
    with _LOCK:
        _CACHE.clear()


_NUMBA_MIN = 1 << 16  # from here the lookup runs as one Numba loop


def lookup(t: Table, flat, fmts, out, want_flags, what):
    """codes (table dtype), flags or None for flat operand arrays."""
    n = flat[0].shape[0]
    if n >= _NUMBA_MIN:
        from ._gather import gather

        shift = t.shift if t.t1 is not None else (fmts[1].bits if len(flat) == 2 else 0)
        t1 = t.t1 if t.t1 is not None else np.zeros(1, np.int32)
        codes, flags = gather([np.ascontiguousarray(f) for f in flat], shift, t.nc, t1, t.tc, t.tf, want_flags)
        idx = None
    else:
        idx = _index(t, flat, fmts)
        codes, flags = t.tc[idx], (t.tf[idx] if want_flags else None)
    if t.tnan is not None:
        idx = _index(t, flat, fmts) if idx is None else idx
        bad = t.tnan[idx]
        if bad.any():
            raise ops.nan_result_error(what, int(np.flatnonzero(bad)[0]), out)
    return codes, flags


def _index(t, flat, fmts):
    if t.t1 is not None:
        ab = (flat[0].astype(np.int64) << t.shift) | flat[1]
        return t.t1[ab].astype(np.int64) * t.nc + flat[2]
    if len(flat) == 1:
        return flat[0].astype(np.intp)
    return (flat[0].astype(np.int64) << fmts[1].bits) | flat[1]
