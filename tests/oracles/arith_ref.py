"""Exact scalar arithmetic with ``fractions``: the test oracle for ``fp8ref.arith``.

Written from the standards, independently of fp8ref's codecs and rounding: it reads only the
parameters of fp8ref's format *descriptions* (exponent/mantissa bits, bias, which codes are
NaN/Inf, whether -0 exists) and builds its own decode, rounding and encode. One call handles
one element (Python ints in, ``(code, flags)`` out); ``apply`` maps over numpy arrays.

Families (chosen by the format):
* **IEEE-like** (OCP e4m3fn/e5m2, FNUZ, FP6/FP4, fp16/bf16/tf32, user ``Format``s): IEEE 754-2019
  operations and exceptions; the result goes to the format under fp8ref's conversion policy
  vocabulary (overflow ``ovf_inf``/``sat_finite``/``sat_propagate`` with fp8ref's rules: rtz,
  rto and directed modes away from the overflow deliver +/-max, rne/rna/stochastic +/-Inf or NaN
  where the format has no Inf; ``sat_finite`` also sends exact +/-Inf results to +/-max).
* **P3109** (names ``binary8p3se`` / ``p3109_k8p3se`` / ``p3109_8p3``): the interim report's
  operation tables and Project (RoundToPrecision, Saturate, Encode) as observed in the
  reference implementation (tests/oracles/p3109/README.md), with IEEE-style flags added.
* **posit8** (``posit8_es0/1/2``): add/sub/mul/div of the 2022 posit standard (NaR, RNE on
  the encoding, no underflow to 0, no overflow to NaR).

Flags (TestFloat order): inexact 0x01, underflow 0x02, overflow 0x04, infinite 0x08 (division
by zero, IEEE only), invalid 0x10.
Rounding names: fp8ref's (``rne rna rtz rup rdn rto stochastic stochastic_fast
stochastic_rne stochastic_rno``) plus ``raz`` (P3109 TowardMaxMagnitude: round away from zero);
P3109's own names are accepted too. Stochastic modes take ``rbits`` (R) and ``nbits`` (N).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .p3109.cases import P3109Format

INEXACT, UNDERFLOW, OVERFLOW, INFINITE, INVALID = 0x01, 0x02, 0x04, 0x08, 0x10

P3109_ROUNDING = {"TowardZero": "rtz", "TowardMaxMagnitude": "raz", "TowardPositive": "rup",
                  "TowardNegative": "rdn", "NearestTiesToAway": "rna", "NearestTiesToEven": "rne",
                  "ToOdd": "rto", "StochasticA": "stochastic", "StochasticB": "stochastic_fast",
                  "StochasticC": "stochastic_rne"}
P3109_SATURATION = {"SatFinite": "sat_finite", "SatPropagate": "sat_propagate", "OvfInf": "ovf_inf"}
ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn", "rto", "raz", "stochastic", "stochastic_fast",
             "stochastic_rne", "stochastic_rno")


@dataclass(frozen=True)
class Mode:
    rounding: str = "rne"
    overflow: str = "ovf_inf"
    tininess: str = "after"
    nan: str = "canonical"  # canonical | keep_sign (sign of the first NaN operand)
    nan_to: str = "error"  # no-NaN formats: error | zero | max | ml_dtypes
    rbits: int = 0
    nbits: int = 0

    @staticmethod
    def of(rounding="rne", overflow="ovf_inf", **kw):
        r = P3109_ROUNDING.get(rounding, rounding)
        o = P3109_SATURATION.get(overflow, overflow)
        if r not in ROUNDINGS:
            raise ValueError(f"unknown rounding {rounding!r}")
        if o not in ("ovf_inf", "sat_finite", "sat_propagate"):
            raise ValueError(f"unknown overflow {overflow!r}")
        return Mode(r, o, **kw)


# ---- values ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class V:
    """A decoded value: kind 'num' (mag >= 0 Fraction), 'inf' or 'nan'; neg = sign bit."""

    kind: str
    neg: bool = False
    mag: Fraction = Fraction(0)
    snan: bool = False

    @property
    def is_nan(self):
        return self.kind == "nan"

    @property
    def is_inf(self):
        return self.kind == "inf"

    @property
    def is_zero(self):
        return self.kind == "num" and self.mag == 0

    @property
    def q(self) -> Fraction:
        return -self.mag if self.neg else self.mag


def num(q: Fraction, neg_zero=False) -> V:
    q = Fraction(q)
    return V("num", q < 0 or (q == 0 and neg_zero), abs(q))


NAN = V("nan")
PINF, NINF = V("inf", False), V("inf", True)


# ---- exact rounding to precision P ------------------------------------------------------------

def floor_log2(x: Fraction) -> int:
    """floor(log2 x) for x > 0, exactly."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    return e


def _stochastic_up(rule: str, frac: Fraction, R: int, N: int) -> bool:
    full = 1 << N
    if rule == "stochastic":
        return math.floor(frac * full) + R >= full
    if rule == "stochastic_fast":
        return math.floor(frac * 2 * full) + 2 * R + 1 >= 2 * full
    d = frac * full
    f = math.floor(d)
    rest = d - f
    if rule == "stochastic_rne":
        f += rest > Fraction(1, 2) or (rest == Fraction(1, 2) and f % 2 == 1)
    elif rule == "stochastic_rno":
        f += rest > Fraction(1, 2) or (rest == Fraction(1, 2) and f % 2 == 0)
    else:
        raise ValueError(rule)
    return f + R >= full


def round_to_precision(x: Fraction, neg: bool, P: int, emin: int | None, bias: int, mode: Mode):
    """Round |x| > 0 to P significant bits (quantum 2^(max(e, emin) - P + 1), no upper exponent
    bound). Returns (rounded magnitude, inexact). Ties and ToOdd look at the parity of the
    truncated candidate's *code*: its last significand bit, or for P = 1 its biased exponent."""
    e = floor_log2(x)
    E = (max(e, emin) if emin is not None else e) - P + 1
    S = x / Fraction(2) ** E
    fl = math.floor(S)
    frac = S - fl
    code_even = (fl % 2 == 0) if P > 1 else (fl == 0 or (E + bias) % 2 == 0)
    r = mode.rounding
    if frac == 0 or r == "rtz":
        up = False
    elif r == "raz":
        up = True
    elif r == "rup":
        up = not neg
    elif r == "rdn":
        up = neg
    elif r == "rna":
        up = frac >= Fraction(1, 2)
    elif r == "rne":
        up = frac > Fraction(1, 2) or (frac == Fraction(1, 2) and not code_even)
    elif r == "rto":
        up = code_even
    else:
        if not 1 <= mode.nbits or not 0 <= mode.rbits < (1 << mode.nbits):
            raise ValueError(f"{r} needs 0 <= rbits < 2^nbits, got rbits={mode.rbits} nbits={mode.nbits}")
        up = _stochastic_up(r, frac, mode.rbits, mode.nbits)
    return (fl + up) * Fraction(2) ** E, frac != 0


def sqrt_value(x: Fraction, bits: int = 200) -> Fraction:
    """sqrt(x) for x >= 0 if exact, else a value strictly inside the same 2^-s interval as
    sqrt(x) with s giving >= ``bits`` significant bits, so every rounding decision at fewer
    bits (incl. N <= 64 stochastic bits) equals that of the true square root."""
    if x == 0:
        return Fraction(0)
    s = bits - floor_log2(x) // 2
    y = x * Fraction(4) ** s
    r = math.isqrt(math.floor(y))
    if r * r == y:
        return r / Fraction(2) ** s
    return (2 * r + 1) / Fraction(2) ** (s + 1)


# ---- formats ----------------------------------------------------------------------------------

class IEEELike:
    """An IEEE-like format from an fp8ref Format description's parameters."""

    family = "ieee"

    def __init__(self, d):
        self.name = d.name
        self.e, self.m, self.bias = d.exp_bits, d.man_bits, d.bias
        self.has_inf, self.nhn, self.nz = d.has_infinity, d.num_high_nans, d.has_negative_zero
        self.bits = 1 + self.e + self.m
        self.sign = 1 << (self.bits - 1)
        self.top = self.sign - 1
        self.inf_mag = self.top - self.nhn if self.has_inf else None
        self.max_mag = self.top - self.nhn - int(self.has_inf)
        self.P, self.emin = self.m + 1, 1 - self.bias
        self.has_nan = self.nhn > 0 or not self.nz
        self.max = self._mag(self.max_mag)
        # IEEE binary layout (all exponent-ones non-zero-mantissa codes are NaN): quiet bit
        self.ieee_nans = self.has_inf and self.m >= 1 and self.nhn == (1 << self.m) - 1

    def _mag(self, c):
        e, f = c >> self.m, c & ((1 << self.m) - 1)
        if e == 0:
            return Fraction(f) * Fraction(2) ** (self.emin - self.m)
        return Fraction((1 << self.m) + f) * Fraction(2) ** (e - self.bias - self.m)

    def decode(self, code) -> V:
        code = int(code)
        neg, mag = bool(code & self.sign), code & self.top
        if (not self.nz and code == self.sign) or mag > self.top - self.nhn:
            snan = self.ieee_nans and not (mag >> (self.m - 1)) & 1
            return V("nan", neg, snan=snan)
        if self.has_inf and mag == self.inf_mag:
            return V("inf", neg)
        return V("num", neg, self._mag(mag))

    def canonical_nan(self, neg=False):
        c = self.top if self.nhn else self.sign
        return c | self.sign if (neg and self.nhn) else c

    def encode_mag(self, q: Fraction) -> int:
        """Code magnitude of a representable value 0 <= q <= max."""
        if q < Fraction(2) ** self.emin:
            t = q / Fraction(2) ** (self.emin - self.m)
            assert t.denominator == 1
            return int(t)
        e = floor_log2(q)
        t = (q / Fraction(2) ** e - 1) * (1 << self.m)
        assert t.denominator == 1
        return ((e + self.bias) << self.m) | int(t)

    def with_sign(self, mag_code, neg):
        if mag_code == 0 and not self.nz:
            return 0
        return mag_code | (self.sign if neg else 0)


class P3109:
    """A P3109 binary<K, P, signedness, domain> format (interim report definitions)."""

    family = "p3109"

    def __init__(self, f: P3109Format):
        self.f = f
        self.name = f.name
        self.K, self.P, self.signed, self.extended = f.K, f.P, f.signed, f.extended
        self.bits = f.K
        self.bias = f.bias
        self.emin = 1 - f.bias
        self.max = f.value(f.max_code)
        self.lo = -self.max if f.signed else Fraction(0)

    def decode(self, code) -> V:
        v = self.f.value(int(code))
        if isinstance(v, float):
            return NAN if v != v else (PINF if v > 0 else NINF)
        return num(v)

    def canonical_nan(self, neg=False):
        return self.f.nan

    def special(self, v: V) -> int:
        """Code of an un-projected special result (the operation tables' NaN / +Inf / -Inf):
        +Inf/-Inf of a format without them are its max finite / min finite (0 when unsigned)."""
        f = self.f
        if v.is_nan:
            return f.nan
        if not v.neg:
            return f.pinf if f.extended else f.max_code
        if not f.signed:
            return 0
        return f.ninf if f.extended else f.max_code + (1 << (f.K - 1))

    def encode(self, q: Fraction) -> int:
        """Code of a representable value."""
        f = self.f
        if q < 0:
            return self.encode(-q) + (1 << (f.K - 1))
        if q < Fraction(2) ** self.emin:
            t = q / Fraction(2) ** (self.emin - (f.P - 1))
            assert t.denominator == 1
            return int(t)
        e = floor_log2(q)
        t = (q / Fraction(2) ** e - 1) * (1 << (f.P - 1))
        assert t.denominator == 1
        return ((e + self.bias) << (f.P - 1)) + int(t)


class Posit:
    """A posit<n, es> format (2022 standard): 0, NaR, two's complement negatives."""

    family = "posit"

    def __init__(self, n: int, es: int, name: str | None = None):
        self.name, self.n, self.es = name or f"posit{n}_es{es}", n, es
        self.bits = n
        self.nar = 1 << (self.n - 1)
        self.values = {c: self._value(c) for c in range(1 << self.n) if c != self.nar}
        self.pos = sorted((v, c) for c, v in self.values.items() if v > 0)

    def _value(self, c):
        n, es = self.n, self.es
        if c == 0:
            return Fraction(0)
        neg = c >> (n - 1)
        if neg:
            c = (-c) & ((1 << n) - 1)
        bits = [(c >> (n - 2 - i)) & 1 for i in range(n - 1)]
        r0 = bits[0]
        run = 1
        while run < len(bits) and bits[run] == r0:
            run += 1
        k = run - 1 if r0 else -run
        rest = bits[run + 1:]
        ebits = (rest[:es] + [0] * es)[:es]
        e = int("".join(map(str, ebits)) or "0", 2)
        fbits = rest[es:]
        f = Fraction(int("".join(map(str, fbits)) or "0", 2), 1 << len(fbits)) if fbits else Fraction(0)
        v = Fraction(2) ** (k * (1 << es) + e) * (1 + f)
        return -v if neg else v

    def decode(self, code) -> V:
        code = int(code)
        return NAN if code == self.nar else num(self.values[code])

    def canonical_nan(self, neg=False):
        return self.nar

    def round(self, q: Fraction) -> tuple[int, int]:
        """Code of q (2022 standard rounding), flags: RNE on the encoding with the exponent
        and fraction continued past n bits; never 0 or NaR (|q| <= minpos -> minpos,
        |q| >= maxpos -> maxpos)."""
        if q == 0:
            return 0, 0
        n, es = self.n, self.es
        a = abs(q)
        minpos, maxpos = self.pos[0][0], self.pos[-1][0]
        if a >= maxpos:
            c, fl = self.pos[-1][1], (OVERFLOW | INEXACT) if a > maxpos else 0
        elif a <= minpos:
            c, fl = 1, (UNDERFLOW | INEXACT) if a < minpos else 0
        else:
            # the infinitely precise encoding: regime, es exponent bits, fraction bits
            sc = floor_log2(a)
            k, e = sc >> es, sc & ((1 << es) - 1)
            reg = "1" * (k + 1) + "0" if k >= 0 else "0" * (-k) + "1"
            frac = a / Fraction(2) ** sc - 1
            width = n + 8
            fint = math.floor(frac * (1 << width))
            sticky = frac * (1 << width) != fint
            s = reg + format(e, f"0{es}b") if es else reg
            s += format(fint, f"0{width}b")
            kept, rest = s[:n - 1], s[n - 1:]
            kc = int(kept, 2)
            first = rest[0] == "1"
            more = "1" in rest[1:] or sticky
            up = first and (more or kc & 1)
            c = kc + up
            fl = INEXACT if (first or more) else 0
        if q < 0:
            c = (-c) & ((1 << n) - 1)
        return c, fl


_POSIT_NAME = re.compile(r"^posit(\d+)_es(\d)$")
_P3109_NAME = re.compile(r"^(binary\d+p\d+(se|sf|ue|uf)?|p3109_k?\d+p\d+(se|sf|ue|uf)?)$")


_FORMATS: dict = {}


def fmt_of(name):
    """The oracle's format object for an fp8ref format name/description or a P3109 name
    (``binary8p3se``, ``p3109_k8p3se``, ``p3109_8p3``: the P3109 family)."""
    if isinstance(name, (IEEELike, P3109, Posit)):
        return name
    key = name  # names and (frozen, hashable) descriptions
    if key not in _FORMATS:
        _FORMATS[key] = _make_format(name)
    return _FORMATS[key]


def _make_format(name):
    if isinstance(name, P3109Format):
        return P3109(name)
    if isinstance(name, str) and _P3109_NAME.match(name.lower()):
        from .p3109 import parse_format

        return P3109(P3109Format(*parse_format(name)))
    m = _POSIT_NAME.match(name.lower()) if isinstance(name, str) else None
    if m:
        return Posit(int(m.group(1)), int(m.group(2)))
    if isinstance(name, str):
        import fp8ref

        d = fp8ref.get_format(name)
    else:
        d = name
    if d.kind == "ieee":
        return IEEELike(d)
    if d.kind == "posit":
        return Posit(d.bits, d.es, d.name)
    raise ValueError(f"no arithmetic reference for {getattr(d, 'name', d)!r} (kind {d.kind})")


# ---- delivering a result -------------------------------------------------------------------------

def _ieee_nan(F: IEEELike, mode: Mode, neg: bool, flags: int):
    if F.has_nan:
        return F.canonical_nan(neg and mode.nan == "keep_sign"), flags
    flags |= INVALID
    if mode.nan_to == "error":
        raise ValueError(f"NaN result in {F.name}, which has no NaN (nan_to='error')")
    if mode.nan_to == "zero":
        return 0, flags
    if mode.nan_to == "max":
        return F.max_mag, flags
    return (0 if neg else F.sign), flags  # ml_dtypes: +NaN -> -0, -NaN -> +0


def _overflow_to_max(mode: Mode, neg: bool) -> bool:
    r = mode.rounding
    return (mode.overflow != "ovf_inf" or r in ("rtz", "rto") or (r == "rdn" and not neg)
            or (r == "rup" and neg))


def deliver(F, v: V, mode: Mode, flags: int = 0) -> tuple[int, int]:
    """Round an exact result v into F under mode; returns (code, flags)."""
    if F.family == "p3109":
        return _deliver_p3109(F, v, mode, flags)
    if F.family == "posit":
        if v.is_nan or v.is_inf:
            return F.nar, flags
        c, fl = F.round(v.q)
        return c, flags | fl
    if v.is_nan:
        return _ieee_nan(F, mode, v.neg, flags)
    if v.is_inf:
        if mode.overflow == "sat_finite":
            return F.with_sign(F.max_mag, v.neg), flags
        if F.has_inf:
            return F.with_sign(F.inf_mag, v.neg), flags
        if F.has_nan:
            return F.canonical_nan(v.neg and mode.nan == "keep_sign"), flags
        return F.with_sign(F.max_mag, v.neg), flags | INVALID
    if v.mag == 0:
        return F.with_sign(0, v.neg), flags
    r, inexact = round_to_precision(v.mag, v.neg, F.P, F.emin, F.bias, mode)
    if r > F.max:
        flags |= OVERFLOW | INEXACT
        if _overflow_to_max(mode, v.neg):
            return F.with_sign(F.max_mag, v.neg), flags
        if F.has_inf:
            return F.with_sign(F.inf_mag, v.neg), flags
        if F.has_nan:
            return F.canonical_nan(v.neg and mode.nan == "keep_sign"), flags
        return F.with_sign(F.max_mag, v.neg), flags
    if inexact:
        flags |= INEXACT
        if _tiny(F, v, mode):
            flags |= UNDERFLOW
    return F.with_sign(F.encode_mag(r), v.neg), flags


def _tiny(F, v: V, mode: Mode) -> bool:
    lim = Fraction(2) ** F.emin
    if mode.tininess == "before":
        return v.mag < lim
    r, _ = round_to_precision(v.mag, v.neg, F.P, None, F.bias, mode)
    return r < lim


def _deliver_p3109(F: P3109, v: V, mode: Mode, flags: int):
    """Project: RoundToPrecision, Saturate (interim report rules), Encode; IEEE-style flags."""
    if v.is_nan:
        return F.f.nan, flags
    if v.is_inf:
        x, inexact = None, False
    elif v.mag == 0:
        return 0, flags
    else:
        r, inexact = round_to_precision(v.mag, v.neg, F.P, F.emin, F.bias, mode)
        x = -r if v.neg else r
    if x is not None and F.lo <= x <= F.max:
        if inexact:
            flags |= INEXACT | (UNDERFLOW if _tiny(F, v, mode) else 0)
        return (F.encode(x) if x != 0 else 0), flags
    sat, rnd = mode.overflow, mode.rounding
    hi_code, lo_code = F.encode(F.max), F.encode(F.lo) if F.lo != 0 else 0
    if x is None:  # an infinite value being projected
        pos = not v.neg
        if sat == "sat_finite":
            return (hi_code if pos else lo_code), flags
        if pos:
            return (F.f.pinf if F.extended else hi_code), flags
        return (F.f.ninf if F.extended and F.signed else lo_code), flags
    flags |= INEXACT
    if x > F.max:
        flags |= OVERFLOW
        if sat != "ovf_inf" or rnd in ("rtz", "rdn") or (not F.signed and rnd == "rto") or not F.extended:
            return hi_code, flags
        return F.f.pinf, flags
    # x < lo: below -max (signed) or negative (unsigned: 0)
    if F.signed:
        flags |= OVERFLOW
        if sat == "ovf_inf" and rnd not in ("rtz", "rup") and F.extended:
            return F.f.ninf, flags
    return lo_code, flags


# ---- operations -----------------------------------------------------------------------------------

def _nan_result(F, vals, mode, invalid=False, flags=0):
    """NaN result: invalid when generated (or any signalling NaN operand)."""
    if invalid or any(v.snan for v in vals):
        flags |= INVALID
    first = next((v for v in vals if v.is_nan), None)
    neg = bool(first and first.neg)
    if F.family == "p3109":
        return F.f.nan, flags
    if F.family == "posit":
        return F.nar, flags
    return _ieee_nan(F, mode, neg, flags)


def _zero_sum_sign(mode, a_neg, b_neg):
    """Sign of an exact zero sum (IEEE 754 6.3): same-signed zeros keep it; else + (rdn: -)."""
    if a_neg == b_neg:
        return a_neg
    return mode.rounding == "rdn"


def _p3109_special(F, v):
    return F.special(v), 0


def op_add(F, a: V, b: V, mode: Mode):
    if a.is_nan or b.is_nan:
        return _nan_result(F, [a, b], mode)
    if a.is_inf and b.is_inf and a.neg != b.neg:
        return _nan_result(F, [a, b], mode, invalid=True)
    if a.is_inf or b.is_inf:
        inf = a if a.is_inf else b
        return _p3109_special(F, inf) if F.family == "p3109" else deliver(F, inf, mode)
    s = a.q + b.q
    if s == 0:
        zneg = _zero_sum_sign(mode, a.neg, b.neg) if a.is_zero and b.is_zero else mode.rounding == "rdn"
        return deliver(F, V("num", zneg), mode)
    return deliver(F, num(s), mode)


def op_sub(F, a, b, mode):
    nb = b if b.is_nan else V(b.kind, not b.neg, b.mag, b.snan)
    return op_add(F, a, nb, mode)


def op_mul(F, a, b, mode):
    if a.is_nan or b.is_nan:
        return _nan_result(F, [a, b], mode)
    neg = a.neg != b.neg
    if (a.is_inf and b.is_zero) or (b.is_inf and a.is_zero):
        return _nan_result(F, [a, b], mode, invalid=True)
    if a.is_inf or b.is_inf:
        return _p3109_special(F, V("inf", neg)) if F.family == "p3109" else deliver(F, V("inf", neg), mode)
    return deliver(F, V("num", neg, a.mag * b.mag), mode)


def op_div(F, a, b, mode):
    if a.is_nan or b.is_nan:
        return _nan_result(F, [a, b], mode)
    neg = a.neg != b.neg
    if a.is_inf and b.is_inf:
        return _nan_result(F, [a, b], mode, invalid=True)
    if b.is_zero and (F.family == "p3109" or a.is_zero):  # P3109: Divide(X, 0) = NaN for every X
        return _nan_result(F, [a, b], mode, invalid=True)
    if a.is_inf:
        return _p3109_special(F, V("inf", neg)) if F.family == "p3109" else deliver(F, V("inf", neg), mode)
    if b.is_zero:  # finite nonzero / 0: division by zero
        return deliver(F, V("inf", neg), mode, INFINITE)
    if b.is_inf:
        return deliver(F, V("num", neg and F.family == "ieee"), mode)
    return deliver(F, V("num", neg, a.mag / b.mag), mode)


def op_fma(F, a, b, c, mode):
    if a.is_nan or b.is_nan or c.is_nan:
        # IEEE (SoftFloat / x86): 0 * Inf + qNaN still signals invalid
        inv = F.family == "ieee" and ((a.is_inf and b.is_zero) or (a.is_zero and b.is_inf)) and not (
            a.is_nan or b.is_nan)
        return _nan_result(F, [a, b, c], mode, invalid=inv)
    pneg = a.neg != b.neg
    if (a.is_inf and b.is_zero) or (a.is_zero and b.is_inf):
        return _nan_result(F, [a, b, c], mode, invalid=True)
    pinf = a.is_inf or b.is_inf
    if pinf and c.is_inf and pneg != c.neg:
        return _nan_result(F, [a, b, c], mode, invalid=True)
    if pinf or c.is_inf:
        inf = V("inf", pneg) if pinf else c
        return _p3109_special(F, inf) if F.family == "p3109" else deliver(F, inf, mode)
    p = a.mag * b.mag
    s = (-p if pneg else p) + c.q
    if s == 0:
        zneg = _zero_sum_sign(mode, pneg, c.neg) if (p == 0 and c.is_zero) else mode.rounding == "rdn"
        return deliver(F, V("num", zneg), mode)
    return deliver(F, num(s), mode)


def op_sqrt(F, a, mode):
    if a.is_nan:
        return _nan_result(F, [a], mode)
    if a.is_zero:
        return deliver(F, a, mode)
    if a.neg:
        return _nan_result(F, [a], mode, invalid=True)
    if a.is_inf:
        return _p3109_special(F, a) if F.family == "p3109" else deliver(F, a, mode)
    return deliver(F, V("num", False, sqrt_value(a.mag)), mode)


def op_recip(F, a, mode):
    one = V("num", False, Fraction(1))
    if F.family == "p3109" and a.is_inf:
        return deliver(F, V("num"), mode)  # Recip(+/-Inf) = Project(0)
    return op_div(F, one, a, mode)


def op_rsqrt(F, a, mode):
    if a.is_nan:
        return _nan_result(F, [a], mode)
    if a.is_zero:
        if F.family == "p3109":
            return _nan_result(F, [a], mode, invalid=True)
        return deliver(F, V("inf", a.neg), mode, INFINITE)
    if a.neg:
        return _nan_result(F, [a], mode, invalid=True)
    if a.is_inf:
        return deliver(F, V("num"), mode)
    r = sqrt_value(a.mag)
    return deliver(F, V("num", False, 1 / r if r * r == a.mag else _recip_sqrt(a.mag)), mode)


def _recip_sqrt(x: Fraction, bits: int = 200) -> Fraction:
    """1/sqrt(x) (x > 0, not a square): a value strictly inside the same 2^-s interval."""
    s = bits + floor_log2(x) // 2 + 2
    y = Fraction(4) ** s / x
    r = math.isqrt(math.floor(y))
    return (2 * r + 1) / Fraction(2) ** (s + 1)


# sign operations: IEEE -- on the code (same format), quiet, no flags; P3109 -- its tables

def op_neg(F, a, mode, code=None):
    if F.family == "p3109":
        if a.is_nan:
            return F.f.nan, 0
        if a.is_inf:
            return F.special(V("inf", not a.neg)), 0
        return deliver(F, num(-a.q), mode)
    if F.family == "ieee" and code is not None:
        if not F.nz and (code == 0 or code == F.sign):
            return code, 0  # FNUZ: 0 and the NaN 0x80 have no negative
        return code ^ F.sign, 0
    return deliver(F, V(a.kind, not a.neg, a.mag), mode)


def op_abs(F, a, mode, code=None):
    if F.family == "p3109":
        if a.is_nan:
            return F.f.nan, 0
        if a.is_inf:
            return F.special(PINF), 0
        return deliver(F, num(a.mag), mode)
    if F.family == "ieee" and code is not None:
        if not F.nz and code == F.sign:
            return code, 0
        return code & ~F.sign, 0
    return deliver(F, V(a.kind, False, a.mag), mode)


def op_copysign(F, a, b, mode, code=None):
    if F.family == "p3109":
        if a.is_nan or b.is_nan:
            return F.f.nan, 0
        neg = b.neg and not b.is_zero
        if a.is_inf:
            return F.special(V("inf", neg)), 0
        return deliver(F, V("num", neg, a.mag), mode)
    if F.family == "ieee" and code is not None:
        if not F.nz and code in (0, F.sign):
            return code, 0
        return (code & ~F.sign) | (F.sign if b.neg else 0), 0
    return deliver(F, V(a.kind, b.neg, a.mag), mode)


# comparisons (IEEE 754 5.11): -0 == +0; NaN unordered; eq/unordered quiet (invalid for sNaN),
# lt/le/gt/ge signalling (invalid for any NaN)

def _key(v: V):
    return v.q if v.kind == "num" else (math.inf if not v.neg else -math.inf)


def compare(op, a: V, b: V, family="ieee"):
    """(result bool, flags)."""
    if a.is_nan or b.is_nan:
        quiet = op in ("eq", "unordered")
        fl = INVALID if (not quiet or a.snan or b.snan) else 0
        return op == "unordered", fl
    x, y = _key(a), _key(b)
    return {"eq": x == y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y, "unordered": False}[op], 0


def total_order(F, ca: int, cb: int) -> bool:
    """IEEE 754 5.10 totalOrder(a, b) on codes of one IEEE-like format: -NaN < -Inf < ... < -0 <
    +0 < ... < +Inf < +NaN, NaNs by payload (signalling below quiet). A NaN without a sign
    (the FNUZ / P3109 sign-only code) is placed after everything (this oracle's choice)."""
    def key(c):
        if F.family == "p3109":
            v = F.decode(c)
            return (2, 0) if v.is_nan else (1, _key(v))
        if not F.nz and c == F.sign:
            return (2, 0)
        mag = c & F.top
        return (1, -mag - 1) if c & F.sign else (1, mag)
    return key(int(ca)) <= key(int(cb))


# min/max family: IEEE 754-2019 9.6 (IEEE-like, -0 < +0, sNaN -> invalid + NaN for minimum/
# maximum, invalid + the number for *Number); P3109: the reference's tables

def _lt_signed(a: V, b: V):
    """a < b with -0 < +0."""
    x, y = _key(a), _key(b)
    if x == y:
        return a.neg and not b.neg
    return x < y


def op_minmax(F, name, a, b, mode, ca=None, cb=None):
    """name: (min|max)imum[_magnitude][_number] or (min|max)imum_finite (P3109 only)."""
    is_max = name.startswith("max")
    number = name.endswith("_number") or name.endswith("_finite")
    magnitude = "_magnitude" in name
    if F.family == "p3109":
        return _minmax_p3109(F, name, a, b, mode)
    sn = a.snan or b.snan
    if a.is_nan or b.is_nan:
        if number and not (a.is_nan and b.is_nan):
            keep = (b, cb) if a.is_nan else (a, ca)
            return _pick(F, keep, mode, INVALID if sn else 0)
        return _nan_result(F, [a, b], mode)

    def lt(x, y):
        if magnitude:
            mx, my = (math.inf if x.is_inf else x.mag), (math.inf if y.is_inf else y.mag)
            if mx != my:
                return mx < my
        return _lt_signed(x, y)
    first_smaller = lt(a, b)
    pick_a = (not first_smaller) if is_max else first_smaller
    if not lt(a, b) and not lt(b, a):
        pick_a = True  # identical values (and signs): either
    return _pick(F, (a, ca) if pick_a else (b, cb), mode, 0)


def _pick(F, vc, mode, flags):
    v, c = vc
    if c is not None and F.family == "ieee":
        if v.is_nan:
            return _nan_result(F, [v], mode, flags=flags)
        return int(c), flags
    code, fl = deliver(F, v, mode)
    return code, fl | flags


def _minmax_p3109(F, name, a, b, mode):
    """The reference's tables (ops/Maximum.h ... MinimumFinite.h)."""
    special = F.special
    proj = lambda v: deliver(F, v, mode)
    is_max = name.startswith("max")
    if name.endswith("_number") or name.endswith("_finite"):
        if a.is_nan and b.is_nan:
            return F.f.nan, 0
        if a.is_nan or b.is_nan:
            o = b if a.is_nan else a
            return (special(o), 0) if o.is_inf else proj(o)
        if name.endswith("_number"):
            return _minmax_p3109(F, name[: -len("_number")], a, b, mode)
        # *_finite: prefer finite values
        if a.is_inf and b.is_inf:
            if is_max:
                return special(PINF if (not a.neg or not b.neg) else NINF), 0
            return special(NINF if (a.neg or b.neg) else PINF), 0
        if a.is_inf or b.is_inf:
            o = b if a.is_inf else a
            return proj(o)
        if a.q == b.q:
            return proj(a)
        return proj(a if (a.q > b.q) == is_max else b)
    if a.is_nan or b.is_nan:
        return F.f.nan, 0
    if "_magnitude" in name:
        if is_max:
            if (a.is_inf and not a.neg) or (b.is_inf and not b.neg):
                return special(PINF), 0
            if a.is_inf or b.is_inf:
                return special(NINF), 0
            if a.mag != b.mag:
                return proj(a if a.mag > b.mag else b)
            return proj(a if a.q >= b.q else b)
        if a.is_inf and b.is_inf:
            return special(NINF if (a.neg or b.neg) else PINF), 0
        if a.is_inf or b.is_inf:
            o = b if a.is_inf else a
            return proj(o)
        if a.mag != b.mag:
            return proj(a if a.mag < b.mag else b)
        return proj(a if a.q <= b.q else b)
    if is_max:
        if (a.is_inf and not a.neg) or (b.is_inf and not b.neg):
            return special(PINF), 0
        if a.is_inf and b.is_inf:
            return special(NINF), 0
        if a.is_inf or b.is_inf:
            return proj(b if a.is_inf else a)
        return proj(a if a.q >= b.q else b)
    if (a.is_inf and a.neg) or (b.is_inf and b.neg):
        return special(NINF), 0
    if a.is_inf and b.is_inf:
        return special(PINF), 0
    if a.is_inf or b.is_inf:
        return proj(b if a.is_inf else a)
    return proj(a if a.q <= b.q else b)


def op_clamp(F, x, lo, hi, mode, codes=None):
    """clamp(x, lo, hi): NaN if any operand is NaN or lo > hi; else lo when x <= lo, hi when
    x >= hi, x otherwise (P3109's Clamp; for IEEE-like formats the same rule, invalid for
    lo > hi and signalling NaNs, and the chosen operand's code is returned unchanged)."""
    if x.is_nan or lo.is_nan or hi.is_nan:
        return _nan_result(F, [x, lo, hi], mode)
    if _key(lo) > _key(hi):
        return _nan_result(F, [x, lo, hi], mode, invalid=True)
    if F.family == "p3109":
        if lo.is_inf and hi.is_inf and lo.neg == hi.neg:
            return F.special(lo), 0
        if x.is_inf:
            end = hi if not x.neg else lo
            return (F.special(end), 0) if end.is_inf else deliver(F, end, mode)
        if not (lo.is_inf and lo.neg) and x.q <= _key(lo):
            return deliver(F, lo, mode)
        if not (hi.is_inf and not hi.neg) and x.q >= _key(hi):
            return deliver(F, hi, mode)
        return deliver(F, x, mode)
    i = 1 if _key(x) <= _key(lo) else 2 if _key(x) >= _key(hi) else 0
    v = (x, lo, hi)[i]
    if codes is not None and F.family == "ieee":
        return int(codes[i]), 0
    return deliver(F, v, mode)


# ---- front end ---------------------------------------------------------------------------------

UNARY = {"sqrt": op_sqrt, "recip": op_recip, "rsqrt": op_rsqrt}
BINARY = {"add": op_add, "sub": op_sub, "mul": op_mul, "div": op_div}
MINMAX = ("minimum", "maximum", "minimum_number", "maximum_number", "minimum_magnitude", "maximum_magnitude",
          "minimum_magnitude_number", "maximum_magnitude_number", "minimum_finite", "maximum_finite")
COMPARISONS = ("eq", "lt", "le", "gt", "ge", "unordered")


def scalar(op, *codes, fmt, in_fmts=None, mode: Mode | None = None, **mode_kw):
    """One element: ``(result, flags)``; result is a code (bool for comparisons/total_order).

    ``fmt``: the result format (and every operand's, unless ``in_fmts`` lists them);
    ``mode``: a :class:`Mode` or its fields as keywords (``rounding``, ``overflow`` in fp8ref or
    P3109 names, ``tininess``, ``nan``, ``nan_to``, ``rbits``, ``nbits``)."""
    F = fmt_of(fmt)
    ins = [fmt_of(f) for f in in_fmts] if in_fmts else [F] * len(codes)
    mode = mode or Mode.of(**mode_kw)
    vals = [G.decode(c) for G, c in zip(ins, codes)]
    same = all(G.name == F.name for G in ins)
    if op in BINARY:
        return BINARY[op](F, *vals, mode)
    if op in UNARY:
        return UNARY[op](F, *vals, mode)
    if op == "fma":
        return op_fma(F, *vals, mode)
    if op == "convert":
        v = vals[0]
        fl = INVALID if v.snan else 0
        if F.family == "p3109" and v.is_nan:
            return F.f.nan, 0
        return deliver(F, v, mode, fl)
    if op == "neg":
        return op_neg(F, vals[0], mode, int(codes[0]) if same else None)
    if op == "abs":
        return op_abs(F, vals[0], mode, int(codes[0]) if same else None)
    if op == "copysign":
        return op_copysign(F, *vals, mode, int(codes[0]) if same else None)
    if op in MINMAX:
        if op.endswith("_finite") and F.family != "p3109":
            raise ValueError(f"{op} is a P3109 operation")
        return op_minmax(F, op, *vals, mode, *(int(c) for c in codes) if same else (None, None))
    if op in COMPARISONS:
        return compare(op, *vals, family=F.family)
    if op == "total_order":
        return total_order(ins[0], *codes), 0
    if op == "clamp":
        return op_clamp(F, *vals, mode, [int(c) for c in codes] if same else None)
    raise ValueError(f"unknown operation {op!r}")


def apply(op, *codes, fmt, in_fmts=None, rbits=None, **mode_kw):
    """Element-wise ``scalar`` over broadcast numpy arrays: (results, flags uint8)."""
    arrs = np.broadcast_arrays(*[np.asarray(c) for c in codes])
    rb = None if rbits is None else np.broadcast_to(np.asarray(rbits), arrs[0].shape)
    res, fl = [], []
    for idx in np.ndindex(arrs[0].shape):
        kw = dict(mode_kw)
        if rb is not None:
            kw["rbits"] = int(rb[idx])
        r, f = scalar(op, *(int(a[idx]) for a in arrs), fmt=fmt, in_fmts=in_fmts, **kw)
        res.append(r)
        fl.append(f)
    out = np.array(res).reshape(arrs[0].shape)
    return out, np.array(fl, dtype=np.uint8).reshape(arrs[0].shape)
