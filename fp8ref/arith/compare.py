"""Comparisons (eq, lt, le, gt, ge, unordered) and totalOrder, on exact values and codes.

Values are compared as float64, which holds every value of every registered format exactly
(no rounding is involved: a comparison of two exact numbers).

* ``ieee`` rule (IEEE 754 §5.11, also P3109's CompareEqual/Less/...): ±0 are equal, a NaN is
  unordered with everything (every predicate false, ``unordered`` true); ``eq`` and
  ``unordered`` are quiet (invalid only for a signalling NaN), ``lt le gt ge`` signal invalid
  for any NaN.
* ``posit`` rule (both operands posits; 2022 standard): comparisons are those of the codes
  as two's-complement integers: NaR equals NaR and lies below every real; ``unordered`` is
  always false; no flags.

``total_order(a, b)`` (IEEE 754 §5.10, operands of one format): ``-NaN < -Inf < ... < -0 < +0
< ... < +Inf < +NaN``, NaNs ordered by payload (signalling below quiet); a sign-only NaN (FNUZ,
P3109, HiF8: 0x80) after everything, as it has no negative; posits: the integer order (NaR
first).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core.unpack import SNAN
from ..policy import FLAG_INVALID

__all__ = ["COMPARISONS", "compare", "total_order_rank"]

COMPARISONS = ("eq", "lt", "le", "gt", "ge", "unordered")


def compare(op, rule, va, vb, a_cls, b_cls):
    """(result bool array, flags uint8 array)."""
    nan = np.isnan(va) | np.isnan(vb)
    if rule == "posit":
        ka = np.where(np.isnan(va), -np.inf, va)
        kb = np.where(np.isnan(vb), -np.inf, vb)
        res = {"eq": ka == kb, "lt": ka < kb, "le": ka <= kb, "gt": ka > kb, "ge": ka >= kb,
               "unordered": np.zeros(ka.shape, dtype=bool)}[op]
        return res, np.zeros(ka.shape, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        res = {"eq": va == vb, "lt": va < vb, "le": va <= vb, "gt": va > vb, "ge": va >= vb,
               "unordered": nan}[op]
    signals = nan if op in ("lt", "le", "gt", "ge") else (a_cls == SNAN) | (b_cls == SNAN)
    return res, np.where(signals, FLAG_INVALID, 0).astype(np.uint8)


@lru_cache(maxsize=None)
def total_order_rank(fmt) -> np.ndarray:
    """rank[code]: ``total_order(a, b) == rank[a] <= rank[b]``."""
    codes = np.arange(fmt.num_codes, dtype=np.int64)
    if fmt.kind == "posit":
        key = np.where(codes >= fmt.nar, codes - fmt.num_codes, codes)
    elif fmt.kind == "ieee" and hasattr(fmt, "sign_mask"):
        s = fmt.sign_mask
        mag = codes & (s - 1)
        key = np.where(codes & s, -mag - 1, mag)
        if fmt.is_signed and not fmt.has_negative_zero:
            key = np.where(codes == s, s, key)  # the sign-only NaN: last
    else:  # by value, NaNs last (by code)
        from ..codecs import decode_table

        v = decode_table(fmt)
        isnan = np.isnan(v)
        order = np.lexsort((codes, np.signbit(v) == 0, np.where(isnan, 0, v), isnan))
        key = np.empty_like(codes)
        key[order] = np.arange(codes.size)
    key = key - key.min()
    key.setflags(write=False)
    return key
