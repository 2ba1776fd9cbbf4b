"""The IEEE binary interchange types fp8ref reads and writes, described once.

One :class:`FloatType` per width (float16, bfloat16, float32, float64) names its fields and
carries the bit helpers every layer needs: fields, from/to bits, ordered keys, next/prev,
exact ``floor(log2 |x|)``, ``|x|`` and amax from the bits, the canonical quiet NaN. Nothing
here rounds: a value is only ever taken apart or stepped along its own bit patterns.
(SoftFloat names each field once in ``internals.h``; hypothesis keeps one width-keyed table.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .rounding import floor_log2

__all__ = ["FloatType", "FLOAT_TYPES", "F16", "BF16", "F32", "F64", "float_type", "float_type_of"]

_UINT = {16: np.uint16, 32: np.uint32, 64: np.uint64}


@dataclass(frozen=True)
class FloatType:
    """An IEEE 754 binary interchange type: ``bits`` = 1 sign + ``exp_bits`` + ``man_bits``."""

    name: str  # numpy / ml_dtypes dtype name
    short: str  # TestFloat-style spelling used in file names and the CLI: f16, bf16, f32, f64
    bits: int
    exp_bits: int
    man_bits: int

    # ---- fields ----------------------------------------------------------------------------
    @property
    def bias(self) -> int:
        return (1 << (self.exp_bits - 1)) - 1

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal (subnormals share it)."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        return self.bias

    @property
    def sign_mask(self) -> int:
        return 1 << (self.bits - 1)

    @property
    def exp_max(self) -> int:
        """Biased exponent field of Inf and NaN."""
        return (1 << self.exp_bits) - 1

    @property
    def exp_mask(self) -> int:
        """The exponent field in place."""
        return self.exp_max << self.man_bits

    @property
    def man_mask(self) -> int:
        return (1 << self.man_bits) - 1

    @property
    def abs_mask(self) -> int:
        return self.sign_mask - 1

    @property
    def quiet_bit(self) -> int:
        return 1 << (self.man_bits - 1)

    @property
    def inf_bits(self) -> int:
        return self.exp_mask

    @property
    def canonical_nan(self) -> int:
        """The positive quiet NaN with no payload (float32: 0x7FC00000)."""
        return self.exp_mask | self.quiet_bit

    @property
    def max_bits(self) -> int:
        """Largest finite magnitude."""
        return self.exp_mask - 1

    @property
    def min_normal_bits(self) -> int:
        return 1 << self.man_bits

    @property
    def min_exp(self) -> int:
        """Exponent of the smallest subnormal's unit: ``emin - man_bits``."""
        return self.emin - self.man_bits

    @property
    def uint(self):
        """The unsigned integer dtype of the bit patterns."""
        return _UINT[self.bits]

    @cached_property
    def dtype(self) -> np.dtype:
        if self.name == "bfloat16":
            import ml_dtypes  # numpy has no bfloat16

            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(self.name)

    # ---- bits <-> values -------------------------------------------------------------------
    def to_bits(self, x) -> np.ndarray:
        """Bit patterns of ``x`` (converted to this type only if it is not already)."""
        a = np.asarray(x)
        if a.dtype != self.dtype:
            a = a.astype(self.dtype)
        return a.view(self.uint)

    def from_bits(self, u) -> np.ndarray:
        """Values of bit patterns ``u`` (any integer array)."""
        return np.asarray(u).astype(self.uint).view(self.dtype)

    def from_bits_native(self, u) -> np.ndarray:
        """Values of bit patterns ``u`` in a dtype numpy has without ml_dtypes: this type's own,
        or float32 for bfloat16 (``u << 16``: the same sign, value and NaN payload)."""
        if self.name == "bfloat16":
            return (np.asarray(u).astype(np.uint32) << np.uint32(16)).view(np.float32)
        return self.from_bits(u)

    def signed_special(self, value: float) -> int:
        """The pattern of a float ±0, ±Inf or NaN (NaN: the canonical quiet NaN with the
        value's sign bit)."""
        sign = self.sign_mask if math.copysign(1.0, value) < 0 else 0
        if math.isnan(value):
            return sign | self.canonical_nan
        if math.isinf(value):
            return sign | self.inf_bits
        if value == 0:
            return sign
        raise ValueError(f"{value!r} is not a zero, an infinity or a NaN")

    def fields(self, u):
        """``(sign, biased exponent, fraction)`` of bit patterns, as int64 arrays."""
        u = np.asarray(u).astype(np.uint64)
        sign = (u >> np.uint64(self.bits - 1)).astype(np.int64)
        exp = ((u >> np.uint64(self.man_bits)) & np.uint64(self.exp_max)).astype(np.int64)
        frac = (u & np.uint64(self.man_mask)).astype(np.int64)
        return sign, exp, frac

    def abs_bits(self, u) -> np.ndarray:
        """``|x|`` as bit patterns (NaN keeps its payload)."""
        u = np.asarray(u).astype(self.uint, copy=False)
        return u & self.uint(self.abs_mask)

    def is_nan_bits(self, u) -> np.ndarray:
        return self.abs_bits(u) > self.uint(self.inf_bits)

    def to_bits_canonical(self, x, keep_sign: bool = True) -> np.ndarray:
        """Bit patterns of ``x`` (as :meth:`to_bits`) with every NaN written as the canonical
        quiet NaN, with the NaN's sign bit (``keep_sign``) or positive: how result files and
        bus models write a NaN result."""
        u = self.to_bits(x)
        sign = u & self.uint(self.sign_mask) if keep_sign else self.uint(0)
        return np.where(self.is_nan_bits(u), sign | self.uint(self.canonical_nan), u).astype(self.uint)

    # ---- order -----------------------------------------------------------------------------
    def ordered_key(self, u) -> np.ndarray:
        """int64 key, monotone in value over non-NaN patterns (−0 and +0 are adjacent keys
        −1 and 0); ``next_up`` is ``key + 1``."""
        u = np.asarray(u).astype(np.uint64)
        mag = (u & np.uint64(self.abs_mask)).astype(np.int64)
        neg = (u >> np.uint64(self.bits - 1)) != 0
        return np.where(neg, -mag - 1, mag)

    def from_ordered_key(self, k) -> np.ndarray:
        """Bit patterns of ordered keys (inverse of :meth:`ordered_key`)."""
        k = np.asarray(k, dtype=np.int64)
        neg = k < 0
        mag = np.where(neg, -k - 1, k).astype(np.uint64)
        return (mag | np.where(neg, np.uint64(self.sign_mask), np.uint64(0))).astype(self.uint)

    def step(self, u, n=1) -> np.ndarray:
        """Patterns ``n`` representable values above ``u`` (below for negative ``n``), clamped
        at ±Inf; −0 and +0 count as two steps."""
        k = self.ordered_key(u) + np.asarray(n, dtype=np.int64)
        top = self.inf_bits
        return self.from_ordered_key(np.clip(k, -top - 1, top))

    def next_up(self, u) -> np.ndarray:
        return self.step(u, 1)

    def next_down(self, u) -> np.ndarray:
        return self.step(u, -1)

    # ---- exponents -------------------------------------------------------------------------
    def floor_log2(self, u) -> np.ndarray:
        """Exact ``floor(log2 |x|)`` (int64) for finite non-zero patterns, subnormals included;
        undefined (but finite) for zeros, Inf and NaN."""
        _, exp, frac = self.fields(u)
        return floor_log2(*self.significand(exp, frac))

    def significand(self, exp, frac):
        """``(M, E)``, int64, from the biased exponent and fraction fields (:meth:`fields`):
        ``|x| = M * 2^E`` exactly for finite patterns, subnormals included (``M`` has the
        hidden bit of normals); ``M = 0`` for zeros, Inf and NaN."""
        exp = np.asarray(exp, dtype=np.int64)
        frac = np.asarray(frac, dtype=np.int64)
        normal = (exp != 0) & (exp != self.exp_max)
        M = np.where(normal, frac | (1 << self.man_bits), np.where(exp == 0, frac, 0))
        return M.astype(np.int64), (np.where(normal, exp, 1) - self.bias - self.man_bits).astype(np.int64)

    def amax(self, x, axis=None) -> np.ndarray:
        """``max |x|`` along ``axis`` from the bit patterns (exact; a NaN anywhere gives that
        reduction's largest NaN pattern, since NaN patterns sort above Inf)."""
        return self.from_bits(np.max(self.abs_bits(self.to_bits(x)), axis=axis))


F16 = FloatType("float16", "f16", 16, 5, 10)
BF16 = FloatType("bfloat16", "bf16", 16, 8, 7)
F32 = FloatType("float32", "f32", 32, 8, 23)
F64 = FloatType("float64", "f64", 64, 11, 52)

#: The table, keyed by dtype name (``"float32"``); :func:`float_type` also takes the short
#: spelling (``"f32"``) and dtypes.
FLOAT_TYPES = {t.name: t for t in (F16, BF16, F32, F64)}
_BY_SHORT = {t.short: t for t in FLOAT_TYPES.values()}


def float_type(name) -> FloatType:
    """The :class:`FloatType` of a name (``float32``/``f32``), numpy dtype or FloatType."""
    if isinstance(name, FloatType):
        return name
    key = name if isinstance(name, str) else np.dtype(name).name
    t = FLOAT_TYPES.get(key) or _BY_SHORT.get(key)
    if t is None:
        valid = ", ".join(f"{t.name} ({t.short})" for t in FLOAT_TYPES.values())
        raise ValueError(f"unknown IEEE interchange type {name!r}; valid: {valid}")
    return t


def float_type_of(dtype) -> FloatType | None:
    """The FloatType of a numpy dtype, or None if it is not one of the four."""
    return FLOAT_TYPES.get(np.dtype(dtype).name)
