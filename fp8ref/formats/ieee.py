"""IEEE-like binary formats: sign, exponent field, trailing significand, configurable specials.

One immutable description covers OCP E4M3/E5M2, the FNUZ family, FP6/FP4, the IEEE P3109
family (signed and unsigned, extended and finite; ``fp8ref.formats.p3109``),
binary16/bfloat16/TF32 and any user-defined format of up to 20 bits.

Code layout (magnitude = code without its sign bit, ordered by value):

* ``0`` is +0; ``sign|0`` is -0 when ``has_negative_zero``, otherwise it is the NaN code
  (FNUZ / P3109 style). An unsigned format (``is_signed=False``, P3109 unsigned) has no sign
  bit: every code is a magnitude, there is no -0, and negative inputs encode to 0.
* The top ``num_high_nans`` magnitudes are NaN (E5M2: 3, E4M3FN: 1, IEEE: 2^m - 1).
* When ``has_infinity`` the magnitude just below the NaNs is Inf.
* Every other magnitude ``c`` is finite: ``e = c >> m``, ``f = c & (2^m - 1)``;
  ``e == 0`` gives ``f * 2^(emin - m)``, else ``(2^m + f) * 2^(e - bias - m)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

__all__ = ["Format", "OVERFLOW_RULES"]

#: Overflow rules of the format families (``Format.overflow_rule``); the codec applies them in
#: ``fp8ref.codecs.ieee.overflow_to_max``:
#:
#: * ``ieee``  IEEE 754 with Berkeley SoftFloat's ``round_odd``: under ``ovf_inf`` an overflow
#:   goes to ±Inf (NaN where the format has none, ±max where it has neither) except for the
#:   directions that never round away from the value (``rtz``, ``rto``, ``rdn`` for positive,
#:   ``rup`` for negative values), which deliver ±max.
#: * ``p3109`` the P3109 interim report's ωSaturate (reference implementation awf/p3109-cpp):
#:   as ``ieee`` except that ``rto`` overflows to ±Inf in signed formats (it saturates only in
#:   unsigned ones), and a format without Inf (Finite domain) saturates under every overflow
#:   mode, ±Inf inputs included.
OVERFLOW_RULES = ("ieee", "p3109")


@dataclass(frozen=True)
class Format:
    """Immutable description of an IEEE-like binary format."""

    name: str
    exp_bits: int
    man_bits: int
    bias: int
    has_infinity: bool
    num_high_nans: int
    has_negative_zero: bool = True
    doc: str = field(default="", compare=False)
    #: False: no sign bit (P3109 unsigned formats); ``bits = exp_bits + man_bits``
    is_signed: bool = True
    #: which family's overflow rule the codec applies (``OVERFLOW_RULES``)
    overflow_rule: str = "ieee"

    kind = "ieee"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("Format.name must be a non-empty string")
        if not (1 <= self.exp_bits <= 11):
            raise ValueError(f"exp_bits must be in 1..11, got {self.exp_bits}")
        if not (0 <= self.man_bits <= 23):
            raise ValueError(f"man_bits must be in 0..23, got {self.man_bits}")
        if self.bits > 20:
            raise ValueError(f"at most 20 bits are supported, got {self.bits}")
        if self.overflow_rule not in OVERFLOW_RULES:
            raise ValueError(f"unknown overflow_rule {self.overflow_rule!r}; valid: {', '.join(OVERFLOW_RULES)}")
        if not self.is_signed and self.has_negative_zero:
            raise ValueError(f"unsigned format {self.name!r} cannot have a negative zero")
        top = self.top_code_mag
        if not (0 <= self.num_high_nans <= top):
            raise ValueError(f"num_high_nans must be in 0..{top}, got {self.num_high_nans}")
        if self.max_code_mag < 1:
            raise ValueError(f"format {self.name!r} has no positive finite value")
        if self.emax > 1023 or self.emin - self.man_bits < -1074:
            raise ValueError(f"format {self.name!r} has values outside float64's range")

    # ---- layout -------------------------------------------------------------------------
    @property
    def bits(self) -> int:
        """Total width in bits (sign, if any, + exponent + mantissa)."""
        return int(self.is_signed) + self.exp_bits + self.man_bits

    @property
    def precision(self) -> int:
        """Significand precision p = man_bits + 1."""
        return self.man_bits + 1

    @property
    def sign_mask(self) -> int:
        """The sign bit (0 for an unsigned format)."""
        return 1 << (self.bits - 1) if self.is_signed else 0

    @property
    def top_code_mag(self) -> int:
        """The largest magnitude code (all bits but the sign set)."""
        return (1 << (self.bits - int(self.is_signed))) - 1

    @property
    def inf_code_mag(self) -> int | None:
        """Magnitude code of +Inf, or None."""
        return self.top_code_mag - self.num_high_nans if self.has_infinity else None

    @property
    def max_code_mag(self) -> int:
        """Magnitude code of the largest finite value."""
        return self.top_code_mag - self.num_high_nans - int(self.has_infinity)

    @property
    def code_dtype(self):
        """Smallest unsigned dtype that holds a code."""
        return np.uint8 if self.bits <= 8 else np.uint16 if self.bits <= 16 else np.uint32

    @property
    def num_codes(self) -> int:
        return 1 << self.bits

    # ---- specials ------------------------------------------------------------------------
    @property
    def has_nan(self) -> bool:
        return self.num_high_nans > 0 or self._sign_only_nan

    @property
    def nan_codes(self) -> tuple[int, ...]:
        """Every NaN code, ascending."""
        high = range(self.top_code_mag - self.num_high_nans + 1, self.top_code_mag + 1)
        codes = set(high) | {c | self.sign_mask for c in high}
        if self._sign_only_nan:
            codes.add(self.sign_mask)
        return tuple(sorted(codes))

    @property
    def _sign_only_nan(self) -> bool:
        """The sign-only code (-0's place) is the NaN: signed formats without -0."""
        return self.is_signed and not self.has_negative_zero

    @property
    def canonical_nan(self) -> int | None:
        """The positive NaN code fp8ref emits by default (None when the format has no NaN).

        The top positive code when the format has high NaNs (0x7F for E4M3FN/E5M2/E4M3, 0xFF
        for P3109 unsigned binary8), otherwise the sign-only code (0x80 for FNUZ and P3109 signed).
        """
        if self.num_high_nans:
            return self.top_code_mag
        if self._sign_only_nan:
            return self.sign_mask
        return None

    @property
    def quiet_nan(self) -> int | None:
        """ml_dtypes' positive NaN: Inf code with the top mantissa bit set for IEEE-style
        NaN ranges, otherwise the canonical NaN."""
        if self.has_infinity and self.num_high_nans >= (1 << max(self.man_bits - 1, 0)) and self.man_bits:
            return self.inf_code_mag | (1 << (self.man_bits - 1))
        return self.canonical_nan

    # ---- figures ----------------------------------------------------------------------------
    @property
    def emin(self) -> int:
        """Exponent of the smallest normal value (1 - bias)."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Exponent of the largest finite value."""
        return (self.max_code_mag >> self.man_bits) - self.bias if self.max_code_mag >> self.man_bits else self.emin

    def exact_value(self, code: int) -> Fraction | float:
        """Exact value of one code: a Fraction for finite codes, float inf/nan otherwise."""
        code = int(code)
        if not 0 <= code < self.num_codes:
            raise ValueError(f"code {code} out of range for {self.name} (0..{self.num_codes - 1})")
        neg = bool(code & self.sign_mask)
        mag = code & self.top_code_mag
        if code in self.nan_codes:
            return float("nan")
        if self.has_infinity and mag == self.inf_code_mag:
            return float("-inf") if neg else float("inf")
        e, f = mag >> self.man_bits, mag & ((1 << self.man_bits) - 1)
        if e == 0:
            v = Fraction(f) * Fraction(2) ** (self.emin - self.man_bits)
        else:
            v = Fraction((1 << self.man_bits) + f) * Fraction(2) ** (e - self.bias - self.man_bits)
        return -v if neg else v

    @property
    def max_finite(self) -> float:
        return float(self.exact_value(self.max_code_mag))

    @property
    def min_normal(self) -> float:
        return 2.0**self.emin

    @property
    def min_subnormal(self) -> float:
        return 2.0 ** (self.emin - self.man_bits) if self.man_bits else 2.0**self.emin

    @property
    def num_finite(self) -> int:
        """Number of codes that decode to a finite value (both zeros counted)."""
        return self.num_codes - len(self.nan_codes) - (1 + int(self.is_signed)) * int(self.has_infinity)

    def figures(self) -> dict:
        """Key figures as plain Python values (for tables, JSON and reprs)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "bits": self.bits,
            "exp_bits": self.exp_bits,
            "man_bits": self.man_bits,
            "bias": self.bias,
            "max_finite": self.max_finite,
            "min_normal": self.min_normal,
            "min_subnormal": self.min_subnormal,
            "emax": self.emax,
            "emin": self.emin,
            "has_infinity": self.has_infinity,
            "nan_codes": len(self.nan_codes),
            "negative_zero": self.has_negative_zero,
            "signed": bool(self.is_signed),
            "num_finite": self.num_finite,
        }

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in self.figures().items())
        return f"<table><caption>fp8ref format <b>{self.name}</b></caption>{rows}</table>"

    # ---- codes: fields, class, binades (display; every kind of format has these three) --------
    def code_bits(self, code: int) -> str:
        """The ``bits`` binary digits of one code (ValueError for a code out of range)."""
        code = int(code)
        if not 0 <= code < self.num_codes:
            raise ValueError(f"code {code} out of range for {self.name} (0..{self.num_codes - 1})")
        return format(code, f"0{self.bits}b")

    def code_fields(self, code: int) -> list[tuple[str, str]]:
        """``[(name, bits)]``, most significant first: ``sign``, ``exponent``, ``mantissa``
        (no mantissa field when ``man_bits`` is 0, no sign in unsigned formats: P3109 ``u``)."""
        s = self.code_bits(code)
        sign = [("sign", s[0])] if self.is_signed else []
        e = len(sign) + self.exp_bits
        return sign + [("exponent", s[len(sign):e])] + ([("mantissa", s[e:])] if self.man_bits else [])

    def code_class(self, code: int) -> str:
        """``zero``, ``subnormal``, ``normal``, ``inf`` or ``nan``."""
        c = int(self.code_bits(code), 2)
        mag = c & self.top_code_mag
        if mag > self.top_code_mag - self.num_high_nans or (c == self.sign_mask and self._sign_only_nan):
            return "nan"
        if mag == self.inf_code_mag:
            return "inf"
        if mag == 0:
            return "zero"
        return "normal" if mag >> self.man_bits else "subnormal"

    def binades(self) -> tuple[tuple[int, int], ...]:
        """``(e, n)`` for each binade ``[2^e, 2^(e+1))`` holding positive finite values, ascending:
        ``n`` values in it (subnormal binades hold 1, 2, 4, ...; the top one may be cut short by
        the Inf/NaN codes)."""
        m, top = self.man_bits, self.max_code_mag + 1
        runs = [(self.emin - m + i, 1 << i, 2 << i) for i in range(m)]  # subnormal codes [2^i, 2^(i+1))
        runs += [(x - self.bias, x << m, (x + 1) << m) for x in range(1, ((top - 1) >> m) + 1)]
        return tuple((e, min(hi, top) - lo) for e, lo, hi in runs if lo < top)
