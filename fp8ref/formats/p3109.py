"""The IEEE P3109 format family ``Binary{K, P, Σ, Δ}`` as IEEE-like :class:`Format` descriptions.

Every member is one ``Format`` built by :func:`p3109_format` from the interim report's formulas
(§3.1, §4.7; v3.2.1 and v4.0 agree), so the generic IEEE-like codec encodes and decodes it:

* Signed: a sign bit, ``K - P`` exponent bits, bias ``2^(K-P-1)``, ``1 <= P <= K-1``; NaN is the
  sign-only code ``2^(K-1)``; Extended: ``2^(K-1)-1`` = +Inf, ``2^K-1`` = -Inf.
* Unsigned: no sign bit, ``K - P + 1`` exponent bits, bias ``2^(K-P)``, ``1 <= P <= K``; NaN is
  the top code ``2^K-1``; Extended: ``2^K-2`` = +Inf.

``P - 1`` trailing significand bits; one zero (code 0), no -0; Infinities only in the Extended
domain; max finite is the code below +Inf (Extended) or below the NaN (Finite). Negative values
of a signed format are the positive code plus 2^(K-1). The description data that says so:
``is_signed``, ``has_infinity`` (domain), ``num_high_nans`` (1 for unsigned: the top code),
``has_negative_zero=False`` (signed: the sign-only code is the NaN) and
``overflow_rule="p3109"`` (the report's ωSaturate; see ``fp8ref.formats.ieee.OVERFLOW_RULES``).

Names (case-insensitive): ``p3109_k{K}p{P}{s|u}{e|f}`` for every member (``s``/``u`` signedness,
``e``/``f`` domain), e.g. ``p3109_k6p2uf``, and the report's own short form ``binary{K}p{P}{s|u}{e|f}``
(``Binary6p2uf``). The signed extended binary8 members keep their established canonical names
``p3109_8p1`` … ``p3109_8p7`` (aliases ``binary8p{P}``, ``p3109_k8p{P}``, ``p3109_k8p{P}se``,
``binary8p{P}se``); only these seven are registered eagerly, every other member is built on first
lookup (``get_format``) and never appears in ``list_formats``.

fp8ref's codecs and tables decode to float64, so members whose values leave float64's range are
refused with a one-line error: an exponent field of more than 11 bits (K - P > 11 signed,
K - P > 10 unsigned; 50 of the 504 members, all with K >= 12). The other 454 are supported.

P3109's rounding and saturation modes are fp8ref ``Policy`` values (:data:`P3109_ROUNDING`,
:data:`P3109_SATURATION`); the mapping is also a table in docs/formats_p3109.md.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .ieee import Format

__all__ = [
    "K_MIN",
    "K_MAX",
    "P3109_ROUNDING",
    "P3109_SATURATION",
    "p3109_format",
    "p3109_name",
    "parse_p3109_name",
    "resolve_p3109",
    "p3109_members",
]

K_MIN, K_MAX = 3, 16
_MAX_EXP_BITS = 11  # float64 holds every value of a format with at most 11 exponent bits

#: P3109 rounding modes (interim report §4.2) -> fp8ref ``Policy.rounding``. StochasticA/B/C are
#: fp8ref's existing rules (same inequalities; N = ``srbits`` random bits R = ``rbits``).
P3109_ROUNDING = {
    "TowardZero": "rtz",
    "TowardMaxMagnitude": "raz",
    "TowardPositive": "rup",
    "TowardNegative": "rdn",
    "NearestTiesToAway": "rna",
    "NearestTiesToEven": "rne",
    "ToOdd": "rto",
    "StochasticA": "stochastic",
    "StochasticB": "stochastic_fast",
    "StochasticC": "stochastic_rne",
}

#: P3109 saturation modes -> fp8ref ``Policy.overflow`` (v4.0 of the report renames OvfInf SatNone).
P3109_SATURATION = {"SatFinite": "sat_finite", "SatPropagate": "sat_propagate", "OvfInf": "ovf_inf"}

_NAME = re.compile(r"^(?:p3109_k|binary)(\d+)p(\d+)([su])([ef])$")


def p3109_name(K: int, P: int, signed: bool = True, extended: bool = True) -> str:
    """fp8ref's canonical name of ``Binary{K, P, Σ, Δ}``: ``p3109_k{K}p{P}{s|u}{e|f}``, except
    ``p3109_8p{P}`` for the signed extended binary8 formats."""
    if K == 8 and signed and extended:
        return f"p3109_8p{P}"
    return f"p3109_k{K}p{P}{'s' if signed else 'u'}{'e' if extended else 'f'}"


def _check(K: int, P: int, signed: bool) -> int:
    """The exponent field width, or ValueError naming the parameter out of range."""
    short = f"binary{K}p{P}{'s' if signed else 'u'}"
    if not K_MIN <= K <= K_MAX:
        raise ValueError(f"P3109 format {short}: fp8ref supports bit widths K = {K_MIN}..{K_MAX}, got K = {K}")
    top = K - 1 if signed else K
    if not 1 <= P <= top:
        raise ValueError(f"P3109 format {short}: precision P must be in 1..{top} for a "
                         f"{'signed' if signed else 'unsigned'} format of K = {K} bits, got P = {P}")
    w = K - P if signed else K - P + 1
    if w > _MAX_EXP_BITS:
        raise ValueError(
            f"P3109 format {short}: its {w}-bit exponent field (bias 2^{w - 1}) reaches values outside "
            f"float64's range, which fp8ref's decoders use; supported: at most {_MAX_EXP_BITS} exponent bits "
            f"(K - P <= {_MAX_EXP_BITS} signed, <= {_MAX_EXP_BITS - 1} unsigned)")
    return w


@lru_cache(maxsize=None)
def _build(K: int, P: int, signed: bool, extended: bool) -> Format:
    w = _check(K, P, signed)
    bias = 1 << (w - 1)
    hexw = (K + 3) // 4
    nan = (1 << (K - 1)) if signed else (1 << K) - 1
    if extended:
        infs = f"0x{(1 << (K - 1)) - 1:0{hexw}X}/0x{(1 << K) - 1:0{hexw}X} ±Inf" if signed \
            else f"0x{(1 << K) - 2:0{hexw}X} +Inf"
    else:
        infs = "no Inf"
    short = f"Binary{K}p{P}{'s' if signed else 'u'}{'e' if extended else 'f'}"
    doc = (f"IEEE P3109 {short} ({'signed' if signed else 'unsigned'}, {'extended' if extended else 'finite'}): "
           f"bias {bias}, 0x{nan:0{hexw}X} NaN, {infs}, no -0")
    return Format(p3109_name(K, P, signed, extended), w, P - 1, bias, bool(extended), 0 if signed else 1,
                  False, doc=doc, is_signed=bool(signed), overflow_rule="p3109")


def p3109_format(K: int, P: int, signed: bool = True, extended: bool = True) -> Format:
    """The description of P3109 ``Binary{K, P, Signed|Unsigned, Extended|Finite}`` (one object per
    parameter set). ValueError for parameters outside the family or fp8ref's range (module doc)."""
    for n, v in (("K", K), ("P", P)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"P3109 {n} must be an int, got {type(v).__name__}")
    return _build(int(K), int(P), bool(signed), bool(extended))


def parse_p3109_name(name: str):
    """``(K, P, signed, extended)`` of a family name (``p3109_k6p2uf``, ``Binary6p2uf``), or None."""
    m = _NAME.match(name.lower()) if isinstance(name, str) else None
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), m.group(3) == "s", m.group(4) == "e"


def resolve_p3109(name: str):
    """Registry resolver: the format a family name denotes (built on first use), None for names
    that are not of the family's form, ValueError for parameters the family does not have."""
    parsed = parse_p3109_name(name)
    return None if parsed is None else p3109_format(*parsed)


def p3109_members(k_values=range(K_MIN, K_MAX + 1), *, supported_only: bool = True):
    """``(K, P, signed, extended)`` of every family member with K in ``k_values``, in order
    (K, signed before unsigned, P, extended before finite); by default only those fp8ref builds."""
    out = []
    for K in k_values:
        for signed in (True, False):
            for P in range(1, (K - 1 if signed else K) + 1):
                w = K - P if signed else K - P + 1
                if supported_only and w > _MAX_EXP_BITS:
                    continue
                out += [(K, P, signed, True), (K, P, signed, False)]
    return out
