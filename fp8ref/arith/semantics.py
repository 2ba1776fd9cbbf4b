"""Which standard's operation rules a format follows: one row per family, no branch per format.

| family | formats | rules |
|---|---|---|
| ``ieee`` | IEEE-like ``Format`` s (OCP FP8, FNUZ, FP6/FP4, fp16/bf16/tf32, user formats) | IEEE 754-2019 |
| ``tapered`` | HiF8 and other ``TaperedFormat`` s | IEEE 754-2019 on values (sign operations on values) |
| ``ue8m0`` | UE8M0 | IEEE 754-2019 on values; no sign: ``neg``/``copysign`` refused |
| ``p3109`` | IEEE P3109 ``binary{K}p{P}`` formats | the P3109 interim report's operation tables |
| ``posit`` | posits | the 2022 posit standard |

The rows differ in a handful of named rules (fields of :class:`Semantics`); everything else
(exact result, rounding, overflow, tininess, NaN codes) is shared and comes from the result
format's codec. ``docs/arithmetic.md`` has the table with the rules spelled out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..codecs import decode_table

__all__ = ["Semantics", "FAMILIES", "family_of", "semantics_of", "infinity_codes"]


@dataclass(frozen=True)
class Semantics:
    """The rules that differ between families."""

    name: str
    standard: str
    #: True: ±Inf results of the operation tables are the format's ±Inf codes as they stand
    #: (P3109 ``FormatR::inf``: not projected, so SatFinite does not turn them into ±max;
    #: ±max / min finite where the format has no Inf). False: delivered through the codec as
    #: any value (``sat_finite`` -> ±max).
    raw_infinities: bool
    #: ``x / 0`` for finite non-zero x (and ``1/0``, ``rsqrt(0)``): "infinite" = ±Inf with the
    #: divide-by-zero flag 0x08 (IEEE 754 §7.3; posits: the codec delivers ±∞ as NaR, so
    #: x / 0 = NaR with 0x08); "nan" = NaN with invalid (P3109: Divide(X, 0) is NaN for every X).
    div_by_zero: str
    #: fma(0, ∞, qNaN) signals invalid (IEEE 754 §7.2 leaves it to the implementation;
    #: SoftFloat and x86 signal it).
    fma_nan_invalid: bool
    #: neg / abs / copysign: "bits" = on the sign bit of the code, quiet, NaN included
    #: (IEEE 754 §5.5.1; where operand and result share a format); "p3109" = P3109's
    #: Negate/Abs/CopySign tables; "value" = the exact value with the new sign, delivered.
    sign_ops: str
    #: comparisons: "ieee" (§5.11: NaN unordered; eq/unordered quiet, lt/le/gt/ge signal
    #: invalid on NaN) or "posit" (NaR equals itself and is below every real; no flags).
    compare: str
    #: operations the family refuses (with the reason)
    refused: tuple = ()


FAMILIES = {
    s.name: s
    for s in (
        Semantics("ieee", "IEEE 754-2019", False, "infinite", True, "bits", "ieee"),
        Semantics("tapered", "IEEE 754-2019 (on values)", False, "infinite", True, "value", "ieee"),
        Semantics("ue8m0", "IEEE 754-2019 (on values)", False, "infinite", True, "value", "ieee",
                  refused=(("neg", "it has no sign"), ("copysign", "it has no sign"))),
        Semantics("p3109", "IEEE P3109 interim report", True, "nan", False, "p3109", "ieee"),
        Semantics("posit", "Posit standard 2022", False, "infinite", True, "value", "posit"),
    )
}


def _is_p3109(fmt) -> bool:
    return getattr(fmt, "overflow_rule", None) == "p3109"


def family_of(fmt) -> str:
    """The family name of a format description."""
    if _is_p3109(fmt):
        return "p3109"
    if fmt.kind in FAMILIES:
        return fmt.kind
    return "ieee"


def semantics_of(fmt) -> Semantics:
    return FAMILIES[family_of(fmt)]


@lru_cache(maxsize=None)
def infinity_codes(fmt) -> tuple[int, int]:
    """(+Inf code, -Inf code) of a format as P3109's ``FormatR::inf`` / ``ninf``: the infinity
    codes, else the largest / smallest finite value's code (0 in an unsigned format)."""
    v = decode_table(fmt)
    with np.errstate(invalid="ignore"):
        hi = np.where(np.isnan(v), -np.inf, v)
        lo = np.where(np.isnan(v), np.inf, v)
    return int(np.argmax(hi)), int(np.argmin(lo))
