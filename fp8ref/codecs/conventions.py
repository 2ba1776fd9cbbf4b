"""Hardware conventions, one rule each: denormals-are-zero, flush-to-zero, per-ISA NaN codes.

* ``daz`` (inputs): a subnormal input — ``0 < |x| < 2^emin`` of the input's own format (float16,
  bfloat16, float32, float64, or the codes of a registered fp8ref format) — is read as a zero of
  its sign, before any rounding, and raises no flag (x86 MXCSR.DAZ; VeriFloat's ``ftz`` on the
  source format). Integers have no subnormals.
* ``ftz`` (results, IEEE-like formats incl. P3109): a nonzero finite input whose result is *tiny*
  is delivered as a zero of its sign (``+0`` where the format has no ``-0``) with
  underflow|inexact, exact or not (Intel SDM vol. 1 §10.2.3.3). Tiny follows
  ``Policy.tininess``: ``after`` (x86 SSE, RISC-V, SoftFloat's 8086 default) — the result rounded
  with an unbounded exponent is below ``2^emin``, so an input that rounds up to the smallest
  normal is *not* flushed; ``before`` (ARM) — ``|x| < 2^emin``, so it is.
* NaN codes (``Policy.nan``): ``riscv`` the positive quiet NaN (only the top mantissa bit set:
  E5M2 0x7E, fp16 0x7E00; the canonical NaN where the format has a single NaN per sign);
  ``x86`` / ``arm`` a NaN input is quieted and keeps its sign and the top trailing-significand
  bits that fit (SoftFloat's 8086, 8086-SSE and ARM-VFPv2 ``commonNaN`` path: f32 0x7F812345
  -> fp16 0x7E09), in formats whose all-ones exponent holds every NaN (fp16, bf16, E5M2, ...);
  elsewhere, and for NaN results of non-NaN inputs, the quiet NaN with the input's sign.
  Payloads travel from float16/bfloat16/float32/float64 inputs and from the codes of formats
  with ``nan_payload_bits`` (E5M2 ...: ``core.unpack`` gives a NaN's trailing significand as
  ``M * 2^E`` in [0, 1), and tells signalling from quiet by its top bit).
"""

from __future__ import annotations

import numpy as np

from ..core.rounding import bit_length
from ..core.unpack import FINITE, ZERO
from ..policy import FLAG_INEXACT, FLAG_UNDERFLOW

__all__ = ["source_emin", "apply_daz", "flush_to_zero", "nan_code", "check"]

PROPAGATING = ("x86", "arm")


def check(fmt, policy):
    """One-line error when ``policy`` asks for a convention ``fmt``'s kind does not define."""
    if policy.ftz and fmt.kind != "ieee":
        raise ValueError(f"ftz applies to IEEE-like formats (kind 'ieee'); {fmt.name} is kind {fmt.kind!r}")


def source_emin(src):
    """Exponent of the smallest normal value of an input Source (None: no subnormals)."""
    if src.kind == "float":
        return src.emin
    if src.kind == "codes":
        return getattr(src.fmt, "emin", None)
    return None


def apply_daz(policy, cls, M, E, emin):
    """``cls`` with the subnormal inputs (``floor(log2|x|) < emin``) made ZERO (daz only)."""
    if not policy.daz or emin is None:
        return cls
    sub = (cls == FINITE) & (bit_length(M) - 1 + E < emin)
    return np.where(sub, ZERO, cls).astype(cls.dtype)


def flush_to_zero(fmt, policy, tiny, neg, codes, flags):
    """ftz: codes/flags of the ``tiny`` (finite, nonzero) results become ±0 and underflow|inexact."""
    if not policy.ftz or not tiny.any():
        return
    zero = np.where(neg, fmt.sign_mask, 0) if fmt.has_negative_zero else 0
    codes[tiny] = np.broadcast_to(zero, codes.shape)[tiny]
    flags[tiny] |= FLAG_UNDERFLOW | FLAG_INEXACT


def nan_code(fmt, policy, neg, M=None, E=None):
    """NaN code(s) for NaN results by ``policy.nan``; ``neg`` is the input's sign; ``M * 2^E``
    the NaN input's trailing significand as a fraction in [0, 1) (None: not a NaN input)."""
    mode = policy.nan
    shape = np.shape(neg)
    if mode == "canonical":
        return np.full(shape, fmt.canonical_nan, dtype=np.int64)
    if mode == "riscv":
        return np.full(shape, fmt.quiet_nan, dtype=np.int64)
    base = fmt.canonical_nan if mode == "keep_sign" else fmt.quiet_nan
    if not fmt.has_negative_zero:  # the only NaN is the sign-only code
        return np.full(shape, base, dtype=np.int64)
    codes = np.where(neg, base | fmt.sign_mask, base).astype(np.int64)
    m = getattr(fmt, "nan_payload_bits", 0)
    if mode in PROPAGATING and M is not None and m:
        sh = np.asarray(E, dtype=np.int64) + m  # payload bits that fit: floor(M * 2^(E + m))
        M = np.asarray(M, dtype=np.int64)
        pay = np.where(sh >= 0, M << np.maximum(sh, 0), M >> np.maximum(-sh, 0))
        codes |= pay & ((1 << m) - 1)
    return codes
