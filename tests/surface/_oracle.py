"""Independent oracles for the surface tests: ml_dtypes casts and value tables, exact fractions.

Nothing here calls fp8ref's codecs."""

from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np

#: fp8ref format name -> ml_dtypes dtype (formats of at most 8 bits)
ML = {
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
}
BITS = {"e2m3fn": 6, "e3m2fn": 6, "e2m1fn": 4}


def ml_values(name) -> np.ndarray:
    """float64 value of every code, decoded by ml_dtypes."""
    n = 1 << BITS.get(name, 8)
    return np.arange(n, dtype=np.uint8).view(ML[name]).astype(np.float64)


def ml_cast(x, name) -> np.ndarray:
    """ml_dtypes' cast of x as uint8 codes."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x).astype(ML[name]).view(np.uint8)


def finite_sorted(vals) -> list[Fraction]:
    return sorted({Fraction(float(v)) for v in vals if np.isfinite(v)})
