"""Posit codec (2022 standard), generic over ``PositFormat(nbits, es)``.

Encoding a positive finite ``x = M * 2^E`` with ``ev = floor(log2 x)``: ``k = floor(ev / 2^es)``,
``e = ev mod 2^es``; the exact (unbounded) bit pattern after the sign bit is

    regime (k >= 0: k+1 ones then a zero; k < 0: -k zeros then a one) | e (es bits) | M's fraction

``round_shift`` rounds that pattern to ``nbits - 1`` bits, to nearest with ties to the even
*pattern* (the standard's rule; where the cut falls in the regime or exponent the tie point is
a geometric one, 2^(k 2^es + ...), not an arithmetic midpoint). The result is then clamped to
``[minpos, maxpos]``: a nonzero finite value never becomes 0 or NaR (``|x| > maxpos`` ->
maxpos, ``0 < |x| < minpos`` -> minpos). Negative values: the two's complement of ``|x|``'s code
(the rule is symmetric). 0 -> 0x00 (both zeros); NaN and ±Inf -> NaR.

Policy: only ``rounding="rne"`` (the standard's only mode); ``overflow``, ``nan``, ``nan_to``,
``below_range`` do not apply (posits always saturate and have one NaR).

Flags: inexact when the delivered value differs from a finite input; overflow when
``|x| > maxpos`` and underflow when ``0 < |x| < minpos`` (both saturate, both inexact);
invalid for signalling NaNs; ±Inf -> NaR sets none (as Inf -> NaN in IEEE-like formats
without Inf). (The standard defines no flags; these follow the core's names.)
"""

from __future__ import annotations

import numpy as np

from ..core.rounding import bit_length, round_shift
from ..core.unpack import FINITE, SNAN, ZERO
from ..formats import get_format
from ..formats.builtin import POSIT8, registration_shim
from ..policy import FLAG_INEXACT, FLAG_INVALID, FLAG_OVERFLOW, FLAG_UNDERFLOW

__all__ = ["encode_exact", "decode_table", "key_lead_bits", "POSIT8"]

kind = "posit"

_KEEP = 32  # significant bits of M kept exactly before the pattern is built (the rest: sticky)


def key_lead_bits(fmt, src_emin: int, policy=None):
    """Fraction bits that decide every rounding: the most the pattern keeps (``nbits-3-es``)
    plus a guard bit. None where the source's subnormals reach minpos (they would need more)."""
    if src_emin > fmt.emin:
        return None
    return max(fmt.nbits - 2 - fmt.es, 1)


def decode_table(fmt) -> np.ndarray:
    return np.array([float(fmt.exact_value(c)) for c in range(fmt.num_codes)], dtype=np.float64)


def encode_exact(fmt, neg, cls, M, E, policy, rbits=None, srbits=0, errors="raise"):
    """Encode ``(-1)^neg * M * 2^E`` (flat arrays) to posit codes (int64) and flags (uint8).
    Every input has a result (``errors`` is accepted for the codec interface)."""
    if policy.rounding != "rne":
        raise ValueError(
            f"rounding {policy.rounding!r} is not defined for posits: the 2022 standard rounds "
            "to nearest, ties to the even pattern (rounding='rne')"
        )
    n, es = fmt.nbits, fmt.es
    neg = np.asarray(neg, dtype=bool)
    fin = cls == FINITE
    M = np.where(fin, M, 1)  # placeholders for the specials, overwritten below
    E = np.where(fin, E, 0)
    # keep _KEEP significant bits; round-to-odd folds the rest into a sticky LSB, which keeps
    # every later rounding at a coarser position correct
    drop = np.maximum(bit_length(M) - _KEEP, 0)
    M, lost = round_shift(M, drop, neg, "rto")
    E = E + drop
    F = bit_length(M) - 1  # fraction bits of M
    ev = F + E
    k = np.clip(ev >> es, -(n - 1), n - 1)  # beyond +-(n-1) the result saturates anyway
    e = ev & ((1 << es) - 1)
    pos_k = k >= 0
    regime = np.where(pos_k, ((np.int64(1) << (k + 1)) - 1) << 1, 1)
    rlen = np.where(pos_k, k + 2, 1 - k)
    pattern = (((regime << es) | e) << F) | (M - (np.int64(1) << F))
    kept, inexact = round_shift(pattern, rlen + es + F - (n - 1), False, "rne")
    mag = np.clip(kept, 1, fmt.maxpos_code)

    codes = np.where(neg, (-mag) & (fmt.num_codes - 1), mag).astype(np.int64)
    codes[cls == ZERO] = 0
    codes[~(fin | (cls == ZERO))] = fmt.nar  # NaN, ±Inf -> NaR

    power_of_two = M == (np.int64(1) << F)
    over = fin & ((ev > fmt.emax) | ((ev == fmt.emax) & ~power_of_two))
    under = fin & (ev < fmt.emin)
    flags = np.zeros(M.shape, dtype=np.uint8)
    flags[fin & (inexact | lost | (kept != mag))] |= FLAG_INEXACT
    flags[over] |= FLAG_OVERFLOW
    flags[under] |= FLAG_UNDERFLOW
    flags[cls == SNAN] |= FLAG_INVALID
    return codes, flags


register_formats = registration_shim(__name__, lambda: {es: get_format(f.name) for es, f in POSIT8.items()})
