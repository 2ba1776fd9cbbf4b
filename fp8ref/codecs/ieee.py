"""The generic IEEE-like codec: one encoder and one decoder for every :class:`Format`.

Encoding a finite ``|x| = M * 2^E`` (M integer): the value's exponent ``ev = floor(log2|x|)``
is clamped below at ``emin`` (subnormals share it), the kept quantum is ``2^(te - m)``, and
``round_shift`` yields the kept significand ``k``. The magnitude code is then simply
``((te - emin) << m) + k``: a carry out of the significand moves into the exponent field and a
subnormal that rounds up becomes the smallest normal, with no special cases. A code above
``max_code_mag`` is an overflow, handled by the policy and the format's ``overflow_rule``
(``overflow_to_max``). An unsigned format (P3109) delivers 0 for every value that rounds to a
negative number and for -Inf (P3109 ωSaturate: M_lo = 0), with the inexact flag only for a finite
input (saturation changes the value, not the flags; there is no overflow in magnitude).
"""

from __future__ import annotations

import numpy as np

from ..core.rounding import floor_log2, round_shift
from ..core.unpack import FINITE, INF, QNAN, SNAN, ZERO
from ..policy import (
    FLAG_INEXACT,
    FLAG_INVALID,
    FLAG_OVERFLOW,
    FLAG_UNDERFLOW,
)
from ._no_value import check

__all__ = ["encode_exact", "decode_table", "key_lead_bits", "nan_code", "overflow_to_max"]

kind = "ieee"


def key_lead_bits(fmt, src_emin: int, policy=None):
    """Leading significand-field bits that decide every code and flag for a source whose
    smallest normal exponent is ``src_emin``; None if a table keyed on them would be wrong.

    The code needs the ``m`` kept bits and a guard bit: at or above 2^emin the field holds the
    bits after the leading one, below it the format keeps fewer. Tininess 'after' also rounds
    inputs in [2^(emin-1), 2^emin) to m+1 significant bits with unbounded exponent: a guard bit
    one place further down. That binade is normal in the source (its leading bit implicit) when
    emin > src_emin, but is the source's top subnormal binade, leading bit stored in the field,
    when emin == src_emin (bf16, tf32 from float32): then one more bit.
    """
    if fmt.emin < src_emin:
        return None
    after = policy is None or policy.tininess == "after"
    return fmt.man_bits + 1 + (fmt.emin == src_emin and after)


def decode_table(fmt) -> np.ndarray:
    """float64 value of every code, exactly (NaN codes → NaN with the code's sign, Inf → ±inf)."""
    codes = np.arange(fmt.num_codes, dtype=np.int64)
    m = fmt.man_bits
    mag = codes & fmt.top_code_mag
    e, f = mag >> m, mag & ((1 << m) - 1)
    sig = np.where(e == 0, f, f | (1 << m)).astype(np.float64)
    val = np.ldexp(sig, (np.maximum(e, 1) - fmt.bias - m).astype(np.int32))
    if fmt.has_infinity:
        val[mag == fmt.inf_code_mag] = np.inf
    val[list(fmt.nan_codes)] = np.nan
    return np.where(codes & fmt.sign_mask, -val, val)  # NaN codes keep their sign bit


def nan_code(fmt, policy, neg):
    """NaN code(s) for results that are NaN, by ``policy.nan``; ``neg`` is the input's sign."""
    if policy.nan == "canonical":
        return np.full(np.shape(neg), fmt.canonical_nan, dtype=np.int64)
    base = fmt.quiet_nan if policy.nan == "ml_dtypes" else fmt.canonical_nan
    if not fmt.has_negative_zero:  # the only NaN is the sign-only code
        return np.full(np.shape(neg), base, dtype=np.int64)
    return np.where(neg, base | fmt.sign_mask, base).astype(np.int64)


def overflow_to_max(policy, neg, fmt=None):
    """True where an overflowing finite value is delivered as ±max rather than ±Inf/NaN:
    saturating policies, and the rounding directions that never round away from zero, by the
    format's ``overflow_rule`` (``fp8ref.formats.ieee.OVERFLOW_RULES``; ``ieee`` when ``fmt`` is
    None): ``rto`` saturates under ``ieee`` (SoftFloat ``round_odd``) but only in unsigned formats
    under ``p3109``, and a ``p3109`` format without Inf saturates under every mode."""
    r = policy.rounding
    p3109 = getattr(fmt, "overflow_rule", "ieee") == "p3109"
    odd_saturates = r == "rto" and not (p3109 and fmt.is_signed)
    if (policy.overflow in ("sat_finite", "sat_propagate") or r == "rtz" or odd_saturates
            or (p3109 and not fmt.has_infinity)):
        return np.ones(np.shape(neg), dtype=bool)
    if r == "rdn":
        return ~neg
    if r == "rup":
        return np.asarray(neg, dtype=bool)
    return np.zeros(np.shape(neg), dtype=bool)


def special_results(fmt, policy, neg, cls, codes, flags, max_code):
    """Fill codes/flags for zero, Inf and NaN inputs (shared by all codecs that have a sign).

    ``max_code``: the positive max-finite code. Returns nothing; writes in place.
    """
    sign = np.where(neg, fmt.sign_mask, 0).astype(np.int64)
    zero = cls == ZERO
    codes[zero] = np.where(fmt.has_negative_zero, sign[zero], 0)

    inf = cls == INF
    if inf.any():
        # sat_finite, and P3109's Saturate in a Finite format under every mode: ±Inf -> ±max
        if policy.overflow == "sat_finite" or (getattr(fmt, "overflow_rule", "ieee") == "p3109"
                                               and not fmt.has_infinity):
            codes[inf] = max_code | sign[inf]
        elif getattr(fmt, "has_infinity", False):
            codes[inf] = fmt.inf_code_mag | sign[inf]
        elif fmt.has_nan:
            codes[inf] = nan_code(fmt, policy, neg[inf])
        else:  # no Inf, no NaN (FP6/FP4): deliver ±max and say so
            codes[inf] = max_code | sign[inf]
            flags[inf] |= FLAG_INVALID

    nan = (cls == QNAN) | (cls == SNAN)
    if nan.any():
        flags[cls == SNAN] |= FLAG_INVALID
        if fmt.has_nan:
            codes[nan] = nan_code(fmt, policy, neg[nan])
        else:
            flags[nan] |= FLAG_INVALID
            if policy.nan_to in ("zero", "error"):  # "error": no result, marked by _no_value.check
                codes[nan] = 0
            elif policy.nan_to == "max":
                codes[nan] = max_code
            else:  # ml_dtypes: +NaN -> -0, -NaN -> +0
                codes[nan] = np.where(neg[nan], 0, fmt.sign_mask)


def encode_exact(fmt, neg, cls, M, E, policy, rbits=None, srbits=0, errors="raise"):
    """Encode ``(-1)^neg * M * 2^E`` (flat arrays) to codes (int64) and flags (uint8).

    errors: ``"raise"`` (ValueError for an input the policy leaves without a result) or
    ``"mark"`` (flag it ``NO_VALUE``; the front end's tables). See :mod:`._no_value`."""
    if policy.rounding == "hybrid":
        raise ValueError("rounding 'hybrid' is defined only for tapered formats (HiF8)")
    m, emin = fmt.man_bits, fmt.emin
    fin = cls == FINITE
    ev = floor_log2(M, E)
    te = np.maximum(ev, emin)
    parity = (te - emin) if m == 0 else 0  # precision 1: "even" means the even code
    kept, inexact = round_shift(M, te - m - E, neg, policy.rounding, rbits=rbits, nbits=srbits, parity_offset=parity)
    mag = ((te - emin) << m) + kept

    # tininess, from the result rounded with an unbounded exponent range
    sub = fin & (ev < emin)
    if policy.tininess == "before":
        tiny = sub
    else:
        kept_u, _ = round_shift(M, ev - m - E, neg, policy.rounding, rbits=rbits, nbits=srbits, parity_offset=ev - emin if m == 0 else 0)
        tiny = sub & ((ev < emin - 1) | (kept_u < (2 << m)))

    over = fin & (mag > fmt.max_code_mag)
    to_max = overflow_to_max(policy, neg, fmt)
    if fmt.has_infinity:
        inf_mag = fmt.inf_code_mag
        big = np.where(to_max, fmt.max_code_mag, inf_mag)
        mag = np.where(over, big, mag)
    else:
        mag = np.where(over & to_max, fmt.max_code_mag, mag)
        if fmt.has_nan:
            pass  # overflow to NaN handled below
        else:
            mag = np.where(over, fmt.max_code_mag, mag)  # FP6/FP4: nothing else to go to

    sign = np.where(neg, fmt.sign_mask, 0).astype(np.int64)
    codes = mag | sign
    zero_result = fin & (mag == 0)
    if not fmt.has_negative_zero:
        codes = np.where(zero_result, 0, codes)
    if fmt.has_nan and not fmt.has_infinity:
        to_nan = over & ~to_max
        if to_nan.any():
            codes[to_nan] = nan_code(fmt, policy, neg[to_nan])

    flags = np.zeros(M.shape, dtype=np.uint8)
    flags[fin & (inexact | over)] |= FLAG_INEXACT
    flags[over] |= FLAG_OVERFLOW
    flags[tiny & inexact] |= FLAG_UNDERFLOW
    check(fmt, policy, neg, cls, M, E, flags, errors)
    special_results(fmt, policy, neg, cls, codes, flags, fmt.max_code_mag)
    if not fmt.is_signed:  # P3109 unsigned: a negative rounded value or -Inf saturates to M_lo = 0
        below = neg & ((fin & (mag > 0)) | (cls == INF))
        codes[below] = 0
        flags[below] = np.where(fin[below], FLAG_INEXACT, 0)
    return codes, flags
