"""Operands: codes of any registered format as exact ``(neg, cls, M, E)``, and their validation.

Every code's value is read from the format's exact decode table (float64 holds every value of
every registered format exactly) and decomposed with ``core.unpack``; the significand is then
normalised (odd, or 0). A NaN code is *signalling* where the format has the IEEE 754 NaN
layout (every all-ones-exponent pattern with a non-zero significand is NaN: E5M2, IEEE-style
E4M3/E3M4, fp16, bf16, tf32) and its quiet bit (the significand's top bit) is clear; every
other NaN is quiet.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..codecs import decode_table
from ..core.floats import F64 as _F64
from ..core.unpack import QNAN, SNAN, unpack_float_bits
from .exact import normalize

__all__ = ["Parts", "parts_table", "parts", "check_codes", "ieee_nan_layout"]



class Parts(NamedTuple):
    """Flat arrays: sign, class (core.unpack ZERO/FINITE/INF/QNAN/SNAN), significand, exponent."""

    neg: np.ndarray
    cls: np.ndarray
    M: np.ndarray
    E: np.ndarray

    def take(self, idx):
        return Parts(*(a[idx] for a in self))


def ieee_nan_layout(fmt) -> bool:
    """True where the format's NaNs are IEEE 754's: all 2^m - 1 non-zero significands under the
    all-ones exponent (so the top significand bit tells quiet from signalling)."""
    m = getattr(fmt, "man_bits", 0)
    return (fmt.kind == "ieee" and getattr(fmt, "overflow_rule", "ieee") == "ieee"
            and getattr(fmt, "has_infinity", False) and m >= 1
            and getattr(fmt, "num_high_nans", 0) == (1 << m) - 1)


@lru_cache(maxsize=None)
def parts_table(fmt) -> Parts:
    """(neg, cls, M, E) of every code of ``fmt`` (read-only arrays)."""
    v = decode_table(fmt)
    neg, cls, M, E = unpack_float_bits(v.view(np.uint64), _F64)
    M, E = normalize(M, E)
    cls = cls.copy()
    if ieee_nan_layout(fmt):
        codes = np.arange(fmt.num_codes)
        quiet = (codes >> (fmt.man_bits - 1)) & 1
        nan = (cls == QNAN) | (cls == SNAN)
        cls[nan] = np.where(quiet[nan] == 1, QNAN, SNAN)
    out = Parts(neg.astype(bool), cls.astype(np.int8), M.astype(np.int64), E.astype(np.int64))
    for a in out:
        a.setflags(write=False)
    return out


def parts(codes, fmt) -> Parts:
    """Parts of a flat array of (validated) codes."""
    return parts_table(fmt).take(codes)


def check_codes(codes, fmt, what="operand"):
    """``codes`` as a native-endian integer ndarray with every element a code of ``fmt``."""
    if hasattr(codes, "detach"):  # torch tensor
        codes = codes.detach().cpu().numpy()
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must hold integer codes of {fmt.name}, got dtype {arr.dtype.name!r} "
                        "(fp8ref.encode turns values into codes)")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    fits = arr.dtype.kind == "u" and (1 << (8 * arr.dtype.itemsize)) <= fmt.num_codes
    if arr.size and not fits:
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi >= fmt.num_codes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{what}: code {int(bad)} out of range for {fmt.name} (valid: 0..{fmt.num_codes - 1})")
    return arr
