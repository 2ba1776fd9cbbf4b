"""Helpers shared by the P3109 tests: the oracle's mode names -> fp8ref policies, and fp8ref's
result for one mode of a case set (projection from float64/float32/float16/bfloat16 inputs,
from exact dyadic values, and conversion between P3109 formats)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import fp8ref
from fp8ref.codecs import codec_for
from fp8ref.core.unpack import FINITE, INF, QNAN, ZERO
from fp8ref.formats.p3109 import P3109_ROUNDING, P3109_SATURATION


def fmt_of(ref_name: str):
    """fp8ref's format for the reference's name ``binary<K>p<P><s|u><e|f>``."""
    return fp8ref.get_format(ref_name)


def policy_kw(mode) -> dict:
    """encode() keywords for an oracle mode ``(P3109 rounding, saturation, N | None)``."""
    r, s, _ = mode
    return dict(rounding=P3109_ROUNDING[r], overflow=P3109_SATURATION[s])


def encode_mode(x, fmt, mode, rbits=None):
    """fp8ref's codes for inputs ``x`` (any encode() input) under one oracle mode."""
    kw = policy_kw(mode)
    if mode[2] is not None:
        kw.update(rbits=np.asarray(rbits, dtype=np.uint64).astype(np.uint32 if mode[2] <= 32 else np.uint64),
                  srbits=mode[2])
    return np.asarray(fp8ref.encode(x, fmt, **kw)).astype(np.int64)


def exact_parts(values):
    """(neg, cls, M, E) of exact dyadic values (Fraction / int / float inf, nan), M < 2^62."""
    n = len(values)
    neg = np.zeros(n, dtype=bool)
    cls = np.zeros(n, dtype=np.int8)
    M = np.zeros(n, dtype=np.int64)
    E = np.zeros(n, dtype=np.int64)
    for i, v in enumerate(values):
        if isinstance(v, float) and v != v:
            cls[i] = QNAN
            continue
        if isinstance(v, float) and abs(v) == float("inf"):
            cls[i], neg[i] = INF, v < 0
            continue
        q = Fraction(v)
        neg[i] = q < 0
        if q == 0:
            cls[i] = ZERO
            continue
        num, den = abs(q.numerator), q.denominator
        tz = (num & -num).bit_length() - 1  # keep the odd part: M < 2^62 for any exponent
        assert den & (den - 1) == 0 and num >> tz < (1 << 62), v
        cls[i], M[i], E[i] = FINITE, num >> tz, tz - (den.bit_length() - 1)
    return neg, cls, M, E


def encode_parts_mode(parts, fmt, mode, rbits=None, return_flags=False):
    """fp8ref's codec on exact ``(neg, cls, M, E)`` (the path fp8ref.arith's exact results take)."""
    pol = fp8ref.make_policy(fmt.name, None, **policy_kw(mode))
    r = None if mode[2] is None else np.asarray(rbits, dtype=np.uint64).astype(np.int64)
    codes, flags = codec_for(fmt).encode_exact(fmt, *parts, pol, r, mode[2] or 0)
    return (codes.astype(np.int64), flags) if return_flags else codes.astype(np.int64)


def value_records(v: np.ndarray) -> bytes:
    """cases.decode_records of float64 values, vectorised (value = ±m * 2^e, m odd or 0)."""
    rec = np.zeros(v.size, dtype=[("m", "<u8"), ("e", "<i4"), ("cls", "<i4")])
    fin = np.isfinite(v) & (v != 0)
    f, ex = np.frexp(np.abs(np.where(fin, v, 1.0)))
    m = (f * 2.0**53).astype(np.uint64)
    tz = np.zeros(v.size, dtype=np.int64)
    for b in (32, 16, 8, 4, 2, 1):  # strip trailing zero bits
        z = ((m & np.uint64((1 << b) - 1)) == 0) & fin
        m = np.where(z, m >> np.uint64(b), m)
        tz += np.where(z, b, 0)
    rec["m"] = np.where(fin, m, 0)
    rec["e"] = np.where(fin, ex - 53 + tz, 0)
    rec["cls"] = np.select([np.isnan(v), v == np.inf, v == -np.inf, fin & (v < 0)], [3, 1, 2, 4], 0)
    return rec.tobytes()


def record_parts(m, e, cls):
    """Driver records (signed m * 2^e; cls 1/2/3 = +inf/-inf/NaN) -> fp8ref's (neg, cls, M, E)."""
    m, e, cls = (np.asarray(a, dtype=np.int64) for a in (m, e, cls))
    neg = (m < 0) | (cls == 2)
    fc = np.select([cls == 1, cls == 2, cls == 3, m == 0], [INF, INF, QNAN, ZERO], FINITE).astype(np.int8)
    return neg, fc, np.abs(m), e


def fp8ref_outputs(ps):
    """fp8ref's outputs for every mode of a projection set (projection_cases.ProjSet)."""
    from . import projection_cases as PC

    x = PC.inputs(ps)
    fmt = fmt_of(ps.fmt)
    if ps.src == "decode":
        return [value_records(fp8ref.decode(x, fmt, dtype=np.float64))]
    parts = record_parts(*x) if ps.src == "family" else exact_parts(x) if ps.src == "exact" else None
    n = PC.n_inputs(ps)
    outs = []
    for k, mode in enumerate(ps.modes):
        rb = PC.random_values(ps, k, n)
        outs.append(encode_mode(x, fmt, mode, rb) if parts is None else encode_parts_mode(parts, fmt, mode, rb))
    return outs
