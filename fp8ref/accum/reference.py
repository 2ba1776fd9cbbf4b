"""An independent exact reference of the block-FMA model, in pure Python (``fractions``).

It restates docs/accumulation.md §1 term by term on :class:`~fractions.Fraction` values and
shares no code with the Numba kernel: tests compare the two. Slow (microseconds per product);
meant for small blocks, worked examples and hypothesis-generated cases.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .model import check_input_format, get_model

__all__ = ["reference_dot", "round_fraction"]

_OUT = {"fp32": (-126, 127), "fp16": (-14, 15)}


def _floor_log2(x: Fraction) -> int:
    """floor(log2 x) for a positive Fraction, exactly."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    return e


def _trunc_to_grid(x: Fraction, g: Fraction) -> Fraction:
    """x truncated toward zero to a multiple of g."""
    q = abs(x) / g
    k = q.numerator // q.denominator
    return (k * g) if x >= 0 else -(k * g)


def round_fraction(x: Fraction, frac: int, emin: int, emax: int, rne: bool):
    """x rounded to ``frac`` fraction bits (exponent floor emin: gradual underflow), RNE or RZ;
    a rounded magnitude of 2^(emax+1) or more is ±inf. Returns a Python float (exact)."""
    if x == 0:
        return 0.0
    mag = abs(x)
    ulp = Fraction(2) ** (max(_floor_log2(mag), emin) - frac)
    q = mag / ulp
    k, r = divmod(q.numerator, q.denominator)
    if rne and (2 * r > q.denominator or (2 * r == q.denominator and k % 2 == 1)):
        k += 1
    v = k * ulp
    if v >= Fraction(2) ** (emax + 1):
        return -math.inf if x < 0 else math.inf
    v = float(v)  # exact: k has at most frac+1 bits and the exponent is in range
    return -v if x < 0 else v


def _neg_zero(x):
    return x == 0 and math.copysign(1.0, x) < 0


def _zero_sum(addends):
    """IEEE 754 sign of an exact zero sum (round to nearest / toward zero): -0 only when every
    addend is -0."""
    return -0.0 if all(_neg_zero(v) for v in addends) else 0.0


def _bfma(a, b, xa, xb, c, n_emin, F, frac, emin, emax, rne):
    """One block FMA: products (a[i]·2^xa[i])·(b[i]·2^xb[i]) and the accumulator c (floats).
    A zero result has the IEEE 754 sign (the caller maps it to +0 unless the model has
    ``signed_zero``)."""
    prods = [x * y for x, y in zip(a, b)]  # float products only for the special-value test
    vals = prods + [c]
    if any(v != v for v in vals) or (math.inf in vals and -math.inf in vals):
        return math.nan
    if math.inf in vals or -math.inf in vals:
        return math.inf if math.inf in vals else -math.inf
    terms = []
    for x, y, sx, sy in zip(a, b, xa, xb):
        if x != 0 and y != 0:
            fx, fy = Fraction(x), Fraction(y)
            e = max(_floor_log2(abs(fx)), n_emin) + max(_floor_log2(abs(fy)), n_emin) + sx + sy
            terms.append((fx * fy * Fraction(2) ** (sx + sy), e))  # ea + eb: not renormalised
    if c != 0:
        fc = Fraction(c)
        terms.append((fc, max(_floor_log2(abs(fc)), -126)))
    if not terms:
        return _zero_sum(vals)
    if F is None:
        S = sum(v for v, _ in terms)
    else:
        g = Fraction(2) ** (max(e for _, e in terms) - F)
        S = sum(_trunc_to_grid(v, g) for v, _ in terms)
    if S == 0:
        return _zero_sum(vals)
    return round_fraction(S, frac, emin, emax, rne)


def _fma32(s, t, acc):
    if not (math.isfinite(s) and math.isfinite(t) and math.isfinite(acc)):
        return s * t + acc
    x = Fraction(s) * Fraction(t) + Fraction(acc)
    if x == 0:
        return _zero_sum([s * t, acc])
    return round_fraction(x, 23, -126, 127, True)


def reference_dot(a, b, c=0.0, *, model="h100_fp8", in_fmt=None, out="fp32", scales=None,
                  a_scale_exp=None, b_scale_exp=None):
    """D = c + Σ a[k]·b[k] under ``model``, exactly as docs/accumulation.md §1 defines it.

    a, b: sequences of floats (values of the input format); c: a float (binary32, or binary16
    when out="fp16"). scales: for promotion models, one float per promotion interval
    (DeepGEMM's sA·sB, rounded to binary32 before use); default 1. a_scale_exp, b_scale_exp:
    per-element MX scale exponents X (element value ·2^X, alignment exponent + X); default 0.
    Returns a Python float: a zero is +0 unless the model has ``signed_zero`` (then IEEE 754
    signs); a NaN is any NaN (the model's ``nan_bits`` are a property of the output array).
    """
    m = get_model(model)
    fmt = check_input_format(m.in_fmt if in_fmt is None else in_fmt)
    a, b = [float(x) for x in a], [float(x) for x in b]
    if len(a) != len(b):
        raise ValueError(f"a and b differ in length: {len(a)} and {len(b)}")
    K = len(a)
    xa = [0] * K if a_scale_exp is None else [int(x) for x in a_scale_exp]
    xb = [0] * K if b_scale_exp is None else [int(x) for x in b_scale_exp]
    if out == "fp16":
        frac, rne = 10, True
    elif out == "fp32":
        frac, rne = m.out_frac, m.out_rounding == "rne"
    else:
        raise ValueError(f"out must be 'fp32' or 'fp16', got {out!r}")
    if out == "fp16" and not m.fp16_out:
        raise ValueError(f"model {m.name!r} has no fp16 output mode")
    emin, emax = _OUT[out]
    n = m.n if m.n is not None else max(K, 1)

    def chain(k0, k1, acc):
        for j in range(k0, k1, n):
            e = min(j + n, k1)
            acc = _bfma(a[j:e], b[j:e], xa[j:e], xb[j:e], acc, fmt.emin, m.frac_bits, frac, emin, emax, rne)
        return acc

    c = float(c)
    if not m.promote:
        acc = chain(0, K, c)
    else:
        acc = c
        for p, j0 in enumerate(range(0, K, m.promote)):
            s = 1.0 if scales is None else round_fraction(Fraction(float(scales[p])), 23, -126, 127, True)
            acc = _fma32(s, chain(j0, min(j0 + m.promote, K), 0.0), acc)
    return acc if m.signed_zero or acc != 0 else 0.0
