"""Assertion helpers for test suites: compare your cast or kernel with fp8ref, bit for bit.

* :func:`assert_quantize_matches` runs your quantizer over fp8ref's boundary cases (every value
  of the format, every midpoint between neighbouring values, one ulp either side of both in the
  input precision, the exact input where each rounding decision flips, the overflow thresholds,
  NaN/Inf/±0/signalling NaN/input subnormals) and compares its output with
  :func:`fp8ref.encode` under the policy you name.
* :func:`assert_codes_equal` compares two arrays of codes (or values) of one format.

Both fail with an ``AssertionError`` holding a mismatch table: index, case, input bits and
value, expected code (bits split into fields) and value, got code and value, expected flags.

Accepted outputs (``fn``'s result, ``actual``, ``expected``): integer arrays of codes
(``uint8``/``int8`` and wider), ml_dtypes arrays of the format under test (``float8_e4m3fn``,
...), torch tensors of either kind (``torch.float8_e4m3fn`` included), or float arrays of
*values* (float16/bfloat16/float32/float64), which must equal the decoded expected values
(NaN matches NaN, and the sign of zero counts).

Modules: :mod:`.assertions` (the two assertions), :mod:`.cases` (boundary cases, input
precisions), :mod:`.outputs` (reading codes or values), :mod:`.display` (code fields, class and
text; also the CLI's). This package imports only numpy and tabulate; torch and ml_dtypes are used
when you pass their objects.
"""

from .assertions import MatchResult, assert_codes_equal, assert_quantize_matches
from .cases import boundary_cases, input_dtype
from .display import code_class, code_fields, format_code
from .outputs import as_codes_or_values

__all__ = [
    "assert_quantize_matches",
    "assert_codes_equal",
    "boundary_cases",
    "MatchResult",
    "as_codes_or_values",
    "input_dtype",
    "code_fields",
    "format_code",
    "code_class",
]
