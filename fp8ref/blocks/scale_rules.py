"""Shared-scale rules: the E8M0 block exponent from a block's amax, exactly, from exponent bits.

Every rule reads amax from its own bits (:mod:`fp8ref.core.floats`): ``amax = M * 2^e`` with an
integer significand ``M`` (subnormals included), so ``floor(log2 amax)`` is the exponent of
``M``'s leading bit plus ``e``, amax is a power of two iff ``M`` is one, and the comparisons below are integer
comparisons of significands. No floating ``log2`` is ever evaluated (a float ``log2`` rounds up
to the next integer just below a power of two and picks the wrong binade). The scale format is
the registered ``ue8m0`` (``fp8ref.get_format("ue8m0")``): its bias, range and NaN code.

With ``emax`` the element format's largest exponent, ``m`` its mantissa bits and ``max_elem``
its largest finite value, the rules give the unbiased block exponent E (``X = 2^E``):

============  ================================================  =====================================
rule          E                                                 who
============  ================================================  =====================================
``floor``     ``floor(log2 amax) - emax``                       OCP MX v1.0 §6.3, microxcaling,
                                                                gfloat, torchao FLOOR
``ceil``      ``ceil(log2 amax) - emax``                        torchao CEIL
``even``      ``floor(log2 rnd(amax)) - emax``; ``rnd`` rounds  torchao EVEN
              amax half-up to ``m + 1`` significant bits, so
              E steps up once amax's significand reaches
              ``2 - 2^-(m+1)``
``rceil``     ``ceil(log2(amax / max_elem))``, the exact        cuBLAS / cuDNN documentation (the
              quotient: the smallest X with ``amax / X <=       exact quotient)
              max_elem`` (never clips)
``rceil_hw``  the kernels' order: ``p = fp32(amax *             TE MXFP8 kernels, torchao main
              fp32(1 / max_elem))`` (one float32 multiply,      RCEIL (eager and compiled), PTX
              RNE), then ``p`` rounded up to a power of two     ``cvt.rp.satfinite.ue8m0x2.f32``
              (``p <= 2^-127`` gives 2^-127); float32 amax
============  ================================================  =====================================

``rceil`` and ``rceil_hw`` give the same code for every float32 amax of the FP elements but one
each, where ``p`` rounds onto 2^-127 (docs/blocks.md, exhaustive counts); for MXINT8 (``1/max =
64/127`` inexact, a 7-bit max) at 254, one per binade, and at its top (0xFE vs overflow).

E8M0 codes (:func:`e8m0_codes`): ``E + 127`` after clamping E below at -127 (every rule and peer
agrees; elements may then underflow). amax = 0 (all-zero block) gives code 0x00 (2^-127); a NaN
or Inf in the block gives 0xFF (NaN scale). E > 127 is reachable only from float64 inputs and
gives 0xFF with ``scale_overflow="nan"`` (microxcaling, torchao) or 0xFE (2^127) with
``"clamp"`` (gfloat ``compute_scale_amax``, PTX ``.satfinite``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .._deprecation import module_getattr
from ..codecs import decode, encode
from ..core.floats import float_type
from ..core.rounding import floor_log2 as _floor_log2
from ..formats.builtin import UE8M0

__all__ = [
    "SCALE_RULES",
    "SCALE_OVERFLOW",
    "floor_log2",
    "is_power_of_two",
    "block_exponent",
    "e8m0_codes",
]

SCALE_RULES = ("floor", "ceil", "even", "rceil", "rceil_hw")
SCALE_OVERFLOW = ("nan", "clamp")


def _significand(a):
    """``(M, e)`` of a float array: ``|a| = M * 2^e`` exactly (``M = 0`` for zeros, Inf and
    NaN). Python numbers and integers are read as float64."""
    a = np.asarray(a)
    ft = float_type(a.dtype if a.dtype.kind in "fV" else np.float64)
    _, exp, frac = ft.fields(ft.to_bits(a))
    return ft.significand(exp, frac)


def floor_log2(a) -> np.ndarray:
    """``floor(log2 |a|)`` for finite non-zero floats (int64), exact for subnormals too."""
    return _floor_log2(*_significand(a))


def is_power_of_two(a) -> np.ndarray:
    """True where the finite non-zero float ``a`` is ± an exact power of two."""
    M, _ = _significand(a)
    return (M & (M - 1)) == 0


def check_rule(rule):
    if rule not in SCALE_RULES:
        raise ValueError(f"unknown scale_rule {rule!r}; valid: {', '.join(SCALE_RULES)}")
    return rule


def block_exponent(amax, rule, *, emax, man_bits, max_elem) -> np.ndarray:
    """Unclamped block exponent E (int64) of each positive finite ``amax`` under ``rule``.

    ``emax``/``man_bits``/``max_elem`` describe the element format (``max_elem`` a Python or
    numpy float: the largest finite element value). Entries where amax is 0, NaN or Inf are
    meaningless here; :func:`e8m0_codes` handles them.
    """
    check_rule(rule)
    if rule == "rceil_hw":
        return _rceil_hw(amax, max_elem)
    M, e = _significand(amax)
    fl = _floor_log2(M, e)
    top = np.maximum(fl - e, 0)  # M / 2^top is amax's significand, in [1, 2)
    if rule == "floor":
        return fl - emax
    if rule == "ceil":
        return fl + ((M & (M - 1)) != 0) - emax
    if rule == "even":
        # the significand reaches 2 - 2^-(m+1):  M * 2^(m+1) >= (2^(m+2) - 1) * 2^top
        m = int(man_bits)
        return fl + ((M << (m + 1)) >= (((1 << (m + 2)) - 1) << top)) - emax
    # rceil: amax / max_elem = (sa / sm) * 2^(fl - flm) with significands sa, sm in [1, 2), so
    # sa / sm in (1/2, 2): a power of two iff sa == sm; otherwise ceil(log2) is fl - flm + 1
    # when sa > sm and fl - flm when sa < sm. As integers: max_elem = Mm * 2^em with Mm odd,
    # sm = Mm / 2^tm, and sa > sm  <=>  M * 2^tm > Mm * 2^top.
    q = Fraction(float(max_elem))
    Mm, em = q.numerator, -(q.denominator.bit_length() - 1)
    while Mm % 2 == 0:
        Mm, em = Mm >> 1, em + 1
    tm = Mm.bit_length() - 1
    return fl - (tm + em) + ((M << tm) > (Mm << top))


def _rceil_hw(amax, max_elem):
    """E of TE's ``float_to_e8m0(amax * max_norm_rcp)``: one float32 multiply by the float32
    reciprocal (``constexpr float max_norm_rcp = 1.0 / max_norm``), then the UE8M0 codec's
    round-up with PTX ``.satfinite`` (``p <= 2^-127`` -> code 0, as the instruction does)."""
    a = np.asarray(amax)
    a32 = a.astype(np.float32)
    if a.dtype != np.float32 and not ((a32 == a) | ~np.isfinite(a)).all():
        raise ValueError("scale_rule 'rceil_hw' emulates float32 kernel arithmetic: amax must hold float32 values")
    with np.errstate(invalid="ignore", over="ignore"):
        p = np.abs(a32) * np.float32(1.0 / float(max_elem))
    codes = encode(p, UE8M0, rounding="rup", overflow="sat_finite", below_range="min")
    return codes.astype(np.int64) - UE8M0.bias


def e8m0_codes(amax, rule, *, emax, man_bits, max_elem, scale_overflow="nan") -> np.ndarray:
    """E8M0 scale codes (uint8) for block maxima ``amax`` (float32/float64 array, >= 0 or NaN)."""
    if scale_overflow not in SCALE_OVERFLOW:
        raise ValueError(f"unknown scale_overflow {scale_overflow!r}; valid: {', '.join(SCALE_OVERFLOW)}")
    amax = np.asarray(amax)
    E = block_exponent(amax, rule, emax=emax, man_bits=man_bits, max_elem=max_elem)
    too_big = E > UE8M0.emax
    codes = np.clip(E, UE8M0.emin, UE8M0.emax) + UE8M0.bias
    if scale_overflow == "nan":
        codes = np.where(too_big, UE8M0.canonical_nan, codes)
    codes = np.where(amax == 0, UE8M0.min_code, codes)
    codes = np.where(np.isfinite(amax), codes, UE8M0.canonical_nan)
    return codes.astype(UE8M0.code_dtype)


def _e8m0_values(codes, dtype=np.float64) -> np.ndarray:
    """Deprecated: ``fp8ref.decode(codes, "ue8m0", dtype=...)`` (float64 stays this name's default)."""
    return decode(codes, UE8M0, dtype=dtype)


__getattr__ = module_getattr(__name__, {
    "e8m0_values": ('fp8ref.decode(codes, "ue8m0", dtype=...)', lambda: _e8m0_values),
    "E8M0_NAN": ('fp8ref.get_format("ue8m0").canonical_nan', lambda: UE8M0.canonical_nan),
    "E8M0_BIAS": ('fp8ref.get_format("ue8m0").bias', lambda: UE8M0.bias),
})
