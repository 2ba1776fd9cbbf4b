"""UE8M0 codec: values become powers of two, ``2^(code - 127)``, 0xFF NaN.

A positive finite ``x = M * 2^E`` lies in ``[2^ev, 2^(ev+1))`` with ``ev = floor(log2 x)``. Its
two candidates are ``2^ev`` (code ``ev + 127``) and ``2^(ev+1)``; ``round_shift`` keeps one
significant bit of ``M`` (``kept`` is 1 or 2), so the **midpoint is arithmetic,
``1.5 * 2^ev``**, which is what every oracle does (ml_dtypes, torch and gfloat all send
``1.5`` to 2.0 and ``1.4999999`` to 1.0; nobody uses the geometric ``sqrt(2) * 2^ev``).
Ties: ``rna`` goes up (ml_dtypes, torch: 3 -> 4, 0.75 -> 1), ``rne`` to the even *code*
(gfloat: 3 -> 2, 0.75 -> 0.5, 1.5 -> 2).

Below the range. The value set has no zero, so for a positive ``x < 2^-127`` the nearest value
and the value above are both ``2^-127``: ``rne``, ``rna`` and ``rup`` deliver code 0x00
(ml_dtypes and torch do this for every positive float32 subnormal). Only where *no* value of
the set is a valid result does ``policy.below_range`` decide: zero (either sign), negative
numbers (-Inf included) and, under ``rdn``/``rtz``, positive ``x < 2^-127``. ``nan``: 0xFF
(ml_dtypes); ``min``: 0x00 = 2^-127 (torch / TransformerEngine for 0); ``error``: raise
ValueError. Two peers' own rules, exactly: ``ml_dtypes_0.6`` (ml_dtypes 0.6.0; 0.7.0 is plain
``nan``) is ``nan`` and sends every x in ``(2^-127, 2^-126)`` to 2^-126 (0x01) whatever the
rounding; ``torch`` sends 0 to 2^-127, a negative x to the code of ``|x|`` (-Inf to NaN) and
``(2^-127, 2^-126)`` to 0x01.

Overflow (the result rounded with an unbounded exponent is above 2^127): 0xFF under
``ovf_inf`` / ``sat_propagate`` (there is no Inf), 0xFE under ``sat_finite`` and for the
directions that never round up (``rtz``, ``rdn``). +Inf: 0xFE under ``sat_finite``, else 0xFF.
NaN: 0xFF.

Flags (core rules): inexact when a positive finite input is delivered as anything else
(overflow and the below-range cases included); overflow as above; underflow when tiny and
inexact (tiny: the unbounded result is below 2^-127 for ``after``, ``x < 2^-127`` for
``before``); invalid for zero/negative inputs and signalling NaNs.
"""

from __future__ import annotations

import numpy as np

from ..core.rounding import bit_length, floor_log2, round_shift
from ..core.unpack import FINITE, INF, SNAN, ZERO
from ..formats import get_format
from ..formats.builtin import ALIASES as _ALIASES, UE8M0, registration_shim
from ..policy import FLAG_INEXACT, FLAG_INVALID, FLAG_OVERFLOW, FLAG_UNDERFLOW
from ._no_value import NO_VALUE, check
from .ieee import overflow_to_max

__all__ = ["encode_exact", "decode_table", "key_lead_bits", "below_range_mask", "UE8M0", "ROUNDINGS"]

kind = "ue8m0"

#: rounding modes UE8M0 supports
ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn")
_DOWN = ("rtz", "rdn")  # positive inputs: never round up


def key_lead_bits(fmt, src_emin: int, policy=None):
    """3 for float32/float64 sources: the result depends on the exponent field, the top three
    significand bits (the 1.5 * 2^ev midpoint, and in float32's subnormal binade the points
    2^-127, 1.5 * 2^-127, 2^-128 and 1.5 * 2^-128 that decide rounding and tininess) and a
    sticky bit. None for sources whose subnormals reach into UE8M0's range."""
    return 3 if src_emin <= fmt.emin + 1 else None


def decode_table(fmt) -> np.ndarray:
    codes = np.arange(fmt.num_codes, dtype=np.int64)
    val = np.ldexp(1.0, (codes - fmt.bias).astype(np.int32))
    val[list(fmt.nan_codes)] = np.nan
    return val


def _check_rounding(policy):
    if policy.rounding not in ROUNDINGS:
        raise ValueError(
            f"rounding {policy.rounding!r} is not defined for UE8M0; valid: {', '.join(ROUNDINGS)}"
        )


def below_range_mask(neg, cls, M, E, policy):
    """True where no UE8M0 value is a valid result (``policy.below_range`` decides)."""
    _check_rounding(policy)
    neg = np.asarray(neg, dtype=bool)
    if policy.below_range == "torch":
        return cls == ZERO  # negatives are encoded as |x|
    zero_or_neg = (cls == ZERO) | (((cls == FINITE) | (cls == INF)) & neg)
    if policy.rounding not in _DOWN:
        return zero_or_neg
    ev = floor_log2(M, E)
    return zero_or_neg | ((cls == FINITE) & ~neg & (ev < UE8M0.emin))


def encode_exact(fmt, neg, cls, M, E, policy, rbits=None, srbits=0, errors="raise"):
    """Encode ``(-1)^neg * M * 2^E`` (flat arrays) to UE8M0 codes (int64) and flags (uint8);
    ``errors`` as in :func:`fp8ref.codecs.ieee.encode_exact`."""
    _check_rounding(policy)
    mode = policy.rounding
    neg_in = np.asarray(neg, dtype=bool)
    neg = np.zeros_like(neg_in) if policy.below_range == "torch" else neg_in  # torch: |x|
    pos = (cls == FINITE) & ~neg
    ev = floor_log2(M, E)  # where M > 0
    # keep one significant bit; "even" is the code's parity: code = ev + bias + kept - 1
    kept, inexact = round_shift(M, bit_length(M) - 1, neg, mode, parity_offset=ev + fmt.bias - 1)
    eu = ev + kept - 1  # exponent of the result rounded with an unbounded range
    low = pos & (ev < fmt.emin)  # x < 2^-127: not representable
    over = pos & (eu > fmt.emax)

    codes = np.clip(eu + fmt.bias, 0, fmt.max_code).astype(np.int64)
    to_max = overflow_to_max(policy, neg)
    codes[over] = np.where(to_max[over], fmt.max_code, fmt.canonical_nan)

    flags = np.zeros(M.shape, dtype=np.uint8)
    inexact_out = pos & (inexact | over | low)
    flags[inexact_out] |= FLAG_INEXACT
    flags[over] |= FLAG_OVERFLOW
    tiny = low if policy.tininess == "before" else pos & (eu < fmt.emin)
    flags[tiny & inexact_out] |= FLAG_UNDERFLOW

    # specials
    inf = (cls == INF) & ~neg
    codes[inf] = fmt.max_code if policy.overflow == "sat_finite" else fmt.canonical_nan
    nan = ~((cls == FINITE) | (cls == ZERO) | (cls == INF))
    codes[nan] = fmt.canonical_nan
    flags[cls == SNAN] |= FLAG_INVALID

    if policy.below_range in ("ml_dtypes_0.6", "torch"):  # the peers' rule for (2^-127, 2^-126)
        gap = pos & (ev == fmt.emin) & (M != (M & -M))  # floor(log2 x) = -127, x not a power of two
        codes[gap] = fmt.min_code + 1
    flags[(cls != ZERO) & neg_in & ~neg] |= FLAG_INVALID  # torch: a negative input delivered as |x|

    below = below_range_mask(neg_in, cls, M, E, policy)
    if below.any():
        codes[below] = fmt.canonical_nan if policy.below_range in ("nan", "ml_dtypes_0.6", "error") else fmt.min_code
        flags[below & ~pos] |= FLAG_INVALID  # zero and negatives; tiny positives keep their flags
        if policy.below_range == "error":  # no result (fp8ref.codecs._no_value)
            flags[below] |= NO_VALUE
    return codes, check(fmt, policy, neg_in, cls, M, E, flags, errors)


ALIASES = _ALIASES["ue8m0"]
register_formats = registration_shim(__name__, lambda: get_format("ue8m0"))
