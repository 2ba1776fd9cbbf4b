"""Shared-scale rules: the E8M0 block exponent from a block's amax, exactly, from exponent bits.

Every rule reads amax through ``np.frexp``, which is exact for every float32/float64 value,
subnormals included: ``amax = f * 2^k`` with ``0.5 <= f < 1``, so ``floor(log2 amax) = k - 1``
and amax is a power of two iff ``f == 0.5``. No floating ``log2`` is ever evaluated (a float
``log2`` rounds up to the next integer just below a power of two and picks the wrong binade).

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

import numpy as np

from ..codecs import encode

__all__ = [
    "SCALE_RULES",
    "SCALE_OVERFLOW",
    "floor_log2",
    "is_power_of_two",
    "block_exponent",
    "e8m0_codes",
    "e8m0_values",
    "E8M0_NAN",
]

SCALE_RULES = ("floor", "ceil", "even", "rceil", "rceil_hw")
SCALE_OVERFLOW = ("nan", "clamp")
E8M0_NAN = 0xFF
E8M0_BIAS = 127


def _frexp(a):
    f, k = np.frexp(np.asarray(a))
    return f, k.astype(np.int64)


def floor_log2(a) -> np.ndarray:
    """``floor(log2 a)`` for positive finite floats (int64), exact for subnormals too."""
    _, k = _frexp(a)
    return k - 1


def is_power_of_two(a) -> np.ndarray:
    """True where the positive finite float ``a`` is an exact power of two."""
    f, _ = _frexp(a)
    return f == 0.5


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
    with np.errstate(invalid="ignore"):
        f, k = _frexp(amax)
    fl = k - 1
    if rule == "floor":
        return fl - emax
    if rule == "ceil":
        return fl + (f != 0.5) - emax
    if rule == "even":
        # significand 2f reaches 2 - 2^-(m+1)  <=>  f >= 1 - 2^-(m+2) (exactly representable)
        return fl + (f >= 1.0 - 2.0 ** -(man_bits + 2)) - emax
    # rceil: amax / max_elem = (f / fm) * 2^(k - km) with f/fm in (1/2, 2): a power of two iff
    # f == fm; otherwise its ceil(log2) is k - km + 1 when f > fm and k - km when f < fm.
    fm, km = np.frexp(float(max_elem))
    return k - int(km) + (f > fm)


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
    codes = encode(p, "ue8m0", rounding="rup", overflow="sat_finite", below_range="min")
    return codes.astype(np.int64) - E8M0_BIAS


def e8m0_codes(amax, rule, *, emax, man_bits, max_elem, scale_overflow="nan") -> np.ndarray:
    """E8M0 scale codes (uint8) for block maxima ``amax`` (float32/float64 array, >= 0 or NaN)."""
    if scale_overflow not in SCALE_OVERFLOW:
        raise ValueError(f"unknown scale_overflow {scale_overflow!r}; valid: {', '.join(SCALE_OVERFLOW)}")
    amax = np.asarray(amax)
    E = block_exponent(amax, rule, emax=emax, man_bits=man_bits, max_elem=max_elem)
    too_big = E > 127
    codes = np.clip(E, -127, 127) + E8M0_BIAS
    if scale_overflow == "nan":
        codes = np.where(too_big, E8M0_NAN, codes)
    codes = np.where(amax == 0, 0, codes)
    codes = np.where(np.isfinite(amax), codes, E8M0_NAN)
    return codes.astype(np.uint8)


def e8m0_values(codes, dtype=np.float64) -> np.ndarray:
    """``2^(code - 127)`` for each E8M0 code, NaN for 0xFF (float64 by default; float32 holds
    every value exactly, 2^-127 as a subnormal)."""
    codes = np.asarray(codes)
    if codes.dtype.kind not in "iu":
        raise TypeError(f"E8M0 codes must be integers, got dtype {codes.dtype.name!r}")
    if codes.size and (codes.min() < 0 or codes.max() > 255):
        raise ValueError("E8M0 codes must lie in 0..255")
    out = np.ldexp(1.0, codes.astype(np.int64) - E8M0_BIAS)
    out = np.where(codes == E8M0_NAN, np.nan, out)
    return out.astype(dtype)
