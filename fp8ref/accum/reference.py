"""An independent exact reference of the accumulation models, in pure Python (``fractions``).

It restates docs/accumulation.md §1 term by term on :class:`~fractions.Fraction` values (steps,
stages, fused sums, roundings, specials, zero signs) and shares no code with the Numba kernel:
tests compare the two. Slow (microseconds per product); meant for small blocks, worked examples
and hypothesis-generated cases.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .model import get_model, input_format, stage_order

__all__ = ["reference_dot", "round_fraction"]

_OUT = {"fp32": (-126, 127), "fp16": (-14, 15)}
_SCALE_EMIN = {"ue8m0": -127, "ue4m3": -6}  # scale exponents clamp at the scale format's emin
_C_EMIN = -126                              # a rounded value's alignment exponent clamps here


def _floor_log2(x: Fraction) -> int:
    """floor(log2 x) for a positive Fraction, exactly."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    return e


def _to_grid(x: Fraction, g: Fraction, how: str) -> Fraction:
    """x rounded to a multiple of g: toward zero ("rtz"), down ("rdn"), or to odd on the
    magnitude ("rto": truncate, then set the last bit when anything was dropped)."""
    q = x / g
    if how == "rdn":
        return (q.numerator // q.denominator) * g
    k, r = divmod(abs(q.numerator), q.denominator)
    if how == "rto" and r:
        k |= 1
    return (k if x >= 0 else -k) * g


def round_fraction(x: Fraction, frac: int, emin: int, emax: int, rne, *, mode=None):
    """x rounded to ``frac`` fraction bits (exponent floor emin: gradual underflow) by ``mode``
    ("rne", "rtz", "rto"; or ``rne`` True/False for RNE/RTZ); a rounded magnitude of
    2^(emax+1) or more is ±inf. Returns a Python float (exact); a nonzero x that rounds to zero
    keeps its sign."""
    mode = mode or ("rne" if rne else "rtz")
    if x == 0:
        return 0.0
    mag = abs(x)
    ulp = Fraction(2) ** (max(_floor_log2(mag), emin) - frac)
    q = mag / ulp
    k, r = divmod(q.numerator, q.denominator)
    if mode == "rne" and (2 * r > q.denominator or (2 * r == q.denominator and k % 2 == 1)):
        k += 1
    elif mode == "rto" and r:
        k |= 1
    v = k * ulp
    if v >= Fraction(2) ** (emax + 1):
        return -math.inf if x < 0 else math.inf
    return math.copysign(float(v), -1.0 if x < 0 else 1.0)  # exact: k has at most frac+1 bits


def _neg_zero(x):
    return x == 0 and math.copysign(1.0, x) < 0


class _Ctx:
    """Per-call constants: the output grid, the model's flags."""

    def __init__(self, m, out):
        self.m = m
        self.fp16 = out == "fp16"
        self.emin, self.emax = _OUT[out]

    def round(self, x, mode, frac):
        """A rounded result (FP16 output mode: RNE binary16), flushed under FTZ."""
        if self.fp16:
            mode, frac = "rne", 10
        v = round_fraction(x, frac, self.emin, self.emax, None, mode=mode)
        if self.m.ftz and v != 0 and abs(v) < 2.0**-126:
            v = math.copysign(0.0, v)
        return v


def _special(vals):
    """NaN (any NaN, or +inf with -inf), the infinity, or None."""
    if any(v != v for v in vals) or (math.inf in vals and -math.inf in vals):
        return math.nan
    if math.inf in vals or -math.inf in vals:
        return math.inf if math.inf in vals else -math.inf
    return None


def _exp_of(v):
    """Alignment exponent of a rounded (float) value: floor(log2|v|) clamped at -126."""
    return max(_floor_log2(abs(Fraction(v))), _C_EMIN)


def _fused(ctx, terms, F, how, acc=None, c_frac=None, c_drop=None, plus_zero=False, zero="ieee"):
    """One fused sum. terms: [(value, exponent)], value a float (zero, inf, NaN) or a nonzero
    Fraction with its alignment exponent; acc: the accumulator (float) or None. Returns the
    exact sum (Fraction; 0 as a signed float zero) or a special float."""
    sp = _special([v for v, _ in terms if isinstance(v, float)] + ([acc] if acc is not None else []))
    if sp is not None:
        return sp
    nz = [(Fraction(v), e, F) for v, e in terms if not (isinstance(v, float) and v == 0)]
    if acc is not None and acc != 0:
        nz.append((Fraction(acc), _exp_of(acc), F if c_frac is None else c_frac))
    if nz and F is not None:
        E = max(e for _, e, _ in nz)
        if acc is not None and acc != 0 and c_drop is not None and nz[-1][1] < E - c_drop:
            nz.pop()
        S = sum(_to_grid(v, Fraction(2) ** (E - f), how) for v, _, f in nz)
    else:
        S = sum(v for v, _, _ in nz)
    if S != 0:
        return S
    addends = [v for v, _ in terms] + ([acc] if acc is not None else [])
    if zero == "ieee" and not plus_zero and all(isinstance(v, float) and _neg_zero(v) for v in addends):
        return -0.0  # IEEE 754: an exactly zero sum is -0 only when every addend is -0
    return 0.0


def _run_stages(ctx, prods, gscales):
    """The step's products through the stages: the items entering the last sum."""
    m = ctx.m
    items = prods
    for i, t in enumerate(m.stages):
        if i == 0 and t.stride is not None:
            items = [items[p] for p in stage_order(len(items), t.size, t.stride)]
        out, prev = [], None
        for g in range(len(items) // t.size):
            terms = list(items[g * t.size:(g + 1) * t.size])
            if t.chain and prev is not None:
                terms.append((prev, None if isinstance(prev, float) and (prev == 0 or not math.isfinite(prev))
                              else _exp_of(prev)))
            zero = "ieee" if m.signed_zero is True else "plus"
            S = _fused(ctx, _norm(terms), t.frac_bits, t.term_rounding, plus_zero=t.plus_zero, zero=zero)
            if t.rounding is not None:
                r = S if isinstance(S, float) else ctx.round(S, t.rounding, t.out_frac)
                if t.chain:
                    prev = r
                else:
                    out.append((r, None))
                continue
            # unrounded: the exact sum, aligned at its group's E (or at the scale exponents)
            if i == 0 and m.scaling == "stage":
                sa, sb, xa, xb = gscales[g]
                if sa != sa or sb != sb or isinstance(S, float):  # a NaN scale makes the group NaN
                    out.append((math.nan if sa != sa or sb != sb else S * sa * sb, None))
                else:
                    v = S * Fraction(sa) * Fraction(sb)
                    out.append((v if v else 0.0, xa + xb))
                continue
            if isinstance(S, float):
                out.append((S, None))
                continue
            E = max(e for v, e in _norm(terms) if not (isinstance(v, float) and v == 0))
            out.append((S, E))
        items = [(prev, None)] if t.chain else out
    return [(v, e if e is not None or isinstance(v, float) else _exp_of(v)) for v, e in items]


def _norm(terms):
    """Terms with float values turned into (zero / special float) or (Fraction, exponent)."""
    out = []
    for v, e in terms:
        if isinstance(v, float) and (v == 0 or not math.isfinite(v)):
            out.append((v, None))
        elif isinstance(v, float):
            out.append((Fraction(v), _exp_of(v) if e is None else e))
        else:
            out.append((v, e))
    return out


def _step(ctx, prods, acc, gscales):
    """One step: products [(value, exponent)] (exact) and the accumulator -> the new accumulator."""
    m = ctx.m
    if m.product_overflow:  # AMD: after the IEEE special check, a product >= 2^128 is +-Inf
        sp = _special([v for v, _ in prods if isinstance(v, float)] + [acc])
        big = {1 if v > 0 else -1 for v, _ in prods if not isinstance(v, float) and abs(v) >= 2**128}
        if sp is None and big:
            return math.nan if len(big) == 2 else (math.inf if 1 in big else -math.inf)
    items = _run_stages(ctx, prods, gscales) if m.stages else prods
    zero = "ieee" if m.signed_zero is True else "plus"
    S = _fused(ctx, _norm(items), m.frac_bits, m.term_rounding, acc=acc, c_frac=m.c_frac, c_drop=m.c_drop, zero=zero)
    if isinstance(S, float):
        return S
    return ctx.round(S, m.out_rounding, m.out_frac)


def _fma32(s, t, acc):
    if not (math.isfinite(s) and math.isfinite(t) and math.isfinite(acc)):
        return s * t + acc
    x = Fraction(s) * Fraction(t) + Fraction(acc)
    if x == 0:
        return -0.0 if _neg_zero(s * t) and _neg_zero(acc) else 0.0
    return round_fraction(x, 23, -126, 127, True)


def reference_dot(a, b, c=0.0, *, model="h100_fp8", fmt=None, a_fmt=None, b_fmt=None, out="fp32", scales=None,
                  a_scales=None, b_scales=None, scale_fmt=None, a_scale_exp=None, b_scale_exp=None, in_fmt=None):
    """D = c + Σ a[k]·b[k] under ``model``, exactly as docs/accumulation.md §1 defines it.

    a, b: sequences of floats (values of the input formats: ``fmt``, or ``a_fmt`` / ``b_fmt``);
    c: a float (binary32, or binary16 when out="fp16"). scales: promotion models, one float per
    promotion interval (DeepGEMM's sA·sB, rounded to binary32 before use); default 1.
    a_scales, b_scales: block-scaled operands, the scale value of each element's block (one float
    per element; ``scale_fmt`` "ue8m0" or "ue4m3" sets the exponent clamp); a_scale_exp,
    b_scale_exp: MX scale exponents per element (the same as a_scales = 2^X). Returns a Python
    float: zeros follow the model's ``signed_zero``; a NaN is any NaN (the model's ``nan_bits``
    are a property of the output array).
    """
    m = get_model(model)
    fmt = fmt if in_fmt is None else in_fmt
    fa = input_format(a_fmt or fmt or m.fmt)
    fb = input_format(b_fmt or fmt or m.fmt)
    a, b = [float(x) for x in a], [float(x) for x in b]
    if len(a) != len(b):
        raise ValueError(f"a and b differ in length: {len(a)} and {len(b)}")
    if out not in _OUT:
        raise ValueError(f"out must be 'fp32' or 'fp16', got {out!r}")
    if out == "fp16" and not m.fp16_out:
        raise ValueError(f"model {m.name!r} has no fp16 output mode")
    K = len(a)
    if a_scale_exp is not None or b_scale_exp is not None:
        a_scales = [2.0 ** int(x) for x in (a_scale_exp if a_scale_exp is not None else [0] * K)]
        b_scales = [2.0 ** int(x) for x in (b_scale_exp if b_scale_exp is not None else [0] * K)]
        scale_fmt = scale_fmt or "ue8m0"
    sa = [1.0] * K if a_scales is None else [float(x) for x in a_scales]
    sb = [1.0] * K if b_scales is None else [float(x) for x in b_scales]
    semin = _SCALE_EMIN.get(scale_fmt or "ue8m0")

    def sexp(s):
        return max(_floor_log2(abs(Fraction(s))), semin) if s and math.isfinite(s) else 0

    ctx = _Ctx(m, out)
    if m.ftz:
        a = [0.0 if abs(x) < 2.0**fa.emin else x for x in a]
        b = [0.0 if abs(x) < 2.0**fb.emin else x for x in b]
        c = 0.0 if abs(float(c)) < 2.0**-126 else float(c)
    staged = m.scaling == "stage"
    prods = []
    for x, y, s, t in zip(a, b, sa, sb):
        if staged:
            p, xs = x * y, 0  # scales enter per group
        else:
            p, xs = x * y * s * t, sexp(s) + sexp(t)
            if s != s or t != t:
                p = math.nan
        if p == 0 or not math.isfinite(p) or p != p:
            prods.append((p, None))
            continue
        fx, fy = Fraction(x), Fraction(y)
        e = max(_floor_log2(abs(fx)), fa.emin) + max(_floor_log2(abs(fy)), fb.emin) + xs
        v = fx * fy if staged else fx * fy * Fraction(s) * Fraction(t)
        prods.append((v, e))  # ea + eb: not renormalised
    n = m.n if m.n is not None else max(K, 1)
    if m.stages and K % n:
        prods += [(0.0, None)] * (n - K % n)  # the last instruction's unused k are +0
        sa += [sa[-1] if sa else 1.0] * (n - K % n)
        sb += [sb[-1] if sb else 1.0] * (n - K % n)

    def group_scales(j0):
        if not staged:
            return None
        size = m.stages[0].size
        return [(sa[j0 + g * size], sb[j0 + g * size], sexp(sa[j0 + g * size]), sexp(sb[j0 + g * size]))
                for g in range(n // size)]

    def chain(k0, k1, acc):
        for j in range(k0, k1, n):
            acc = _step(ctx, prods[j:min(j + n, k1)], acc, group_scales(j))
        return acc

    c = float(c)
    L = len(prods)
    if not m.promote:
        acc = chain(0, L, c)
    else:
        acc = c
        for p, j0 in enumerate(range(0, L, m.promote)):
            s = 1.0 if scales is None else round_fraction(Fraction(float(scales[p])), 23, -126, 127, True)
            acc = _fma32(s, chain(j0, min(j0 + m.promote, L), 0.0), acc)
    if m.signed_zero is True or acc != 0:
        return acc
    return acc if m.signed_zero == "inexact" else 0.0
