"""The generic path: each operation's exact result and special cases, element-wise on Parts.

An operation fills a :class:`Result` per element: an exact value ``(neg, cls, M, E)`` (from
:mod:`.exact`), a NaN (propagated or generated), an infinity, or a code that stands as it is
(an operand's own code, or a P3109 unprojected infinity), plus the flags the operation itself
raises (invalid, infinite). :func:`deliver` hands the values to the result format's codec,
which rounds them once and adds inexact / underflow / overflow; the operations never round.

Special cases follow the result format's :class:`~.semantics.Semantics`; comments cite the
rule. Writes are ordered from the least to the most binding case (NaN operands last).
"""

from __future__ import annotations

import numpy as np

from ..codecs import codec_for
from ..core.unpack import FINITE, INF, QNAN, SNAN, ZERO
from ..policy import FLAG_INFINITE, FLAG_INVALID
from . import exact
from .operands import Parts
from .semantics import Semantics, infinity_codes

__all__ = ["Result", "deliver", "BINARY", "UNARY", "add", "sub", "mul", "div", "fma", "product",
           "fma_from_product", "sqrt", "rsqrt", "recip", "convert", "sign_op", "sign_bits", "nan_result_error",
           "MINMAX", "minmax", "clamp"]


def _isnan(p):
    return (p.cls == QNAN) | (p.cls == SNAN)


def _num(p):
    """Finite or zero."""
    return (p.cls == FINITE) | (p.cls == ZERO)


class Result:
    """Per-element outcome of an operation before delivery."""

    def __init__(self, n):
        self.neg = np.zeros(n, dtype=bool)
        self.cls = np.full(n, ZERO, dtype=np.int8)
        self.M = np.zeros(n, dtype=np.int64)
        self.E = np.zeros(n, dtype=np.int64)
        self.code = np.full(n, -1, dtype=np.int64)  # >= 0: this code, as it stands
        self.flags = np.zeros(n, dtype=np.uint8)

    def _set(self, mask, neg, cls, M=0, E=0):
        self.neg = np.where(mask, neg, self.neg)
        self.cls = np.where(mask, cls, self.cls).astype(np.int8)
        self.M = np.where(mask, M, self.M)
        self.E = np.where(mask, E, self.E)
        self.code = np.where(mask, -1, self.code)

    def value(self, mask, neg, M, E):
        """An exact non-zero finite value."""
        self._set(mask, neg, FINITE, M, E)

    def zero(self, mask, neg):
        self._set(mask, neg, ZERO)

    def take(self, mask, p: Parts, code=None):
        """An operand's value (``code``: its own code, where it stands as it is)."""
        self._set(mask, p.neg, p.cls, p.M, p.E)
        if code is not None:
            self.code = np.where(mask, code, self.code)

    def infinity(self, mask, neg, sem: Semantics, fmt):
        """An infinite result of the operation tables: delivered, or P3109's raw ±Inf code."""
        self._set(mask, neg, INF)
        if sem.raw_infinities:
            pinf, ninf = infinity_codes(fmt)
            self.code = np.where(mask, np.where(neg, ninf, pinf), self.code)

    def nan(self, mask, operands=(), invalid=False):
        """A NaN: its sign is the first NaN operand's (positive when generated), signalling NaN
        operands raise invalid (through the codec), ``invalid`` marks a generated one."""
        neg = np.zeros(mask.shape, dtype=bool)
        snan = np.zeros(mask.shape, dtype=bool)
        for p in reversed(operands):
            neg = np.where(_isnan(p), p.neg, neg)
            snan |= p.cls == SNAN
        self._set(mask, neg, np.where(snan, SNAN, QNAN))
        self.flag(mask & invalid, FLAG_INVALID)

    def flag(self, mask, bit):
        self.flags = np.where(mask, self.flags | np.uint8(bit), self.flags)

    def is_nan(self):
        return ((self.cls == QNAN) | (self.cls == SNAN)) & (self.code < 0)


def nan_result_error(what, i, fmt):
    return ValueError(f"{what}: element {i} has a NaN result, which {fmt.name} cannot represent; "
                      "choose nan_to='zero', 'max' or 'ml_dtypes'")


def deliver(res: Result, fmt, policy, rbits=None, srbits=0, what="operation"):
    """Codes (int64) and flags (uint8) of a Result in ``fmt``: values rounded once by the codec."""
    raw = res.code >= 0
    cls = np.where(raw, FINITE, res.cls).astype(np.int8)  # placeholders (1.0) for coded lanes
    M = np.where(raw, 1, res.M)
    E = np.where(raw, 0, res.E)
    if not getattr(fmt, "has_nan", True) and policy.nan_to == "error":
        nan = (cls == QNAN) | (cls == SNAN)
        if nan.any():
            raise nan_result_error(what, int(np.flatnonzero(nan)[0]), fmt)
    codes, flags = codec_for(fmt).encode_exact(fmt, res.neg, cls, M, E, policy, rbits, srbits)
    codes = np.where(raw, res.code, codes)
    flags = np.where(raw, 0, flags).astype(np.uint8) | res.flags
    return codes, flags


# ---- + - x -------------------------------------------------------------------------------
def _zero_sum_sign(a_zero_neg, b_zero_neg, both_zero, rounding):
    """IEEE 754 §6.3: an exact zero sum is -0 only for (-0) + (-0), or under roundTowardNegative."""
    return np.where(both_zero & (a_zero_neg == b_zero_neg), a_zero_neg, rounding == "rdn")


def add(sem, fmt, a: Parts, b: Parts, rounding) -> Result:
    n = a.cls.shape[0]
    r = Result(n)
    num = _num(a) & _num(b)
    neg, M, E = exact.add(a.neg, np.where(num, a.M, 0), a.E, b.neg, np.where(num, b.M, 0), b.E)
    both_zero = (a.cls == ZERO) & (b.cls == ZERO)
    r.value(num & (M != 0), neg, M, E)
    r.zero(num & (M == 0), _zero_sum_sign(a.neg, b.neg, both_zero, rounding))
    ainf, binf = a.cls == INF, b.cls == INF
    r.infinity(ainf | binf, np.where(ainf, a.neg, b.neg), sem, fmt)
    r.nan(ainf & binf & (a.neg != b.neg), invalid=True)  # ∞ − ∞
    r.nan(_isnan(a) | _isnan(b), (a, b))
    return r


def _negated(p: Parts) -> Parts:
    """-p for every non-NaN element (a NaN keeps its sign)."""
    return p._replace(neg=np.where(_isnan(p), p.neg, ~p.neg))


def sub(sem, fmt, a, b, rounding):
    return add(sem, fmt, a, _negated(b), rounding)


def mul(sem, fmt, a, b, rounding=None):
    r = Result(a.cls.shape[0])
    neg = a.neg ^ b.neg
    M, E = exact.mul(a.M, a.E, b.M, b.E)
    num = _num(a) & _num(b)
    r.value(num & (M != 0), neg, M, E)
    r.zero(num & (M == 0), neg)
    ainf, binf = a.cls == INF, b.cls == INF
    r.infinity((ainf | binf), neg, sem, fmt)
    r.nan((ainf & (b.cls == ZERO)) | (binf & (a.cls == ZERO)), invalid=True)  # 0 × ∞
    r.nan(_isnan(a) | _isnan(b), (a, b))
    return r


def div(sem, fmt, a, b, rounding=None):
    r = Result(a.cls.shape[0])
    neg = a.neg ^ b.neg
    fa, fb = a.cls == FINITE, b.cls == FINITE
    q = fa & fb
    M, E = exact.div(np.where(q, a.M, 1), a.E, np.where(q, b.M, 1), b.E)
    r.value(q, neg, M, E)
    ainf, binf, azero, bzero = a.cls == INF, b.cls == INF, a.cls == ZERO, b.cls == ZERO
    r.zero((azero & (fb | binf)) | (fa & binf), neg)  # 0 / y, x / ∞
    r.infinity(ainf & (fb | bzero), neg, sem, fmt)  # ∞ / y
    if sem.div_by_zero == "infinite":
        r.infinity(fa & bzero, neg, sem, fmt)
        r.flag(fa & bzero, FLAG_INFINITE)  # x / 0: divide by zero (TestFloat's 0x08)
        r.nan(azero & bzero, invalid=True)
    else:
        r.nan(bzero, invalid=True)  # P3109 Divide(X, 0) = NaN for every X; posit x / 0 = NaR
    r.nan(ainf & binf, invalid=True)
    r.nan(_isnan(a) | _isnan(b), (a, b))
    return r


# ---- fused multiply-add: product state, then the sum ------------------------------------------
def product(a: Parts, b: Parts):
    """The state of ``a × b`` an fma needs: ``(Parts, invalid)``. Finite products normalised
    (odd significand) so that equal values have equal states; a NaN product keeps the first NaN
    operand's sign, and is signalling when either operand is; ``invalid`` marks 0 × ∞ (the
    Parts of those elements are +0 placeholders)."""
    neg = a.neg ^ b.neg
    M, E = exact.normalize(*exact.mul(a.M, a.E, b.M, b.E))
    num = _num(a) & _num(b)
    ainf, binf = a.cls == INF, b.cls == INF
    cls = np.where(num, np.where(M != 0, FINITE, ZERO), INF).astype(np.int8)
    nan = _isnan(a) | _isnan(b)
    inv = ~nan & ((ainf & (b.cls == ZERO)) | (binf & (a.cls == ZERO)))
    neg = np.where(nan, np.where(_isnan(a), a.neg, b.neg), neg)
    cls = np.where(nan, np.where((a.cls == SNAN) | (b.cls == SNAN), SNAN, QNAN), cls).astype(np.int8)
    cls = np.where(inv, ZERO, cls).astype(np.int8)
    neg = neg & ~inv
    M = np.where(cls == FINITE, M, 0)
    E = np.where(cls == FINITE, E, 0)
    return Parts(neg, cls, M, E), inv


def fma_from_product(sem, fmt, p: Parts, inv, c: Parts, rounding) -> Result:
    """``p + c`` under the fma rules (p from :func:`product`)."""
    r = Result(c.cls.shape[0])
    num = _num(p) & _num(c) & ~inv
    neg, M, E = exact.add(p.neg, np.where(num, p.M, 0), p.E, c.neg, np.where(num, c.M, 0), c.E)
    both_zero = (p.cls == ZERO) & (c.cls == ZERO)
    r.value(num & (M != 0), neg, M, E)
    r.zero(num & (M == 0), _zero_sum_sign(p.neg, c.neg, both_zero, rounding))
    pinf, cinf = (p.cls == INF) & ~inv, c.cls == INF
    r.infinity(pinf | cinf, np.where(pinf, p.neg, c.neg), sem, fmt)
    r.nan(pinf & cinf & (p.neg != c.neg), invalid=True)  # ∞ − ∞
    pnan, cnan = _isnan(p), _isnan(c)
    r.nan(inv & ~cnan, invalid=True)  # 0 × ∞
    r.nan(pnan | cnan, (p, c), invalid=inv & cnan & sem.fma_nan_invalid)  # fma(0, ∞, qNaN)
    return r


def fma(sem, fmt, a, b, c, rounding):
    p, inv = product(a, b)
    return fma_from_product(sem, fmt, p, inv, c, rounding)


# ---- square roots, reciprocal ------------------------------------------------------------------
def sqrt(sem, fmt, a, rounding=None):
    r = Result(a.cls.shape[0])
    pos = (a.cls == FINITE) & ~a.neg
    M, E = exact.sqrt(np.where(pos, a.M, 1), a.E)
    r.value(pos, False, M, E)
    r.zero(a.cls == ZERO, a.neg)  # sqrt(±0) = ±0
    r.infinity((a.cls == INF) & ~a.neg, False, sem, fmt)
    r.nan(((a.cls == FINITE) | (a.cls == INF)) & a.neg, invalid=True)  # sqrt(x < 0)
    r.nan(_isnan(a), (a,))
    return r


def rsqrt(sem, fmt, a, rounding=None):
    r = Result(a.cls.shape[0])
    pos = (a.cls == FINITE) & ~a.neg
    M, E = exact.rsqrt(np.where(pos, a.M, 1), a.E)
    r.value(pos, False, M, E)
    r.zero((a.cls == INF) & ~a.neg, False)  # rsqrt(+∞) = +0
    zero = a.cls == ZERO
    if sem.div_by_zero == "infinite":
        r.infinity(zero, a.neg, sem, fmt)  # rsqrt(±0) = ±∞, divide by zero (IEEE 754 §9.2)
        r.flag(zero, FLAG_INFINITE)
    else:
        r.nan(zero, invalid=True)
    r.nan(((a.cls == FINITE) | (a.cls == INF)) & a.neg, invalid=True)
    r.nan(_isnan(a), (a,))
    return r


def _one(n):
    return Parts(np.zeros(n, dtype=bool), np.full(n, FINITE, dtype=np.int8), np.ones(n, dtype=np.int64),
                 np.zeros(n, dtype=np.int64))


def recip(sem, fmt, a, rounding=None):
    """1 / a (P3109 Recip: Recip(±∞) = 0, Recip(0) = NaN; IEEE: 1/±0 = ±∞ with 0x08)."""
    return div(sem, fmt, _one(a.cls.shape[0]), a)


def convert(sem, fmt, a, rounding=None):
    r = Result(a.cls.shape[0])
    r.take(np.ones(a.cls.shape, dtype=bool), a)  # P3109 Convert: Project(x), ∞ included
    return r


# ---- sign operations ---------------------------------------------------------------------------
def sign_op(sem, fmt, op, a, b=None, a_code=None):
    """neg / abs / copysign on values: ``value`` rule (exact value with the new sign, NaN
    quiet with the new sign) or the P3109 tables (NaN -> NaN; ±∞ -> raw ±Inf; else Project).
    The bit rule (same-format IEEE-like operands) is applied by the caller on the codes."""
    n = a.cls.shape[0]
    if op == "neg":
        neg = ~a.neg
    elif op == "abs":
        neg = np.zeros(n, dtype=bool)
    else:
        neg = b.neg.copy()
        if sem.sign_ops == "p3109":  # CopySign: y >= 0 (a zero of either sign) gives +|x|
            neg &= b.cls != ZERO
    r = Result(n)
    r._set(np.ones(n, dtype=bool), neg, np.where(_isnan(a), QNAN, a.cls), a.M, a.E)  # quiet (§5.5.1)
    if sem.sign_ops == "p3109":
        r.infinity(a.cls == INF, neg, sem, fmt)
        r.nan(_isnan(a) | (_isnan(b) if b is not None else False), ())
    return r


def sign_bits(fmt, op, code, b_neg=None):
    """IEEE 754 §5.5.1 on the code: flip / clear / copy the sign bit, NaN included, no flags.
    In formats without -0 the codes +0 and the sign-only NaN keep their (missing) sign."""
    s = np.int64(fmt.sign_mask)
    code = code.astype(np.int64)
    if op == "neg":
        out = code ^ s
    elif op == "abs":
        out = code & ~s
    else:
        out = (code & ~s) | np.where(b_neg, s, 0)
    if not fmt.has_negative_zero:
        out = np.where((code & ~s) == 0, code, out)
    return out


# ---- selections: min/max family, clamp -------------------------------------------------------
MINMAX = ("minimum", "maximum", "minimum_number", "maximum_number", "minimum_magnitude",
          "maximum_magnitude", "minimum_magnitude_number", "maximum_magnitude_number",
          "minimum_finite", "maximum_finite")  # the last two: P3109 only


def _less(va, vb, na, nb):
    """a < b on exact values (float64 holds every value exactly), -0 below +0."""
    return (va < vb) | ((va == vb) & na & ~nb)


def _pick(r, sem, fmt, mask, p, code, same):
    """Deliver operand ``p`` where ``mask``: its own code when every operand is in the result
    format (``same``; IEEE 754's homogeneous operations return an operand), P3109's raw ±Inf for
    an infinity, else its value through the codec (as convertFormat)."""
    r.take(mask, p, code if same else None)
    if sem.raw_infinities:
        r.infinity(mask & (p.cls == INF), p.neg, sem, fmt)


def minmax(sem, fmt, name, a, b, va, vb, a_code, b_code, a_same, b_same):
    """IEEE 754-2019 §9.6 (P3109's Minimum ... MaximumMagnitudeNumber tables agree on values;
    they deliver ±∞ unprojected). ``*_number``: a NaN operand is ignored (a signalling one still
    raises invalid); P3109's ``*_finite``: NaN and ±∞ operands are ignored where a finite one
    exists. ``va``/``vb``: exact float64 values."""
    is_max = name.startswith("max")
    lt = _less(va, vb, a.neg, b.neg)
    gt = _less(vb, va, b.neg, a.neg)
    if "_magnitude" in name:
        ma, mb = np.abs(va), np.abs(vb)
        lt = np.where(ma == mb, lt, ma < mb)
        gt = np.where(ma == mb, gt, ma > mb)
    pick_b = lt if is_max else gt  # equal: a
    an, bn = _isnan(a), _isnan(b)
    if name.endswith("_number") or name.endswith("_finite"):
        miss_a, miss_b = an, bn
        if name.endswith("_finite"):
            miss_a, miss_b = an | (a.cls == INF), bn | (b.cls == INF)
        pick_b = np.where(miss_a & ~miss_b, True, np.where(miss_b & ~miss_a, False, pick_b))
        pick_b = np.where(an & ~bn, True, np.where(bn & ~an, False, pick_b))
        nan = an & bn
        r = Result(a.cls.shape[0])
        r.flag((an ^ bn) & ((a.cls == SNAN) | (b.cls == SNAN)), FLAG_INVALID)
    else:
        nan = an | bn
        r = Result(a.cls.shape[0])
    _pick(r, sem, fmt, ~pick_b, a, a_code, a_same)
    _pick(r, sem, fmt, pick_b, b, b_code, b_same)
    r.nan(nan, (a, b))
    return r


def clamp(sem, fmt, x, lo, hi, vx, vlo, vhi, codes, same):
    """clamp(x, lo, hi): NaN if an operand is NaN or lo > hi (invalid); lo where x <= lo,
    hi where x >= hi, else x (P3109 Clamp; the same rule for every family)."""
    r = Result(x.cls.shape[0])
    at_lo = vx <= vlo
    at_hi = ~at_lo & (vx >= vhi)
    _pick(r, sem, fmt, ~at_lo & ~at_hi, x, codes[0], same[0])
    _pick(r, sem, fmt, at_lo, lo, codes[1], same[1])
    _pick(r, sem, fmt, at_hi, hi, codes[2], same[2])
    nan = _isnan(x) | _isnan(lo) | _isnan(hi)
    r.nan((vlo > vhi) & ~nan, invalid=True)
    r.nan(nan, (x, lo, hi))
    return r


BINARY = {"add": add, "sub": sub, "mul": mul, "div": div}
UNARY = {"sqrt": sqrt, "rsqrt": rsqrt, "recip": recip, "convert": convert}
