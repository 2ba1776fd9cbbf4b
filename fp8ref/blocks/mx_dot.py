"""Exact dot products of OCP MX tensors: ``Σ_blocks X_A X_B Σ_i P_A,i P_B,i``, rounded once.

Every element is an integer times a power of two (``Element.int_values``), every scale a power
of two, so each result is an exact integer times a power of two, rounded once at the end to the
output ``dtype`` (float32 or float64, RNE) or returned exactly (``dtype="exact"``: a Fraction).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..core.exact import round_fraction
from ..core.floats import float_type
from ..formats.builtin import UE8M0
from .mx_tensor import MXTensor

__all__ = ["dot", "matmul"]


def _row_blocks(t: MXTensor):
    """(n, special, exps, nan_scale): element integers (rows, nb, bs), NaN/Inf element mask,
    block exponents (rows, nb) so that a value is ``n * 2^exps``, NaN-scale mask (rows, nb)."""
    bc = t.block_codes()
    rows = int(np.prod(bc.shape[:-2], dtype=np.int64))
    bc = bc.reshape(rows, t.num_blocks, t.block_size)
    sc = t.block_scales().reshape(rows, t.num_blocks)
    n, special = t.elem.int_values(bc)
    nan_scale = np.isin(sc, UE8M0.nan_codes)
    exps = sc.astype(np.int64) - UE8M0.bias + t.elem.quantum_exp
    return n, special, exps, nan_scale


def _round_exact(n: int, e: int, kind: str):
    """``n * 2^e`` rounded once (RNE) to float32 / float64 (``core.exact.round_fraction``), or
    the exact Fraction."""
    q = Fraction(n) * Fraction(2) ** e
    if kind == "exact":
        return q
    ft = float_type(kind)
    return float(ft.from_bits(round_fraction(q, ft)))


def _check_dtype(dtype):
    if isinstance(dtype, str) and dtype == "exact":
        return "exact"
    name = np.dtype(dtype).name
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32, float64 or 'exact', got {name!r}")
    return name


def _check_operands(who, a, b, ndim, dtype):
    """The output kind, after checking that ``a`` and ``b`` are ``ndim``-D MX tensors."""
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, MXTensor):
            raise TypeError(f"{name} must be an MXTensor, got {type(t).__name__}")
        if t.ndim != ndim:
            raise ValueError(f"{who} needs {ndim}-D operands; {name} has shape {t.shape}")
    return _check_dtype(dtype)


def _exact_products(a: MXTensor, b: MXTensor, kind: str):
    """(M, N) results of Σ_blocks over row-blocks of a (M, nb, bs) and b (N, nb, bs)."""
    if a.block_size != b.block_size:
        raise ValueError(f"block sizes differ: {a.block_size} vs {b.block_size}")
    nA, spA, eA, nanA = _row_blocks(a)
    nB, spB, eB, nanB = _row_blocks(b)
    if nA.shape[1:] != nB.shape[1:]:
        raise ValueError("operands have different contraction lengths")
    M, nb, bs = nA.shape
    N = nB.shape[0]
    bound = bs * int(np.abs(nA).max(initial=0)) * int(np.abs(nB).max(initial=0))
    if bound < 2**62:
        S = np.einsum("mbi,nbi->mnb", nA, nB).astype(object)
    else:
        S = np.empty((M, N, nb), dtype=object)
        for j in range(nb):
            S[:, :, j] = nA[:, j, :].astype(object) @ nB[:, j, :].T.astype(object)
    E = eA[:, None, :] + eB[None, :, :]  # (M, N, nb)
    out = np.empty((M, N), dtype=object if kind == "exact" else np.dtype(kind))
    if nb:
        emin = E.min(axis=2)
        tot = (S * (2 ** (E - emin[..., None]).astype(object))).sum(axis=2)
    for i in range(M):
        for j in range(N):
            out[i, j] = _round_exact(int(tot[i, j]), int(emin[i, j]), kind) if nb else _round_exact(0, 0, kind)
    nan_res = nanA.any(axis=1)[:, None] | nanB.any(axis=1)[None, :]
    if spA.any() or spB.any():
        with np.errstate(invalid="ignore", over="ignore"):
            va = np.where(spA, a.elem.decode(a.block_codes().reshape(nA.shape)), np.ldexp(nA.astype(np.float64), eA[..., None]))
            vb = np.where(spB, b.elem.decode(b.block_codes().reshape(nB.shape)), np.ldexp(nB.astype(np.float64), eB[..., None]))
            approx = va.reshape(M, -1) @ vb.reshape(N, -1).T
        odd = ~np.isfinite(approx)
        for i, j in zip(*np.nonzero(odd)):
            out[i, j] = float(approx[i, j]) if kind == "exact" else approx[i, j]
    if nan_res.any():
        out[nan_res] = math.nan
    return out


def matmul(a: MXTensor, b: MXTensor, *, dtype=np.float32) -> np.ndarray:
    """``a @ b`` for 2-D MX tensors, exact then rounded once.

    a: (M, K) quantized along axis 1; b: (K, N) quantized along axis 0 (blocks on the
    contraction axis), same block size; element formats may differ. Each output is
    ``Σ_j X_A,j X_B,j Σ_i P_A,i P_B,i`` evaluated exactly, then rounded RNE to ``dtype``
    (float32 or float64; ``"exact"`` gives Fractions in an object array). A NaN scale or NaN
    element involved gives NaN, Inf elements follow IEEE rules (Inf * 0 = NaN); an exact zero
    sum is +0.
    """
    kind = _check_operands("matmul", a, b, 2, dtype)
    if a.axis != 1 or b.axis != 0:
        raise ValueError("matmul needs a quantized along axis 1 and b along axis 0 (the contraction axis)")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not align")
    return _exact_products(a, b, kind)


def dot(a: MXTensor, b: MXTensor, *, dtype=np.float32):
    """Exact MX dot product of two 1-D MX tensors (same length and block size), rounded once
    to ``dtype`` (float32 / float64) or returned as a Fraction with ``dtype="exact"``."""
    kind = _check_operands("dot", a, b, 1, dtype)
    if a.shape != b.shape:
        raise ValueError(f"shapes {a.shape} and {b.shape} differ")
    r = _exact_products(a, b, kind)[0, 0]
    return r if kind == "exact" else np.dtype(kind).type(r)
