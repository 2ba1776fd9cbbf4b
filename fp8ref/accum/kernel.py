"""The Numba engine: one routine for every AccumModel (docs/accumulation.md §1, §5).

Operands arrive as float64 (or, where every product is exact there, float32) values with their
alignment exponents precomputed (input exponent clamped at the format's emin, plus any MX scale
exponent; ``ZERO_EXP`` for zeros and non-finite values), K already in the order the first stage
groups it (``api`` permutes interleaved groups and pads the last step with +0). The model is an
int64 *program* (:func:`program`): the step size, the last fused sum and each stage.

A step runs across ``W`` output columns at once (every helper is a loop over the columns, which
LLVM vectorises): a fused sum with finite F is exact float64 arithmetic — ``P = 2^(F-E)``,
``S = Σ round_term(t·P)`` (integers below 2^53; kept in int32 where ``api`` proves every term
and sum finite and below 2^31), value ``S·2^(E-F)``; an exact sum is a float64
sum checked with two-sum, kept as an exact pair ``(r, err)`` for two terms and recomputed in a
long fixed-point accumulator where float64 could not hold it. Results are rounded by a bit mask on
their float64 pattern; zero, subnormal, overflowing and non-finite results, and pairs whose error
decides the rounding, take the scalar rounding :func:`round_int`, whose integer core
:func:`round_shift_nb` is the Numba twin of :func:`fp8ref.core.rounding.round_shift`.
NaN and ±Inf propagate through the same arithmetic (any NaN, ∞ − ∞ or ∞ × 0 gives NaN, an
infinity gives itself), which is the models' special-value rule.

Two families need none of the fused-sum machinery and take their own row loop (:func:`_family`):
the sequential binary32 FMA chain (n = 1, exact, RNE: ``fp32_fma``, ``cdna3_fp32``) and pairwise
binary32 trees (CDNA1/2). There, and wherever a stage or the output is RNE binary32, the rounding
is the IEEE conversion ``float32(x)`` of the float64 value, with the two-sum error consulted only
where it could move x across a binary32 tie or into the subnormal range (:func:`_round32_fix`);
where every operand value is binary32, the FMA chain is binary32 FMAs themselves (``llvm.fma``:
:func:`_fma_row32`).

Two drivers run the engine: ``gemm_kernel`` (tasks of 64 rows × 256 packed columns of B, 1024
for the two-level grids where every thread still gets two tasks: :func:`task_cols`) and
``dot_kernel`` (one row pair per output, W = 1). A task runs step by step across its rows
(:func:`_steps`; family 3 without promotion: :func:`_grid_task`, two rows per pass where steps
are long), so a step's block of B stays in cache for all of them; the step kernels get their
arrays unowned (:func:`_unowned`), so a call costs no atomic reference counts. Each parallel
kernel has a serial twin (``SERIAL``): the same Python function compiled without
``parallel=True`` (same bits); :mod:`.launch` picks one per call.
"""

from __future__ import annotations

import math
import types

import numpy as np
from llvmlite import ir
from numba import config, njit, prange
from numba.core import types as nbt
from numba.extending import intrinsic, overload

from ..core.floats import F32, F64

ZERO_EXP = -(1 << 20)        # alignment exponent of a zero operand (never the maximum)
_EMPTY = -(1 << 19)          # E below this: every term is zero
_C_EMIN = F32.emin           # a rounded value (accumulator, stage result) aligns at >= 2^-126
_F32_FRAC, _F32_EMIN, _F32_EMAX = F32.man_bits, F32.emin, F32.emax
_F32_MIN_NORMAL = 2.0**F32.emin  # FTZ flushes binary32 results below it
_F32_ZERO, _F32_ONE = np.float32(0.0), np.float32(1.0)
_LB = 30                     # long accumulator: limb bits,
_BASE = -1140                # exponent of limb 0's lowest bit,
_NL = 78                     # limbs (covers 2^-1140 .. 2^1200)
_MASK = (1 << _LB) - 1
_MAX_SHIFT = 62              # as core.rounding: significands are < 2^62
# float64 fields, from the one description of the type (core/floats.py)
_F64_MAN = F64.man_bits
_F64_BIAS = F64.bias
_EXP_MAX = F64.exp_max
_ABS = F64.abs_mask

#: rounding mode -> code of the Numba twin (the names of core.rounding.round_shift)
MODE_CODES = {"rne": 0, "rna": 1, "rnz": 2, "rtz": 3, "rup": 4, "rdn": 5, "rto": 6}
_RNE, _RTZ, _RDN, _RTO = MODE_CODES["rne"], MODE_CODES["rtz"], MODE_CODES["rdn"], MODE_CODES["rto"]

# ---- the program: one int64 vector per model and output mode ----------------------------------
P_N, P_F, P_TERM, P_CFRAC, P_CDROP, P_OUTMODE, P_OUTFRAC, P_EMIN, P_EMAX = range(9)
P_FTZ, P_POVF, P_ZERO, P_STAGED, P_PROMOTE, P_NST, P_EXACT64 = range(9, 16)
P_HEAD = 16
S_SIZE, S_F, S_TERM, S_RND, S_OFRAC, S_CHAIN, S_PZERO = range(7)
S_LEN = 8
Z_PLUS, Z_IEEE, Z_INEXACT = 0, 1, 2


def program(m, out, exact64, overflow=True):
    """The int64 program of model ``m`` in output mode ``out`` ("fp32"/"fp16"). exact64: every
    exact sum of products is known to be exact in float64 (no two-sum checks needed). overflow:
    some product may reach 2^128 (the product-overflow rule is checked only then)."""
    fp16 = out == "fp16"
    emin, emax = (-14, 15) if fp16 else (F32.emin, F32.emax)

    def rnd(mode, frac):
        return (_RNE, 10) if fp16 else (MODE_CODES[mode], frac)

    om, of = rnd(m.out_rounding, m.out_frac)
    zero = {False: Z_PLUS, True: Z_IEEE, "inexact": Z_INEXACT}[m.signed_zero]
    head = [m.n or 0, -1 if m.frac_bits is None else m.frac_bits, MODE_CODES[m.term_rounding],
            -1 if m.c_frac is None else m.c_frac, -1 if m.c_drop is None else m.c_drop, om, of, emin, emax,
            int(m.ftz), int(m.product_overflow and overflow), zero, int(m.scaling == "stage"), m.promote or 0,
            len(m.stages), int(exact64)]
    pg = head + [0] * (P_HEAD - len(head))
    for t in m.stages:
        sm, sf = rnd(t.rounding, t.out_frac) if t.rounding is not None else (-1, 0)
        pg += [t.size, -1 if t.frac_bits is None else t.frac_bits, MODE_CODES[t.term_rounding], sm, sf,
               int(t.chain), int(t.plus_zero), 0]
    return np.array(pg, dtype=np.int64)


# ---- scalar rounding: the twin of core.rounding.round_shift -----------------------------------
@njit(cache=True)
def round_shift_nb(M, s, negative, mode):
    """(kept, inexact) with kept ≈ M / 2^s rounded by ``mode`` (MODE_CODES); M < 2^62, s any
    sign. The scalar Numba twin of :func:`fp8ref.core.rounding.round_shift` (tested equal)."""
    if s <= 0:
        return M << min(-s, _MAX_SHIFT), False
    pre = min(max(s - _MAX_SHIFT, 0), _MAX_SHIFT)
    Mc = (M >> pre) | (1 if (M & ((np.int64(1) << pre) - 1)) != 0 else 0)
    sc = min(s, _MAX_SHIFT)
    kept = Mc >> sc
    rem = Mc & ((np.int64(1) << sc) - 1)
    half = np.int64(1) << (sc - 1)
    odd = (kept & 1) == 1
    if mode == 0:
        up = rem > half or (rem == half and odd)
    elif mode == 1:
        up = rem >= half
    elif mode == 2:
        up = rem > half
    elif mode == 3:
        up = False
    elif mode == 4:
        up = rem != 0 and not negative
    elif mode == 5:
        up = rem != 0 and negative
    else:
        up = rem != 0 and not odd
    return kept + (1 if up else 0), rem != 0


@njit(cache=True)
def _bit_length(m):
    """Bit length of a positive int64 below 2^62."""
    bl = math.frexp(float(m))[1]
    if (np.int64(1) << (bl - 1)) > m:
        bl -= 1
    return bl


@njit(cache=True)
def round_int(neg, mag, lsb, sticky, frac, emin, emax, mode):
    """(-1)^neg · (mag + sticky·ε) · 2^lsb (0 < ε < 1) rounded to ``frac`` fraction bits with
    exponent floor emin (gradual underflow) by ``mode``; |result| >= 2^(emax+1) -> ±inf; a
    nonzero value that rounds to zero keeps its sign. mag < 2^61."""
    if mag == 0 and not sticky:
        return -0.0 if neg else 0.0
    top = (_bit_length(mag) if mag > 0 else 0) - 1 + lsb
    eu = max(top, emin) - frac
    kept, _ = round_shift_nb((mag << 1) | (1 if sticky else 0), eu - lsb + 1, neg, mode)
    v = math.ldexp(float(kept), eu)
    if v >= math.ldexp(1.0, emax + 1):
        v = math.inf
    return -v if neg else v


@njit(cache=True)
def round_pair(x, err, frac, emin, emax, mode):
    """The exact value x + err (|err| <= ulp(x)/2, a two-sum pair) rounded as round_int does;
    ±0, ±inf and NaN pass through."""
    if x == 0.0 or not math.isfinite(x):
        return x
    m, e = math.frexp(abs(x))
    mag = np.int64(math.ldexp(m, 53))
    sticky = err != 0.0
    if sticky and (err > 0.0) != (x > 0.0):
        mag -= 1  # the exact value lies just inside |x|
    return round_int(x < 0.0, mag, e - 53, sticky, frac, emin, emax, mode)


@njit(cache=True)
def _two_sum_err(x, y, s):
    yy = s - x
    return (x - (s - yy)) + (y - yy)


@njit(cache=True)
def _expo(x):
    """Alignment exponent of a rounded value: floor(log2|x|) clamped at -126; ZERO_EXP for 0 and
    non-finite values."""
    if x == 0.0 or not math.isfinite(x):
        return ZERO_EXP
    return max(math.frexp(abs(x))[1] - 1, _C_EMIN)


# ---- operand scan (the front end's one pass over an operand) -------------------------------------
@njit(cache=True)
def scan_operand(X, emin, E):
    """One pass over the float64 values X (1-D): E <- alignment exponents (floor(log2|x|) clamped
    at emin; ZERO_EXP for zeros and non-finite values) where E has X's size (skipped for a
    0-size E). Returns (maxe, minlsb, maxsig, f32, finite): over the nonzero finite values, every
    |x| is below 2^maxe and a multiple of 2^minlsb, has at most maxsig significant bits, and f32
    says whether each is a binary32 value (maxsig = 0 when there is no such value); finite: X
    holds no Inf or NaN."""
    Xb = X.view(np.int64)
    want = E.shape[0] == X.shape[0]
    frac_mask = (np.int64(1) << _F64_MAN) - 1
    maxe, minlsb, maxsig, f32, finite = -(1 << 30), 1 << 30, 0, True, True
    lowest = np.zeros(_EXP_MAX, np.int64)  # per biased exponent: the smallest lowest set bit (0: none)
    for i in range(X.shape[0]):
        b = Xb[i]
        be = (b >> _F64_MAN) & _EXP_MAX
        mant = b & frac_mask
        if be == _EXP_MAX or (be == 0 and mant == 0):
            finite &= be != _EXP_MAX
            if want:
                E[i] = ZERO_EXP
            continue
        if be == 0:  # a float64 subnormal: mant * 2^-1074
            lsb0 = 1 - _F64_BIAS - _F64_MAN
            e = lsb0 + _bit_length(mant) - 1
            lsb = lsb0 + math.frexp(float(mant & -mant))[1] - 1
            minlsb = min(minlsb, lsb)
            maxsig = max(maxsig, e + 1 - lsb)
            maxe = max(maxe, e + 1)
        else:
            e = be - _F64_BIAS
            mant |= np.int64(1) << _F64_MAN
            low = mant & -mant
            lw = lowest[be]
            lowest[be] = low if (lw == 0) | (low < lw) else lw
        if want:
            E[i] = max(e, emin)
        if f32:
            f32 = float(np.float32(X[i])) == X[i]
    for be in range(1, _EXP_MAX):  # normal values: one lsb per exponent present (the smallest)
        if lowest[be]:
            e = be - _F64_BIAS
            lsb = e - _F64_MAN + math.frexp(float(lowest[be]))[1] - 1
            maxe = max(maxe, e + 1)
            minlsb = min(minlsb, lsb)
            maxsig = max(maxsig, e + 1 - lsb)
    return maxe, minlsb, maxsig, f32, finite


@njit(parallel=True, cache=True)
def scan_kernel(X, emin, E, chunks):
    """scan_operand over ``chunks`` contiguous pieces of X at once (E likewise), the five results
    combined (max, min, max, and, and): the same results as one scan_operand of X."""
    n = X.shape[0]
    want = E.shape[0] == n
    R = np.empty((chunks, 5), np.int64)
    for c in prange(chunks):
        lo = c * n // chunks
        hi = (c + 1) * n // chunks
        maxe, minlsb, maxsig, f32, finite = scan_operand(X[lo:hi], emin, E[lo:hi] if want else E[:0])
        R[c, 0], R[c, 1], R[c, 2], R[c, 3], R[c, 4] = maxe, minlsb, maxsig, f32, finite
    return R[:, 0].max(), R[:, 1].min(), R[:, 2].max(), bool(R[:, 3].min()), bool(R[:, 4].min())


# ---- the long accumulator (exact sums float64 cannot hold) --------------------------------------
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
def _long_round(L, frac, emin, emax, mode):
    """The accumulator's value rounded (an exact zero is +0)."""
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
        return round_int(neg, L[0], _BASE, False, frac, emin, emax, mode)
    sticky = False
    for u in range(t - 1):
        if L[u] != 0:
            sticky = True
    return round_int(neg, (L[t] << _LB) | L[t - 1], _BASE + (t - 1) * _LB, sticky, frac, emin, emax, mode)


# ---- column-vectorised helpers (one loop over the W columns each) -------------------------------
@njit(cache=True, inline='always')
def _ftz(r):
    """FTZ of one binary32 result: below 2^-126 in magnitude it becomes a zero of its sign."""
    return r * 0.0 if abs(r) < _F32_MIN_NORMAL else r


@njit(cache=True, inline='always')
def _ftz_all(R):
    """:func:`_ftz` of every entry of ``R``, in place."""
    for jj in range(R.shape[0]):
        R[jj] = _ftz(R[jj])


@intrinsic
def _f64_of_bits(typingctx, b):
    """The float64 whose pattern is the int64 b (a register bitcast: unlike an array view, it
    leaves LLVM free to vectorise a loop that also writes the array)."""
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return nbt.float64(nbt.int64), codegen


@intrinsic
def _bits_of_f64(typingctx, x):
    """The int64 pattern of the float64 x (a register bitcast)."""
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return nbt.int64(nbt.float64), codegen


@intrinsic
def _fma32(typingctx, x, y, z):
    """fmaf(x, y, z) on binary32: x·y + z rounded once, RNE (llvm.fma: the CPU's FMA instruction
    where it has one, libm's fmaf otherwise; same bits either way)."""
    def codegen(context, builder, sig, args):
        f = ir.FloatType()
        return builder.call(builder.module.declare_intrinsic("llvm.fma", [f], ir.FunctionType(f, [f, f, f])), args)
    return nbt.float32(nbt.float32, nbt.float32, nbt.float32), codegen


@intrinsic
def _unowned(typingctx, arr):
    """arr's data, shape and strides with no owner (a null meminfo): passing it, or a view of it,
    to a compiled function costs no atomic reference count (each array argument otherwise costs two
    locked instructions per call). Only for arrays whose owner outlives every use of the result."""
    if not isinstance(arr, nbt.Array):
        return None

    def codegen(context, builder, sig, args):
        v = args[0]
        v = builder.insert_value(v, ir.Constant(v.type.elements[0], None), 0)  # meminfo
        return builder.insert_value(v, ir.Constant(v.type.elements[1], None), 1)  # parent
    return arr(arr), codegen


@njit(cache=True, inline='always')
def _exp_of(x):
    """The alignment exponent of one rounded value x: its float64 exponent clamped at 2^-126
    (_C_EMIN); ZERO_EXP for 0 and non-finite values."""
    b = _bits_of_f64(x)
    e = ((b >> _F64_MAN) & _EXP_MAX) - _F64_BIAS
    return max(e, _C_EMIN) if ((b << 1) != 0 and e <= _F64_BIAS) else ZERO_EXP


@njit(cache=True, inline='always')
def _pow2(x):
    """2^x with x clamped to float64's normal range (a grid's scale)."""
    return _f64_of_bits(np.int64(min(max(_F64_BIAS + x, 1), 2046)) << _F64_MAN)


@njit(cache=True, inline='always')
def _rne32(mode, frac, emin, emax):
    """Whether a rounding is binary32 RNE (then the IEEE conversion float32(x) does it)."""
    return mode == _RNE and frac == _F32_FRAC and emin == _F32_EMIN and emax == _F32_EMAX


@njit(cache=True, inline='always')
def _exps_of(E, X):
    """E <- alignment exponents of the rounded values X (ZERO_EXP for 0 and non-finite)."""
    for jj in range(E.shape[0]):
        E[jj] = _exp_of(X[jj])


@njit(cache=True, inline='always')
def _block_exponents(E, ea, EBp, k0, k1):
    """E[j] <- max(E[j], max_k ea[k] + EBp[k, j]) over k0 <= k < k1."""
    k = k0
    while k + 4 <= k1:  # four k per pass over the columns: one load and store of E[j] per four
        e0, e1, e2, e3 = ea[k], ea[k + 1], ea[k + 2], ea[k + 3]
        r0, r1, r2, r3 = EBp[k], EBp[k + 1], EBp[k + 2], EBp[k + 3]
        for jj in range(E.shape[0]):
            v0 = np.int32(e0 + r0[jj])  # int32 throughout (|v| < 2^22): Numba's int64 widening halves the lanes
            v1 = np.int32(e1 + r1[jj])
            v2 = np.int32(e2 + r2[jj])
            v3 = np.int32(e3 + r3[jj])
            v0 = v0 if v0 > v1 else v1
            v2 = v2 if v2 > v3 else v3
            v0 = v0 if v0 > v2 else v2
            E[jj] = E[jj] if E[jj] > v0 else v0
        k += 4
    for kk in range(k, k1):
        e = ea[kk]
        row = EBp[kk]
        for jj in range(E.shape[0]):
            v = np.int32(e + row[jj])
            E[jj] = E[jj] if E[jj] > v else v


@njit(cache=True, inline='always')
def _block_exponents_pair(E, E2, ea, ea2, EBp, k0, k1):
    """:func:`_block_exponents` for two rows of A (ea, ea2 into E, E2) in one pass over EBp: each
    load of EBp serves both rows."""
    k = k0
    while k + 4 <= k1:
        e0, e1, e2, e3 = ea[k], ea[k + 1], ea[k + 2], ea[k + 3]
        f0, f1, f2, f3 = ea2[k], ea2[k + 1], ea2[k + 2], ea2[k + 3]
        r0, r1, r2, r3 = EBp[k], EBp[k + 1], EBp[k + 2], EBp[k + 3]
        for jj in range(E.shape[0]):
            x0, x1, x2, x3 = r0[jj], r1[jj], r2[jj], r3[jj]
            v0, v1, v2, v3 = np.int32(e0 + x0), np.int32(e1 + x1), np.int32(e2 + x2), np.int32(e3 + x3)
            w0, w1, w2, w3 = np.int32(f0 + x0), np.int32(f1 + x1), np.int32(f2 + x2), np.int32(f3 + x3)
            v0 = v0 if v0 > v1 else v1
            v2 = v2 if v2 > v3 else v3
            v0 = v0 if v0 > v2 else v2
            w0 = w0 if w0 > w1 else w1
            w2 = w2 if w2 > w3 else w3
            w0 = w0 if w0 > w2 else w2
            E[jj] = E[jj] if E[jj] > v0 else v0
            E2[jj] = E2[jj] if E2[jj] > w0 else w0
        k += 4
    if k < k1:
        _block_exponents(E, ea, EBp, k, k1)
        _block_exponents(E2, ea2, EBp, k, k1)


@njit(cache=True, inline='always')
def _grid_scales(E, F, P, Q):
    """P = 2^(F-E) and Q = 2^(E-F) (exponents clamped to the normal range)."""
    for jj in range(E.shape[0]):
        x = F - E[jj]
        P[jj] = _pow2(x)
        Q[jj] = _pow2(-x)


@njit(cache=True)
def _rto(x):
    """x rounded to an integer, to odd on the magnitude (truncate; set the last bit if inexact)."""
    t = np.trunc(x)
    if t != x and np.trunc(t * 0.5) == t * 0.5:
        t += 1.0 if x > 0 else -1.0
    return t


@njit(cache=True)
def _term(x, mode):
    """x rounded to an integer by a term rounding: toward zero, down, or to odd."""
    if mode == _RTZ:
        return np.trunc(x)
    if mode == _RDN:
        return np.floor(x)
    return _rto(x)


@njit(cache=True, inline='always')
def _terms_of(S, X, P, term):
    """S <- term(X·P) in every column (one loop; its own for truncation)."""
    if term == _RTZ:
        for jj in range(S.shape[0]):
            S[jj] = np.trunc(X[jj] * P[jj])
    else:
        for jj in range(S.shape[0]):
            S[jj] = _term(X[jj] * P[jj], term)


def _trunc_in(x, Sn):
    """trunc(x) in the kind of Sn's dtype: an int32 conversion (which truncates) for an integer Sn
    (``api`` picks one only where every term and sum is finite and below 2^31), np.trunc for a
    float Sn."""


@overload(_trunc_in)
def _trunc_in_impl(x, Sn):
    if isinstance(Sn.dtype, nbt.Integer):
        return lambda x, Sn: np.int32(x)
    return lambda x, Sn: np.trunc(x)


@njit(cache=True, inline='always')
def _sum_rtz(Sn, a, Bp, Pn, k0, k1):
    """Sn[j] += Σ_k trunc(a[k]·Bp[k, j]·Pn[j]): every product is exact in Bp's dtype and Pn[j] is a
    power of two, so each term is the product truncated to the group's grid (an integer). Four k
    per pass over the columns (one load and store of Sn[j] per four), each term added to Sn's value
    in Sn's dtype in order k, as one k per pass does (an int32 Sn: exact integer sums)."""
    k = k0
    while k + 4 <= k1:
        a0, a1, a2, a3 = a[k], a[k + 1], a[k + 2], a[k + 3]
        r0, r1, r2, r3 = Bp[k], Bp[k + 1], Bp[k + 2], Bp[k + 3]
        for jj in range(Sn.shape[0]):
            p = Pn[jj]
            s = Sn[jj]
            s += _trunc_in(a0 * r0[jj] * p, Sn)
            s += _trunc_in(a1 * r1[jj] * p, Sn)
            s += _trunc_in(a2 * r2[jj] * p, Sn)
            s += _trunc_in(a3 * r3[jj] * p, Sn)
            Sn[jj] = s
        k += 4
    for kk in range(k, k1):
        av = a[kk]
        row = Bp[kk]
        for jj in range(Sn.shape[0]):
            Sn[jj] += _trunc_in(av * row[jj] * Pn[jj], Sn)


@njit(cache=True, inline='always')
def _sum_rtz_pair(Sn, Sn2, a, a2, Bp, Pn, Pn2, k0, k1):
    """:func:`_sum_rtz` for two rows of A (a, a2 into Sn, Sn2 with their scales Pn, Pn2) in one pass
    over Bp: each load of Bp serves both rows; each row's terms are added in order k as there."""
    k = k0
    while k + 4 <= k1:
        a0, a1, a2_, a3 = a[k], a[k + 1], a[k + 2], a[k + 3]
        b0, b1, b2, b3 = a2[k], a2[k + 1], a2[k + 2], a2[k + 3]
        r0, r1, r2, r3 = Bp[k], Bp[k + 1], Bp[k + 2], Bp[k + 3]
        for jj in range(Sn.shape[0]):
            p, q = Pn[jj], Pn2[jj]
            x0, x1, x2, x3 = r0[jj], r1[jj], r2[jj], r3[jj]
            s, t = Sn[jj], Sn2[jj]
            s += _trunc_in(a0 * x0 * p, Sn)
            t += _trunc_in(b0 * x0 * q, Sn)
            s += _trunc_in(a1 * x1 * p, Sn)
            t += _trunc_in(b1 * x1 * q, Sn)
            s += _trunc_in(a2_ * x2 * p, Sn)
            t += _trunc_in(b2 * x2 * q, Sn)
            s += _trunc_in(a3 * x3 * p, Sn)
            t += _trunc_in(b3 * x3 * q, Sn)
            Sn[jj] = s
            Sn2[jj] = t
        k += 4
    if k < k1:
        _sum_rtz(Sn, a, Bp, Pn, k, k1)
        _sum_rtz(Sn2, a2, Bp, Pn2, k, k1)


@njit(cache=True, inline='always')
def _sum_rdn(Sn, a, Bp, Pn, k0, k1):
    for k in range(k0, k1):
        av = a[k]
        row = Bp[k]
        for jj in range(Sn.shape[0]):
            Sn[jj] += np.floor(av * row[jj] * Pn[jj])


@njit(cache=True, inline='always')
def _sum_rto(Sn, a, Bp, Pn, k0, k1):
    for k in range(k0, k1):
        av = a[k]
        row = Bp[k]
        for jj in range(Sn.shape[0]):
            x = av * row[jj] * Pn[jj]
            t = np.trunc(x)
            h = t * 0.5
            if t != x and np.trunc(h) == h:
                t += 1.0 if x > 0 else -1.0
            Sn[jj] += t


@njit(cache=True)
def _sum_exact(V, EV, a, Bp, k0, k1, check):
    """V[j] += Σ_k a[k]·Bp[k, j] in float64 (exact products); with ``check`` EV[j] collects
    whether any addition was inexact (two-sum error)."""
    for k in range(k0, k1):
        av = float(a[k])
        row = Bp[k]
        if check:
            for jj in range(V.shape[0]):
                p = av * float(row[jj])
                s = V[jj] + p
                if math.isfinite(s) and _two_sum_err(V[jj], p, s) != 0.0:
                    EV[jj] = 1.0
                V[jj] = s
        else:
            for jj in range(V.shape[0]):
                V[jj] += av * float(row[jj])


@njit(cache=True)
def _overflow_flags(OV, a, Bp, k0, k1):
    """AMD: OV[j] |= 1 for a product >= 2^128, |= 2 for one <= -2^128, |= 4 for a non-finite one."""
    big = 2.0**128
    for k in range(k0, k1):
        av = float(a[k])
        row = Bp[k]
        for jj in range(OV.shape[0]):
            p = av * float(row[jj])
            f = 0
            if p >= big:
                f = 1
            elif p <= -big:
                f = 2
            elif p - p != 0.0:
                f = 4
            OV[jj] |= f


@njit(cache=True, inline='always')
def _mask_params(frac, emin, emax):
    """(sh, low, half, lo, hi) of _mask_round for ``frac`` fraction bits and exponents emin..emax."""
    sh = _F64_MAN - frac
    return sh, (np.int64(1) << sh) - 1, np.int64(1) << (sh - 1), _F64_BIAS + emin, _F64_BIAS + emax


@njit(cache=True, inline='always')
def _mask_round(b, mode, sh, low, half, lo, hi):
    """(bits, fall): the float64 pattern b rounded by ``mode`` (rne, rtz, rto) at its bit ``sh``
    (a bit mask: right where b and the result are normal with biased exponents in lo..hi);
    fall where they are not (zero, subnormal, overflowing, non-finite: round_int's job)."""
    rem = b & low
    if mode == _RNE:
        nb = (b + (half - 1) + ((b >> sh) & 1)) & ~low
    elif mode == _RTZ:
        nb = b & ~low
    else:
        nb = (b & ~low) | (np.int64(rem != 0) << sh)
    ev = (b >> _F64_MAN) & _EXP_MAX
    return nb, (ev < lo) | (ev > hi) | (((nb >> _F64_MAN) & _EXP_MAX) > hi)


@njit(cache=True)
def _round_cols(V, EV, R, use_err, mode, frac, emin, emax, ftz):
    """R[j] <- V[j] (+ the two-sum error EV[j] when ``use_err``) rounded by ``mode`` (rtz, rne,
    rto) to ``frac`` fraction bits: a bit mask on the float64 pattern where the result is normal;
    round_pair / round_int elsewhere. ftz: results below 2^-126 flushed (sign kept)."""
    Vb = V.view(np.int64)
    Rb = R.view(np.int64)
    sh, low, half, lo, hi = _mask_params(frac, emin, emax)
    if _rne32(mode, frac, emin, emax):
        # binary32 RNE is the IEEE float64 -> float32 conversion (subnormals, overflow included)
        for jj in range(V.shape[0]):
            R[jj] = float(np.float32(V[jj]))
        if use_err:  # a pair whose error decides a tie (or a subnormal result) is rounded whole
            for jj in range(V.shape[0]):
                b = Vb[jj]
                if EV[jj] != 0.0 and (((b >> _F64_MAN) & _EXP_MAX) < lo or (b & low) == half):
                    R[jj] = round_pair(V[jj], EV[jj], frac, emin, emax, mode)
        if ftz:
            _ftz_all(R)
        return
    nfall = 0
    for jj in range(V.shape[0]):
        b = Vb[jj]
        nb, fall = _mask_round(b, mode, sh, low, half, lo, hi)
        if use_err:
            rem = b & low
            fall |= (EV[jj] != 0.0) & ((rem == 0) | ((mode == _RNE) & (rem == half)))
        nfall += fall
        Rb[jj] = nb
    if nfall:
        for jj in range(V.shape[0]):
            b = Vb[jj]
            ev = (b >> _F64_MAN) & _EXP_MAX
            rem = b & low
            fall = (ev < lo) | (ev > hi) | (((Rb[jj] >> _F64_MAN) & _EXP_MAX) > hi)
            if use_err:
                fall |= (EV[jj] != 0.0) & ((rem == 0) | ((mode == _RNE) & (rem == half)))
            if fall:
                R[jj] = round_pair(V[jj], EV[jj] if use_err else 0.0, frac, emin, emax, mode)
    if ftz:
        _ftz_all(R)


# ---- one fused sum over products or over items ----------------------------------------------------
@njit(cache=True, inline='always')
def _grid_pn(Sn, Pn, P):
    """Pn <- the scales P in Pn's dtype (capped at 2^126 in float32, where larger ones occur only in
    groups with no nonzero product); Sn <- 0."""
    hi, lo = (2.0**127, 2.0**-149) if Pn.itemsize == 4 else (math.inf, 0.0)  # the powers of two Pn holds
    for jj in range(Sn.shape[0]):
        v = P[jj]
        Pn[jj] = v if (v <= hi) & (v >= lo) else 2.0**126  # beyond float32: no nonzero product in this group
        Sn[jj] = 0


@njit(cache=True, inline='always')
def _products_grid(Sn, Pn, a, Bp, P, k0, k1, term):
    """Sn[j] = Σ_k term(a[k]·Bp[k, j]·P[j]) in Sn's dtype (P converted to Bp's dtype: a power
    of two, capped at 2^126 in float32, where larger ones occur only in groups with no nonzero
    product; float32 products only where ``api`` proved them exact and in range)."""
    _grid_pn(Sn, Pn, P)
    if term == _RTZ:
        _sum_rtz(Sn, a, Bp, Pn, k0, k1)
    elif term == _RDN:
        _sum_rdn(Sn, a, Bp, Pn, k0, k1)
    else:
        _sum_rto(Sn, a, Bp, Pn, k0, k1)


@njit(cache=True)
def _x_term(x, xe, e, F, xfrac, cdrop, term):
    """The grid term of an extra addend x (exponent xe) in a sum aligned at e: on its own grid
    2^(e - xfrac), in units of 2^(e - F); 0 when dropped (xe < e - cdrop)."""
    if cdrop >= 0 and xe != ZERO_EXP and xe < e - cdrop:
        return 0.0
    d = min(F - e, 1000)  # no nonzero term: any finite scale (x is then 0 or not finite)
    if xfrac == F:
        return _term(x * math.ldexp(1.0, d), term)
    return _term(x * math.ldexp(1.0, d + xfrac - F), term) * math.ldexp(1.0, F - xfrac)


@njit(cache=True)
def _products_sum(F, term, a, ea, Bp, EBp, k0, k1, X, has_x, xfrac, cdrop, E, XE, P, Q, S, Sn, Pn, V, EV,
                  exact_ok, neg0):
    """V <- the exact value of one fused sum of the products k0..k1 and (has_x) the addends X (the
    accumulator, or a chained result), E <- its alignment exponent. F < 0: an exact sum; EV[j]
    is then the two-sum error of the pair (V, EV), or inf where float64 could not hold the sum
    (the caller recomputes that column with the long accumulator). neg0: exact sums start from
    -0 (IEEE 754 zero signs) rather than +0."""
    W = V.shape[0]
    if F >= 0:
        if has_x:
            _exps_of(E, X)
        for jj in range(W):
            E[jj] = E[jj] if has_x else ZERO_EXP
            XE[jj] = E[jj]
        _block_exponents(E, ea, EBp, k0, k1)
        _grid_scales(E, F, P, Q)
        if has_x:
            if xfrac == F and cdrop < 0:
                _terms_of(S, X, P, term)
            else:
                for jj in range(W):
                    S[jj] = _x_term(X[jj], XE[jj], E[jj], F, xfrac, cdrop, term)
        else:
            for jj in range(W):
                S[jj] = 0.0
        _products_grid(Sn, Pn, a, Bp, P, k0, k1, term)
        for jj in range(W):
            V[jj] = (S[jj] + float(Sn[jj])) * Q[jj]
            EV[jj] = 0.0
        return 0
    for jj in range(W):
        V[jj] = -0.0 if neg0 else 0.0
        EV[jj] = 0.0
    _sum_exact(V, EV, a, Bp, k0, k1, not exact_ok)
    nbad = 0
    for jj in range(W):
        if EV[jj] != 0.0 and V[jj] - V[jj] == 0.0 and not (has_x and X[jj] - X[jj] != 0.0):
            EV[jj] = math.inf  # finite but not exact in float64 (a NaN / Inf sum or addend decides)
            nbad += 1
        elif has_x:
            s = V[jj] + X[jj]
            EV[jj] = _two_sum_err(V[jj], X[jj], s) if math.isfinite(s) else 0.0
            V[jj] = s
    return nbad


@njit(cache=True, inline='always')
def _items_grid(IV, IX, i0, m, F, term, E, P, Q, V):
    """V <- Σ_t term(IV[t]·P) over the items i0 <= t < i0 + m in order, from +0, on the grid of
    E <- max(E, IX[t]) (E holds the addend's exponent or ZERO_EXP on entry); P, Q its scales."""
    W = V.shape[0]
    for jj in range(W):
        V[jj] = 0.0
    for t in range(i0, i0 + m):
        row = IX[t]
        for jj in range(W):
            v = row[jj]
            E[jj] = E[jj] if E[jj] > v else v
    _grid_scales(E, F, P, Q)
    for t in range(i0, i0 + m):
        vals = IV[t]
        if term == _RTZ:
            for jj in range(W):
                V[jj] += np.trunc(vals[jj] * P[jj])
        elif term == _RDN:
            for jj in range(W):
                V[jj] += np.floor(vals[jj] * P[jj])
        else:
            for jj in range(W):
                V[jj] += _rto(vals[jj] * P[jj])


@njit(cache=True)
def _items_sum(F, term, IV, IX, i0, m, X, has_x, xfrac, cdrop, E, XE, P, Q, V, EV, neg0):
    """V <- one fused sum of the items IV[i0:i0+m] (alignment exponents IX) and (has_x) the
    addends X, as _products_sum (returns the number of columns left to the long accumulator)."""
    W = V.shape[0]
    if F >= 0:  # item by item across the columns (the loops over columns vectorise)
        if has_x:
            _exps_of(XE, X)
        for jj in range(W):
            E[jj] = XE[jj] if has_x else ZERO_EXP
        _items_grid(IV, IX, i0, m, F, term, E, P, Q, V)
        xs = math.ldexp(1.0, xfrac - F)
        xu = math.ldexp(1.0, F - xfrac)
        for jj in range(W):
            s = V[jj]
            if has_x and not (cdrop >= 0 and XE[jj] != ZERO_EXP and XE[jj] < E[jj] - cdrop):
                if xfrac == F:
                    s += _term(X[jj] * P[jj], term)
                else:  # the addend's own grid 2^(E - xfrac), in units of 2^(E - F)
                    s += _term(X[jj] * P[jj] * xs, term) * xu
            V[jj] = s * Q[jj]
            EV[jj] = 0.0
        return 0
    nt = m + (1 if has_x else 0)
    nbad = 0
    for jj in range(W):
        r = -0.0 if neg0 else 0.0
        err = 0.0
        bad = False
        for t in range(nt):
            y = IV[i0 + t, jj] if t < m else X[jj]
            s = r + y
            if math.isfinite(s):
                d = _two_sum_err(r, y, s)
                if d != 0.0:
                    if err != 0.0 or t < nt - 1:
                        bad = True
                    err = d
            r = s
        bad = bad and r - r == 0.0
        V[jj] = r
        EV[jj] = math.inf if bad else (err if r - r == 0.0 else 0.0)
        nbad += bad
    return nbad


@njit(cache=True)
def _add32(IV, i0, has_second, X, R, ftz, plus0):
    """R <- IV[i0] + (IV[i0+1] or X), two binary32 values added in binary32: one IEEE RNE
    rounding of the exact sum (zero signs as IEEE 754; +0 for an exact zero when plus0)."""
    for jj in range(R.shape[0]):
        y = IV[i0 + 1, jj] if has_second else X[jj]
        r = float(np.float32(IV[i0, jj]) + np.float32(y))
        if ftz:
            r = _ftz(r)
        if plus0 and r == 0.0:
            r = 0.0
        R[jj] = r


@njit(cache=True)
def _long_fix(L, V, EV, a, Bp, k0, k1, IV, i0, m, X, has_x, frac, emin, emax, mode, R):
    """Columns with EV = inf: the exact sum (products k0..k1 if k1 > k0, else items IV[i0:i0+m],
    plus X) in the long accumulator, rounded into R; other columns are left to the caller.
    Returns how many columns were done here."""
    done = 0
    for jj in range(V.shape[0]):
        if EV[jj] != math.inf:
            continue
        L[:] = 0
        if has_x:
            _long_add(L, X[jj])
        for k in range(k0, k1):
            _long_add(L, float(a[k]) * float(Bp[k, jj]))
        for t in range(i0, i0 + m):
            _long_add(L, IV[t, jj])
        R[jj] = _long_round(L, frac, emin, emax, mode)
        done += 1
    return done


@njit(cache=True)
def _finish(V, EV, R, mode, frac, emin, emax, ftz, plus0, exact):
    """R <- V (+ its pair error) rounded; where EV = inf, R already holds the long
    accumulator's result. plus0: an exactly zero sum is +0."""
    use_err = False
    if exact or plus0:
        for jj in range(V.shape[0]):
            if exact:
                if EV[jj] == math.inf:
                    V[jj] = R[jj]  # already rounded: rounding again changes nothing
                    EV[jj] = 0.0
                elif EV[jj] != 0.0:
                    use_err = True
            if plus0 and V[jj] == 0.0:
                V[jj] = 0.0
    _round_cols(V, EV, R, use_err, mode, frac, emin, emax, ftz)


# ---- one step ---------------------------------------------------------------------------------------
@njit(cache=True)
def _round32_fix(V, EV, R):
    """R holds float32(V); where a two-sum error EV could move V across a binary32 tie (V exactly
    a tie, or a binary32 subnormal), round the pair whole."""
    Vb = V.view(np.int64)
    lo = _F64_BIAS + _F32_EMIN
    low = (np.int64(1) << (_F64_MAN - _F32_FRAC)) - 1
    half = np.int64(1) << (_F64_MAN - _F32_FRAC - 1)
    nfix = 0
    for jj in range(V.shape[0]):
        b = Vb[jj]
        nfix += (EV[jj] != 0.0) & ((((b >> _F64_MAN) & _EXP_MAX) < lo) | ((b & low) == half))
    if nfix:
        for jj in range(V.shape[0]):
            b = Vb[jj]
            if EV[jj] != 0.0 and (((b >> _F64_MAN) & _EXP_MAX) < lo or (b & low) == half):
                R[jj] = round_pair(V[jj], EV[jj], _F32_FRAC, _F32_EMIN, _F32_EMAX, _RNE)


@njit(cache=True)
def _fma_row32(a, Bp, acc, ftz):
    """_fma_row for binary32 a and Bp (acc holds binary32 values): acc <- fmaf(a[k], Bp[k, j], acc)
    in binary32 for every k in order, four k per pass over the columns; FTZ flushes each result
    below 2^-126 to a zero of its sign."""
    W = acc.shape[0]
    K = a.shape[0]
    th = np.float32(_F32_MIN_NORMAL) if ftz else _F32_ZERO
    x32 = np.empty(W, np.float32)
    for jj in range(W):
        x32[jj] = np.float32(acc[jj])
    k = 0
    while k + 4 <= K:
        a0, a1, a2, a3 = np.float32(a[k]), np.float32(a[k + 1]), np.float32(a[k + 2]), np.float32(a[k + 3])
        r0, r1, r2, r3 = Bp[k], Bp[k + 1], Bp[k + 2], Bp[k + 3]
        for jj in range(W):
            x = _tree_ftz(_fma32(a0, np.float32(r0[jj]), x32[jj]), th)
            x = _tree_ftz(_fma32(a1, np.float32(r1[jj]), x), th)
            x = _tree_ftz(_fma32(a2, np.float32(r2[jj]), x), th)
            x32[jj] = _tree_ftz(_fma32(a3, np.float32(r3[jj]), x), th)
        k += 4
    for kk in range(k, K):
        av = np.float32(a[kk])
        row = Bp[kk]
        for jj in range(W):
            x32[jj] = _tree_ftz(_fma32(av, np.float32(row[jj]), x32[jj]), th)
    for jj in range(W):
        acc[jj] = float(x32[jj])


@njit(cache=True)
def _fma_row(a, Bp, acc, V, EV, ftz):
    """The sequential-FMA chain (n = 1, exact, RNE binary32): acc <- fmaf(a[k], Bp[k, j], acc)
    for every k, every column. s = acc + the exact product in float64, rounded to binary32; s's own
    rounding can move that result only where s lies on a binary32 tie or outside binary32's normal
    range, so only when some column is there (rare) is the step redone for the row with the
    two-sum error and those columns rounded whole (_round32_fix). Where a and Bp are binary32
    (``api`` narrows them when every value is one), the chain is binary32 FMAs themselves
    (_fma_row32)."""
    W = acc.shape[0]
    if Bp.itemsize == 4:
        _fma_row32(a, Bp, acc, ftz)
        return
    for k in range(a.shape[0]):
        av = float(a[k])
        row = Bp[k]
        nfix = 0
        for jj in range(W):
            p = av * float(row[jj])
            x = acc[jj]
            s = x + p
            r = float(np.float32(s))
            d = s - r
            t = r + 2.0 * d  # the other binary32 neighbour exactly when s is a binary32 tie
            # a superset of _round32_fix's columns (subnormal range, a tie, beyond the range), in
            # float arithmetic; that function then picks them by the bits
            near = (abs(s) < _F32_MIN_NORMAL) | (r - r != 0.0) | ((d != 0.0) & (float(np.float32(t)) == t))
            V[jj] = x
            acc[jj] = r
            nfix += near
        if nfix:
            for jj in range(W):
                x = V[jj]
                p = av * float(row[jj])
                s = x + p
                V[jj] = s
                EV[jj] = _two_sum_err(x, p, s) if s - s == 0.0 else 0.0
            _round32_fix(V, EV, acc)
        if ftz:
            _ftz_all(acc)


@njit(cache=True)
def _tree_row(a, Bp, acc, n, IV, ftz, plus0, final_plus0):
    """Pairwise trees of binary32 operations (AMD CDNA1/2): per step of n = 2^d products, each
    product rounded to binary32 (fmaf(a, b, +0) with plus0), the pairs added in binary32 level by
    level, then acc + tree in binary32; FTZ flushes every result below 2^-126 (sign kept). Every
    operation is one IEEE RNE binary32 rounding of an exact value (products are exact in float64)."""
    W = acc.shape[0]
    for k0 in range(0, a.shape[0], n):
        for t in range(n):
            av = float(a[k0 + t])
            row = Bp[k0 + t]
            for jj in range(W):
                p = av * float(row[jj])
                r = float(np.float32(p))
                if plus0 and p == 0.0:
                    r = 0.0
                if ftz:
                    r = _ftz(r)
                IV[t, jj] = r
        w = n
        while w > 1:
            for t in range(w // 2):
                for jj in range(W):
                    r = float(np.float32(IV[2 * t, jj]) + np.float32(IV[2 * t + 1, jj]))
                    if ftz:
                        r = _ftz(r)
                    IV[t, jj] = r
            w //= 2
        for jj in range(W):
            r = float(np.float32(acc[jj]) + np.float32(IV[0, jj]))
            if ftz:
                r = _ftz(r)
            if final_plus0 and r == 0.0:
                r = 0.0
            acc[jj] = r


@njit(cache=True, inline='always')
def _tree_ftz(r, th):
    """A binary32 tree result below th in magnitude (2^-126 under FTZ, 0 otherwise) becomes a zero
    of its sign; NaN stays NaN (arithmetic, not a branch)."""
    return r * (_F32_ONE if abs(r) >= th else _F32_ZERO)


@njit(cache=True, inline='always')
def _tree_leaf(av, a_zero, bv, plus0, th):
    """One product as a CDNA1/2 tree leaf, in binary32: fmaf(a, b, +0) is the binary32 product
    (the exact product of two binary32 values rounded once); +0 where the exact product is zero
    (a or b zero, the other finite) with plus0; then FTZ."""
    b = np.float32(bv)
    r = av * b
    if plus0 and (a_zero | (b == _F32_ZERO)) and r == r:
        r = _F32_ZERO
    return _tree_ftz(r, th)


@njit(cache=True)
def _tree_row_small(a, Bp, acc, n, ftz, plus0, final_plus0):
    """_tree_row for n = 2 and n = 4 with the whole step in one loop over the columns, in binary32
    arithmetic (each IEEE binary32 operation is _tree_row's float64-then-round): the same
    operations in the same order, the pairs (0,1), (2,3), then their sum, then acc + tree."""
    W = acc.shape[0]
    th = np.float32(_F32_MIN_NORMAL) if ftz else _F32_ZERO
    zf = _F32_ZERO if final_plus0 else np.float32(-0.0)  # + zf: +0 for a zero result with final_plus0
    for k0 in range(0, a.shape[0], n):
        a0, a1 = np.float32(a[k0]), np.float32(a[k0 + 1])
        z0, z1 = a0 == _F32_ZERO, a1 == _F32_ZERO
        b0, b1 = Bp[k0], Bp[k0 + 1]
        if n == 4:
            a2, a3 = np.float32(a[k0 + 2]), np.float32(a[k0 + 3])
            z2, z3 = a2 == _F32_ZERO, a3 == _F32_ZERO
            b2, b3 = Bp[k0 + 2], Bp[k0 + 3]
            for jj in range(W):
                s01 = _tree_ftz(_tree_leaf(a0, z0, b0[jj], plus0, th) + _tree_leaf(a1, z1, b1[jj], plus0, th), th)
                s23 = _tree_ftz(_tree_leaf(a2, z2, b2[jj], plus0, th) + _tree_leaf(a3, z3, b3[jj], plus0, th), th)
                s = _tree_ftz(s01 + s23, th)
                acc[jj] = float(_tree_ftz(np.float32(acc[jj]) + s, th) + zf)
        else:
            for jj in range(W):
                s = _tree_ftz(_tree_leaf(a0, z0, b0[jj], plus0, th) + _tree_leaf(a1, z1, b1[jj], plus0, th), th)
                acc[jj] = float(_tree_ftz(np.float32(acc[jj]) + s, th) + zf)


@njit(cache=True)
def _step(pg, a, ea, Bp, EBp, k0, k1, acc, ga, gea, GB, GEB, g0, E, XE, P, Q, S, Sn, Pn, V, EV, R, OV, IV, IX, JV, JX,
          L):
    """acc <- one step (products k0..k1; a whole step of pg[P_N] where there are stages) applied
    to acc, in every column."""
    W = acc.shape[0]
    n = k1 - k0
    emin, emax, ftz, zero = pg[P_EMIN], pg[P_EMAX], pg[P_FTZ] != 0, pg[P_ZERO]
    exact_ok = pg[P_EXACT64] != 0
    povf = pg[P_POVF] != 0
    nst = pg[P_NST]
    F, term = pg[P_F], pg[P_TERM]
    omode, ofrac = pg[P_OUTMODE], pg[P_OUTFRAC]
    f32 = emin == _F32_EMIN and emax == _F32_EMAX  # binary32 output mode
    if povf:
        for jj in range(W):
            OV[jj] = 0 if math.isfinite(acc[jj]) else 4
        _overflow_flags(OV, a, Bp, k0, k1)
    m = 0
    for st in range(nst):
        o = P_HEAD + st * S_LEN
        size, Fs, tm, rmode, sfrac = pg[o + S_SIZE], pg[o + S_F], pg[o + S_TERM], pg[o + S_RND], pg[o + S_OFRAC]
        chain, pzero = pg[o + S_CHAIN] != 0, pg[o + S_PZERO] != 0
        nextF = pg[o + S_LEN + S_F] if st + 1 < nst else F
        neg0 = zero == Z_IEEE and not pzero
        groups = (n if st == 0 else m) // size
        # exact sums of two binary32 values (results of a rounded stage) rounded RNE to binary32
        fast = Fs < 0 and rmode == _RNE and sfrac == _F32_FRAC and f32 and st > 0 and pg[o - S_LEN + S_RND] >= 0
        mo = 0
        for g in range(groups):
            prev = chain and g > 0
            done = False
            if st == 0:
                kk = k0 + g * size
                nbad = _products_sum(Fs, tm, a, ea, Bp, EBp, kk, kk + size, R, prev, Fs, -1, E, XE, P, Q, S, Sn, Pn,
                                     V, EV, exact_ok, neg0)
                if nbad:
                    _long_fix(L, V, EV, a, Bp, kk, kk + size, IV, 0, 0, R, prev, sfrac, emin, emax, rmode, R)
            elif fast and size + (1 if prev else 0) == 2:
                _add32(IV, g * size, size == 2, R, R, ftz, not neg0)
                done = True
            else:
                nbad = _items_sum(Fs, tm, IV, IX, g * size, size, R, prev, Fs, -1, E, XE, P, Q, V, EV, neg0)
                if nbad:
                    _long_fix(L, V, EV, a, Bp, 0, 0, IV, g * size, size, R, prev, sfrac, emin, emax, rmode, R)
            if rmode >= 0:
                if not done:
                    _finish(V, EV, R, rmode, sfrac, emin, emax, ftz, not neg0, Fs < 0)
                if not chain:
                    for jj in range(W):
                        JV[mo, jj] = R[jj]
                    if nextF >= 0:  # alignment exponents only where a grid sum reads them
                        _exps_of(JX[mo], R)
                    mo += 1
            elif st == 0 and pg[P_STAGED]:  # unrounded, times the block scales, aligned at their exponents
                gi = g0 + g
                for jj in range(W):
                    sa, sb = ga[gi], GB[gi, jj]
                    v = math.nan if (sa != sa or sb != sb) else V[jj] * sa * sb
                    JV[mo, jj] = v if v != 0.0 else 0.0
                    JX[mo, jj] = gea[gi] + GEB[gi, jj] if (v != 0.0 and math.isfinite(v)) else ZERO_EXP
                mo += 1
            else:  # unrounded: the exact sum, aligned at its group's E
                for jj in range(W):
                    v = V[jj]
                    JV[mo, jj] = v if v != 0.0 else 0.0
                    JX[mo, jj] = E[jj] if (v != 0.0 and math.isfinite(v)) else ZERO_EXP
                mo += 1
        if chain:
            for jj in range(W):
                JV[0, jj] = R[jj]
            if nextF >= 0:
                _exps_of(JX[0], R)
            mo = 1
        m = mo
        IV, JV = JV, IV
        IX, JX = JX, IX
    # ---- the last fused sum: the items (or the products) and the accumulator ----
    cfrac = F if pg[P_CFRAC] < 0 else pg[P_CFRAC]
    cdrop = pg[P_CDROP]
    neg0 = zero == Z_IEEE
    last_rounded = nst > 0 and pg[P_HEAD + (nst - 1) * S_LEN + S_RND] >= 0
    if last_rounded and F < 0 and m == 1 and omode == _RNE and ofrac == _F32_FRAC and f32:
        _add32(IV, 0, False, acc, acc, ftz, zero == Z_INEXACT)  # item + accumulator: one binary32 add
    else:
        if nst:
            nbad = _items_sum(F, term, IV, IX, 0, m, acc, True, cfrac, cdrop, E, XE, P, Q, V, EV, neg0)
            if nbad:
                _long_fix(L, V, EV, a, Bp, 0, 0, IV, 0, m, acc, True, ofrac, emin, emax, omode, R)
        else:
            nbad = _products_sum(F, term, a, ea, Bp, EBp, k0, k1, acc, True, cfrac, cdrop, E, XE, P, Q, S, Sn, Pn, V,
                                 EV, exact_ok, neg0)
            if nbad:
                _long_fix(L, V, EV, a, Bp, k0, k1, IV, 0, 0, acc, True, ofrac, emin, emax, omode, R)
        _finish(V, EV, R, omode, ofrac, emin, emax, ftz, zero == Z_INEXACT, F < 0)
        for jj in range(W):
            acc[jj] = R[jj]
    if povf:  # AMD: with no NaN/Inf input, a product >= 2^128 makes the step ±Inf (NaN for both signs)
        for jj in range(W):
            f = OV[jj]
            if (f & 3) and not (f & 4):
                acc[jj] = math.nan if (f & 3) == 3 else (math.inf if f & 1 else -math.inf)


@njit(cache=True, inline='always')
def _mask_loop(acc, V, S, Sn, Q, mode, frac, emin, emax):
    Ab = acc.view(np.int64)
    Vb = V.view(np.int64)
    sh, low, half, lo, hi = _mask_params(frac, emin, emax)
    nfall = 0
    for jj in range(acc.shape[0]):
        V[jj] = (S[jj] + float(Sn[jj])) * Q[jj]
        nb, fall = _mask_round(Vb[jj], mode, sh, low, half, lo, hi)
        Ab[jj] = nb
        nfall += fall
    return nfall


@njit(cache=True, inline='always')
def _mask_round_into(acc, V, S, Sn, Q, mode, frac, emin, emax):
    """acc <- V = (S + Sn)·Q rounded by a bit mask (_mask_round; the loop inlined with the mode a
    constant for rtz and rne); returns how many columns fell (round_int's job)."""
    if mode == _RTZ:
        return _mask_loop(acc, V, S, Sn, Q, _RTZ, frac, emin, emax)
    if mode == _RNE:
        return _mask_loop(acc, V, S, Sn, Q, _RNE, frac, emin, emax)
    return _mask_loop(acc, V, S, Sn, Q, mode, frac, emin, emax)


@njit(cache=True)
def _grid_step(F, term, a, ea, Bp, EBp, k0, k1, acc, E, P, Q, S, Sn, Pn, V, mode, frac, emin, emax, ftz):
    """acc <- one block FMA on the grid 2^(E-F) (no stages; the accumulator on the products' grid,
    never dropped; no product-overflow rule), rounded to the output in place: the bits of
    _products_sum + _finish for such programs, with their column passes fused (family 3)."""
    _exps_of(E, acc)
    _block_exponents(E, ea, EBp, k0, k1)
    _grid_scales(E, F, P, Q)
    _terms_of(S, acc, P, term)
    _products_grid(Sn, Pn, a, Bp, P, k0, k1, term)
    _grid_out(acc, S, Sn, Q, V, mode, frac, emin, emax, ftz)


@njit(cache=True)
def _grid_step_pair(F, term, a, ea, a2, ea2, Bp, EBp, k0, k1, acc, acc2, E, P, Q, S, Sn, Pn, V, E2, P2, Q2, S2, Sn2,
                    Pn2, V2, mode, frac, emin, emax, ftz):
    """:func:`_grid_step` for two rows of A (a with acc, E, ..., V; a2 with acc2, E2, ..., V2), their
    per-product passes over Bp and EBp shared (truncated terms; others run row by row). The arrays
    come one by one, not in tuples: unpacking a tuple of arrays costs atomic reference counts."""
    if term != _RTZ:
        _grid_step(F, term, a, ea, Bp, EBp, k0, k1, acc, E, P, Q, S, Sn, Pn, V, mode, frac, emin, emax, ftz)
        _grid_step(F, term, a2, ea2, Bp, EBp, k0, k1, acc2, E2, P2, Q2, S2, Sn2, Pn2, V2, mode, frac, emin, emax,
                   ftz)
        return
    _exps_of(E, acc)
    _exps_of(E2, acc2)
    _block_exponents_pair(E, E2, ea, ea2, EBp, k0, k1)
    _grid_scales(E, F, P, Q)
    _grid_scales(E2, F, P2, Q2)
    _terms_of(S, acc, P, term)
    _terms_of(S2, acc2, P2, term)
    _grid_pn(Sn, Pn, P)
    _grid_pn(Sn2, Pn2, P2)
    _sum_rtz_pair(Sn, Sn2, a, a2, Bp, Pn, Pn2, k0, k1)
    _grid_out(acc, S, Sn, Q, V, mode, frac, emin, emax, ftz)
    _grid_out(acc2, S2, Sn2, Q2, V2, mode, frac, emin, emax, ftz)


@njit(cache=True, inline='always')
def _grid_out(acc, S, Sn, Q, V, mode, frac, emin, emax, ftz):
    """acc <- the grid sum (S + Sn)·Q rounded to the output (the last part of _grid_step)."""
    W = acc.shape[0]
    if _rne32(mode, frac, emin, emax):
        for jj in range(W):  # binary32 RNE: the IEEE conversion (as _round_cols)
            acc[jj] = float(np.float32((S[jj] + float(Sn[jj])) * Q[jj]))
    elif _mask_round_into(acc, V, S, Sn, Q, mode, frac, emin, emax):
        Vb = V.view(np.int64)
        sh, low, half, lo, hi = _mask_params(frac, emin, emax)
        for jj in range(W):
            if _mask_round(Vb[jj], mode, sh, low, half, lo, hi)[1]:
                acc[jj] = round_pair(V[jj], 0.0, frac, emin, emax, mode)
    if ftz:
        _ftz_all(acc)


@njit(cache=True, inline='always')
def _group_grid_sum(F0, term0, a, ea, Bp, EBp, k0, k1, E, P, Q, Sn, Pn):
    """One first-stage group with no addend on its grid: E its alignment exponent, Sn the sum of
    its terms in units of Q = 2^(E - F0) (as _products_sum)."""
    for jj in range(E.shape[0]):
        E[jj] = ZERO_EXP
    _block_exponents(E, ea, EBp, k0, k1)
    _grid_scales(E, F0, P, Q)
    _products_grid(Sn, Pn, a, Bp, P, k0, k1, term0)


@njit(cache=True, inline='always')
def _finish_into(acc, V, EV, R, mode, frac, emin, emax, ftz, plus0):
    """acc <- V (a grid sum, no pair error) rounded as _finish(..., exact=False) does; binary32
    RNE in one loop: the IEEE conversion of V + z (z = +0 turns a zero sum into +0 with plus0;
    z = -0 changes nothing)."""
    if _rne32(mode, frac, emin, emax):
        z = 0.0 if plus0 else -0.0
        for jj in range(acc.shape[0]):
            acc[jj] = float(np.float32(V[jj] + z))
        if ftz:
            _ftz_all(acc)
        return
    _finish(V, EV, R, mode, frac, emin, emax, ftz, plus0, False)
    for jj in range(acc.shape[0]):
        acc[jj] = R[jj]


@njit(cache=True)
def _item_acc_rdn32(IV, IX, acc, F, cfrac, cdrop, plus0):
    """acc <- one item (values IV, alignment exponents IX) and the accumulator in one fused sum on
    the grid 2^(E-F), E = max(IX, acc's exponent), terms rounded down (the accumulator's on its grid
    2^(E - cfrac), dropped below E - cdrop when cdrop >= 0), the sum rounded to binary32 RNE (+0 for
    zero with plus0): the passes of _items_sum + _finish_into for such a sum (AMD CDNA3's last
    sum) in one loop over the columns."""
    xs = math.ldexp(1.0, cfrac - F)
    xu = math.ldexp(1.0, F - cfrac)
    z = 0.0 if plus0 else -0.0
    for jj in range(acc.shape[0]):
        v = IV[jj]
        ix = IX[jj]
        x = acc[jj]
        xe = _exp_of(x)
        e = xe if xe > ix else ix
        p = _pow2(F - e)
        keep = not (cdrop >= 0 and xe != ZERO_EXP and xe < e - cdrop)
        t = 0.0 + np.floor(v * p)
        acc[jj] = float(np.float32((t + (np.floor(x * p * xs) * xu if keep else 0.0)) * _pow2(e - F) + z))


@njit(cache=True)
def _grid2_step(F0, term0, F, term, cfrac, cdrop, a, ea, Bp, EBp, k0, k1, acc, E, XE, P, Q, S, Sn, Pn, V, EV, R,
                mode, frac, emin, emax, ftz, plus0):
    """acc <- one step of a two-level grid program (family 4: one unrounded first-stage group per
    step, then the group's exact sum and the accumulator in one fused sum on the grid 2^(E-F)):
    the bits of _step's _products_sum, _items_sum and _finish for such programs, fewer passes."""
    W = acc.shape[0]
    _group_grid_sum(F0, term0, a, ea, Bp, EBp, k0, k1, E, P, Q, Sn, Pn)
    if term == _RDN and _rne32(mode, frac, emin, emax) and not ftz:
        for jj in range(W):  # the group's sum (an item: +0 for zero, aligned at the group's E)
            v = (0.0 + float(Sn[jj])) * Q[jj]
            v = v if v != 0.0 else 0.0
            S[jj] = v
            XE[jj] = E[jj] if (v != 0.0) & (v - v == 0.0) else ZERO_EXP
        _item_acc_rdn32(S, XE, acc, F, cfrac, cdrop, plus0)
        return
    _exps_of(XE, acc)
    for jj in range(W):  # the group's sum (an item: +0 for zero, aligned at the group's E)
        v = (0.0 + float(Sn[jj])) * Q[jj]
        v = v if v != 0.0 else 0.0
        ix = E[jj] if (v != 0.0) & (v - v == 0.0) else ZERO_EXP
        S[jj] = v
        E[jj] = XE[jj] if XE[jj] > ix else ix
    _grid_scales(E, F, P, Q)
    xs = math.ldexp(1.0, cfrac - F)
    xu = math.ldexp(1.0, F - cfrac)
    # as _items_sum with one item and the accumulator on its own grid (xs = xu = 1 when cfrac = F;
    # 0 + item is never -0, so adding +0 for a dropped accumulator changes nothing)
    if term == _RDN:
        for jj in range(W):
            keep = not (cdrop >= 0 and XE[jj] != ZERO_EXP and XE[jj] < E[jj] - cdrop)
            t = 0.0 + np.floor(S[jj] * P[jj])
            V[jj] = (t + (np.floor(acc[jj] * P[jj] * xs) * xu if keep else 0.0)) * Q[jj]
            EV[jj] = 0.0
    else:
        for jj in range(W):
            keep = not (cdrop >= 0 and XE[jj] != ZERO_EXP and XE[jj] < E[jj] - cdrop)
            t = 0.0 + _term(S[jj] * P[jj], term)
            V[jj] = (t + (_term(acc[jj] * P[jj] * xs, term) * xu if keep else 0.0)) * Q[jj]
            EV[jj] = 0.0
    _finish_into(acc, V, EV, R, mode, frac, emin, emax, ftz, plus0)


@njit(cache=True)
def _grid_stages_step(F0, term0, size0, F1, term1, F, term, cfrac, cdrop, a, ea, Bp, EBp, k0, k1, acc, E, XE, P, Q, S,
                Sn, Pn, V, EV, R, IV, IX, mode, frac, emin, emax, ftz, plus0):
    """acc <- one step of a grid program with unrounded stages (family 6: CDNA3 FP8): the first
    stage's groups of size0 each summed on their grid (items), optionally one second-stage sum of
    all of them (F1 >= 0), then the items and the accumulator in one fused sum on the grid
    2^(E-F), rounded: the bits of _step's _products_sum, _items_sum and _finish for such programs,
    fewer passes."""
    W = acc.shape[0]
    m = (k1 - k0) // size0
    for g in range(m):  # first stage: each group's sum, an item (+0 for zero, aligned at its E)
        kk = k0 + g * size0
        _group_grid_sum(F0, term0, a, ea, Bp, EBp, kk, kk + size0, E, P, Q, Sn, Pn)
        vals, exps = IV[g], IX[g]
        for jj in range(W):
            v = (0.0 + float(Sn[jj])) * Q[jj]
            v = v if v != 0.0 else 0.0
            vals[jj] = v
            exps[jj] = E[jj] if (v != 0.0) & (v - v == 0.0) else ZERO_EXP
    if F1 >= 0:  # second stage: one fused sum of the m items (as _items_sum without an addend)
        for jj in range(W):
            E[jj] = ZERO_EXP
        _items_grid(IV, IX, 0, m, F1, term1, E, P, Q, V)
        vals, exps = IV[0], IX[0]
        for jj in range(W):
            v = V[jj] * Q[jj]
            v = v if v != 0.0 else 0.0
            vals[jj] = v
            exps[jj] = E[jj] if (v != 0.0) & (v - v == 0.0) else ZERO_EXP
        m = 1
    # the last sum: the items and the accumulator on its own grid (as _items_sum; xs = xu = 1 when
    # cfrac = F; the item sum starts at +0 and is never -0, so adding +0 for a dropped
    # accumulator changes nothing)
    if m == 1 and term == _RDN and _rne32(mode, frac, emin, emax) and not ftz:
        _item_acc_rdn32(IV[0], IX[0], acc, F, cfrac, cdrop, plus0)
        return
    _exps_of(XE, acc)
    for jj in range(W):
        E[jj] = XE[jj]
    _items_grid(IV, IX, 0, m, F, term, E, P, Q, V)
    xs = math.ldexp(1.0, cfrac - F)
    xu = math.ldexp(1.0, F - cfrac)
    if term == _RDN:
        for jj in range(W):
            keep = not (cdrop >= 0 and XE[jj] != ZERO_EXP and XE[jj] < E[jj] - cdrop)
            V[jj] = (V[jj] + (np.floor(acc[jj] * P[jj] * xs) * xu if keep else 0.0)) * Q[jj]
            EV[jj] = 0.0
    else:
        for jj in range(W):
            keep = not (cdrop >= 0 and XE[jj] != ZERO_EXP and XE[jj] < E[jj] - cdrop)
            V[jj] = (V[jj] + (_term(acc[jj] * P[jj] * xs, term) * xu if keep else 0.0)) * Q[jj]
            EV[jj] = 0.0
    _finish_into(acc, V, EV, R, mode, frac, emin, emax, ftz, plus0)


@njit(cache=True)
def _rounded_group_step(F0, term0, rmode0, rfrac0, plus0_0, neg0, a, ea, Bp, EBp, k0, k1, acc, E, P, Q, S, Sn, Pn, V,
                        EV, R, mode, frac, emin, emax, ftz, plus0):
    """acc <- one step of a program with one rounded first-stage group per step and an exact last
    sum (family 5: the RISC-V dot products): the group's fused sum on its grid rounded as the
    stage says, then item + accumulator exactly (a two-sum pair) rounded to the output; the bits
    of _step's _products_sum, _finish and _items_sum for such programs."""
    W = acc.shape[0]
    _group_grid_sum(F0, term0, a, ea, Bp, EBp, k0, k1, E, P, Q, Sn, Pn)
    for jj in range(W):
        V[jj] = (0.0 + float(Sn[jj])) * Q[jj]
        EV[jj] = 0.0
    _finish(V, EV, R, rmode0, rfrac0, emin, emax, ftz, plus0_0, False)
    z = -0.0 if neg0 else 0.0
    for jj in range(W):  # (±0 + item) + acc: the first addition is exact
        r = z + R[jj]
        x = acc[jj]
        t = r + x
        V[jj] = t
        EV[jj] = _two_sum_err(r, x, t) if t - t == 0.0 else 0.0
    _finish(V, EV, R, mode, frac, emin, emax, ftz, plus0, True)
    for jj in range(W):
        acc[jj] = R[jj]


@njit(cache=True)
def _promote(acc, reg, sa, SB, p, V, EV):
    """reg <- fmaf(float32(sa·SB[j, p]), acc, reg), one RNE rounding to binary32; acc <- 0."""
    W = acc.shape[0]
    for jj in range(W):
        s = float(np.float32(sa * SB[jj, p]))
        x = s * acc[jj]  # exact: two binary32 significands
        r = x + reg[jj]
        V[jj] = r
        EV[jj] = _two_sum_err(x, reg[jj], r) if math.isfinite(r) else 0.0
        acc[jj] = 0.0
    _round_cols(V, EV, reg, True, _RNE, _F32_FRAC, _F32_EMIN, _F32_EMAX, False)


@njit(cache=True)
def _buffers(pg, W, sn_proto, pn_proto):
    """Work arrays of one task."""
    nmax = max(pg[P_N], 1)
    return (np.empty(W, np.int32), np.empty(W, np.int32), np.empty(W), np.empty(W), np.empty(W),
            np.empty(W, sn_proto.dtype), np.empty(W, pn_proto.dtype), np.empty(W), np.empty(W), np.empty(W),
            np.empty(W, np.int32), np.zeros((nmax, W)), np.zeros((nmax, W), np.int32), np.zeros((nmax, W)),
            np.zeros((nmax, W), np.int32), np.zeros(_NL, np.int64))


@njit(cache=True)
def _family(pg):
    """Which row loop a program takes: 1 the sequential binary32 FMA chain (n = 1, exact, RNE
    binary32), 2 pairwise binary32 trees (exact stages of 1 then 2 items, every rounding RNE
    binary32, the last sum item + accumulator), 3 block FMAs on one grid (:func:`_grid_step`), 4 two-level
    grids with one group per step (:func:`_grid2_step`), 6 other grids with unrounded stages
    (:func:`_grid_stages_step`), 5 one rounded group per step and an exact
    last sum (:func:`_rounded_group_step`), 0 the general step."""
    if (pg[P_NST] == 0 and pg[P_F] >= 0 and (pg[P_CFRAC] < 0 or pg[P_CFRAC] == pg[P_F]) and pg[P_CDROP] < 0
            and pg[P_POVF] == 0 and pg[P_ZERO] != Z_INEXACT):
        return 3
    o = P_HEAD
    if (pg[P_NST] == 1 and pg[o + S_SIZE] == pg[P_N] and pg[o + S_F] >= 0 and pg[o + S_RND] < 0
            and pg[o + S_CHAIN] == 0 and pg[P_STAGED] == 0 and pg[P_F] >= 0 and pg[P_POVF] == 0):
        return 4
    o1 = o + S_LEN
    if (1 <= pg[P_NST] <= 2 and pg[o + S_SIZE] > 0 and pg[P_N] % pg[o + S_SIZE] == 0 and pg[o + S_F] >= 0
            and pg[o + S_RND] < 0 and pg[o + S_CHAIN] == 0 and pg[P_STAGED] == 0 and pg[P_F] >= 0
            and pg[P_POVF] == 0 and (pg[P_NST] == 1 or (pg[o1 + S_SIZE] * pg[o + S_SIZE] == pg[P_N]
                                                      and pg[o1 + S_F] >= 0 and pg[o1 + S_RND] < 0
                                                      and pg[o1 + S_CHAIN] == 0))):
        return 6
    f32 = pg[P_EMIN] == _F32_EMIN and pg[P_EMAX] == _F32_EMAX
    rne32 = pg[P_OUTMODE] == _RNE and pg[P_OUTFRAC] == _F32_FRAC and f32
    if (pg[P_NST] == 1 and pg[o + S_SIZE] == pg[P_N] and pg[o + S_F] >= 0 and pg[o + S_RND] >= 0
            and pg[o + S_CHAIN] == 0 and pg[P_STAGED] == 0 and pg[P_F] < 0 and pg[P_POVF] == 0 and not rne32):
        return 5  # (rne32: _step's one binary32 addition, whose zero signs differ)
    if not rne32 or pg[P_F] >= 0 or pg[P_POVF] != 0:
        return 0
    nst = pg[P_NST]
    if nst == 0:
        return 1 if pg[P_N] == 1 else 0
    for st in range(nst):
        o = P_HEAD + st * S_LEN
        if (pg[o + S_SIZE] != (1 if st == 0 else 2) or pg[o + S_F] >= 0 or pg[o + S_RND] != _RNE
                or pg[o + S_OFRAC] != _F32_FRAC or pg[o + S_CHAIN] != 0 or (st > 0 and pg[o + S_PZERO] != 0)):
            return 0
    return 2


@njit(cache=True)
def _own_row(pg, fam, a, Bp, acc, buf):
    """Every step of one row for the families with their own row loop (1, 2; no promotion)."""
    V, EV, IV = buf[7], buf[8], buf[11]
    K = a.shape[0]
    n = pg[P_N] if pg[P_N] > 0 else max(K, 1)
    if fam == 1:
        _fma_row(a, Bp, acc, V, EV, pg[P_FTZ] != 0)
    elif n == 2 or n == 4:
        _tree_row_small(a, Bp, acc, n, pg[P_FTZ] != 0, pg[P_HEAD + S_PZERO] != 0, pg[P_ZERO] == Z_INEXACT)
    else:
        _tree_row(a, Bp, acc, n, IV, pg[P_FTZ] != 0, pg[P_HEAD + S_PZERO] != 0, pg[P_ZERO] == Z_INEXACT)


@njit(cache=True)
def _steps(pg, A, EA, Bp, EBp, accs, regs, SA, SBp, GA, GEA, GBp, GEBp, buf):
    """Every step of the rows of A (h, K) against the packed columns Bp (K, W), step by step across
    the rows (a step's block of Bp stays in cache for all of them): accs (h, W) in and out; with
    promotion, regs (h, W) the promoted sums (gemm_kernel runs family 3 without promotion in
    _grid_task). Each family's step kernel is called from here directly: a call layer in between,
    with its thirty array arguments, cost up to a quarter of a short step. The caller owns every
    array; the kernels get them unowned (_unowned: no atomic reference counts per call)."""
    E, XE, P, Q, S, Sn, Pn, V, EV, R, OV, IV, IX, JV, JX, L = buf
    E, XE, P, Q, S, Sn, Pn, V = (_unowned(E), _unowned(XE), _unowned(P), _unowned(Q), _unowned(S), _unowned(Sn),
                                 _unowned(Pn), _unowned(V))
    EV, R, OV, IV, IX, JV, JX, L = (_unowned(EV), _unowned(R), _unowned(OV), _unowned(IV), _unowned(IX),
                                    _unowned(JV), _unowned(JX), _unowned(L))
    A, EA, Bp, EBp, accs, regs = _unowned(A), _unowned(EA), _unowned(Bp), _unowned(EBp), _unowned(accs), _unowned(regs)
    SA, SBp, GA, GEA, GBp, GEBp = _unowned(SA), _unowned(SBp), _unowned(GA), _unowned(GEA), _unowned(GBp), _unowned(GEBp)
    h, K = A.shape
    n = pg[P_N] if pg[P_N] > 0 else max(K, 1)
    promote = pg[P_PROMOTE]
    per = n // pg[P_HEAD + S_SIZE] if pg[P_NST] > 0 else 0  # first-stage groups per step
    fam = _family(pg)
    o = P_HEAD
    F, term, F0, term0 = pg[P_F], pg[P_TERM], pg[o + S_F], pg[o + S_TERM]
    cfrac = F if pg[P_CFRAC] < 0 else pg[P_CFRAC]
    omode, ofrac, emin, emax, ftz, inexact0 = (pg[P_OUTMODE], pg[P_OUTFRAC], pg[P_EMIN], pg[P_EMAX], pg[P_FTZ] != 0,
                                               pg[P_ZERO] == Z_INEXACT)
    F1 = pg[o + S_LEN + S_F] if pg[P_NST] == 2 else -1
    term1 = pg[o + S_LEN + S_TERM] if pg[P_NST] == 2 else 0
    step = 0
    for k0 in range(0, K, n):
        k1 = min(k0 + n, K)
        whole = k1 - k0 == n
        for r in range(h):
            a, ea, acc = A[r], EA[r], accs[r]
            if fam == 3:
                _grid_step(F, term, a, ea, Bp, EBp, k0, k1, acc, E, P, Q, S, Sn, Pn, V, omode, ofrac, emin, emax, ftz)
            elif fam == 4 and whole:
                _grid2_step(F0, term0, F, term, cfrac, pg[P_CDROP], a, ea, Bp, EBp, k0, k1, acc, E, XE, P, Q, S, Sn,
                            Pn, V, EV, R, omode, ofrac, emin, emax, ftz, inexact0)
            elif fam == 6 and whole:
                _grid_stages_step(F0, term0, pg[o + S_SIZE], F1, term1, F, term, cfrac, pg[P_CDROP], a, ea, Bp, EBp,
                                  k0, k1, acc, E, XE, P, Q, S, Sn, Pn, V, EV, R, IV, IX, omode, ofrac, emin, emax, ftz,
                                  inexact0)
            elif fam == 5 and whole:
                _rounded_group_step(F0, term0, pg[o + S_RND], pg[o + S_OFRAC],
                                    not (pg[P_ZERO] == Z_IEEE and pg[o + S_PZERO] == 0), pg[P_ZERO] == Z_IEEE, a, ea,
                                    Bp, EBp, k0, k1, acc, E, P, Q, S, Sn, Pn, V, EV, R, omode, ofrac, emin, emax, ftz,
                                    inexact0)
            else:
                _step(pg, a, ea, Bp, EBp, k0, k1, acc, GA[r], GEA[r], GBp, GEBp, step * per, E, XE, P, Q, S, Sn, Pn,
                      V, EV, R, OV, IV, IX, JV, JX, L)
            if promote and (k1 % promote == 0 or k1 == K):
                _promote(acc, regs[r], SA[r, (k1 - 1) // promote], SBp, (k1 - 1) // promote, V, EV)
        step += 1


@njit(cache=True)
def _grid_task(pg, A, EA, Bp, EBp, accs, E, P, Q, S, Sn, Pn, V, E2, P2, Q2, S2, Sn2, Pn2, V2):
    """_steps for family 3 without promotion: each step across the rows, two rows at a time
    (_grid_step_pair) where the steps are long; E2 .. V2: a pair's second row's work arrays. Its
    own loop, called from gemm_kernel itself: called from _steps, the same loop took 5-15% longer.
    The caller owns every array; the steps get them unowned."""
    A, EA, Bp, EBp, accs = _unowned(A), _unowned(EA), _unowned(Bp), _unowned(EBp), _unowned(accs)
    E, P, Q, S, Sn, Pn, V = _unowned(E), _unowned(P), _unowned(Q), _unowned(S), _unowned(Sn), _unowned(Pn), _unowned(V)
    E2, P2, Q2, S2, Sn2, Pn2, V2 = (_unowned(E2), _unowned(P2), _unowned(Q2), _unowned(S2), _unowned(Sn2),
                                    _unowned(Pn2), _unowned(V2))
    h, K = A.shape
    n = pg[P_N] if pg[P_N] > 0 else max(K, 1)
    pairs = n >= _PAIR_MIN_N
    F, term, omode, ofrac, emin, emax, ftz = (pg[P_F], pg[P_TERM], pg[P_OUTMODE], pg[P_OUTFRAC], pg[P_EMIN],
                                              pg[P_EMAX], pg[P_FTZ] != 0)
    for k0 in range(0, K, n):
        k1 = min(k0 + n, K)
        r0 = 0
        while pairs and r0 + 2 <= h:  # one pass over the step's block of Bp and EBp serves two rows
            r = r0
            r0 += 2
            _grid_step_pair(F, term, A[r], EA[r], A[r + 1], EA[r + 1], Bp, EBp, k0, k1, accs[r], accs[r + 1], E, P,
                            Q, S, Sn, Pn, V, E2, P2, Q2, S2, Sn2, Pn2, V2, omode, ofrac, emin, emax, ftz)
        for r in range(r0, h):
            _grid_step(F, term, A[r], EA[r], Bp, EBp, k0, k1, accs[r], E, P, Q, S, Sn, Pn, V, omode, ofrac, emin, emax,
                       ftz)


@njit(cache=True)
def _pair_buffers(buf):
    """A second row's work arrays for _grid_step_pair (as buf's E, P, Q, S, Sn, Pn, V)."""
    return (np.empty_like(buf[0]), np.empty_like(buf[2]), np.empty_like(buf[3]), np.empty_like(buf[4]),
            np.empty_like(buf[5]), np.empty_like(buf[6]), np.empty_like(buf[7]))


_JC = 256                     # output columns per gemm task at most (one packed chunk of B),
_JC_WIDE = 1024               # and for the two-level grids (families 4, 6), whose steps are short:
                              # a step's fixed cost (its column loops' set-up) spread over 4x the
                              # columns (docs/accumulation.md §5 has the figures)
_PAIR_MIN_N = 32              # family 3 runs rows in pairs for steps of this many products or more:
                              # a pair's work arrays and the step's block no longer fit L1 below it
                              # (docs/accumulation.md §5 has the figures)
_RT = 64                      # rows of A per task (they share the packed chunk)


def task_cols(pg, M, N):
    """The columns of a gemm task: _JC, or _JC_WIDE for the two-level grids (families 4, 6: short
    steps, whose column loops' fixed cost is then spread over 4x the columns) where every thread
    (Numba's configured count) still gets two tasks or more."""
    fam = _family(pg)
    tasks = -(-M // _RT) * -(-N // _JC_WIDE)
    return _JC_WIDE if (fam == 4 or fam == 6) and tasks >= 2 * config.NUMBA_NUM_THREADS else _JC


@njit(parallel=True, cache=True)
def gemm_kernel(pg, A, EA, B, EB, C, SA, SB, GA, GEA, GB, GEB, sn_proto, jc):
    """D = the model's C + A·B for A (M, K), B (K, N) (float32 or float64 values), their alignment
    exponents EA, EB, C (M, N); promotion scales SA (M, P), SB (N, P); first-stage block scales
    GA (M, G) / GEA (their exponents), GB (G, N) / GEB. sn_proto: a 0-size array whose dtype is
    the one product-grid sums are kept in (int32 where every term and sum is finite and below 2^31).

    Each task packs min(jc, N) columns of B (:func:`task_cols`; any jc gives the same bits) and
    their exponents contiguously and runs _RT rows of A through them: every step of the model is a
    loop across those columns."""
    M, K = A.shape
    N = B.shape[1]
    ni = (M + _RT - 1) // _RT
    fam = _family(pg)
    jc = max(min(jc, N), 1)
    nj = (N + jc - 1) // jc
    D = np.empty((M, N), np.float64)
    promote = pg[P_PROMOTE]
    G = GB.shape[0]
    for t in prange(ni * nj):
        i0 = (t // nj) * _RT
        j0 = (t % nj) * jc
        h = min(_RT, M - i0)
        w = min(jc, N - j0)
        Bp = np.zeros((K, jc), B.dtype)
        EBp = np.full((K, jc), ZERO_EXP, np.int32)
        for k in range(K):
            for jj in range(w):
                Bp[k, jj] = B[k, j0 + jj]
                EBp[k, jj] = EB[k, j0 + jj]
        GBp = np.ones((G, jc))
        GEBp = np.zeros((G, jc), np.int32)
        for g in range(G):
            for jj in range(w):
                GBp[g, jj] = GB[g, j0 + jj]
                GEBp[g, jj] = GEB[g, j0 + jj]
        SBp = np.ones((jc, SB.shape[1]))
        for jj in range(w):
            for p in range(SB.shape[1]):
                SBp[jj, p] = SB[j0 + jj, p]
        buf = _buffers(pg, jc, sn_proto, B[:0, 0])
        accs = np.zeros((h, jc))
        regs = np.zeros((h, jc))
        for r in range(h):
            for jj in range(w):
                c = C[i0 + r, j0 + jj]
                regs[r, jj] = c
                accs[r, jj] = 0.0 if promote else c
        if (fam == 1 or fam == 2) and not promote:
            for r in range(h):
                _own_row(pg, fam, A[i0 + r], Bp, accs[r], buf)
        elif fam == 3 and not promote:
            i1 = i0 + h
            E, P, Q, S, Sn, Pn, V = buf[0], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]
            E2, P2, Q2, S2, Sn2, Pn2, V2 = _pair_buffers(buf)
            _grid_task(pg, A[i0:i1], EA[i0:i1], Bp, EBp, accs, E, P, Q, S, Sn, Pn, V, E2, P2, Q2, S2, Sn2, Pn2, V2)
        else:
            i1 = i0 + h
            _steps(pg, A[i0:i1], EA[i0:i1], Bp, EBp, accs, regs, SA[i0:i1], SBp, GA[i0:i1], GEA[i0:i1], GBp, GEBp,
                   buf)
        for r in range(h):
            for jj in range(w):
                D[i0 + r, j0 + jj] = regs[r, jj] if promote else accs[r, jj]
    return D


@njit(parallel=True, cache=True)
def dot_kernel(pg, A, EA, B, EB, C, SA, SB, GA, GEA, GB, GEB, sn_proto):
    """D[r] = one dot product of rows A[r] and B[r] (shape (R, K)) from C[r]; GB, GEB (R, G) per
    row; otherwise as gemm_kernel (W = 1)."""
    R, K = A.shape
    D = np.empty(R, np.float64)
    promote = pg[P_PROMOTE]
    G = GB.shape[1]
    for r in prange(R):
        Bp = np.empty((K, 1), B.dtype)
        EBp = np.empty((K, 1), np.int32)
        for k in range(K):
            Bp[k, 0] = B[r, k]
            EBp[k, 0] = EB[r, k]
        GBp = np.empty((G, 1))
        GEBp = np.empty((G, 1), np.int32)
        for g in range(G):
            GBp[g, 0] = GB[r, g]
            GEBp[g, 0] = GEB[r, g]
        SBp = np.empty((1, SB.shape[1]))
        for p in range(SB.shape[1]):
            SBp[0, p] = SB[r, p]
        buf = _buffers(pg, 1, sn_proto, B[:0, 0])
        accs = np.empty((1, 1))
        regs = np.empty((1, 1))
        regs[0, 0] = C[r]
        accs[0, 0] = 0.0 if promote else C[r]
        fam = _family(pg)
        if (fam == 1 or fam == 2) and not promote:
            _own_row(pg, fam, A[r], Bp, accs[0], buf)
        else:
            _steps(pg, A[r:r + 1], EA[r:r + 1], Bp, EBp, accs, regs, SA[r:r + 1], SBp, GA[r:r + 1], GEA[r:r + 1], GBp,
                   GEBp, buf)
        D[r] = regs[0, 0] if promote else accs[0, 0]
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
SERIAL = {k: _serial_twin(k) for k in (gemm_kernel, dot_kernel, scan_kernel)}
