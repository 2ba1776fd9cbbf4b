"""Numba block-FMA kernel: one generic routine for every AccumModel (docs/accumulation.md §1, §9).

Operands arrive as float64 values (exact) with their alignment exponents precomputed (input
exponent clamped at the format's emin, plus any MX scale exponent; ``ZERO_EXP`` for zeros).
With finite F a block is exact float64 arithmetic: ``s = 2^(F-E)``, ``S = Σ trunc(v·s)`` (integers
below 2^53), then one rounding of ``S·2^(E-F)``. Without F (exact sums, sequential FMA) terms are
added in float64 while two-sum shows no error, else in a long fixed-point accumulator.

Each parallel kernel has a serial twin (``SERIAL``): the same Python function compiled without
``parallel=True``, so ``prange`` runs as ``range`` and every output element is computed by the
same code in the same order (same bits). :mod:`.launch` picks one per call.
"""

from __future__ import annotations

import math
import types

import numpy as np
from numba import njit, prange

ZERO_EXP = -(1 << 20)        # alignment exponent of a zero operand (never the maximum)
_EMPTY = -(1 << 19)          # E below this: every term is zero
_LB = 30                     # long accumulator: limb bits,
_BASE = -660                 # exponent of limb 0's lowest bit,
_NL = 46                     # limbs (covers 2^-660 .. 2^720)
_MASK = (1 << _LB) - 1
_TILE = 16


@njit(cache=True)
def _round_int(neg, mag, lsb, sticky, frac, emin, emax, rne):
    """(-1)^neg · (mag + sticky·ε) · 2^lsb rounded to `frac` fraction bits, exponent floor emin
    (subnormal grid 2^(emin-frac)); RNE or RZ; |result| >= 2^(emax+1) -> inf. mag < 2^62."""
    if mag == 0:
        return 0.0
    bl = math.frexp(float(mag))[1]
    if (np.int64(1) << (bl - 1)) > mag:
        bl -= 1
    top = bl - 1 + lsb
    eu = max(top, emin) - frac
    sh = eu - lsb
    if sh <= 0:
        v = math.ldexp(float(mag), lsb)
    elif sh >= 63:
        v = 0.0
    else:
        q = mag >> sh
        if rne:
            rem = mag - (q << sh)
            half = np.int64(1) << (sh - 1)
            if rem > half or (rem == half and (sticky or (q & 1) == 1)):
                q += 1
        v = math.ldexp(float(q), eu)
    if v >= math.ldexp(1.0, emax + 1):
        v = math.inf
    return -v if neg else v


@njit(cache=True)
def _round_f64(x, frac, emin, emax, rne):
    """Round the float64 value x (exact) as _round_int does; ±0, ±inf and NaN pass through."""
    if x == 0.0:
        return x
    if not math.isfinite(x):
        return x
    m, e = math.frexp(abs(x))
    return _round_int(x < 0, np.int64(math.ldexp(m, 53)), e - 53, False, frac, emin, emax, rne)


@njit(cache=True)
def _long_add(L, x):
    if x == 0.0:
        return
    m, e = math.frexp(abs(x))
    mant = np.int64(math.ldexp(m, 53))
    pos = e - 53 - _BASE
    li = pos // _LB
    off = pos - li * _LB
    sg = -1 if x < 0 else 1
    lo = (mant & ((np.int64(1) << (_LB - off)) - 1)) << off
    rest = mant >> (_LB - off)
    L[li] += sg * lo
    L[li + 1] += sg * (rest & _MASK)
    L[li + 2] += sg * (rest >> _LB)


@njit(cache=True)
def _long_normalize(L):
    for t in range(_NL - 1):
        c = L[t] >> _LB
        L[t] -= c << _LB
        L[t + 1] += c


@njit(cache=True)
def _long_round(L, frac, emin, emax, rne):
    _long_normalize(L)
    neg = L[_NL - 1] < 0
    if neg:
        for t in range(_NL):
            L[t] = -L[t]
        _long_normalize(L)
    t = _NL - 1
    while t >= 0 and L[t] == 0:
        t -= 1
    if t < 0:
        return 0.0
    if t == 0:
        return _round_int(neg, L[0], _BASE, False, frac, emin, emax, rne)
    sticky = False
    for u in range(t - 1):
        if L[u] != 0:
            sticky = True
    return _round_int(neg, (L[t] << _LB) | L[t - 1], _BASE + (t - 1) * _LB, sticky, frac, emin, emax, rne)


@njit(cache=True)
def _two_sum_err(x, y, s):
    yy = s - x
    return (x - (s - yy)) + (y - yy)


@njit(cache=True)
def _exact_sum_round(L, A, B, i, j, k0, k1, acc, frac, emin, emax, rne):
    """acc + Σ_{k0<=k<k1} A[i,k]·B[j,k] exactly, rounded once."""
    x = acc
    ok = True
    for k in range(k0, k1):
        p = A[i, k] * B[j, k]
        t = x + p
        if _two_sum_err(x, p, t) != 0.0:
            ok = False
            break
        x = t
    if ok:
        return _round_f64(x, frac, emin, emax, rne)
    L[:] = 0
    _long_add(L, acc)
    for k in range(k0, k1):
        _long_add(L, A[i, k] * B[j, k])
    return _long_round(L, frac, emin, emax, rne)


@njit(cache=True)
def _special(A, B, i, j, k0, k1, acc):
    """NaN/Inf rule of a block: NaN if any NaN or both infinities, else the infinity; 0 = none."""
    pos = acc == math.inf
    neg = acc == -math.inf
    nan = acc != acc
    for k in range(k0, k1):
        p = A[i, k] * B[j, k]
        nan = nan or p != p
        pos = pos or p == math.inf
        neg = neg or p == -math.inf
    if nan or (pos and neg):
        return math.nan
    if pos:
        return math.inf
    if neg:
        return -math.inf
    return 0.0


@njit(cache=True)
def _expo(x):
    if x == 0.0:
        return ZERO_EXP
    return max(math.frexp(abs(x))[1] - 1, -126)


@njit(cache=True)
def _max_exp(ea, eb, E):
    """max(E, max_k ea[k] + eb[k])."""
    for k in range(ea.shape[0]):
        E = max(E, ea[k] + eb[k])
    return E


@njit(cache=True, fastmath={"reassoc"})
def _trunc_sum(a, b, s):
    """Σ trunc(a[k]·b[k]·s). Every term is an integer below 2^(F+2) and the sum stays below 2^53,
    so the sum is exact in any order (hence reassociation, which lets LLVM vectorise, is safe)."""
    S = 0.0
    for k in range(a.shape[0]):
        S += np.trunc(a[k] * b[k] * s)
    return S


@njit(cache=True)
def _chain(A, EA, B, EB, i, j, k0, k1, acc, n, F, frac, emin, emax, rne, special, L):
    """The BFMA chain over k0..k1 in blocks of n, starting from acc."""
    for b0 in range(k0, k1, n):
        b1 = min(b0 + n, k1)
        if special:
            sp = _special(A, B, i, j, b0, b1, acc)
            if sp != 0.0:
                acc = sp
                continue
        if not math.isfinite(acc):  # an overflowed chain stays ±inf (the products are finite)
            continue
        if F < 0:
            acc = _exact_sum_round(L, A, B, i, j, b0, b1, acc, frac, emin, emax, rne)
            continue
        E = _max_exp(EA[i, b0:b1], EB[j, b0:b1], _expo(acc))
        if E < _EMPTY:
            acc = 0.0
            continue
        s = math.ldexp(1.0, F - E)
        S = np.trunc(acc * s) + _trunc_sum(A[i, b0:b1], B[j, b0:b1], s)
        acc = _round_f64(math.ldexp(S, E - F), frac, emin, emax, rne)
    return acc


@njit(cache=True)
def _fma32(s, t, acc, L):
    """fmaf(s, t, acc): one RNE rounding to binary32 (s, t, acc binary32 values)."""
    x = s * t
    r = x + acc
    if not math.isfinite(r) or not math.isfinite(x):
        return float(np.float32(r))
    if _two_sum_err(x, acc, r) == 0.0:
        return _round_f64(r, 23, -126, 127, True)
    L[:] = 0
    _long_add(L, x)
    _long_add(L, acc)
    return _long_round(L, 23, -126, 127, True)


@njit(parallel=True, cache=True)
def gemm_kernel(A, EA, B, EB, C, SA, SB, n, F, frac, emin, emax, rne, promote, special):
    """D[i,j] for A (M,K), B given transposed (N,K), C (M,N); SA (M,P), SB (N,P) promotion
    scales (P = number of promotion intervals). F < 0: exact blocks. promote 0: one chain."""
    M, K = A.shape
    N = B.shape[0]
    D = np.empty((M, N), np.float64)
    ti = (M + _TILE - 1) // _TILE
    tj = (N + _TILE - 1) // _TILE
    for t in prange(ti * tj):
        L = np.zeros(_NL, np.int64)
        i0 = (t // tj) * _TILE
        j0 = (t % tj) * _TILE
        for i in range(i0, min(i0 + _TILE, M)):
            for j in range(j0, min(j0 + _TILE, N)):
                if promote == 0:
                    D[i, j] = _chain(A, EA, B, EB, i, j, 0, K, C[i, j], n, F, frac, emin, emax, rne, special, L)
                else:
                    reg = C[i, j]
                    for p0 in range(0, K, promote):
                        part = _chain(A, EA, B, EB, i, j, p0, min(p0 + promote, K), 0.0, n, F,
                                      frac, emin, emax, rne, special, L)
                        s = float(np.float32(SA[i, p0 // promote] * SB[j, p0 // promote]))
                        reg = _fma32(s, part, reg, L)
                    D[i, j] = reg
    return D


@njit(parallel=True, cache=True)
def dot_kernel(A, EA, B, EB, C, SA, SB, n, F, frac, emin, emax, rne, promote, special):
    """D[r] = one dot product of rows A[r] and B[r] (shape (R, K)) from C[r]; as gemm_kernel."""
    R, K = A.shape
    D = np.empty(R, np.float64)
    for r in prange(R):
        L = np.zeros(_NL, np.int64)
        if promote == 0:
            D[r] = _chain(A, EA, B, EB, r, r, 0, K, C[r], n, F, frac, emin, emax, rne, special, L)
        else:
            reg = C[r]
            for p0 in range(0, K, promote):
                part = _chain(A, EA, B, EB, r, r, p0, min(p0 + promote, K), 0.0, n, F,
                              frac, emin, emax, rne, special, L)
                reg = _fma32(float(np.float32(SA[r, p0 // promote] * SB[r, p0 // promote])), part, reg, L)
            D[r] = reg
    return D


# ---- the fast path: finite F, finite inputs; vectorised across output columns -----------------
_JC = 64                      # output columns per task (one packed chunk of B)
_RT = 64                      # rows of A per task (they share the packed chunk)
_EXP_MASK = 0x7FF
_F64_BIAS = 1023
P_CAP = 2.0**126              # the float32 path's largest grid scale (see api.narrow_ok)


@njit(cache=True)
def _block_exponents(E, ea, EBp, b0, b1):
    """E[j] <- max(E[j], max_k ea[k] + EBp[k, j]) over one block."""
    for k in range(b0, b1):
        e = ea[k]
        row = EBp[k]
        for jj in range(E.shape[0]):
            E[jj] = max(E[jj], e + row[jj])


@njit(cache=True)
def _block_sums(S, a, Bp, P, b0, b1):
    """S[j] += Σ_k trunc(a[k]·Bp[k, j]·P[j]): every product is exact in Bp's dtype and P[j] is a
    power of two, so each term is the product truncated to the block's grid (an integer)."""
    for k in range(b0, b1):
        av = a[k]
        row = Bp[k]
        for jj in range(S.shape[0]):
            S[jj] += np.trunc(av * row[jj] * P[jj])


@njit(cache=True)
def _acc_alignment(E, accb):
    """E <- the accumulator's alignment exponent (float64 bit patterns accb; none for 0, ±inf)."""
    for jj in range(E.shape[0]):
        b = accb[jj]
        e = ((b >> 52) & _EXP_MASK) - _F64_BIAS
        E[jj] = max(e, -126) if ((b << 1) != 0 and e < 1024) else ZERO_EXP


@njit(cache=True)
def _grid_scales(E, F, Pb, Qb):
    """P = 2^(F-E) and Q = 2^(E-F) as float64 bit patterns (exponents clamped to normal)."""
    for jj in range(E.shape[0]):
        x = F - E[jj]
        Pb[jj] = np.int64(min(max(_F64_BIAS + x, 1), 2046)) << 52
        Qb[jj] = np.int64(min(max(_F64_BIAS - x, 1), 2046)) << 52


@njit(cache=True)
def _acc_terms(S, Pn, Sn, acc, P, pcap):
    """S <- trunc(acc·P) (0 for ±inf acc); Pn <- min(P, pcap) in the product dtype; Sn <- 0."""
    for jj in range(S.shape[0]):
        v = acc[jj] * P[jj]
        S[jj] = np.trunc(v) if v - v == 0.0 else 0.0
        Pn[jj] = min(P[jj], pcap)
        Sn[jj] = 0


@njit(cache=True)
def _round_mask(V, Vb, accb, acc, S, Sn, Q, sh, low, half, rne, lo, hi):
    """V <- (S + Sn)·Q (±inf accumulators kept); acc <- V rounded by a mask on its bits.
    Returns how many results need the scalar rounding (zero, subnormal, overflow)."""
    nfall = 0
    for jj in range(V.shape[0]):
        old = acc[jj]
        v = (S[jj] + float(Sn[jj])) * Q[jj]
        V[jj] = old if old - old != 0.0 else v
    for jj in range(V.shape[0]):
        b = Vb[jj]
        if rne:
            b = b + half + ((b >> sh) & 1)
        nb = b & ~low
        ev = (Vb[jj] >> 52) & _EXP_MASK
        nfall += (ev < lo) | (ev > hi) | (((nb >> 52) & _EXP_MASK) > hi)
        accb[jj] = nb
    return nfall


@njit(cache=True)
def _round_rest(V, Vb, accb, acc, frac, emin, emax, rne, lo, hi):
    for jj in range(V.shape[0]):
        ev = (Vb[jj] >> 52) & _EXP_MASK
        if ev < lo or ev > hi or ((accb[jj] >> 52) & _EXP_MASK) > hi:
            acc[jj] = _round_f64(V[jj], frac, emin, emax, rne)


@njit(parallel=True, cache=True)
def gemm_kernel_fast(A, EA, B, EB, C, SA, SB, n, F, frac, emin, emax, rne, promote, pcap):
    """gemm_kernel for finite inputs and finite F, with B as (K, N). A and B are float64, or
    float32 when every product, grid term and block sum is exact in float32 (``api.narrow_ok``);
    the block sums are kept in that dtype. pcap: the largest grid scale passed to the product
    loop (P_CAP for float32, where larger scales occur only in blocks without a nonzero product;
    no cap, i.e. 2^1023, for float64).

    Each task packs _JC columns of B (and their exponents) contiguously and runs _RT rows of A
    through them; every step of the block FMA is a loop across the columns, which LLVM vectorises.
    RZ/RNE of a block result is a bit mask on its float64 pattern; zero, subnormal and overflowing
    results take the scalar rounding, and an overflowed (±inf) accumulator stays ±inf."""
    M, K = A.shape
    N = B.shape[1]
    ni = (M + _RT - 1) // _RT
    nj = (N + _JC - 1) // _JC
    D = np.empty((M, N), np.float64)
    sh = 52 - frac
    low = (np.int64(1) << sh) - 1
    half = low >> 1
    lo = _F64_BIAS + emin
    hi = _F64_BIAS + emax
    for t in prange(ni * nj):
        i0 = (t // nj) * _RT
        j0 = (t % nj) * _JC
        h = min(_RT, M - i0)
        w = min(_JC, N - j0)
        Bp = np.zeros((K, _JC), B.dtype)
        EBp = np.full((K, _JC), ZERO_EXP, np.int32)
        for k in range(K):
            for jj in range(w):
                Bp[k, jj] = B[k, j0 + jj]
                EBp[k, jj] = EB[k, j0 + jj]
        acc = np.zeros((_RT, _JC))
        reg = np.zeros((_RT, _JC))
        accb = acc.view(np.int64)
        E = np.empty(_JC, np.int32)
        P = np.empty(_JC)
        Q = np.empty(_JC)
        Pb = P.view(np.int64)
        Qb = Q.view(np.int64)
        Pn = np.empty(_JC, B.dtype)
        V = np.empty(_JC)
        Vb = V.view(np.int64)
        S = np.empty(_JC)
        Sn = np.zeros(_JC, B.dtype)
        L = np.zeros(_NL, np.int64)
        for r in range(h):
            for jj in range(w):
                reg[r, jj] = C[i0 + r, j0 + jj]
                acc[r, jj] = 0.0 if promote else reg[r, jj]
        for b0 in range(0, K, n):
            b1 = min(b0 + n, K)
            for r in range(h):
                i = i0 + r
                _acc_alignment(E, accb[r])
                _block_exponents(E, EA[i], EBp, b0, b1)
                _grid_scales(E, F, Pb, Qb)
                _acc_terms(S, Pn, Sn, acc[r], P, pcap)
                _block_sums(Sn, A[i], Bp, Pn, b0, b1)
                if _round_mask(V, Vb, accb[r], acc[r], S, Sn, Q, sh, low, half, rne, lo, hi):
                    _round_rest(V, Vb, accb[r], acc[r], frac, emin, emax, rne, lo, hi)
                if promote and (b1 % promote == 0 or b1 == K):
                    p = (b1 - 1) // promote
                    for jj in range(w):
                        s = float(np.float32(SA[i, p] * SB[j0 + jj, p]))
                        reg[r, jj] = _fma32(s, acc[r, jj], reg[r, jj], L)
                        acc[r, jj] = 0.0
        for r in range(h):
            for jj in range(w):
                D[i0 + r, j0 + jj] = reg[r, jj] if promote else acc[r, jj]
    return D


def _serial_twin(kernel):
    """``kernel``'s Python function compiled without ``parallel=True``. It gets its own name,
    hence its own entry in Numba's on-disk cache (the cache is keyed by qualified name)."""
    f = kernel.py_func
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__, f.__closure__)
    g.__qualname__ = g.__name__
    g.__doc__ = f.__doc__
    return njit(cache=True)(g)


#: parallel kernel -> its serial twin (compiled on first use, e.g. in a fork child)
SERIAL = {k: _serial_twin(k) for k in (gemm_kernel, dot_kernel, gemm_kernel_fast)}
