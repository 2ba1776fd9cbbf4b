"""Inputs that have no result under the policy: the one home of that rule's error.

Two policy values ask for an error instead of a code: ``nan_to="error"`` (a NaN input to a
format without NaN) and ``below_range="error"`` (UE8M0: zero, negative and too-small inputs).
A codec never raises for them itself: it marks its own such elements (UE8M0's below-range
inputs) with the internal flag bit :data:`NO_VALUE` (any code may stand there) and calls
:func:`check`, which marks the NaN ones, then raises for ``errors="raise"`` (a direct
``encode_exact`` call) or passes the marks on for ``errors="mark"``. The front end builds its lookup tables with marks, over every input, and
raises here only for an element of the data that carries one.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.unpack import FINITE, INF, QNAN, SNAN, ZERO

__all__ = ["NO_VALUE", "ERRORS", "may_refuse", "check", "error_at"]

#: internal flag bit: "this input has no result under the policy" (never returned to a caller)
NO_VALUE = 0x80
#: what ``encode_exact`` does with such inputs
ERRORS = ("raise", "mark")


def may_refuse(fmt, policy) -> bool:
    """Whether ``policy`` can leave an input of ``fmt`` without a result."""
    return (policy.nan_to == "error" and not fmt.has_nan) or policy.below_range == "error"


def check(fmt, policy, neg, cls, M, E, flags, errors="raise"):
    """Mark NaN inputs to a format without NaN under ``nan_to="error"`` (in ``flags``, in place),
    then raise for the first marked element (a codec's own marks included) when
    ``errors="raise"``. Returns ``flags``."""
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {', '.join(ERRORS)}, got {errors!r}")
    if policy.nan_to == "error" and not fmt.has_nan:
        flags[(cls == QNAN) | (cls == SNAN)] |= NO_VALUE
    if errors == "raise":
        marked = np.flatnonzero(flags & NO_VALUE)
        if marked.size:
            i = int(marked[0])
            raise error_at(fmt, policy, i, neg[i], cls[i], M[i], E[i])
    return flags


def error_at(fmt, policy, index, neg, cls, M, E) -> ValueError:
    """The error for input element ``index`` = ``(-1)^neg * M * 2^E`` (class ``cls``)."""
    if cls in (QNAN, SNAN):
        return ValueError(f"input element {index} is NaN: NaN input cannot be encoded in {fmt.name}, "
                          "which has no NaN; choose nan_to='zero', 'max' or 'ml_dtypes'")
    return ValueError(f"input element {index} ({_describe(neg, cls, M, E)}) has no {fmt.name} value under "
                      f"rounding {policy.rounding!r} (zero, negative or below the smallest value); "
                      "choose below_range='nan' or 'min'")


def _describe(neg, cls, M, E) -> str:
    sign = "-" if neg else ""
    if cls == ZERO:
        return f"{sign}0"
    if cls == INF:
        return f"{sign}inf"
    assert cls == FINITE
    M, E = int(M), int(E)
    if M < 1 << 53 and E >= -1074 and E + M.bit_length() <= 1024:
        return sign + repr(math.ldexp(float(M), E))  # exact: a float64 value
    return f"{sign}{M}*2^{E}"
