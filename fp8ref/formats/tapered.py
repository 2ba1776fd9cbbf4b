"""Tapered formats (HiFloat8 and user-defined variants): a prefix code picks the field widths.

Code layout: ``S | dot (prefix code) | Em (exp_bits) | mantissa (the rest)``. The magnitude
(code without its sign bit) is decoded by the first :class:`DotCode` whose ``prefix`` it starts
with; the prefixes must form a complete prefix code over the magnitude's leading bits.

* normal class (``exp_bits = D``): the exponent is sign-magnitude with an implicit leading
  magnitude bit, ``|E| = 2^(D-1) + Em[D-2:0]``, ``E < 0`` iff ``Em[D-1]``; ``D = 0`` gives
  ``E = 0``. Value ``2^E * (1 + mant / 2^mbits)``, no bias.
* denormal class (``dml_bias = b``, HiF8's DML): value ``2^(mant - b)`` for ``mant >= 1``; the
  mantissa bits are an exponent extension (one value per binade).
* reserved class (neither): every code in it is a NaN.

Magnitude 0 is zero (``0x00``, the only zero) and ``sign | 0`` is the canonical NaN (HiF8:
``0x80``); it must fall in a denormal or reserved class. ``inf_mag`` (HiF8: ``0x6F``) is the
magnitude of ±Inf (None: no Inf); it must be the pattern of the largest would-be value. Codes
are **not** ordered by value (negative exponents set Em's sign bit): use :func:`codes_by_value`.

Conversion rules: ``fp8ref.codecs.tapered`` and ``docs/formats_hif8.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple

import numpy as np

from .ieee import Format

__all__ = ["DotCode", "TaperedFormat", "HIF8", "HIF8_DOTS", "codes_by_value"]


class DotCode(NamedTuple):
    """One class of the prefix code: ``prefix`` ('0'/'1' string) and what follows it."""

    prefix: str
    exp_bits: int | None = None  # normal class: exponent field width D (0..)
    dml_bias: int | None = None  # denormal class: value 2^(mant - dml_bias)

    @property
    def kind(self) -> str:
        if self.exp_bits is not None:
            return "normal"
        return "dml" if self.dml_bias is not None else "reserved"


#: HiF8's dot table (Luo et al., arXiv:2409.16626 §2; ../shared/specs/formats.md §1.1)
HIF8_DOTS = (
    DotCode("11", 4),
    DotCode("10", 3),
    DotCode("01", 2),
    DotCode("001", 1),
    DotCode("0001", 0),
    DotCode("0000", dml_bias=23),
)


class _Entry(NamedTuple):
    kind: str  # "zero", "nan", "inf", "finite"
    e: int  # binade exponent (finite)
    mbits: int  # mantissa width of the binade (finite)
    mant: int  # mantissa field (finite)


@dataclass(frozen=True)
class TaperedFormat:
    """Immutable description of a HiF8-style tapered format (see the module docstring)."""

    name: str
    dots: tuple = HIF8_DOTS
    bits: int = 8
    inf_mag: int | None = 0x6F
    #: HR (``rounding="hybrid"``): TA where the input's ``|floor(log2 |x|)| < hybrid_ta_below``
    hybrid_ta_below: int = 4
    doc: str = field(default="", compare=False)

    kind = "tapered"
    has_nan = True
    has_zero = True
    has_negative_zero = False
    is_signed = True

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("TaperedFormat.name must be a non-empty string")
        if not 3 <= self.bits <= 16:
            raise ValueError(f"bits must be in 3..16, got {self.bits}")
        object.__setattr__(self, "dots", tuple(DotCode(*d) for d in self.dots))
        mb = self.bits - 1
        for d in self.dots:
            if not d.prefix or set(d.prefix) - {"0", "1"}:
                raise ValueError(f"dot prefix must be a non-empty 0/1 string, got {d.prefix!r}")
            if d.exp_bits is not None and d.dml_bias is not None:
                raise ValueError(f"dot {d.prefix!r}: give exp_bits or dml_bias, not both")
            if d.exp_bits is not None and not 0 <= d.exp_bits <= 6:
                raise ValueError(f"dot {d.prefix!r}: exp_bits must be in 0..6, got {d.exp_bits}")
            if len(d.prefix) + (d.exp_bits or 0) > mb:
                raise ValueError(f"dot {d.prefix!r}: prefix and exponent leave no room in {mb} bits")
        ps = [d.prefix for d in self.dots]
        for a in ps:
            for b in ps:
                if a is not b and b.startswith(a):
                    raise ValueError(f"dot prefixes {a!r} and {b!r} are not a prefix code")
        if sum(Fraction(1, 2 ** len(p)) for p in ps) != 1:
            raise ValueError("dot prefixes must cover every magnitude code (a complete prefix code)")
        tab = self._table  # validates the value set
        if tab[0].kind != "zero":
            raise ValueError("magnitude 0 must lie in a denormal or reserved class (it is zero)")
        if self.inf_mag is not None:
            if not 0 < self.inf_mag <= self.top_code_mag:
                raise ValueError(f"inf_mag {self.inf_mag:#x} out of range")
            if self._would_be[self.inf_mag] is None or self._would_be[self.inf_mag] <= self._max_value:
                raise ValueError("inf_mag must be the pattern of the largest would-be value")
        es = sorted(self._binades)
        if es != list(range(es[0], es[-1] + 1)):
            raise ValueError(f"format {self.name!r}: binade exponents are not contiguous")
        if es[-1] > 1000 or es[0] - max(m for m, _ in self._binades.values()) < -1070:
            raise ValueError(f"format {self.name!r} has values outside float64's range")

    # ---- layout -------------------------------------------------------------------------
    @property
    def num_codes(self) -> int:
        return 1 << self.bits

    @property
    def code_dtype(self):
        return np.uint8 if self.bits <= 8 else np.uint16

    sign_mask = Format.sign_mask
    top_code_mag = Format.top_code_mag

    @property
    def canonical_nan(self) -> int:
        return self.sign_mask

    quiet_nan = canonical_nan

    @property
    def has_infinity(self) -> bool:
        return self.inf_mag is not None

    @property
    def inf_code_mag(self) -> int | None:
        return self.inf_mag

    @cached_property
    def _decoded(self):
        """(table of _Entry per magnitude, would-be value per magnitude)."""
        mb = self.bits - 1
        entries, would = [], []
        for mag in range(1 << mb):
            s = format(mag, f"0{mb}b")
            d = next(d for d in self.dots if s.startswith(d.prefix))
            rest = s[len(d.prefix):]
            if d.kind == "normal":
                D = d.exp_bits
                em, mant = rest[:D], rest[D:]
                if D == 0:
                    e = 0
                else:
                    mag_e = (1 << (D - 1)) + (int(em[1:], 2) if D > 1 else 0)
                    e = -mag_e if em[0] == "1" else mag_e
                m = len(mant)
                mv = int(mant, 2) if m else 0
                entries.append(_Entry("finite", e, m, mv))
                would.append(Fraction(2) ** e * (1 + Fraction(mv, 1 << m)))
            elif d.kind == "dml":
                mv = int(rest, 2) if rest else 0
                if mv == 0:
                    entries.append(_Entry("zero" if mag == 0 else "nan", 0, 0, 0))
                    would.append(None)
                else:
                    entries.append(_Entry("finite", mv - d.dml_bias, 0, 0))
                    would.append(Fraction(2) ** (mv - d.dml_bias))
            else:
                entries.append(_Entry("zero" if mag == 0 else "nan", 0, 0, 0))
                would.append(None)
        if self.inf_mag is not None and 0 <= self.inf_mag < len(entries):
            entries[self.inf_mag] = _Entry("inf", 0, 0, 0)
        return tuple(entries), tuple(would)

    @property
    def _table(self):
        return self._decoded[0]

    @property
    def _would_be(self):
        return self._decoded[1]

    @cached_property
    def _binades(self) -> dict:
        """exponent e -> (mantissa width, magnitude code of 2^e); one class per binade."""
        out = {}
        for mag, t in enumerate(self._table):
            if t.kind == "finite" and t.mant == 0:
                if t.e in out:
                    raise ValueError(f"format {self.name!r}: binade 2^{t.e} is encoded twice")
                out[t.e] = (t.mbits, mag)
        for t in self._table:
            if t.kind == "finite" and out[t.e][0] != t.mbits:
                raise ValueError(f"format {self.name!r}: binade 2^{t.e} has two mantissa widths")
        return out

    @cached_property
    def _max_value(self) -> Fraction:
        return max(self._positive_values)

    @cached_property
    def _positive_values(self):
        return tuple(self._exact_mag(m) for m, t in enumerate(self._table) if t.kind == "finite")

    def _exact_mag(self, mag) -> Fraction:
        t = self._table[mag]
        return Fraction(2) ** t.e * (1 + Fraction(t.mant, 1 << t.mbits))

    # ---- figures ------------------------------------------------------------------------
    @cached_property
    def nan_codes(self) -> tuple:
        mags = [m for m, t in enumerate(self._table) if t.kind == "nan"]
        codes = [self.sign_mask] + mags + [m | self.sign_mask for m in mags]
        return tuple(sorted(codes))

    @cached_property
    def max_code_mag(self) -> int:
        """Magnitude code of the largest finite value."""
        return max((m for m, t in enumerate(self._table) if t.kind == "finite"), key=self._exact_mag)

    @property
    def max_code(self) -> int:
        return self.max_code_mag

    @property
    def emax(self) -> int:
        return max(self._binades)

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal (significand-carrying) binade."""
        return min(e for e, (m, _) in self._binades.items() if m > 0)

    @property
    def emin_all(self) -> int:
        """Exponent of the smallest positive value (denormal binades included)."""
        return min(self._binades)

    @property
    def man_bits(self) -> int:
        """The widest mantissa (HiF8: 3)."""
        return max(m for m, _ in self._binades.values())

    def mantissa_bits(self, e: int) -> int:
        """Mantissa width of the binade ``[2^e, 2^(e+1))`` (0 for denormal binades)."""
        return self._binades[e][0]

    @property
    def max_finite(self) -> float:
        return float(self._max_value)

    @property
    def min_normal(self) -> float:
        return 2.0**self.emin

    @property
    def min_subnormal(self) -> float:
        """The smallest positive value (HiF8: 2^-22, the smallest DML value)."""
        return 2.0**self.emin_all

    @property
    def num_finite(self) -> int:
        """Finite codes, zero included (HiF8: 253)."""
        return 1 + 2 * len(self._positive_values)

    def exact_value(self, code: int) -> Fraction | float:
        """Exact value of one code: a Fraction, float ±inf or float NaN."""
        code = int(code)
        if not 0 <= code < self.num_codes:
            raise ValueError(f"code {code} out of range for {self.name} (0..{self.num_codes - 1})")
        neg, mag = bool(code & self.sign_mask), code & self.top_code_mag
        t = self._table[mag]
        if t.kind == "zero":
            return float("nan") if neg else Fraction(0)
        if t.kind == "nan":
            return float("nan")
        if t.kind == "inf":
            return float("-inf") if neg else float("inf")
        v = self._exact_mag(mag)
        return -v if neg else v

    _FIGURES = ("name", "kind", "bits", "dots", "man_bits", "max_finite", "min_normal", "min_subnormal",
                "emax", "emin", "has_infinity", "nan_codes", "has_negative_zero", "num_finite")

    def figures(self) -> dict:
        """Key figures as plain Python values (for tables, JSON and reprs)."""
        out = {k: getattr(self, k) for k in self._FIGURES}
        out["dots"] = " ".join(
            f"{d.prefix}:" + (f"D{d.exp_bits}" if d.kind == "normal" else f"DML(b={d.dml_bias})" if d.kind == "dml" else "NaN")
            for d in self.dots
        )
        out["nan_codes"] = len(self.nan_codes)
        out["negative_zero"] = out.pop("has_negative_zero")
        return out

    _repr_html_ = Format._repr_html_

    # ---- codes: fields, class, binades ---------------------------------------------------------
    code_bits = Format.code_bits

    def dot_of(self, code: int) -> DotCode:
        """The class of the prefix code that decodes ``code``'s magnitude."""
        body = self.code_bits(code)[1:]
        return next(d for d in self.dots if body.startswith(d.prefix))

    def code_fields(self, code: int) -> list[tuple[str, str]]:
        """``sign, dot, exponent, mantissa``: ``dot`` the prefix code, ``exponent`` its
        ``exp_bits`` (empty in denormal and reserved classes), ``mantissa`` the rest."""
        s, d = self.code_bits(code), self.dot_of(code)
        rest = s[1 + len(d.prefix):]
        D = d.exp_bits or 0
        return [("sign", s[0]), ("dot", d.prefix), ("exponent", rest[:D]), ("mantissa", rest[D:])]

    def code_class(self, code: int) -> str:
        """``zero``, ``normal``, ``denormal`` (a DML class), ``inf`` or ``nan``."""
        c = int(self.code_bits(code), 2)
        t = self._table[c & self.top_code_mag]
        if t.kind == "zero":
            return "nan" if c & self.sign_mask else "zero"
        if t.kind != "finite":
            return t.kind
        return "denormal" if self.dot_of(c).kind == "dml" else "normal"

    def binades(self) -> tuple[tuple[int, int], ...]:
        """``(e, n)`` per binade ``[2^e, 2^(e+1))`` of positive finite values, ascending."""
        counts: dict[int, int] = {}
        for t in self._table:
            if t.kind == "finite":
                counts[t.e] = counts.get(t.e, 0) + 1
        return tuple(sorted(counts.items()))


def codes_by_value(fmt) -> np.ndarray:
    """Every non-NaN code of ``fmt`` sorted by value (-Inf ... 0 ... +Inf); NaN codes last.

    HiF8 codes are not monotone in value, so comparisons and sorting must go through this order
    (or through decoded values). ``fmt``: a format or its name."""
    if isinstance(fmt, str):
        from . import get_format

        fmt = get_format(fmt)
    keyed = []
    nans = []
    for c in range(fmt.num_codes):
        v = fmt.exact_value(c)
        if isinstance(v, float) and v != v:
            nans.append(c)
        else:
            keyed.append((v, c))
    keyed.sort(key=lambda vc: vc[0])
    return np.array([c for _, c in keyed] + nans, dtype=np.int64)


HIF8 = TaperedFormat(
    "hif8",
    doc="Huawei Ascend HiFloat8 (arXiv:2409.16626): tapered dot prefix code, DML 2^-22..2^-16, "
    "0x00 the only zero, 0x80 NaN, 0x6F/0xEF ±Inf, max 32768",
)
