"""UE8M0 (OCP MX E8M0, ml_dtypes ``float8_e8m0fnu``): an unsigned 8-bit power of two.

``code -> 2^(code - 127)`` for codes 0x00..0xFE (2^-127 .. 2^127), 0xFF is NaN. There is no
sign, no zero, no infinity and no mantissa. Conversion rules: ``fp8ref.codecs.ue8m0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .ieee import Format

__all__ = ["UE8M0Format", "PowerOfTwoRange"]


class PowerOfTwoRange:
    """Figures of a format whose positive values run from ``2^emin`` to ``2^emax`` with no
    subnormals and whose only non-finite codes are its NaNs (UE8M0, posits)."""

    @property
    def max_finite(self) -> float:
        return 2.0**self.emax

    @property
    def min_normal(self) -> float:
        """The smallest positive value (there are no subnormals)."""
        return 2.0**self.emin

    min_subnormal = min_normal

    @property
    def num_finite(self) -> int:
        return self.num_codes - len(self.nan_codes)


@dataclass(frozen=True)
class UE8M0Format(PowerOfTwoRange):
    """Immutable description of UE8M0 (the only instance the library needs is registered)."""

    name: str = "ue8m0"
    doc: str = field(default="OCP MX E8M0 scale: 2^(code-127), 0xFF NaN, no zero/sign/Inf", compare=False)

    kind = "ue8m0"
    bits = 8
    num_codes = 256
    code_dtype = np.uint8
    exp_bits = 8
    man_bits = 0
    bias = 127
    emin = -127
    emax = 127
    has_nan = True
    nan_codes = (0xFF,)
    canonical_nan = 0xFF
    quiet_nan = 0xFF
    has_infinity = False
    has_zero = False
    has_negative_zero = False
    is_signed = False
    max_code = 0xFE
    min_code = 0x00

    def exact_value(self, code: int) -> Fraction | float:
        """Exact value of one code: ``Fraction(2) ** (code - 127)``, float NaN for 0xFF."""
        code = int(code)
        if not 0 <= code < self.num_codes:
            raise ValueError(f"code {code} out of range for {self.name} (0..{self.num_codes - 1})")
        if code in self.nan_codes:
            return float("nan")
        return Fraction(2) ** (code - self.bias)

    # the IEEE description's figures and HTML table read only attributes defined above
    figures = Format.figures
    _repr_html_ = Format._repr_html_

    # ---- codes: fields, class, binades ---------------------------------------------------------
    code_bits = Format.code_bits

    def code_fields(self, code: int) -> list[tuple[str, str]]:
        """``[("exponent", bits)]``: the whole byte is the biased exponent."""
        return [("exponent", self.code_bits(code))]

    def code_class(self, code: int) -> str:
        """``nan`` for 0xFF, else ``normal`` (there is no zero, subnormal or Inf)."""
        return "nan" if int(self.code_bits(code), 2) in self.nan_codes else "normal"

    def binades(self) -> tuple[tuple[int, int], ...]:
        """One value per binade, ``2^-127 .. 2^127``."""
        return tuple((e, 1) for e in range(self.emin, self.emax + 1))
