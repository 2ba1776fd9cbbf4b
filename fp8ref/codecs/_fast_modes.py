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
* for ``hybrid`` also *TA*: the policy with ``rna``.

The decision reads the exact discarded part ``M mod 2^s``, where ``2^(E + s)`` is the quantum the
codec rounds at in the input's binade, probed from the codec (``_spacing_exponents``);
it is made by the Numba twins in ``core/rounding_nb.py``. Flags come from the chosen table, the
underflow bit from the tininess decision: the same rule at the precision of the smallest normal
binade with unbounded exponent (stochastic), TA's (hybrid). The tests compare this path with the
generic one, codes and flags, on the edge sets, random bit patterns and random bits.

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

from ..core.rounding_nb import STOCHASTIC_RULES, bit_length_twin, hybrid_ssr_up_twin, stochastic_up_twin
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
    """``(packed, s_sub, delta)`` for the kernels, or None; ``pol`` is the base policy
    (rounding ``stochastic`` or ``hybrid``). packed[key], stochastic: down code | up code << 16 |
    down flags << 32 | up flags << 40 | s << 48 (fixed offsets: the kernel runs about 3x
    slower with the offsets in variables). hybrid (8-bit codes): TA code | TA flags << 8 |
    down code << 16 | down flags << 24 | up code << 32 | up flags << 40 | s24 << 48 | rule << 56,
    rule 0 TA, 1 SSR, 2 SSR below half the smallest value (-> 0), s24 the bits of the 24-bit
    significand below the kept quantum."""
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

    dc, df = enc("stochastic", np.zeros(key.size, np.int64), 1)
    (uc, uf), (rc, rf) = enc("rup"), enc("rdn")
    uc, uf = np.where(neg, rc, uc), np.where(neg, rf, uf)
    if not hybrid:
        s = np.clip(s_norm[e], 0, 0xFFFF).astype(np.uint64)
        packed = dc | uc << 16 | df << 32 | uf << 40 | s << 48
    else:
        rule = _hybrid_rules(fmt, src)
        if rule is None:
            return None
        tc, tf = enc("rna")
        s24 = np.clip(s_norm - (src.man_bits + 1 - _SIG), 0, 0xFF).astype(np.uint64)  # of the 24-bit S
        packed = tc | tf << 8 | dc << 16 | df << 24 | uc << 32 | uf << 40 | s24[e] << 48 | rule[e] << 56
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
_B0, _B8, _B16, _B32, _B40, _B48, _B56 = (np.uint64(k) for k in (0, 8, 16, 32, 40, 48, 56))
_M8, _M16 = np.uint64(0xFF), np.uint64(0xFFFF)
_PENDING = np.uint64(0x80)  # a flags bit no result uses


@njit(cache=True)
def _unpack_twin(x, man_bits, exp_mask, p, s_sub, delta):
    """``(M, s, su)`` of the source bits ``x``: the significand, the bits the format discards
    and those the tininess rounding discards (twin of ``unpack_float_bits`` for finite x)."""
    f = np.int64(x & ((np.uint64(1) << np.uint64(man_bits)) - np.uint64(1)))
    if (x >> np.uint64(man_bits)) & np.uint64(exp_mask):  # (Inf and NaN: both results agree)
        return f | (np.int64(1) << man_bits), np.int64(p >> _B48), man_bits + delta
    b = bit_length_twin(f)
    return f, s_sub[b], b - 1 + delta


@njit(cache=True)
def _stochastic_kernel(u, r, n, rule, sh, man_bits, exp_mask, packed, s_sub, delta, want_flags, out_c, out_f):
    """Random values lie in [0, 2^n) (``encode_fast`` checks). Elements whose underflow flag
    needs the tininess decision are marked in out_f for ``_tininess_pass`` (a second call to
    the twin in this loop costs a fifth of its speed)."""
    one = np.uint64(1)
    ush = np.uint64(sh)
    smask = (one << ush) - one
    for i in range(u.shape[0]):
        x = np.uint64(u[i])
        rv = np.int64(r[i])
        p = packed[((x >> ush) << one) | np.uint64((x & smask) != 0)]
        M, s, _ = _unpack_twin(x, man_bits, exp_mask, p, s_sub, delta)
        up = stochastic_up_twin(M, s, rv, n, rule)
        out_c[i] = (p >> (_B16 if up else _B0)) & _M16
        if want_flags:
            fd, fu = (p >> _B32) & _M8, (p >> _B40) & _M8
            out_f[i] = (fu if up else fd) | (_PENDING if (fd ^ fu) & _UF else _B0)


@njit(cache=True)
def _tininess_pass(u, r, n, rule, sh, man_bits, exp_mask, packed, s_sub, delta, out_f):
    """The underflow flag of the marked elements: the same rule, unbounded exponent."""
    one = np.uint64(1)
    ush = np.uint64(sh)
    smask = (one << ush) - one
    for i in range(u.shape[0]):
        if out_f[i] & _PENDING:
            x = np.uint64(u[i])
            p = packed[((x >> ush) << one) | np.uint64((x & smask) != 0)]
            M, _, su = _unpack_twin(x, man_bits, exp_mask, p, s_sub, delta)
            tiny = p >> (_B40 if stochastic_up_twin(M, su, np.int64(r[i]), n, rule) else _B32)
            out_f[i] = (out_f[i] & _NOT_UF & _M8 & ~_PENDING) | (tiny & _UF)


@njit(cache=True)
def _hybrid_kernel(u, sh, man_bits, exp_mask, packed, want_flags, out_c, out_f):
    """Inputs have at most 24 significant bits (``encode_fast`` checks). The SSR/TA choice is a
    select, not a branch: it follows the data."""
    one = np.uint64(1)
    ush = np.uint64(sh)
    smask, fmask = (one << ush) - one, (one << np.uint64(man_bits)) - one
    hidden = np.int64(1) << man_bits
    wide = man_bits + 1 - _SIG  # source significand bits beyond 24 (float32: 0)
    for i in range(u.shape[0]):
        x = np.uint64(u[i])
        p = packed[((x >> ush) << one) | np.uint64((x & smask) != 0)]
        ta_f = (p >> _B8) & _M8
        rule = p >> _B56
        ssr = (rule != 0) & ((ta_f & _FO) == 0)  # SSR, unless TA overflows (zero: all agree)
        # S: the 24-bit significand (of normal inputs; subnormals are rule 2 or TA: not read)
        S = (np.int64(x & fmask) | hidden) >> wide
        up = hybrid_ssr_up_twin(S, np.int64((p >> _B48) & _M8)) & (rule == 1)
        q = p >> (_B16 << np.uint64(up))  # down (16) or up (32)
        pick = np.uint64(0) - np.uint64(ssr)  # all ones where SSR decides
        c = (p ^ ((p ^ q) & pick)) & _M8
        fl = ta_f ^ ((ta_f ^ (((q >> _B8) & _M8 & _NOT_UF) | (ta_f & _UF))) & pick)  # tininess: TA's
        out_c[i] = c
        if want_flags:
            out_f[i] = fl


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
    layout = (src.man_bits - t, src.man_bits, (1 << src.exp_bits) - 1, packed)
    if hybrid:
        wide = src.man_bits + 1 - _SIG
        if wide > 0:
            low = (u & src.uint((1 << wide) - 1)) != 0
            if low.any() and (low & ~np.isnan(arr.reshape(-1))).any():
                return None  # more than 24 significant bits: the generic path (it may raise)
        _hybrid_kernel(u, *layout, want_flags, out_c, out_f)
    else:
        rule = STOCHASTIC_RULES[pol.rounding]
        _stochastic_kernel(u, r, n, rule, *layout, s_sub, delta, want_flags, out_c, out_f)
        if want_flags:
            _tininess_pass(u, r, n, rule, *layout, s_sub, delta, out_f)
    return out_c, (out_f if want_flags else None)
