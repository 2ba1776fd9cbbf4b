"""Tapered codec (HiFloat8 and :class:`~fp8ref.formats.tapered.TaperedFormat` variants).

Encoding a finite ``|x| = M * 2^E`` works per binade: ``ev = floor(log2 |x|)``; the binade
``[2^ev, 2^(ev+1))`` has mantissa width ``m(ev)`` (HiF8: 3 for |e| <= 3, 2 for 4..7, 1 for
8..15, 0 in the DML binades 2^-22..2^-16). ``round_shift`` keeps ``m`` fraction bits; the kept
significand ``k`` maps to ``base(ev) + k - 2^m`` (``base`` = code of ``2^ev``) and a carry
(``k = 2^(m+1)``) to ``base(ev + 1)``. This equals rounding in the value set, because every
binade's upper end is representable. Below the smallest value ``2^emin_all`` the candidates are
0 and ``2^emin_all`` (HiF8: 2^-22, decision point 2^-23). A result landing on the Inf slot
(HiF8 0x6F, the would-be 1.5 * 2^15) or beyond the top binade overflows: TA overflows from
40960 = 1.25 * 2^15 on.

Rounding (``policy.rounding``):

* ``rna`` — TA, ties away from zero: HiF8's rounding (paper §3, en_dtypes, CANN
  ``CAST_ROUND``), and the default for this kind of format (``default_rounding``): an
  ``encode(x, "hif8")`` naming no rounding and no preset uses it. See docs/formats_hif8.md.
* ``rne`` ties to the even *code*; between 0 and the smallest value the non-zero candidate's
  code parity decides (HiF8: 0x01 is odd, so 2^-23 -> 0).
* ``rtz``, ``rup``, ``rdn``, ``rto`` and the ``stochastic*`` modes (caller bits, see
  ``round_shift``) at the binade's quantum.
* ``hybrid`` — HR as the CANN simulator's ``CAST_HYBRID``: TA where the input's
  ``|floor(log2 |x|)| < 4`` (``fmt.hybrid_ta_below``) or where TA overflows; elsewhere "SSR"
  on the input's 24-bit (float32) significand S: the discarded part r (the low ``s`` bits of
  S, ``s >= 14``) rounds up iff ``F14 >= T14`` with ``F14 = r >> (s - 14)`` and
  ``T14 = r & 0x3FFF``, and an exact input (r = 0) stays exact. Inputs below half the smallest
  value (HiF8: ``|x| < 2^-23``) become 0. Inputs must have a float32-representable
  significand (float16/bfloat16/float32 data, or float64 with ``input_path="via_float32"``).

Overflow: ``ovf_inf`` (default; en_dtypes and the CANN host codec) → ±Inf (NaN in a variant
without Inf), ``sat_finite`` → ±max (Ascend hardware's ``Cast`` default, "溢出默认按照饱和处理";
Inf inputs → ±max too), ``sat_propagate`` → ±max for finite overflow, Inf stays Inf. ``rtz`` and
the direction away from the overflow saturate as in IEEE. NaN → 0x80 (the only NaN; every
``nan`` policy gives it). A zero result is always 0x00, whatever the sign.

Flags (core rules): inexact, overflow, underflow (tiny: ``after`` = the value rounded at the
smallest normal binade's precision with an unbounded exponent is below ``2^emin`` (HiF8
2^-15); ``before`` = ``|x| < 2^emin``), invalid for signalling NaNs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._deprecation import warn_renamed
from ..core.rounding import bit_length, floor_log2, round_shift
from ..core.unpack import FINITE
from ..formats import get_format
from ..formats.builtin import ALIASES as _ALIASES, registration_shim
from ..formats.tapered import HIF8, TaperedFormat, codes_by_value
from ..policy import FLAG_INEXACT, FLAG_OVERFLOW, FLAG_UNDERFLOW, Policy, Preset
from ._no_value import check
from .ieee import overflow_to_max, special_results

__all__ = [
    "encode_exact", "decode_table", "key_lead_bits", "HIF8", "TaperedFormat",
    "codes_by_value", "TA_POLICY", "HR_POLICY", "SAT_POLICY", "PRESET", "ALIASES",
]

kind = "tapered"
default_rounding = "rna"  # TA: what HiF8 defines, en_dtypes and CANN do

#: TA (HiF8's rounding), overflow to Inf: en_dtypes / CANN host codec behaviour
TA_POLICY = Policy(rounding="rna")
#: HR (CANN ``CAST_HYBRID``)
HR_POLICY = Policy(rounding="hybrid")
#: TA, saturating: Ascend hardware ``Cast`` to hifloat8_t
SAT_POLICY = Policy(rounding="rna", overflow="sat_finite")
#: a preset for the integrator to add to ``fp8ref.policy.PRESETS`` (not registered here)
PRESET = Preset(
    "hif8_ta",
    TA_POLICY,
    source="HiF8 TA (arXiv:2409.16626 §3; en_dtypes 0.0.4 numpy casts; CANN fp32_to_hif8 default): "
    "round half away from zero, overflow to ±Inf, NaN 0x80",
)

_HR_BITS = 14  # F14 / T14
_SIG = 24  # HR works on float32 significands


@lru_cache(maxsize=None)
def _binade_arrays(fmt):
    """(lo, hi, mbits[e - lo], base[e - lo]) for e in lo..hi+1; base[hi+1] = -1 (overflow)."""
    lo, hi = fmt.emin_all, fmt.emax
    mb = np.array([fmt._binades[e][0] for e in range(lo, hi + 1)] + [0], dtype=np.int64)
    base = np.array([fmt._binades[e][1] for e in range(lo, hi + 1)] + [-1], dtype=np.int64)
    return lo, hi, mb, base


def key_lead_bits(fmt, src_emin: int, policy=None):
    """Widest mantissa + guard bit, for sources whose normal range covers every decision point
    (down to half the smallest value); None for ``hybrid``, which reads every significand bit."""
    if policy is not None and policy.rounding == "hybrid":
        return None
    return fmt.man_bits + 1 if fmt.emin_all - 1 >= src_emin else None


def decode_table(fmt) -> np.ndarray:
    out = np.empty(fmt.num_codes, dtype=np.float64)
    for c in range(fmt.num_codes):
        out[c] = float(fmt.exact_value(c))
    return out


def _round(fmt, neg, M, E, ev, mode, rbits, srbits):
    """(magnitude code or -1, zero result, overflow, inexact) for finite inputs, one mode."""
    lo, hi, mbt, bt = _binade_arrays(fmt)
    below = ev < lo
    te = np.clip(ev, lo, hi + 1)
    i = te - lo
    m = np.where(below, 0, mbt[i])
    base = bt[i]
    kept, inexact = round_shift(M, te - m - E, neg, mode, rbits=rbits, nbits=srbits, parity_offset=base - (1 << m))
    return _place(fmt, kept, m, i, ev, inexact)


def _place(fmt, kept, m, i, ev, inexact):
    lo, hi, mbt, bt = _binade_arrays(fmt)
    one = np.int64(1) << m
    carry = kept >= 2 * one
    mag = np.where(carry, bt[np.minimum(i + 1, len(bt) - 1)], bt[i] + kept - one)
    zero = (kept == 0) & (ev <= hi)
    over = (ev > hi) | ((mag < 0) & ~zero)
    if fmt.inf_mag is not None:
        over |= mag == fmt.inf_mag
    return np.where(zero, 0, mag), zero, over, inexact


def _significand24(M, E, ev):
    """Each input's 24-bit significand S (value = S * 2^(ev - 23)); ValueError if wider."""
    bl = bit_length(M)
    wide = bl > _SIG
    sh = np.where(wide, bl - _SIG, 0)
    if (wide & ((M & ((np.int64(1) << sh) - 1)) != 0)).any():
        raise ValueError(
            "rounding 'hybrid' is defined on float32 significands; this input has more than 24 "
            "significant bits (pass float32 data or input_path='via_float32')"
        )
    return np.where(wide, M >> sh, M << np.clip(_SIG - bl, 0, None))


def _hybrid(fmt, neg, M, E, ev, fin):
    mag, zero, over, inexact = _round(fmt, neg, M, E, ev, "rna", None, 0)
    lo, hi, mbt, bt = _binade_arrays(fmt)
    ssr = fin & (np.abs(ev) >= fmt.hybrid_ta_below) & ~over
    if not ssr.any():
        return mag, zero, over, inexact
    idx = np.flatnonzero(ssr)
    Mi, Ei, evi = M[idx], E[idx], ev[idx]
    S = _significand24(Mi, Ei, evi)
    below = evi < lo
    te = np.clip(evi, lo, hi + 1)
    i = te - lo
    m = np.where(below, 0, mbt[i])
    s = te - m - (evi - (_SIG - 1))  # bits of S below the kept quantum
    s_c = np.clip(s, 1, 62)
    if (s_c < _HR_BITS).any():
        raise ValueError(f"rounding 'hybrid' needs at least {_HR_BITS} discarded bits; {fmt.name} keeps too many")
    r = S & ((np.int64(1) << s_c) - 1)
    kept = (S >> s_c) + ((r >> (s_c - _HR_BITS)) >= (r & ((1 << _HR_BITS) - 1))) * (r != 0)
    mg, zr, ov, _ = _place(fmt, kept, m, i, evi, r != 0)
    tiny = evi < lo - 1  # below half the smallest value: 0 (CANN: e <= -24 -> 0)
    mg, zr, ov = np.where(tiny, 0, mg), zr | tiny, ov & ~tiny
    mag[idx], zero[idx], over[idx], inexact[idx] = mg, zr, ov, r != 0
    inexact[idx] |= tiny
    return mag, zero, over, inexact


def encode_exact(fmt, neg, cls, M, E, policy, rbits=None, srbits=0, errors="raise"):
    """Encode ``(-1)^neg * M * 2^E`` (flat arrays) to codes (int64) and flags (uint8);
    ``errors`` as in :func:`fp8ref.codecs.ieee.encode_exact`."""
    neg = np.asarray(neg, dtype=bool)
    M = np.asarray(M, dtype=np.int64)
    E = np.asarray(E, dtype=np.int64)
    fin = cls == FINITE
    ev = np.where(fin, floor_log2(M, E), 0)
    Mf = np.where(fin, M, 1)
    mode = policy.rounding
    if mode == "hybrid":
        mag, zero, over, inexact = _hybrid(fmt, neg, Mf, E, ev, fin)
    else:
        mag, zero, over, inexact = _round(fmt, neg, Mf, E, ev, mode, rbits, srbits)

    # tininess at the smallest normal binade's precision, exponent unbounded
    emin = fmt.emin
    sub = fin & (ev < emin)
    if policy.tininess == "before":
        tiny = sub
    else:
        mn = fmt.mantissa_bits(emin)
        rm = "rna" if mode == "hybrid" else mode
        kept_u, _ = round_shift(Mf, ev - mn - E, neg, rm, rbits=rbits, nbits=srbits)
        tiny = sub & ((ev < emin - 1) | (kept_u < (2 << mn)))

    over &= fin
    to_max = overflow_to_max(policy, neg)
    if fmt.inf_mag is not None:
        mag = np.where(over, np.where(to_max, fmt.max_code_mag, fmt.inf_mag), mag)
    else:
        mag = np.where(over, np.where(to_max, fmt.max_code_mag, -1), mag)
    codes = np.where(neg & ~zero, mag | fmt.sign_mask, mag).astype(np.int64)
    codes[over & (mag < 0)] = fmt.canonical_nan  # no Inf: overflow to NaN

    flags = (
        np.where(fin & (inexact | over), FLAG_INEXACT, 0)
        | np.where(over, FLAG_OVERFLOW, 0)
        | np.where(tiny & inexact, FLAG_UNDERFLOW, 0)
    ).astype(np.uint8)
    special_results(fmt, policy, neg, cls, codes, flags, fmt.max_code_mag)
    return codes, check(fmt, policy, neg, cls, M, E, flags, errors)


def encode_hybrid(x, fmt="hif8", *, overflow=None, tininess=None, input_path=None, return_flags=False):
    """Deprecated: ``fp8ref.encode(x, fmt, rounding="hybrid", ...)`` (HR goes through the one
    front end like every rounding; same codes, flags and input paths)."""
    from . import encode

    warn_renamed("fp8ref.codecs.tapered.encode_hybrid(x, ...)", 'fp8ref.encode(x, "hif8", rounding="hybrid", ...)')
    return encode(x, fmt, rounding="hybrid", overflow=overflow, tininess=tininess, input_path=input_path,
                  return_flags=return_flags)


ALIASES = _ALIASES["hif8"]
register_formats = registration_shim(__name__, lambda: get_format("hif8"))
