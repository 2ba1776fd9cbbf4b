"""Bridges to the independent oracles (test-only): ml_dtypes (0.7.0), gfloat, exact fractions."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import gfloat
import ml_dtypes
import numpy as np

import fp8ref

#: fp8ref names that ml_dtypes implements, with its dtype
ML_DTYPES = {
    "e4m3fn": ml_dtypes.float8_e4m3fn,
    "e5m2": ml_dtypes.float8_e5m2,
    "e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "e4m3b11fnuz": ml_dtypes.float8_e4m3b11fnuz,
    "e4m3": ml_dtypes.float8_e4m3,
    "e3m4": ml_dtypes.float8_e3m4,
    "e2m3fn": ml_dtypes.float6_e2m3fn,
    "e3m2fn": ml_dtypes.float6_e3m2fn,
    "e2m1fn": ml_dtypes.float4_e2m1fn,
    "bf16": ml_dtypes.bfloat16,
    "fp16": np.float16,
}

GF_ROUND = {
    "rne": gfloat.RoundMode.TiesToEven,
    "rna": gfloat.RoundMode.TiesToAway,
    "rtz": gfloat.RoundMode.TowardZero,
    "rup": gfloat.RoundMode.TowardPositive,
    "rdn": gfloat.RoundMode.TowardNegative,
    "stochastic": gfloat.RoundMode.StochasticFastest,
    "stochastic_fast": gfloat.RoundMode.StochasticFast,
    "stochastic_rne": gfloat.RoundMode.Stochastic,
    "stochastic_rno": gfloat.RoundMode.StochasticOdd,
}


def gfloat_format(fmt) -> gfloat.FormatInfo:
    """gfloat's description of the same IEEE-like layout (field-by-field, no fp8ref logic)."""
    return gfloat.FormatInfo(
        fmt.name,
        fmt.bits,
        fmt.man_bits + 1,
        bias=fmt.bias,
        is_signed=True,
        domain=gfloat.Domain.Extended if fmt.has_infinity else gfloat.Domain.Finite,
        has_nz=fmt.has_negative_zero,
        num_high_nans=fmt.num_high_nans,
        has_subnormals=True,
        is_twos_complement=False,
    )


#: ML_DTYPES plus the scale format (whose fp8ref codec has its own tests, tests/ue8m0)
ML_CASTS = {**ML_DTYPES, "ue8m0": ml_dtypes.float8_e8m0fnu}


def ml_codes(x, name):
    """ml_dtypes' cast of x (its own dtype) as integer codes."""
    dt = ML_CASTS[name]
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(x).astype(dt)
    return out.view(np.uint8 if np.dtype(dt).itemsize == 1 else np.uint16)


def ml_dtypes_06_codes(x, name):
    """ml_dtypes 0.6.0's array cast, restated from independent parts: float64 and 32/64-bit
    integer inputs first rounded to float32 by numpy (RNE); then the installed ml_dtypes' cast
    (its float32/float16/bfloat16 casts are the same in 0.6.0 and 0.7.0, measured over every
    float16/bfloat16 input and 2.2 M float32 patterns); float8_e8m0fnu sends (2^-127, 2^-126) to
    0x01. test_ml_dtypes_06.py checks this restatement's subject, the ``ml_dtypes_0.6`` preset,
    against ml_dtypes 0.6.0 itself."""
    x = np.asarray(x)
    if (x.dtype.kind == "f" and x.dtype.itemsize > 4) or (x.dtype.kind in "iu" and x.dtype.itemsize >= 4):
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
    out = ml_codes(x, name)
    if name == "ue8m0":
        v = x.astype(np.float64)
        out = np.where((v > 2.0**-127) & (v < 2.0**-126), np.uint8(1), out)
    return out


def exact(x) -> Fraction:
    return Fraction(float(x))


@lru_cache(maxsize=None)
def finite_values(fmt):
    """Sorted exact finite values of an IEEE-like format, from gfloat's decoder."""
    fi = gfloat_format(fmt)
    vals = set()
    for c in range(fmt.num_codes):
        v = gfloat.decode_float(fi, c).fval
        if np.isfinite(v):
            vals.add(Fraction(v))
    return tuple(sorted(vals))
