"""Posits (2022 Standard for Posit Arithmetic): ``PositFormat(nbits, es)``.

An ``n``-bit code is read as a two's-complement word: 0 is zero, ``1 << (n-1)`` is NaR (Not a
Real, fp8ref's NaN code), a negative code is the negation of the posit of its two's
complement. A positive code's ``n-1`` bits after the sign are

    regime (a run of r identical bits, ended by the opposite bit or by the end of the word)
    | es exponent bits (bits cut off by the word's end count as 0) | fraction f

with ``k = r - 1`` for a run of ones, ``k = -r`` for a run of zeros, and value
``2^(k * 2^es + e) * (1 + f)``. No infinity, no -0, no subnormals: every nonzero value is
"normal"; ``min_normal`` = ``min_subnormal`` = minpos, ``max_finite`` = maxpos. The 2022
standard fixes ``es = 2``; SoftPosit's ``posit8_t`` uses ``es = 0``. Conversion rules:
``fp8ref.codecs.posit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .ieee import Format
from .ue8m0 import PowerOfTwoRange

__all__ = ["PositFormat"]


@dataclass(frozen=True)
class PositFormat(PowerOfTwoRange):
    """Immutable description of an ``nbits``-bit posit with ``es`` exponent bits."""

    nbits: int
    es: int
    name: str = ""
    doc: str = field(default="", compare=False)

    kind = "posit"
    has_nan = True
    has_infinity = False
    has_negative_zero = False

    def __post_init__(self):
        if not isinstance(self.nbits, int) or not 3 <= self.nbits <= 16:
            raise ValueError(f"PositFormat nbits must be an integer in 3..16, got {self.nbits!r}")
        if not isinstance(self.es, int) or not 0 <= self.es <= 5:
            raise ValueError(f"PositFormat es must be an integer in 0..5, got {self.es!r}")
        if not self.name:
            object.__setattr__(self, "name", f"posit{self.nbits}_es{self.es}")

    # ---- layout -------------------------------------------------------------------------
    @property
    def bits(self) -> int:
        return self.nbits

    @property
    def num_codes(self) -> int:
        return 1 << self.nbits

    @property
    def code_dtype(self):
        return np.uint8 if self.nbits <= 8 else np.uint16

    @property
    def nar(self) -> int:
        """The NaR code, ``1 << (nbits - 1)``."""
        return 1 << (self.nbits - 1)

    @property
    def nan_codes(self) -> tuple[int, ...]:
        return (self.nar,)

    @property
    def canonical_nan(self) -> int:
        return self.nar

    quiet_nan = canonical_nan

    @property
    def maxpos_code(self) -> int:
        return self.nar - 1

    @property
    def useed(self) -> int:
        return 1 << (1 << self.es)

    # ---- figures ------------------------------------------------------------------------
    @property
    def emax(self) -> int:
        """log2(maxpos) = 2^es * (nbits - 2)."""
        return (1 << self.es) * (self.nbits - 2)

    @property
    def emin(self) -> int:
        """log2(minpos) = -emax."""
        return -self.emax

    def fields(self, code: int) -> tuple[bool, int, int, int, int] | None:
        """``(negative, k, e, f, fbits)`` of a nonzero, non-NaR code (value
        ``(-1)^negative 2^(k 2^es + e) (1 + f / 2^fbits)``); None for 0 and NaR."""
        code = int(code)
        if not 0 <= code < self.num_codes:
            raise ValueError(f"code {code} out of range for {self.name} (0..{self.num_codes - 1})")
        n = self.nbits
        if code in (0, self.nar):
            return None
        neg = code >= self.nar
        mag = (-code) % self.num_codes if neg else code
        body = n - 1
        lead = (mag >> (body - 1)) & 1
        run = 1
        while run < body and ((mag >> (body - 1 - run)) & 1) == lead:
            run += 1
        k = run - 1 if lead else -run
        rest_len = max(body - run - 1, 0)
        rest = mag & ((1 << rest_len) - 1)
        if rest_len >= self.es:
            fbits = rest_len - self.es
            e, f = rest >> fbits, rest & ((1 << fbits) - 1)
        else:
            fbits, e, f = 0, rest << (self.es - rest_len), 0
        return neg, k, e, f, fbits

    def exact_value(self, code: int) -> Fraction | float:
        """Exact value of one code: a Fraction, float NaN for NaR."""
        fl = self.fields(code)
        if fl is None:
            return float("nan") if int(code) == self.nar else Fraction(0)
        neg, k, e, f, fbits = fl
        v = Fraction(2) ** (k * (1 << self.es) + e - fbits) * ((1 << fbits) + f)
        return -v if neg else v

    def figures(self) -> dict:
        figs = dict(name=self.name, kind=self.kind, bits=self.bits, es=self.es, useed=self.useed)
        figs.update(max_finite=self.max_finite, min_normal=self.min_normal, min_subnormal=self.min_subnormal)
        figs.update(emax=self.emax, emin=self.emin, has_infinity=False, nan_codes=1)
        figs.update(negative_zero=False, num_finite=self.num_finite)
        return figs

    _repr_html_ = Format._repr_html_

    # ---- codes: fields, class, binades ---------------------------------------------------------
    code_bits = Format.code_bits

    def code_fields(self, code: int) -> list[tuple[str, str]]:
        """``sign, regime, exponent, fraction`` of the magnitude (for a negative code, of its
        two's complement, as the standard decodes it); ``sign, bits`` for 0 and NaR."""
        c = int(self.code_bits(code), 2)
        n, sign = self.nbits, c >> (self.nbits - 1)
        body = format(((-c) % self.num_codes if sign else c) & (self.nar - 1), f"0{n - 1}b")
        if c in (0, self.nar):
            return [("sign", str(sign)), ("bits", body)]
        run = len(body) - len(body.lstrip(body[0]))
        regime, rest = body[: min(run + 1, n - 1)], body[min(run + 1, n - 1):]
        return [("sign", str(sign)), ("regime", regime), ("exponent", rest[: self.es]), ("fraction", rest[self.es:])]

    def code_class(self, code: int) -> str:
        """``zero``, ``nar`` (Not a Real) or ``normal`` (posits have no subnormals or Inf)."""
        c = int(self.code_bits(code), 2)
        return "zero" if c == 0 else "nar" if c == self.nar else "normal"

    def binades(self) -> tuple[tuple[int, int], ...]:
        """``(e, n)`` per binade ``[2^e, 2^(e+1))`` of positive values, ascending (minpos to maxpos)."""
        counts: dict[int, int] = {}
        for c in range(1, self.nar):
            fl = self.fields(c)
            assert fl is not None  # 0 < c < NaR
            e = fl[1] * (1 << self.es) + fl[2]
            counts[e] = counts.get(e, 0) + 1
        return tuple(sorted(counts.items()))
