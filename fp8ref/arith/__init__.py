"""Scalar arithmetic on codes of any registered format: exact, then rounded once.

``fp8ref.arith.add(a, b, "e4m3fn")`` adds arrays of E4M3FN codes element-wise (broadcasting)
and returns E4M3FN codes; every operand may have its own format and the result another
(``out_fmt=``), under the result format's policy, with per-element IEEE flags
(``return_flags=True``). Operations: add sub mul div fma sqrt recip rsqrt neg abs copysign,
minimum maximum minimum_number maximum_number minimum_magnitude maximum_magnitude
minimum_magnitude_number maximum_magnitude_number (and P3109's minimum_finite maximum_finite),
eq lt le gt ge unordered total_order, clamp,
convert; ``apply(op, ...)`` by name; ``evaluate(op, 1.5, 2.25, fmt=...)`` on values.

How: each result is computed exactly as ``(sign, class, M, E)`` in integer arithmetic
(:mod:`.exact`), special cases follow the result format's family (:mod:`.semantics`: IEEE 754
for IEEE-like formats, the P3109 interim report for P3109 formats, the 2022 standard for
posits) and the result format's codec rounds it once (``codec.encode_exact``): rounding,
overflow, tininess and flags come from the same place as in ``fp8ref.encode``. Small operands
use result tables built by that generic path (:mod:`.tables`). docs/arithmetic.md has the
semantics table.
"""

from .api import (
    OPERATIONS,
    abs,
    add,
    apply,
    clamp,
    convert,
    copysign,
    div,
    eq,
    family,
    fma,
    ge,
    gt,
    le,
    lt,
    maximum,
    maximum_finite,
    maximum_magnitude,
    maximum_magnitude_number,
    maximum_number,
    minimum,
    minimum_finite,
    minimum_magnitude,
    minimum_magnitude_number,
    minimum_number,
    mul,
    neg,
    recip,
    rsqrt,
    sqrt,
    sub,
    total_order,
    unordered,
)
from .semantics import FAMILIES, Semantics, family_of  # noqa: F401
from .values import Evaluation, evaluate

__all__ = [
    "add", "sub", "mul", "div", "fma", "sqrt", "recip", "rsqrt", "neg", "abs", "copysign",
    "minimum", "maximum", "minimum_number", "maximum_number", "minimum_magnitude", "maximum_magnitude",
    "minimum_magnitude_number", "maximum_magnitude_number", "minimum_finite", "maximum_finite", "eq", "lt", "le", "gt", "ge", "unordered",
    "total_order", "clamp", "convert", "apply", "evaluate", "Evaluation", "family", "FAMILIES", "Semantics",
    "OPERATIONS",
]
