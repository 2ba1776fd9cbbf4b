"""Serial Numba fast path for the modes a lookup table cannot hold: the four stochastic rules
(caller bits) and HiF8 ``hybrid``, for float16/bfloat16/float32/float64 inputs.

Every such rounding picks one of two results, the value below and the value above, by a
decision on the discarded bits. Both results come from tables the generic path builds per key
(sign | exponent | leading significand bits | sticky, as ``_key_table``; every bit pattern for
16-bit sources the key cannot serve), packed with the shift below into one uint64 per key:

* *down*: the policy with ``stochastic`` and zero random bits (never rounds up, overflows as a
  stochastic mode does);
* *up*: ``rup`` for positive keys, ``rdn`` for negative ones (always rounds away when inexact,
  overflows as a stochastic mode does);
* for ``hybrid`` also *TA*: the policy with ``rna``, folded into the two results per key
  (``_tables``), so that every kernel picks result 0 or 1.

The decision reads the exact discarded part ``M mod 2^s``, where ``2^(E + s)`` is the quantum the
codec rounds at in the input's binade, probed from the codec (``_spacing_exponents``);
it is made by the Numba twins in ``core/rounding_nb.py``, held at the top of a uint64 word.
Flags come from the chosen table, the underflow bit from the tininess decision: the same rule
at the precision of the smallest normal binade with unbounded exponent (stochastic), TA's
(hybrid). The tests compare this path with the generic one, codes and flags, on the edge sets,
random bit patterns and random bits.

The loops are serial (thread- and fork-safe, as ``_gather``). Random bits are checked by the
front end's own checks; inputs the fast path does not take (NaN into a format without NaN under
``nan_to="error"``, float64 with more than 24 significant bits under ``hybrid``) make it return
None, and the generic path raises its usual error (or encodes them).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
from numba import njit

from ..core.rounding import MAX_SR_BITS, bit_length
from ..core.rounding_nb import (
    STOCHASTIC_RULES, bit_length_twin, hybrid_ssr_up_twin, stochastic_addend_twin, stochastic_up_twin,
)
from ..core.unpack import FINITE, unpack_float_bits
from ..policy import FLAG_OVERFLOW, FLAG_UNDERFLOW

__all__ = ["encode_fast"]

_UF = np.uint64(FLAG_UNDERFLOW)
_NOT_UF = np.uint64(0xFF ^ FLAG_UNDERFLOW)
_FO = np.uint64(FLAG_OVERFLOW)
_SIG = 24  # hybrid works on float32 significands


# ---- tables (built by the generic path) -------------------------------------------------------
def _key_width(codec, fmt, pol, src):
    """Leading significand bits of the key, or None where no key serves (generic path)."""
    t = codec.key_lead_bits(fmt, src.emin, replace(pol, rounding="rtz"))
    if t is not None and t <= src.man_bits:
        return t
    return src.man_bits if src.bits <= 16 else None  # 16-bit sources: every pattern


@lru_cache(maxsize=64)
def _spacing_exponents(codec, fmt, pol, lo, hi):
    """Per binade ``ev`` in lo..hi: the exponent ``Q`` of the quantum the codec rounds at in
    ``[2^ev, 2^(ev+1))``, found by the codec itself: ``x_j = 2^ev (1 + 2^-j)`` rounds up under
    ``stochastic`` with one random bit 1 (and not with 0) iff its discarded fraction is >= 1/2,
    i.e. only for ``j = ev - Q + 1``. No such j: every input of the binade is delivered alike
    (beyond the range), Q = ev. Below the smallest positive value (candidates 0 and it), Q is
    its exponent. None if the probe is not conclusive (no fast path)."""
    from . import decode_table

    v = decode_table(fmt)
    frac, e_tiny = np.frexp(float(np.min(v[np.isfinite(v) & (v > 0)])))
    if frac != 0.5:
        return None
    ev = np.arange(lo, hi + 1)
    probe = ev[ev >= e_tiny - 1]
    j = np.arange(1, 61)
    M = ((np.int64(1) << j) + 1)[None, :].repeat(probe.size, 0).ravel()
    E = (probe[:, None] - j[None, :]).ravel()
    neg, cls = np.zeros(M.size, bool), np.full(M.size, FINITE, np.int8)
    p = replace(pol, rounding="stochastic", overflow="ovf_inf")
    c0, _ = codec.encode_exact(fmt, neg, cls, M, E, p, np.zeros(M.size, np.int64), 1)
    c1, _ = codec.encode_exact(fmt, neg, cls, M, E, p, np.ones(M.size, np.int64), 1)
    up = (c0 != c1).reshape(probe.size, j.size)
    if (up.sum(1) > 1).any():
        return None
    q = np.where(ev < e_tiny - 1, e_tiny - 1, ev)
    q[ev >= e_tiny - 1] = np.where(up.any(1), probe - up.argmax(1), probe)
    return q.astype(np.int64)


def _shifts(codec, fmt, pol, src):
    """Discarded significand bits ``s`` per source exponent field (normal inputs) and per bit
    length of a subnormal input's significand, and the tininess offset ``delta`` (the quantum
    exponent of the smallest normal binade minus its exponent); None if not found."""
    bias = (1 << (src.exp_bits - 1)) - 1
    lo, hi = 1 - bias - src.man_bits, (1 << src.exp_bits) - bias
    lo, hi = min(lo, fmt.emin), max(hi, fmt.emin)
    q = _spacing_exponents(codec, fmt, pol, lo, hi)
    if q is None:
        return None
    e = np.arange(1 << src.exp_bits)
    s_norm = q[np.clip(e - bias, lo, hi) - lo] - (e - bias - src.man_bits)
    b = np.arange(src.man_bits + 1)
    E0 = 1 - bias - src.man_bits
    s_sub = q[np.clip(b - 1 + E0, lo, hi) - lo] - E0
    return s_norm, s_sub, int(q[fmt.emin - lo] - fmt.emin)


@lru_cache(maxsize=16)  # up to 2^21 keys x 8 bytes each (float32 -> fp16)
def _tables(codec, fmt, pol, src, t):
    """``(packed, s_sub, delta)`` for the kernels, or None; ``pol`` is the base policy (rounding
    ``stochastic`` or ``hybrid``). packed[key]: code 0 | code 1 << 16 | flags 0 << 32 |
    flags 1 << 40 | s << 48 | slow << 63 (fixed offsets: a kernel runs about 3x slower with
    the offsets in variables); the kernel picks result 1 where the decision rounds up.

    * stochastic: 0 = down, 1 = up; s (1..62) the significand bits discarded, the same for every
      input of the key (``stochastic_fraction_twin(M, s)`` is then ``M << (64 - s)``). Keys
      where it is not are *slow* (float64 past s = 62, subnormal keys whose inputs differ in
      s): the kernel redoes them with the twin on the unpacked input (s as ``_shifts``),
      unless both results agree. Flags carry ``_PENDING`` where the underflow flags differ.
    * hybrid (8-bit codes): where TA decides (its rule, or TA overflows), both are TA's; where
      SSR decides, down and up (SSR below half the smallest value: down twice), with TA's
      underflow bit; s (14..62) the bits of the 24-bit significand below the kept quantum."""
    hybrid = pol.rounding == "hybrid"
    shifts = _shifts(codec, fmt, pol, src)
    if shifts is None or (hybrid and np.dtype(fmt.code_dtype).itemsize > 1):
        return None
    s_norm, s_sub, delta = shifts
    sh = src.man_bits - t
    key = np.arange(1 << (1 + src.exp_bits + t + 1), dtype=np.uint64)
    pats = ((key >> np.uint64(1)) << np.uint64(sh)) | ((key & np.uint64(1)) if sh else np.uint64(0))
    neg, cls, M, E = unpack_float_bits(pats, src)
    e = ((key >> np.uint64(t + 1)) & np.uint64((1 << src.exp_bits) - 1)).astype(np.int64)

    def enc(rounding, rbits=None, n=0):
        c, f = codec.encode_exact(fmt, neg, cls, M, E, replace(pol, rounding=rounding), rbits, n)
        return c.astype(np.uint64), f.astype(np.uint64)

    (dc, df), (uc, uf), (rc, rf) = enc("stochastic", np.zeros(key.size, np.int64), 1), enc("rup"), enc("rdn")
    uc, uf = np.where(neg, rc, uc), np.where(neg, rf, uf)
    if not hybrid:
        agree = (dc == uc) & (df == uf)  # (exact, Inf, NaN, beyond the range): any decision
        s = s_norm[e]
        # subnormal inputs: s by the significand's bit length, where the key's lead bits fix it
        lead = ((key >> np.uint64(1)) & np.uint64((1 << t) - 1)).astype(np.int64)
        sub, below = e == 0, (e == 0) & (lead == 0) & ((key & np.uint64(1)) != 0)  # below: 1..sh bits
        s = np.where(sub, s_sub[np.where(lead > 0, bit_length(lead) + sh, 0)], s)
        s = np.where(below, s_sub[min(sh, 1)], s)
        slow = below & (s_sub[1:sh + 1] != s_sub[min(sh, 1)]).any()
        # past 62 the twin folds the low bits into a sticky bit: with at most 29 significand
        # bits neither that nor the fraction at s = 62 (< 2^(man_bits + 3) <= 2^(63 - 32)) rounds up
        slow |= (s > 62) & (src.man_bits + 3 > 63 - MAX_SR_BITS)
        slow &= ~agree
        s = np.where(slow, np.clip(s, 0, 0x7FFF), np.clip(s, 1, 62))  # (s <= 0: exact, agree)
        pend = np.where((df ^ uf) & _UF, _PENDING, np.uint64(0))
        df, uf = df | pend, uf | pend
    else:
        rule = _hybrid_rules(fmt, src)
        if rule is None:
            return None
        rule = rule[e]
        tc, tf = enc("rna")
        ssr = (rule != 0) & ((tf & _FO) == 0)  # SSR, unless TA overflows
        s = s_norm[e] - (src.man_bits + 1 - _SIG)  # of the 24-bit significand
        if (s < 14)[ssr & (rule == 1)].any():
            return None
        df, uf = (df & _NOT_UF) | (tf & _UF), (uf & _NOT_UF) | (tf & _UF)  # tininess: TA's
        uc, uf = np.where(rule == 1, uc, dc), np.where(rule == 1, uf, df)
        dc, df, uc, uf = (np.where(ssr, v, w) for v, w in ((dc, tc), (df, tf), (uc, tc), (uf, tf)))
        s, slow = np.clip(s, 14, 62), np.zeros(key.size, bool)
    packed = dc | uc << 16 | df << 32 | uf << 40 | s.astype(np.uint64) << 48 | slow.astype(np.uint64) << 63
    packed.setflags(write=False)
    return packed, s_sub, delta


def _hybrid_rules(fmt, src):
    """Per source exponent field: 0 TA, 1 SSR, 2 SSR below half the smallest value (HR's
    split, ``tapered._hybrid``); None if a subnormal source input could reach the format's
    range."""
    bias = (1 << (src.exp_bits - 1)) - 1
    e = np.arange(1 << src.exp_bits)
    ev = np.where(e == 0, src.emin - 1, e - bias)  # subnormals: at most this
    if src.emin - 1 >= fmt.emin_all - 1:
        return None
    rule = np.where(np.abs(ev) >= fmt.hybrid_ta_below, np.where(ev < fmt.emin_all - 1, 2, 1), 0)
    rule[-1] = 0  # Inf, NaN
    return rule.astype(np.uint64)


# ---- kernels ------------------------------------------------------------------------------------
# Each kernel runs over blocks of _BLOCK elements: a scalar loop gathers the packed entries, a
# second loop (no gather, no branch: LLVM vectorises it) makes the decisions and picks the
# results; the rare elements that need more (slow keys, the tininess decision) are redone after,
# in the same block, only where the block has any. About twice as fast as one fused loop.
_BLOCK = 512
_B32, _B40, _B48, _B63 = (np.uint64(k) for k in (32, 40, 48, 63))
_M8, _M16, _M15 = np.uint64(0xFF), np.uint64(0xFFFF), np.uint64(0x7FFF)
_PENDING = np.uint64(0x80)  # a flags bit no result uses
_PENDING_ANY = (_PENDING << _B32) | (_PENDING << _B40)


@njit(cache=True, inline="always")
def _gather(u, sh, packed, pb):
    """pb[j] = packed[key of u[j]] (the key as ``_key_table``)."""
    ush = np.uint64(sh)
    smask = (np.uint64(1) << ush) - np.uint64(1)
    for j in range(u.shape[0]):
        x = np.uint64(u[j])
        pb[j] = packed[((x >> ush) << np.uint64(1)) | np.uint64((x & smask) != 0)]


@njit(cache=True, inline="always")
def _pick(p, up, j, want_flags, out_c, out_f):
    """Result 1 of the packed entry where ``up``, else result 0."""
    k = np.uint64(up)
    out_c[j] = (p >> (k << np.uint64(4))) & _M16
    if want_flags:
        out_f[j] = (p >> (_B32 + (k << np.uint64(3)))) & _M8


@njit(cache=True)
def _unpack_twin(x, man_bits, exp_mask, p, s_sub, delta):
    """``(M, s, su)`` of the source bits ``x``: the significand, the bits the format discards
    and those the tininess rounding discards (twin of ``unpack_float_bits`` for finite x)."""
    f = np.int64(x & ((np.uint64(1) << np.uint64(man_bits)) - np.uint64(1)))
    if (x >> np.uint64(man_bits)) & np.uint64(exp_mask):  # (Inf and NaN: both results agree)
        return f | (np.int64(1) << man_bits), np.int64((p >> _B48) & _M15), man_bits + delta
    b = bit_length_twin(f)
    return f, s_sub[b], b - 1 + delta


@lru_cache(maxsize=None)
def _stochastic_kernel(rule):
    """The kernel for one rule (a compile-time constant: its addend folds to a shift or two).
    The decision is the carry of ``F + C`` (``stochastic_up_twin``), F the discarded bits at
    the top of the word (``stochastic_fraction_twin`` at the table's s). Random values lie in
    [0, 2^n) (``encode_fast`` checks). Redone per element: slow keys (the twin on the unpacked
    significand) and, with flags, the underflow flag of those marked ``_PENDING`` (the same
    rule, unbounded exponent)."""

    @njit(cache=True)
    def kernel(u, r, n, sh, man_bits, exp_mask, packed, s_sub, delta, want_flags, out_c, out_f):
        hidden = np.uint64(1) << np.uint64(man_bits)
        fmask, emask = hidden - np.uint64(1), np.uint64(exp_mask) << np.uint64(man_bits)
        pb = np.empty(_BLOCK, np.uint64)
        for i0 in range(0, u.shape[0], _BLOCK):
            i1 = min(i0 + _BLOCK, u.shape[0])
            uu, rr, oc, of = u[i0:i1], r[i0:i1], out_c[i0:i1], out_f[i0:i1]
            _gather(uu, sh, packed, pb)
            acc = np.uint64(0)
            for j in range(uu.shape[0]):
                x, p = np.uint64(uu[j]), pb[j]
                M = (x & fmask) | (hidden if x & emask else np.uint64(0))
                F = M << ((np.uint64(0) - (p >> _B48)) & _B63)  # M << (64 - s)
                _pick(p, F + stochastic_addend_twin(np.uint64(rr[j]), n, rule) < F, j, want_flags, oc, of)
                acc |= p
            if acc >> _B63:
                for j in range(uu.shape[0]):
                    if pb[j] >> _B63:
                        M, s, _ = _unpack_twin(np.uint64(uu[j]), man_bits, exp_mask, pb[j], s_sub, 0)
                        _pick(pb[j], stochastic_up_twin(M, s, np.int64(rr[j]), n, rule), j, want_flags, oc, of)
            if want_flags and acc & _PENDING_ANY:
                for j in range(uu.shape[0]):
                    if of[j] & _PENDING:
                        M, _, su = _unpack_twin(np.uint64(uu[j]), man_bits, exp_mask, pb[j], s_sub, delta)
                        tiny = pb[j] >> (_B40 if stochastic_up_twin(M, su, np.int64(rr[j]), n, rule) else _B32)
                        of[j] = (of[j] & _NOT_UF & ~_PENDING & _M8) | (tiny & _UF)

    return kernel


@njit(cache=True)
def _hybrid_kernel(u, sh, man_bits, packed, want_flags, out_c, out_f):
    """Inputs have at most 24 significant bits (``encode_fast`` checks). S: the 24-bit
    significand of a normal input (subnormals: keys where both results agree)."""
    fmask, hidden = (np.int64(1) << man_bits) - np.int64(1), np.int64(1) << man_bits
    wide = man_bits + 1 - _SIG  # source significand bits beyond 24 (float32: 0)
    pb = np.empty(_BLOCK, np.uint64)
    for i0 in range(0, u.shape[0], _BLOCK):
        i1 = min(i0 + _BLOCK, u.shape[0])
        uu, oc, of = u[i0:i1], out_c[i0:i1], out_f[i0:i1]
        _gather(uu, sh, packed, pb)
        for j in range(uu.shape[0]):
            S = ((np.int64(uu[j]) & fmask) | hidden) >> wide
            _pick(pb[j], hybrid_ssr_up_twin(S, np.int64((pb[j] >> _B48) & _M15)), j, want_flags, oc, of)


# ---- entry ----------------------------------------------------------------------------------------
def encode_fast(fmt, codec, pol, arr, src, rbits=None, srbits=None, want_flags=True):
    """Codes and flags (None unless ``want_flags``) of ``arr`` under a stochastic or ``hybrid``
    policy, equal to the generic path's; None where this path does not apply or the input
    needs the generic path's error."""
    from . import _check_rbit_values, _key_table_pays, _rbits_array

    hybrid = pol.rounding == "hybrid"
    if src.kind != "float" or not (pol.is_stochastic or (hybrid and src.bits >= 32)):
        return None
    if hybrid and getattr(fmt, "hybrid_ta_below", None) is None:
        return None
    t = _key_width(codec, fmt, pol, src)
    if t is None or (src.bits > 16 and not _key_table_pays(2 + src.exp_bits + t, arr.size)):
        return None
    if pol.is_stochastic:
        r, n = _rbits_array(rbits, srbits, arr.shape)
        _check_rbit_values(r, n)
        if not r.dtype.isnative:
            r = r.astype(r.dtype.newbyteorder("="))
    if not fmt.has_nan and pol.nan_to == "error":
        if np.isnan(arr).any():
            return None  # the generic path raises its error
        pol = replace(pol, nan_to="zero")
    tables = _tables(codec, fmt, replace(pol, rounding="hybrid" if hybrid else "stochastic"), src, t)
    if tables is None:
        return None
    packed, s_sub, delta = tables
    u = arr.reshape(-1).view(src.uint)
    out_c = np.empty(u.size, fmt.code_dtype)
    out_f = np.empty(u.size if want_flags else 0, np.uint8)
    sh = src.man_bits - t
    if hybrid:
        wide = src.man_bits + 1 - _SIG
        if wide > 0:
            low = (u & src.uint((1 << wide) - 1)) != 0
            if low.any() and (low & ~np.isnan(arr.reshape(-1))).any():
                return None  # more than 24 significant bits: the generic path (it may raise)
        _hybrid_kernel(u, sh, src.man_bits, packed, want_flags, out_c, out_f)
        return out_c, (out_f if want_flags else None)
    kernel = _stochastic_kernel(STOCHASTIC_RULES[pol.rounding])
    kernel(u, r, n, sh, src.man_bits, (1 << src.exp_bits) - 1, packed, s_sub, delta, want_flags, out_c, out_f)
    return out_c, (out_f if want_flags else None)
