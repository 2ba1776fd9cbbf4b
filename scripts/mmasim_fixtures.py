#!/usr/bin/env python3
"""MMA-Sim fixture data for fp8ref's matrix-unit models (tests/data/mmasim/).

    nice python scripts/mmasim_fixtures.py [--out tests/data/mmasim] [--kind NAME ...] [--no-hw]

MMA-Sim (microsoft/MMA-Sim @ c785138, MIT, Xie et al. 2025) is run as an oracle, outside the
package; it is imported from $MMASIM_PATH or from ``shared/third_party/MMA-Sim`` found beside or
above the repository. Nothing of it is copied. For every instruction kind below the script
generates random and adversarial inputs (fixed seeds), runs the MMA-Sim instruction on each row
(one output element: the instruction object is built normally, then its m and n are set to 1;
every MMA-Sim class computes each D[i][j] independently, so this changes only the work done),
and writes ``<kind>.npz`` with the inputs as codes/bits, the scales, C, MMA-Sim's D bits, a
generator class and a bitmask of class tags per row. ``hw_sets.json`` gets MMA-Sim's mismatch
count on each of the 48 published hardware sets (tests/data/hw_accum), run with the instruction
the set was recorded with. README.md (written by hand) documents the kinds and the tags.

Known MMA-Sim defects, worked around here by monkeypatching (never by editing its files):

* E2M1 operands of the k = 32 paths (``mma`` sm_120 / ``tcgen05`` kind::f8f6f4 and
  kind::mxf8f6f4) arrive as raw uint8 codes, which ``extract_significand_exponent`` rejects
  (AssertionError "Unsupported dtype: torch.uint8"). Fix: ``nv_ptx.nv_fused_dot_add`` is wrapped;
  a uint8 operand is decoded (ml_dtypes) into a carrier dtype no other operand of these paths uses
  (E2M1 -> bfloat16) whose ``dtype_min_exponent`` entry is set, for that call only, to the
  element format's emin (0), i.e. MMA-Sim's own rule for every other format. The same carrier
  device runs E3M2 (float8_e5m2fnuz, emin -2) and E2M3 (float8_e4m3fnuz, emin 0), which MMA-Sim
  lists as TODO: those rows are MMA-Sim's rule extended, tagged ``ext_format``.
* CDNA1/2 f16/bf16 (``pairwise_dot`` asserts float32 operands): ``amd.pairwise_dot`` is wrapped to
  widen its operands to float32 (exact).
* ``nv_fused_dot_add_with_block_scale`` (kind::mxf4nvf4) raises OverflowError for C = +-Inf:
  such rows are generated but dropped (counted in ``errors.json``).

Class tags come from re-running each row under a changed rule and marking rows whose D changes:
``zero_term_sets_e`` (zero operands/C take part in the alignment exponent: zero -> exponent -126
in MMA-Sim), ``c_sub_exp`` (an FP16 C is aligned at its own emin -14 instead of its true
exponent), ``subbyte_emin`` (E2M1/E2M3/E3M2 subnormal exponents clamped at the format emin
rather than normalised); and from the output: ``nan_out``, ``inf_out``, ``zero_out``,
``zero_sign`` (a zero whose sign differs from IEEE 754's for the exact sum), ``ovf_finite``
(+-Inf from finite inputs), ``neg_ue4m3_scale`` (MMA-Sim takes |scale|).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from fractions import Fraction

import ml_dtypes
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MMASIM_COMMIT = "c785138"
CHAIN = 3  # instructions per chained row
GEN_NAMES = ("random", "window", "cancel", "swamp", "c_sweep", "subnormal", "zeros", "special", "overflow",
             "scale")
TAG_NAMES = ("nan_out", "inf_out", "zero_out", "zero_sign", "ovf_finite", "zero_term_sets_e", "c_sub_exp",
             "subbyte_emin", "ext_format", "neg_ue4m3_scale")
TAG = {n: 1 << i for i, n in enumerate(TAG_NAMES)}


# ----------------------------------------------------------------------------------------------
# MMA-Sim import and the fixes
# ----------------------------------------------------------------------------------------------

def _mmasim_path():
    env = os.environ.get("MMASIM_PATH")
    cands = [env] if env else []
    d = ROOT
    for _ in range(4):
        cands += [os.path.join(d, "shared", "third_party", "MMA-Sim")]
        d = os.path.dirname(d)
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "mmasim", "simulator", "arithmetic.py")):
            return c
    sys.exit("MMA-Sim not found: set MMASIM_PATH to the MMA-Sim checkout (microsoft/MMA-Sim @ c785138)")


sys.path.insert(0, _mmasim_path())
import torch  # noqa: E402  (MMA-Sim needs torch; CPU is enough)
from mmasim.simulator import amd as _amd  # noqa: E402
from mmasim.simulator import arithmetic as _ar  # noqa: E402
from mmasim.simulator import nv_ptx as _nv  # noqa: E402

_ORIG = {"nv_fused_dot_add": _nv.nv_fused_dot_add, "pairwise_dot": _amd.pairwise_dot,
         "extract": _ar.extract_significand_exponent, "fused_sum": _ar.fused_sum}

#: sub-byte element format -> (carrier torch dtype, ml_dtypes type, emin)
_CARRIER = {"e2m1fn": (torch.bfloat16, ml_dtypes.float4_e2m1fn, 0),
            "e2m3fn": (torch.float8_e4m3fnuz, ml_dtypes.float6_e2m3fn, 0),
            "e3m2fn": (torch.float8_e5m2fnuz, ml_dtypes.float6_e3m2fn, -2)}


class _State:
    """What the wrappers need to know about the call in flight (set per row by the runner)."""
    sub = {"a": "e2m1fn", "b": "e2m1fn"}  # element format of a uint8 operand
    variant = "base"


def _carry(x, fmt):
    if x.dtype != torch.uint8:
        return x, None
    carrier, mlt, emin = _CARRIER[fmt]
    vals = x.numpy().astype(np.uint8).view(mlt).astype(np.float32)
    y = torch.from_numpy(vals).to(carrier)
    assert np.array_equal(y.float().numpy(), vals), "carrier must hold the element values exactly"
    return y, (carrier, emin)


def _nv_fused_dot_add_fixed(a, b, c, *args, **kw):
    """nv_fused_dot_add with uint8 sub-byte operands decoded (the E2M1 fix) and the C variant."""
    a, ca = _carry(a, _State.sub["a"])
    b, cb = _carry(b, _State.sub["b"])
    if _State.variant == "c_true_exp" and c.dtype == torch.float16:
        c = c.float()  # align C at its true exponent (clamp -126) instead of binary16's -14
    saved = {}
    try:
        for ce in (ca, cb):
            if ce is not None:
                dt, emin = ce
                saved.setdefault(dt, _ar.dtype_min_exponent[dt])
                _ar.dtype_min_exponent[dt] = -1022 if _State.variant == "subbyte_unclamped" else emin
        return _ORIG["nv_fused_dot_add"](a, b, c, *args, **kw)
    finally:
        _ar.dtype_min_exponent.update(saved)


def _pairwise_dot_fixed(a, b, flush_denormal=False):
    """CDNA1/2 fix: pairwise_dot asserts float32; f16/bf16 operands are widened exactly."""
    return _ORIG["pairwise_dot"](a.float(), b.float(), flush_denormal)


def _extract_variant(x, dtype=None):
    s, e = _ORIG["extract"](x, dtype)
    if _State.variant == "zero_free" and s == 0.0:
        e = -10**6  # a zero never sets an alignment exponent
    return s, e


def _fused_sum_variant(sig, exps, n):
    if _State.variant == "zero_free":
        nz = [i for i, s in enumerate(sig) if s != 0.0]
        if nz and len(nz) < len(sig):
            return _ORIG["fused_sum"]([sig[i] for i in nz], [exps[i] for i in nz], n)
    return _ORIG["fused_sum"](sig, exps, n)


_nv.nv_fused_dot_add = _nv_fused_dot_add_fixed
_amd.pairwise_dot = _pairwise_dot_fixed
_ar.extract_significand_exponent = _extract_variant
_ar.fused_sum = _fused_sum_variant


# ----------------------------------------------------------------------------------------------
# Formats (codes <-> values; ml_dtypes/numpy decode)
# ----------------------------------------------------------------------------------------------

@dataclass
class Fmt:
    name: str
    bits: int          # significant code bits (tf32: 19)
    ebits: int
    mbits: int
    special: str       # ieee | fn | fnuz | none | e8m0
    np_type: object = None
    torch_dtype: object = None
    shift: int = 0     # tf32: the 19 code bits sit at bit 13 of a binary32 word
    store: object = np.uint8
    table: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        self.bias = (1 << (self.ebits - 1)) - 1 + (1 if self.special == "fnuz" else 0)
        self.emin = 1 - self.bias
        top = (1 << self.ebits) - 1
        self.emax = (top - 1 if self.special == "ieee" else top) - self.bias
        self.sign = 1 << (self.bits - 1) if self.special != "e8m0" else 0
        if self.bits <= 16:
            codes = np.arange(1 << self.bits, dtype=np.uint32)
            self.table = self.decode(codes)

    def decode(self, codes):
        """float64 values of codes (ml_dtypes / numpy, exact)."""
        codes = np.asarray(codes, dtype=np.uint64)
        if self.table is not None:
            return self.table[codes.astype(np.int64)]
        with np.errstate(invalid="ignore"):
            if self.name in ("fp32", "tf32"):
                return codes.astype(np.uint32).view(np.float32).astype(np.float64)
            if self.name == "fp16":
                return codes.astype(np.uint16).view(np.float16).astype(np.float64)
        store = {1: np.uint8, 2: np.uint16}[np.dtype(self.np_type).itemsize]
        with np.errstate(invalid="ignore"):
            return codes.astype(store).view(self.np_type).astype(np.float64)

    def code(self, sign, bexp, mant):
        return ((np.asarray(sign, np.uint64) * self.sign) | (np.asarray(bexp, np.uint64) << np.uint64(self.mbits))
                | np.asarray(mant, np.uint64)) << np.uint64(self.shift)

    def fix_nan(self, bexp, mant):
        if self.special == "fn":  # the all-ones code is NaN: step the mantissa down
            top = (1 << self.ebits) - 1
            full = (1 << self.mbits) - 1
            mant = np.where((bexp == top) & (mant == full), full - 1, mant)
        return mant

    def window(self, rng, n, lo, hi):
        """n finite normal codes with unbiased exponent uniform in [lo, hi] (clipped to the range)."""
        lo, hi = max(lo, self.emin), min(hi, self.emax)
        if lo > hi:
            lo = hi = (self.emin if hi < self.emin else self.emax)
        e = rng.integers(lo, hi + 1, n)
        bexp = e + self.bias
        mant = self.fix_nan(bexp, rng.integers(0, 1 << self.mbits, n))
        return self.code(self.rsign(rng, n), bexp, mant)

    def rsign(self, rng, n):
        return rng.integers(0, 2, n) if self.sign else np.zeros(n, np.int64)

    def sub(self, rng, n):
        if self.mbits == 0:
            return self.window(rng, n, self.emin, self.emin)
        return self.code(self.rsign(rng, n), np.zeros(n, np.int64), rng.integers(1, 1 << self.mbits, n))

    def any(self, rng, n):
        return rng.integers(0, 1 << self.bits, n, dtype=np.uint64) << np.uint64(self.shift)

    def zero(self, rng, n):
        s = self.rsign(rng, n) if self.special != "fnuz" else np.zeros(n, np.int64)
        return self.code(s, np.zeros(n, np.int64), np.zeros(n, np.int64))

    def max(self, sign=0):
        top = (1 << self.ebits) - 1
        if self.special == "ieee":
            return int(self.code(sign, top - 1, (1 << self.mbits) - 1))
        m = (1 << self.mbits) - 1 - (1 if self.special == "fn" else 0)
        return int(self.code(sign if self.special != "e8m0" else 0, top, m))

    def nan(self):
        top = (1 << self.ebits) - 1
        return {"ieee": lambda: int(self.code(0, top, 1 << (self.mbits - 1))),
                "fn": lambda: int(self.code(0, top, (1 << self.mbits) - 1)),
                "fnuz": lambda: int(self.sign << self.shift), "e8m0": lambda: 0xFF}.get(self.special, lambda: None)()

    def inf(self, sign=0):
        return int(self.code(sign, (1 << self.ebits) - 1, 0)) if self.special == "ieee" else None

    def neg(self, codes):
        codes = np.asarray(codes, np.uint64)
        if not self.sign:
            return codes
        flipped = codes ^ np.uint64(self.sign << self.shift)
        if self.special == "fnuz":
            flipped = np.where(codes == 0, codes, flipped)
        return flipped

    def round(self, x):
        """Nearest code of a float64 value (generator helper only: C targets)."""
        x = np.atleast_1d(np.asarray(x, np.float64))
        with np.errstate(over="ignore"):  # out-of-range targets become +-Inf codes (fine for C)
            return self._round(x)

    def _round(self, x):
        if self.name == "fp32":
            return x.astype(np.float32).view(np.uint32).astype(np.uint64)
        if self.name == "fp16":
            return x.astype(np.float16).view(np.uint16).astype(np.uint64)
        raise ValueError(self.name)


FMTS = {f.name: f for f in [
    Fmt("fp16", 16, 5, 10, "ieee", np.float16, torch.float16, store=np.uint16),
    Fmt("bf16", 16, 8, 7, "ieee", ml_dtypes.bfloat16, torch.bfloat16, store=np.uint16),
    Fmt("tf32", 19, 8, 10, "ieee", None, torch.float32, shift=13, store=np.uint32),
    Fmt("fp32", 32, 8, 23, "ieee", None, torch.float32, store=np.uint32),
    Fmt("e4m3fn", 8, 4, 3, "fn", ml_dtypes.float8_e4m3fn, torch.float8_e4m3fn),
    Fmt("e5m2", 8, 5, 2, "ieee", ml_dtypes.float8_e5m2, torch.float8_e5m2),
    Fmt("e4m3fnuz", 8, 4, 3, "fnuz", ml_dtypes.float8_e4m3fnuz, torch.float8_e4m3fnuz),
    Fmt("e5m2fnuz", 8, 5, 2, "fnuz", ml_dtypes.float8_e5m2fnuz, torch.float8_e5m2fnuz),
    Fmt("e2m1fn", 4, 2, 1, "none", ml_dtypes.float4_e2m1fn, torch.uint8),
    Fmt("e2m3fn", 6, 2, 3, "none", ml_dtypes.float6_e2m3fn, torch.uint8),
    Fmt("e3m2fn", 6, 3, 2, "none", ml_dtypes.float6_e3m2fn, torch.uint8),
    Fmt("ue8m0", 8, 8, 0, "e8m0", ml_dtypes.float8_e8m0fnu, torch.float8_e8m0fnu),
    Fmt("ue4m3", 8, 4, 3, "fn", ml_dtypes.float8_e4m3fn, torch.float8_e4m3fn),
]}
FMTS["ue8m0"].bias, FMTS["ue8m0"].emin, FMTS["ue8m0"].emax = 127, -127, 127
SUBBYTE = ("e2m1fn", "e2m3fn", "e3m2fn")


def to_torch(fmt, codes):
    f = FMTS[fmt]
    codes = np.asarray(codes, np.uint64)
    if f.torch_dtype is torch.uint8:
        return torch.from_numpy(codes.astype(np.uint8))
    if f.store is np.uint8:
        return torch.from_numpy(codes.astype(np.uint8)).view(f.torch_dtype)
    if f.store is np.uint16:
        return torch.from_numpy(codes.astype(np.uint16).view(np.int16)).view(f.torch_dtype)
    return torch.from_numpy(codes.astype(np.uint32).view(np.int32)).view(torch.float32)


def bits_of(t):
    t = t.reshape(-1)[:1].contiguous()
    if t.dtype == torch.float16:
        return int(t.view(torch.int16).item()) & 0xFFFF
    return int(t.view(torch.int32).item()) & 0xFFFFFFFF


# ----------------------------------------------------------------------------------------------
# Instruction kinds
# ----------------------------------------------------------------------------------------------

NV_T = {"fp16": "f16", "bf16": "bf16", "tf32": "tf32", "e4m3fn": "e4m3", "e5m2": "e5m2", "e2m1fn": "e2m1",
        "e2m3fn": "e2m1", "e3m2fn": "e2m1"}  # fp6 rows run MMA-Sim's e2m1 qualifier (the carrier decodes them)
AMD_T = {"e4m3fnuz": "fp8", "e5m2fnuz": "bf8"}
FP8 = ("e4m3fn", "e5m2")
F8F6F4 = ("e5m2", "e4m3fn", "e2m1fn")
EXT = ("e3m2fn", "e2m3fn")


def _pairs(fmts):
    return [(a, b) for a in fmts for b in fmts]


def _ext_pairs(fmts, ext):
    """Pairs with at least one FP6 operand (MMA-Sim: TODO; run through the carrier fix)."""
    return [(a, b) for a in fmts + ext for b in fmts + ext if a in ext or b in ext]


@dataclass
class Kind:
    name: str
    api: str                 # MMA-Sim class in mmasim.simulator.{nv_ptx,amd}
    arch: str
    qual: object             # (fa, fb) -> qualifier string
    k: int
    pairs: list
    cfmt: str = "fp32"
    dfmt: str = "fp32"
    block: int = 0           # scale block size (0: no scales)
    sfmt: str = ""
    ext_pairs: list = field(default_factory=list)  # FP6 pairs, beyond what MMA-Sim lists
    rows: int = 2000
    chain_rows: int = 200

    @property
    def chain(self):
        return self.chain_rows > 0 and self.cfmt == self.dfmt


def _mma(shape, d, c):
    return lambda fa, fb: f"{shape}.{d}.{NV_T[fa]}.{NV_T[fb]}.{c}"


def _wg(shape, d):
    return lambda fa, fb: f"{shape}.{d}.{NV_T[fa]}.{NV_T[fb]}"


def _mfma(fmt_q):
    return lambda fa, fb: fmt_q.format(a=AMD_T.get(fa, ""), b=AMD_T.get(fb, ""))


F16P, BF16P, TF32P = [("fp16", "fp16")], [("bf16", "bf16")], [("tf32", "tf32")]
KINDS = [
    # --- mma (nv_ptx.mma) ---
    Kind("volta_mma_m8n8k4_f32", "mma", "Volta", _mma("m8n8k4", "f32", "f32"), 4, F16P),
    Kind("volta_mma_m8n8k4_f32_c16", "mma", "Volta", _mma("m8n8k4", "f32", "f16"), 4, F16P, cfmt="fp16"),
    Kind("volta_mma_m8n8k4_f16", "mma", "Volta", _mma("m8n8k4", "f16", "f16"), 4, F16P, "fp16", "fp16"),
    Kind("turing_mma_m16n8k8_f32", "mma", "Turing", _mma("m16n8k8", "f32", "f32"), 8, F16P),
    Kind("turing_mma_m16n8k8_f16", "mma", "Turing", _mma("m16n8k8", "f16", "f16"), 8, F16P, "fp16", "fp16"),
    Kind("ampere_mma_m16n8k16_f32", "mma", "Ampere", _mma("m16n8k16", "f32", "f32"), 16, F16P + BF16P),
    Kind("ampere_mma_m16n8k16_f16", "mma", "Ampere", _mma("m16n8k16", "f16", "f16"), 16, F16P, "fp16", "fp16"),
    Kind("ampere_mma_m16n8k8_f32", "mma", "Ampere", _mma("m16n8k8", "f32", "f32"), 8, BF16P),
    Kind("ampere_mma_m16n8k8_tf32", "mma", "Ampere", _mma("m16n8k8", "f32", "f32"), 8, TF32P),
    Kind("ampere_mma_m16n8k4_tf32", "mma", "Ampere", _mma("m16n8k4", "f32", "f32"), 4, TF32P),
    Kind("ada_mma_m16n8k32_f32", "mma", "Ada Lovelace", _mma("m16n8k32", "f32", "f32"), 32, _pairs(FP8)),
    Kind("ada_mma_m16n8k32_f16", "mma", "Ada Lovelace", _mma("m16n8k32", "f16", "f16"), 32, _pairs(FP8),
         "fp16", "fp16"),
    Kind("ada_mma_m16n8k16_f32", "mma", "Ada Lovelace", _mma("m16n8k16", "f32", "f32"), 16, _pairs(FP8)),
    Kind("ada_mma_m16n8k16_f16", "mma", "Ada Lovelace", _mma("m16n8k16", "f16", "f16"), 16, _pairs(FP8),
         "fp16", "fp16"),
    Kind("hopper_mma_m16n8k8_f32", "mma", "Hopper", _mma("m16n8k8", "f32", "f32"), 8, F16P + BF16P),
    Kind("hopper_mma_m16n8k8_f16", "mma", "Hopper", _mma("m16n8k8", "f16", "f16"), 8, F16P, "fp16", "fp16"),
    Kind("hopper_mma_m16n8k4_tf32", "mma", "Hopper", _mma("m16n8k4", "f32", "f32"), 4, TF32P),
    Kind("sm120_mma_m16n8k16_f32", "mma", "RTX Blackwell", _mma("m16n8k16", "f32", "f32"), 16, _pairs(FP8)),
    Kind("sm120_mma_m16n8k16_f16", "mma", "RTX Blackwell", _mma("m16n8k16", "f16", "f16"), 16, _pairs(FP8),
         "fp16", "fp16"),
    # --- wgmma (Hopper) ---
    Kind("hopper_wgmma_k32_f32", "wgmma", "Hopper", _wg("m64n8k32", "f32"), 32, _pairs(FP8)),
    Kind("hopper_wgmma_k32_f16", "wgmma", "Hopper", _wg("m64n8k32", "f16"), 32, _pairs(FP8), "fp16", "fp16"),
    # --- tcgen05.mma (Blackwell) ---
    Kind("blackwell_tcgen05_k8_tf32", "tcgen05mma", "Blackwell", _wg("m128n8k8", "f32"), 8, TF32P),
    Kind("blackwell_tcgen05_k16_f32", "tcgen05mma", "Blackwell", _wg("m128n8k16", "f32"), 16,
         _pairs(("fp16", "bf16"))),
    Kind("blackwell_tcgen05_k16_f16", "tcgen05mma", "Blackwell", _wg("m128n8k16", "f16"), 16, F16P, "fp16", "fp16"),
    Kind("blackwell_tcgen05_k32_f32", "tcgen05mma", "Blackwell", _wg("m128n8k32", "f32"), 32, _pairs(F8F6F4),
         ext_pairs=_ext_pairs(F8F6F4, EXT)),
    Kind("blackwell_tcgen05_k32_f16", "tcgen05mma", "Blackwell", _wg("m128n8k32", "f16"), 32, _pairs(F8F6F4),
         "fp16", "fp16", ext_pairs=_ext_pairs(F8F6F4, EXT)),
    Kind("blackwell_tcgen05_mxf8f6f4", "tcgen05mma_block_scale", "Blackwell",
         lambda fa, fb: f"m128n8k32.block32.f32.{NV_T[fa]}.{NV_T[fb]}.ue8m0", 32, _pairs(F8F6F4),
         block=32, sfmt="ue8m0", ext_pairs=_ext_pairs(F8F6F4, EXT)),
    Kind("blackwell_tcgen05_mxf4nvf4_ue8m0_b32", "tcgen05mma_block_scale", "Blackwell",
         lambda fa, fb: "m128n8k64.block32.f32.e2m1.e2m1.ue8m0", 64, [("e2m1fn", "e2m1fn")], block=32, sfmt="ue8m0",
         rows=2100),
    Kind("blackwell_tcgen05_mxf4nvf4_ue8m0_b16", "tcgen05mma_block_scale", "Blackwell",
         lambda fa, fb: "m128n8k64.block16.f32.e2m1.e2m1.ue8m0", 64, [("e2m1fn", "e2m1fn")], block=16, sfmt="ue8m0",
         rows=2100),
    Kind("blackwell_tcgen05_mxf4nvf4_ue4m3_b16", "tcgen05mma_block_scale", "Blackwell",
         lambda fa, fb: "m128n8k64.block16.f32.e2m1.e2m1.ue4m3", 64, [("e2m1fn", "e2m1fn")], block=16, sfmt="ue4m3",
         rows=2100),
    Kind("sm120_mma_mxf4nvf4_ue4m3_b32", "mma_block_scale", "RTX Blackwell",
         lambda fa, fb: "m16n8k64.block32.f32.e2m1.e2m1.f32.ue4m3", 64, [("e2m1fn", "e2m1fn")], block=32,
         sfmt="ue4m3", rows=2100),
    # --- AMD mfma ---
    Kind("cdna3_mfma_f32", "mfma", "CDNA3", _mfma("f32_16x16x4_f32"), 4, [("fp32", "fp32")]),
    Kind("cdna1_mfma_f16", "mfma", "CDNA1", _mfma("f32_16x16x16f16"), 16, F16P),
    Kind("cdna1_mfma_bf16", "mfma", "CDNA1", _mfma("f32_16x16x8bf16"), 8, BF16P),
    Kind("cdna2_mfma_f16", "mfma", "CDNA2", _mfma("f32_16x16x16f16"), 16, F16P),
    Kind("cdna2_mfma_bf16", "mfma", "CDNA2", _mfma("f32_16x16x8bf16"), 8, BF16P),
    Kind("cdna2_mfma_bf16_1k", "mfma", "CDNA2", _mfma("f32_16x16x16bf16_1k"), 16, BF16P),
    Kind("cdna3_mfma_xf32", "mfma", "CDNA3", _mfma("f32_16x16x8_xf32"), 8, TF32P),
    Kind("cdna3_mfma_f16", "mfma", "CDNA3", _mfma("f32_16x16x16_f16"), 16, F16P),
    Kind("cdna3_mfma_bf16", "mfma", "CDNA3", _mfma("f32_16x16x16_bf16"), 16, BF16P),
    Kind("cdna3_mfma_fp8", "mfma", "CDNA3", _mfma("f32_16x16x32_{a}_{b}"), 32,
         _pairs(("e4m3fnuz", "e5m2fnuz"))),
]
KIND = {k.name: k for k in KINDS}

_SAME = lambda fa, fb: fa == fb  # noqa: E731  (mma/wgmma take one input format)
_ALL = lambda fa, fb: True  # noqa: E731

#: instructions MMA-Sim computes with the same code and parameters as a stored kind, so they get no
#: file of their own: (name, stored kind, api, arch, qualifier function, which stored rows they take).
#: Every such instruction is run on all those rows (single and chained) and must give the same bits.
ALIASES = [
    ("hopper_mma_m16n8k16_f32", "blackwell_tcgen05_k16_f32", "mma", "Hopper", _mma("m16n8k16", "f32", "f32"), _SAME),
    ("hopper_wgmma_k16_f32", "blackwell_tcgen05_k16_f32", "wgmma", "Hopper", _wg("m64n8k16", "f32"), _SAME),
    ("blackwell_mma_m16n8k16_f32", "blackwell_tcgen05_k16_f32", "mma", "Blackwell", _mma("m16n8k16", "f32", "f32"),
     _SAME),
    ("sm120_mma_m16n8k16_f32(f16,bf16)", "blackwell_tcgen05_k16_f32", "mma", "RTX Blackwell", _mma("m16n8k16", "f32", "f32"),
     _SAME),
    ("hopper_mma_m16n8k16_f16", "blackwell_tcgen05_k16_f16", "mma", "Hopper", _mma("m16n8k16", "f16", "f16"), _ALL),
    ("hopper_wgmma_k16_f16", "blackwell_tcgen05_k16_f16", "wgmma", "Hopper", _wg("m64n8k16", "f16"), _ALL),
    ("blackwell_mma_m16n8k16_f16", "blackwell_tcgen05_k16_f16", "mma", "Blackwell", _mma("m16n8k16", "f16", "f16"),
     _ALL),
    ("hopper_mma_m16n8k8_tf32", "blackwell_tcgen05_k8_tf32", "mma", "Hopper", _mma("m16n8k8", "f32", "f32"), _ALL),
    ("hopper_wgmma_k8_tf32", "blackwell_tcgen05_k8_tf32", "wgmma", "Hopper", _wg("m64n8k8", "f32"), _ALL),
    ("blackwell_mma_m16n8k8_tf32", "blackwell_tcgen05_k8_tf32", "mma", "Blackwell", _mma("m16n8k8", "f32", "f32"),
     _ALL),
    ("blackwell_mma_m16n8k8_f32", "hopper_mma_m16n8k8_f32", "mma", "Blackwell", _mma("m16n8k8", "f32", "f32"), _ALL),
    ("blackwell_mma_m16n8k8_f16", "hopper_mma_m16n8k8_f16", "mma", "Blackwell", _mma("m16n8k8", "f16", "f16"), _ALL),
    ("blackwell_mma_m16n8k4_tf32", "hopper_mma_m16n8k4_tf32", "mma", "Blackwell", _mma("m16n8k4", "f32", "f32"),
     _ALL),
    ("ada_mma_m16n8k16_f32(f16,bf16)", "ampere_mma_m16n8k16_f32", "mma", "Ada Lovelace",
     _mma("m16n8k16", "f32", "f32"), _ALL),
    ("ada_mma_m16n8k16_f16(f16)", "ampere_mma_m16n8k16_f16", "mma", "Ada Lovelace", _mma("m16n8k16", "f16", "f16"),
     _ALL),
    ("ada_mma_m16n8k8_tf32", "ampere_mma_m16n8k8_tf32", "mma", "Ada Lovelace", _mma("m16n8k8", "f32", "f32"), _ALL),
    ("ampere_mma_m16n8k8_f32(f16)", "turing_mma_m16n8k8_f32", "mma", "Ampere", _mma("m16n8k8", "f32", "f32"), _ALL),
    ("ampere_mma_m16n8k8_f16", "turing_mma_m16n8k8_f16", "mma", "Ampere", _mma("m16n8k8", "f16", "f16"), _ALL),
    ("sm120_mma_m16n8k32_f32", "blackwell_tcgen05_k32_f32", "mma", "RTX Blackwell", _mma("m16n8k32", "f32", "f32"),
     _ALL),
    ("sm120_mma_m16n8k32_f16", "blackwell_tcgen05_k32_f16", "mma", "RTX Blackwell", _mma("m16n8k32", "f16", "f16"),
     _ALL),
    ("sm120_mma_mxf8f6f4", "blackwell_tcgen05_mxf8f6f4", "mma_block_scale", "RTX Blackwell",
     lambda fa, fb: f"m16n8k32.block32.f32.{NV_T[fa]}.{NV_T[fb]}.f32.ue8m0", _ALL),
    ("sm120_mma_mxf4nvf4_ue4m3_b16", "blackwell_tcgen05_mxf4nvf4_ue4m3_b16", "mma_block_scale", "RTX Blackwell",
     lambda fa, fb: "m16n8k64.block16.f32.e2m1.e2m1.f32.ue4m3", _ALL),
    ("sm120_mma_mxf4nvf4_ue8m0_b16", "blackwell_tcgen05_mxf4nvf4_ue8m0_b16", "mma_block_scale", "RTX Blackwell",
     lambda fa, fb: "m16n8k64.block16.f32.e2m1.e2m1.f32.ue8m0", _ALL),
    ("sm120_mma_mxf4nvf4_ue8m0_b32", "blackwell_tcgen05_mxf4nvf4_ue8m0_b32", "mma_block_scale", "RTX Blackwell",
     lambda fa, fb: "m16n8k64.block32.f32.e2m1.e2m1.f32.ue8m0", _ALL),
    ("cdna1_mfma_f32", "cdna3_mfma_f32", "mfma", "CDNA1", _mfma("f32_16x16x4f32"), _ALL),
    ("cdna2_mfma_f32", "cdna3_mfma_f32", "mfma", "CDNA2", _mfma("f32_16x16x4f32"), _ALL),
]


def make_inst(api, arch, qual):
    mod = _amd if api == "mfma" else _nv
    inst = getattr(mod, api)(arch, qual)
    inst.m = inst.n = 1  # one output element per call; each D[i][j] is computed independently
    return inst


# ----------------------------------------------------------------------------------------------
# Row generators (codes only; fixed seeds)
# ----------------------------------------------------------------------------------------------

def _scales(rng, kind, n, extreme):
    f = FMTS[kind.sfmt]
    if kind.sfmt == "ue8m0":
        s = 127 + rng.integers(-8, 9, n)
        ext = np.array([0x00, 0x01, 0x7F, 0xFE, 0xFF, 0x80, 0x70, 0x90])
    else:
        s = f.window(rng, n, -3, 3) & 0x7F
        ext = np.array([0x00, 0x01, 0x07, 0x08, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x38, 0xB8])
    if extreme:
        pick = rng.random(n) < 0.6
        s = np.where(pick, ext[rng.integers(0, len(ext), n)], s)
    return s.astype(np.uint64)


def gen_row(rng, kind, gen, fa, fb, K):
    """(a codes[K], b codes[K], c bits, sa, sb) for generator class gen."""
    A, B, C = FMTS[fa], FMTS[fb], FMTS[kind.cfmt]
    nblk = K // kind.block if kind.block else 0
    sa = sb = np.zeros(0, np.uint64)
    if nblk:
        ext = gen == "scale" or rng.random() < 0.1
        sa, sb = _scales(rng, kind, nblk, ext), _scales(rng, kind, nblk, ext)
    w = lambda F, lo, hi: F.window(rng, K, lo, hi)  # noqa: E731
    c_win = lambda lo, hi: int(C.window(rng, 1, lo, hi)[0])  # noqa: E731
    if gen in ("random", "scale"):
        if gen == "scale" or rng.random() < 0.7:
            a, b = w(A, -2, 2), w(B, -2, 2)
        else:
            a, b = A.any(rng, K), B.any(rng, K)
        c = int(C.any(rng, 1)[0]) if rng.random() < 0.3 else (0 if rng.random() < 0.3 else c_win(-3, 6))
    elif gen == "window":
        r = int(rng.integers(0, 3))
        a, b = w(A, -r - 1, r + 1), w(B, -r - 1, r + 1)
        c = 0 if rng.random() < 0.25 else c_win(-6, 8)
    elif gen == "cancel":
        a, b = w(A, -2, 3), w(B, -2, 3)
        half = K // 2
        perm = rng.permutation(K)
        i, j = perm[:half], perm[half:2 * half]
        keep = rng.random(half) < 0.85
        a[j] = np.where(keep, a[i], a[j])
        b[j] = np.where(keep, B.neg(b[i]), b[j])
        small = rng.random(K) < 0.2
        a = np.where(small, w(A, A.emin, -3), a)
        if rng.random() < 0.6:  # C cancels (most of) the products
            prods = (A.decode(a) * B.decode(b)).sum() * _scale_value(kind, sa, sb)
            c = int(C.round(-prods)[0]) if np.isfinite(prods) else 0
        else:
            c = 0
    elif gen == "swamp":
        a, b = w(A, A.emin, -2), w(B, B.emin, -2)
        big = int(rng.integers(0, K))
        a[big], b[big] = w(A, 3, 8)[0], w(B, 3, 8)[0]
        c = [0, c_win(-40, -10), c_win(5, 20), int(C.sub(rng, 1)[0])][int(rng.integers(0, 4))]
    elif gen == "c_sweep":
        a, b = w(A, -2, 2), w(B, -2, 2)
        e = int(rng.integers(C.emin - C.mbits, C.emax + 1))
        c = int(C.sub(rng, 1)[0]) if e < C.emin else c_win(e, e)
    elif gen == "subnormal":
        a = np.where(rng.random(K) < 0.5, A.sub(rng, K), w(A, A.emin, A.emin + 3))
        b = np.where(rng.random(K) < 0.5, B.sub(rng, K), w(B, B.emin, B.emin + 3))
        r = rng.random()
        c = int(C.sub(rng, 1)[0]) if r < 0.5 else (0 if r < 0.7 else c_win(C.emin, C.emin + 12))
    elif gen == "zeros":
        a, b = w(A, -3, 3), w(B, -3, 3)
        a = np.where(rng.random(K) < 0.5, A.zero(rng, K), a)
        b = np.where(rng.random(K) < 0.3, B.zero(rng, K), b)
        r = rng.random()
        if r < 0.3:  # zero times the largest value, tiny others (MMA-Sim: the zero sets E)
            a, b = w(A, A.emin, A.emin + 2), w(B, B.emin, B.emin + 2)
            i = int(rng.integers(0, K))
            a[i], b[i] = (int(A.zero(rng, 1)[0]), B.max(int(rng.integers(0, 2)))) if rng.random() < 0.5 else \
                (A.max(int(rng.integers(0, 2))), int(B.zero(rng, 1)[0]))
            c = int(C.sub(rng, 1)[0]) if rng.random() < 0.3 else c_win(C.emin, C.emin + 20)
        elif r < 0.45:  # every product zero
            a = A.zero(rng, K)
            c = int(C.zero(rng, 1)[0]) if rng.random() < 0.6 else c_win(-10, 10)
        else:
            c = int(C.zero(rng, 1)[0]) if rng.random() < 0.6 else c_win(-6, 6)
    elif gen == "special":
        a, b = w(A, -3, 3), w(B, -3, 3)
        for _ in range(int(rng.integers(1, 3))):
            F, arr = (A, a) if rng.random() < 0.5 else (B, b)
            cand = [x for x in (F.nan(), F.inf(0), F.inf(1)) if x is not None]
            i = int(rng.integers(0, K))
            if cand:
                arr[i] = cand[int(rng.integers(0, len(cand)))]
            if rng.random() < 0.3:  # Inf or NaN times zero
                (b if arr is a else a)[i] = int((B if arr is a else A).zero(rng, 1)[0])
        cc = [x for x in (C.nan(), C.inf(0), C.inf(1)) if x is not None]
        c = cc[int(rng.integers(0, len(cc)))] if rng.random() < 0.4 else c_win(-4, 4)
    elif gen == "overflow":
        s = int(rng.integers(0, 2))
        a = w(A, A.emax - 1, A.emax)
        b = w(B, B.emax - 1, B.emax)
        a = a & ~np.uint64(A.sign << A.shift) if A.sign else a
        b = (b & ~np.uint64(B.sign << B.shift)) if B.sign else b
        if s and A.sign:
            a = A.neg(a)
        c = C.max(s) if rng.random() < 0.5 else c_win(C.emax - 4, C.emax)
    else:
        raise ValueError(gen)
    return np.asarray(a, np.uint64), np.asarray(b, np.uint64), int(c), sa, sb


def _scale_value(kind, sa, sb):
    if not kind.block:
        return 1.0
    F = FMTS[kind.sfmt]
    v = F.decode(sa[:1])[0] * F.decode(sb[:1])[0]
    return abs(v) if np.isfinite(v) else 1.0


GEN_WEIGHTS = {"random": 250, "window": 450, "cancel": 300, "swamp": 200, "c_sweep": 300, "subnormal": 200,
               "zeros": 220, "special": 160, "overflow": 70}


def schedule(kind, rows):
    """[(generator class, (fa, fb))]: rows over MMA-Sim's own format pairs, then ext_rows more over
    the FP6 extension pairs."""
    out = [(g, kind.pairs[i % len(kind.pairs)]) for i, g in enumerate(plan(kind, rows))]
    if kind.ext_pairs:
        n = rows * 2 // 5
        out += [(g, kind.ext_pairs[i % len(kind.ext_pairs)]) for i, g in enumerate(plan(kind, n))]
    return out


def plan(kind, rows):
    """Exactly `rows` generator classes, in proportion to GEN_WEIGHTS (+ scale for block-scaled kinds)."""
    w = dict(GEN_WEIGHTS)
    if kind.block:
        w["scale"] = 300
    tot = sum(w.values())
    counts = {g: rows * n // tot for g, n in w.items()}
    for g in list(w)[:rows - sum(counts.values())]:
        counts[g] += 1
    return [g for g in w for _ in range(counts[g])]


# ----------------------------------------------------------------------------------------------
# Running MMA-Sim
# ----------------------------------------------------------------------------------------------

class Runner:
    def __init__(self, kind, api=None, arch=None, qual=None):
        self.kind = kind
        self.api, self.arch, self.qual = api or kind.api, arch or kind.arch, qual or kind.qual
        self.insts = {}

    def inst(self, fa, fb):
        key = (fa, fb)
        if key not in self.insts:
            self.insts[key] = make_inst(self.api, self.arch, self.qual(fa, fb))
        return self.insts[key]

    def one(self, fa, fb, a, b, c, sa, sb, cdtype=None):
        """MMA-Sim D (a torch scalar tensor) of one instruction."""
        kind = self.kind
        inst = self.inst(fa, fb)
        _State.sub["a"], _State.sub["b"] = (fa if fa in SUBBYTE else "e2m1fn"), (fb if fb in SUBBYTE else "e2m1fn")
        if getattr(inst, "packing", 1) == 2:
            A = to_torch(fa, (a[0::2] | (a[1::2] << np.uint64(4)))).reshape(1, -1)
            B = to_torch(fb, (b[0::2] | (b[1::2] << np.uint64(4)))).reshape(-1, 1)
        else:
            A, B = to_torch(fa, a).reshape(1, -1), to_torch(fb, b).reshape(-1, 1)
        C = c if isinstance(c, torch.Tensor) else to_torch(kind.cfmt, [c])
        C = C.reshape(1, 1)
        if kind.block:
            SA = to_torch(kind.sfmt, sa).reshape(1, -1)
            SB = to_torch(kind.sfmt, sb).reshape(-1, 1)
            return inst(A, B, C, SA, SB)
        return inst(A, B, C)

    def run(self, fa, fb, a, b, c, sa, sb, variant="base"):
        """D bits after len(a) // k chained instructions (D of one is C of the next)."""
        _State.variant = variant
        try:
            k, kb = self.kind.k, (self.kind.k // self.kind.block if self.kind.block else 0)
            cur = c
            for j in range(len(a) // k):
                cur = self.one(fa, fb, a[j * k:(j + 1) * k], b[j * k:(j + 1) * k], cur,
                               sa[j * kb:(j + 1) * kb], sb[j * kb:(j + 1) * kb])
            return bits_of(cur)
        finally:
            _State.variant = "base"


def _exact(kind, fa, fb, a, b, c, sa, sb):
    """Exact D = sum a_i b_i (scales) + c as a Fraction, the list of addends' signs-if-zero, or None
    when any input is not finite."""
    A, B, C = FMTS[fa], FMTS[fb], FMTS[kind.cfmt]
    va, vb, vc = A.decode(a), B.decode(b), C.decode([c])[0]
    vals = list(va) + list(vb) + [vc]
    if kind.block:
        S = FMTS[kind.sfmt]
        vsa, vsb = S.decode(sa), S.decode(sb)
        vals += list(vsa) + list(vsb)
    if not all(np.isfinite(vals)):
        return None
    total, zero_neg = Fraction(vc), [math.copysign(1, vc) < 0 and vc == 0]
    for i in range(len(va)):
        p = Fraction(va[i]) * Fraction(vb[i])
        neg = (math.copysign(1, va[i]) * math.copysign(1, vb[i])) < 0
        if kind.block:
            blk = i // kind.block
            s = Fraction(vsa[blk]) * Fraction(vsb[blk])
            p *= s
            neg ^= (math.copysign(1, vsa[blk]) * math.copysign(1, vsb[blk])) < 0
        total += p
        zero_neg.append(p == 0 and neg)
    return total, all(zero_neg)


def tags_for(runner, fa, fb, a, b, c, sa, sb, d, single):
    kind = runner.kind
    tag = 0
    D = FMTS["fp16" if kind.dfmt == "fp16" else "fp32"]
    dv = D.decode([d])[0]
    if math.isnan(dv):
        tag |= TAG["nan_out"]
    elif math.isinf(dv):
        tag |= TAG["inf_out"]
    elif dv == 0:
        tag |= TAG["zero_out"]
    finite_in = _exact(kind, fa, fb, a, b, c, sa, sb) if single else None
    if single and finite_in is not None:
        total, all_neg_zero = finite_in
        if math.isinf(dv):
            tag |= TAG["ovf_finite"]
        if dv == 0:
            want_neg = total < 0 if total != 0 else all_neg_zero
            if want_neg != (math.copysign(1, dv) < 0):
                tag |= TAG["zero_sign"]
    if not single:
        vals = np.concatenate([FMTS[fa].decode(a), FMTS[fb].decode(b), FMTS[kind.cfmt].decode([c])])
        if kind.block:
            vals = np.concatenate([vals, FMTS[kind.sfmt].decode(sa), FMTS[kind.sfmt].decode(sb)])
        if math.isinf(dv) and np.all(np.isfinite(vals)):
            tag |= TAG["ovf_finite"]
    if runner.run(fa, fb, a, b, c, sa, sb, "zero_free") != d:
        tag |= TAG["zero_term_sets_e"]
    if kind.cfmt == "fp16" and kind.api != "mfma" and runner.run(fa, fb, a, b, c, sa, sb, "c_true_exp") != d:
        tag |= TAG["c_sub_exp"]
    if (fa in SUBBYTE or fb in SUBBYTE) and runner.run(fa, fb, a, b, c, sa, sb, "subbyte_unclamped") != d:
        tag |= TAG["subbyte_emin"]
    if fa in EXT or fb in EXT:
        tag |= TAG["ext_format"]
    if kind.sfmt == "ue4m3" and (np.any(sa & np.uint64(0x80)) or np.any(sb & np.uint64(0x80))):
        tag |= TAG["neg_ue4m3_scale"]
    return tag


def build_kind(kind, errors):
    seed = zlib.crc32(kind.name.encode())
    rng = np.random.default_rng(seed)
    runner = Runner(kind)
    out = {}
    for prefix, rows, K in (("", kind.rows, kind.k), ("chain_", kind.chain_rows if kind.chain else 0, CHAIN * kind.k)):
        sched = schedule(kind, rows) if rows else []
        recs = []
        for g, (fa, fb) in sched:
            a, b, c, sa, sb = gen_row(rng, kind, g, fa, fb, K)
            try:
                d = runner.run(fa, fb, a, b, c, sa, sb)
                tag = tags_for(runner, fa, fb, a, b, c, sa, sb, d, single=not prefix)
            except Exception as e:  # an MMA-Sim defect on this input: record and drop the row
                key = f"{kind.name}: {type(e).__name__}: {e}"
                errors.setdefault(key, {"rows": 0, "example": None})
                errors[key]["rows"] += 1
                errors[key]["example"] = errors[key]["example"] or {
                    "a": [int(x) for x in a], "b": [int(x) for x in b], "c": c, "sa": [int(x) for x in sa],
                    "sb": [int(x) for x in sb], "formats": [fa, fb]}
                continue
            recs.append((fa, fb, a, b, c, sa, sb, d, GEN_NAMES.index(g), tag))
        if not recs:
            continue
        fmts = sorted({r[0] for r in recs} | {r[1] for r in recs})
        st = np.result_type(*[FMTS[f].store for f in fmts])
        cst = FMTS[kind.cfmt].store
        dst = np.uint16 if kind.dfmt == "fp16" else np.uint32
        out[prefix + "a"] = np.array([r[2] for r in recs]).astype(st)
        out[prefix + "b"] = np.array([r[3] for r in recs]).astype(st)
        out[prefix + "c"] = np.array([r[4] for r in recs]).astype(cst)
        out[prefix + "d"] = np.array([r[7] for r in recs]).astype(dst)
        if kind.block:
            out[prefix + "sa"] = np.array([r[5] for r in recs]).astype(np.uint8)
            out[prefix + "sb"] = np.array([r[6] for r in recs]).astype(np.uint8)
        out[prefix + "fa"] = np.array([fmts.index(r[0]) for r in recs], np.uint8)
        out[prefix + "fb"] = np.array([fmts.index(r[1]) for r in recs], np.uint8)
        out[prefix + "formats"] = np.array(fmts)
        out[prefix + "gen"] = np.array([r[8] for r in recs], np.uint8)
        out[prefix + "tag"] = np.array([r[9] for r in recs], np.uint16)
    quals = sorted({kind.qual(fa, fb) for fa, fb in kind.pairs})
    out.update(kind=np.array(kind.name), mmasim_class=np.array(f"mmasim.simulator.{'amd' if kind.api == 'mfma' else 'nv_ptx'}.{kind.api}"),
               arch=np.array(kind.arch), qualifiers=np.array(quals), k=np.array(kind.k), chain=np.array(CHAIN),
               c_format=np.array(kind.cfmt), d_format=np.array(kind.dfmt), block=np.array(kind.block),
               scale_format=np.array(kind.sfmt), gen_names=np.array(GEN_NAMES), tag_names=np.array(TAG_NAMES),
               mmasim_commit=np.array(MMASIM_COMMIT))
    return out


def write_npz(path, arrays):
    """Deterministic .npz (fixed zip timestamps, sorted keys), written atomically."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for key in sorted(arrays):
            arr = np.asarray(arrays[key])
            b = io.BytesIO()
            np.lib.format.write_array(b, arr, allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, b.getvalue(), compresslevel=9)
    _atomic(path, buf.getvalue())


def _atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def rows_of(kind, arrays, prefix):
    """Yield (fa, fb, a, b, c, sa, sb, d) of the stored rows."""
    fmts = [str(x) for x in arrays[prefix + "formats"]]
    empty = np.zeros(0, np.uint64)
    for i in range(len(arrays[prefix + "d"])):
        sa = arrays[prefix + "sa"][i].astype(np.uint64) if kind.block else empty
        sb = arrays[prefix + "sb"][i].astype(np.uint64) if kind.block else empty
        yield (fmts[arrays[prefix + "fa"][i]], fmts[arrays[prefix + "fb"][i]], arrays[prefix + "a"][i].astype(np.uint64),
               arrays[prefix + "b"][i].astype(np.uint64), int(arrays[prefix + "c"][i]), sa, sb, int(arrays[prefix + "d"][i]))


def check_alias(alias, kind, arrays):
    """Run an alias instruction on every stored row it takes; count the rows whose D differs."""
    name, _, api, arch, qual, takes = alias
    runner = Runner(kind, api, arch, qual)
    done = diff = 0
    for prefix in ("", "chain_"):
        if prefix + "d" not in arrays:
            continue
        for fa, fb, a, b, c, sa, sb, d in rows_of(kind, arrays, prefix):
            if not takes(fa, fb):
                continue
            done += 1
            diff += runner.run(fa, fb, a, b, c, sa, sb) != d
    return {"alias": name, "stored_kind": kind.name, "instruction": f"{api}('{arch}', ...)", "rows": done,
            "differences": int(diff)}


def sanity(out_dir):
    """Every stored single row without NaN/Inf, zero-term, C-exponent or sub-byte-exponent tags has
    |D - exact| <= 2^-9 * sum|terms| (+ 2^-24 for f16 D), exact from the codes decoded by ml_dtypes
    with fractions: the stored codes mean what README.md says. Returns (rows checked, violations)."""
    skip = TAG["nan_out"] | TAG["inf_out"] | TAG["zero_term_sets_e"] | TAG["c_sub_exp"] | TAG["subbyte_emin"]
    checked = bad = 0
    for kind in KINDS:
        with np.load(os.path.join(out_dir, kind.name + ".npz")) as z:
            arrays = {k: z[k] for k in z.files}
        for i, (fa, fb, a, b, c, sa, sb, d) in enumerate(rows_of(kind, arrays, "")):
            if arrays["tag"][i] & skip:
                continue
            va, vb, vc = FMTS[fa].decode(a), FMTS[fb].decode(b), FMTS[kind.cfmt].decode([c])[0]
            if kind.arch == "CDNA2":  # MMA-Sim flushes CDNA2 inputs below emin
                va = np.where(np.abs(va) < 2.0 ** FMTS[fa].emin, 0, va)
                vb = np.where(np.abs(vb) < 2.0 ** FMTS[fb].emin, 0, vb)
            sc = np.ones(len(va))
            if kind.block:
                s1, s2 = np.abs(FMTS[kind.sfmt].decode(sa)), np.abs(FMTS[kind.sfmt].decode(sb))
                sc = np.repeat(s1 * s2, kind.block)
            if not (np.all(np.isfinite(va)) and np.all(np.isfinite(vb)) and np.isfinite(vc) and np.all(np.isfinite(sc))):
                continue
            terms = [Fraction(x) * Fraction(y) * Fraction(z) for x, y, z in zip(va, vb, sc)] + [Fraction(vc)]
            dv = FMTS["fp16" if kind.dfmt == "fp16" else "fp32"].decode([d])[0]
            tol = sum(abs(t) for t in terms) / 2 ** 9 + Fraction(1, 2 ** 120) + \
                (Fraction(1, 2 ** 24) if kind.dfmt == "fp16" else 0)
            checked += 1
            bad += bool(math.isinf(dv) or abs(Fraction(dv) - sum(terms)) > tol)
    return checked, bad


def selfcheck():
    """The fixes and the rule variants on the reproducers of shared/specs/matrix_units.md."""
    f32 = lambda x: int(np.float32(x).view(np.uint32))  # noqa: E731
    f16 = lambda x: int(np.float16(x).view(np.uint16))  # noqa: E731
    none = np.zeros(0, np.uint64)
    out = {}

    def run(api, arch, q, fa, fb, a, b, c, cfmt="fp32", dfmt="fp32", block=0, sfmt="", sa=none, sb=none, variant="base"):
        kind = Kind("check", api, arch, lambda x, y: q, len(a), [(fa, fb)], cfmt, dfmt, block, sfmt)
        return Runner(kind).run(fa, fb, np.array(a, np.uint64), np.array(b, np.uint64), c, sa, sb, variant)

    # R3 (zero product sets E): bf16 wgmma, a = [0], b = [2^127], c = 2^-30
    a, b = [0] * 16, [0] * 16
    b[0] = 0x7F00
    r3 = [run("wgmma", "Hopper", "m64n8k16.f32.bf16.bf16", "bf16", "bf16", a, b, f32(2.0 ** -30), variant=v)
          for v in ("base", "zero_free")]
    assert r3 == [0, f32(2.0 ** -30)], r3
    out["R3 zero product sets E (bf16 wgmma)"] = {"mmasim": hex(r3[0]), "zero_free": hex(r3[1])}
    # R4 (subnormal FP16 C at -14): wgmma E5M2 -> f16, a = [-1.25 2^-11], b = [1.25 2^-13], c = 0x1.a28p-15
    a, b = [0] * 32, [0] * 32
    a[0] = int(np.array(-1.25 * 2.0 ** -11, ml_dtypes.float8_e5m2).view(np.uint8))
    b[0] = int(np.array(1.25 * 2.0 ** -13, ml_dtypes.float8_e5m2).view(np.uint8))
    c = f16(float.fromhex("0x1.a28p-15"))
    r4 = [run("wgmma", "Hopper", "m64n8k32.f16.e5m2.e5m2", "e5m2", "e5m2", a, b, c, "fp16", "fp16", variant=v)
          for v in ("base", "c_true_exp")]
    assert r4 == [0x344, 0x343], [hex(x) for x in r4]
    out["R4 subnormal FP16 C (e5m2 wgmma f16)"] = {"mmasim": hex(r4[0]), "c_true_exp": hex(r4[1])}
    # E2M1 subnormal exponent: 0.5 x 2^15 sets E; sixteen 0.5 x 2^-10 products sit one bit below its grid
    a, b = [1] + [1] * 16 + [0] * 15, [0x78] + [0x14] * 16 + [0] * 15
    r = [run("tcgen05mma", "Blackwell", "m128n8k32.f32.e2m1.e5m2", "e2m1fn", "e5m2", a, b, 0, variant=v)
         for v in ("base", "subbyte_unclamped")]
    assert r == [f32(2.0 ** 14), f32(2.0 ** 14 + 2.0 ** -7)], [hex(x) for x in r]
    out["E2M1 emin clamp (tcgen05 e2m1 x e5m2)"] = {"mmasim_fixed": hex(r[0]), "unclamped": hex(r[1])}
    # R5 mxf4nvf4 UE8M0: a0 = b0 = 6, C = -(1 + 2^-23) 2^-9 -> 0x1.1ffbfep+5
    a, b = [7] + [0] * 63, [7] + [0] * 63
    ones = np.full(2, 127, np.uint64)
    r5 = run("tcgen05mma_block_scale", "Blackwell", "m128n8k64.block32.f32.e2m1.e2m1.ue8m0", "e2m1fn", "e2m1fn",
             a, b, f32(-(1 + 2.0 ** -23) * 2.0 ** -9), block=32, sfmt="ue8m0", sa=ones, sb=ones)
    assert r5 == f32(float.fromhex("0x1.1ffbfep+5")), hex(r5)
    out["R5 mxf4nvf4 ue8m0"] = {"mmasim": hex(r5)}
    # R6 CDNA3 f16: 1 x 1 + (-2^-30) -> 0x1.fffffep-1
    a, b = [0x3C00] + [0] * 15, [0x3C00] + [0] * 15
    r6 = run("mfma", "CDNA3", "f32_16x16x16_f16", "fp16", "fp16", a, b, f32(-(2.0 ** -30)))
    assert r6 == f32(float.fromhex("0x1.fffffep-1")), hex(r6)
    out["R6 CDNA3 f16"] = {"mmasim": hex(r6)}
    # CDNA1/2 f16 (the pairwise fix): [1, 2^-24, 2^-24] . 1 -> 1.0
    a, b = [0x3C00, 0x0001, 0x0001] + [0] * 13, [0x3C00] * 16
    for arch in ("CDNA1", "CDNA2"):
        r7 = run("mfma", arch, "f32_16x16x16f16", "fp16", "fp16", a, b, 0)
        assert r7 == f32(1.0), hex(r7)  # CDNA2 flushes the f16 subnormals first: 1.0 as well
        out[f"{arch} f16 pairwise [1, 2^-24, 2^-24]"] = {"mmasim_fixed": hex(r7)}
    return out


# ----------------------------------------------------------------------------------------------
# The 48 published hardware sets
# ----------------------------------------------------------------------------------------------

HW_FMT = {"fp16": "fp16", "bf16": "bf16", "tf32": "tf32", "E4M3": "e4m3fn", "E5M2": "e5m2"}
HW_ARCH = {"V100": "Volta", "A100": "Ampere", "A2": "Ampere", "Ada": "Ada Lovelace", "L40S": "Ada Lovelace",
           "H100": "Hopper", "H200": "Hopper", "B200": "Blackwell"}


def hw_instruction(gpu, fm, out):
    """(api, arch, qualifier, k, C rule) the set was recorded with, as MMA-Sim names it."""
    arch, f = HW_ARCH[gpu], HW_FMT[fm]
    t, d = NV_T[f], ("f16" if out == "fp16" else "f32")
    if gpu == "V100":
        return "mma", arch, f"m8n8k4.{d}.f16.f16.{d}", 4, "c"
    if f in ("fp16", "bf16"):  # wmma m16n16k16 -> HMMA.16816 (mma m16n8k16)
        return "mma", arch, f"m16n8k16.{d}.{t}.{t}.{d}", 16, "c"
    if f == "tf32":  # wmma m16n16k8 -> HMMA.1688 (mma m16n8k8)
        return "mma", arch, "m16n8k8.f32.tf32.tf32.f32", 8, "c"
    if arch == "Ada Lovelace":  # mma.sync m16n8k32 FP8 (native QMMA)
        return "mma", arch, f"m16n8k32.{d}.{t}.{t}.{d}", 32, "c"
    if arch == "Hopper":  # fp32: wgmma with C = 0 (Validate_TC_models.m); fp16: mma.sync, not modelled -> wgmma
        return "wgmma", arch, f"m64n8k32.{d}.{t}.{t}", 32, ("zero" if out == "fp32" else "c")
    return "tcgen05mma", arch, f"m128n8k32.{d}.{t}.{t}", 32, "c"  # B200 FP8: tcgen05 kind::f8f6f4


def run_hw(data_dir):
    res = {}
    for path in sorted(f for f in os.listdir(data_dir) if f.endswith(".npz")):
        name = path[:-4]
        gpu, fm = name.split("_")
        with np.load(os.path.join(data_dir, path)) as z:
            arrs = {k: z[k] for k in z.files}
        for out in ("fp32", "fp16"):
            if f"d_{out}" not in arrs:
                continue
            api, arch, qual, k, crule = hw_instruction(gpu, fm, out)
            f = HW_FMT[fm]
            kind = Kind("hw", api, arch, lambda fa, fb, q=qual: q, k, [(f, f)], out, out)
            runner = Runner(kind)
            a = arrs["a"].view(np.float32)
            b = arrs["b"].view(np.float32)
            c = arrs["c"].view(np.float32)
            want = arrs[f"d_{out}"]
            bad = []
            for r in range(a.shape[0]):
                ac, bc = _codes(f, a[r], k), _codes(f, b[r], k)
                cv = 0.0 if crule == "zero" else float(c[r])
                cb = int(np.float16(cv).view(np.uint16)) if out == "fp16" else int(np.float32(cv).view(np.uint32))
                d = runner.run(f, f, ac, bc, cb, np.zeros(0, np.uint64), np.zeros(0, np.uint64))
                got = int(np.float32(np.uint16(d).view(np.float16)).view(np.uint32)) if out == "fp16" else d
                if got != int(want[r]):
                    bad.append(r)
            res[f"{name}/{out}"] = {"instruction": f"{api}('{arch}', '{qual}')", "c": crule, "rows": int(a.shape[0]),
                                    "mismatches": len(bad), "mismatching_rows": bad}
            print(f"  {name:10s} {out}: {len(bad):5d} / {a.shape[0]}  ({api} {arch} {qual})", flush=True)
    return res


def _codes(fmt, vals, k):
    """Codes of exactly representable float32 values, zero-padded to k."""
    vals = np.asarray(vals, np.float64)
    F = FMTS[fmt]
    if fmt == "tf32":
        codes = vals.astype(np.float32).view(np.uint32).astype(np.uint64)
        assert not np.any(codes & 0x1FFF), "tf32 values must have 13 zero low bits"
    elif fmt == "fp16":
        codes = vals.astype(np.float16).view(np.uint16).astype(np.uint64)
    else:
        codes = vals.astype(F.np_type).view({1: np.uint8, 2: np.uint16}[np.dtype(F.np_type).itemsize]).astype(np.uint64)
    assert np.array_equal(F.decode(codes), vals), f"values not exact in {fmt}"
    return np.concatenate([codes, np.zeros(k - len(codes), np.uint64)])


# ----------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "mmasim"))
    ap.add_argument("--kind", action="append", help="only these kinds (default: all)")
    ap.add_argument("--no-hw", action="store_true", help="skip the 48 hardware sets")
    ap.add_argument("--no-alias", action="store_true", help="skip the alias checks")
    ap.add_argument("--hw-only", action="store_true", help="only the 48 hardware sets")
    ap.add_argument("--sanity", action="store_true", help="only check the stored rows against exact sums")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    if args.sanity:
        checked, bad = sanity(args.out)
        print(f"sanity: {checked} rows checked, {bad} outside the bound")
        sys.exit(1 if bad else 0)
    kinds = [KIND[k] for k in args.kind] if args.kind else KINDS
    if args.hw_only:
        kinds, args.kind, args.no_alias = [], ["-"], True
    errors, inventory, aliases = {}, {}, []
    checks = selfcheck()
    print("self-checks:", json.dumps(checks), flush=True)
    for kind in kinds:
        t0 = time.time()
        arrays = build_kind(kind, errors)
        if not args.no_alias:
            for al in (x for x in ALIASES if x[1] == kind.name):
                r = check_alias(al, kind, arrays)
                print(f"  alias {r['alias']}: {r['differences']} of {r['rows']} rows differ", flush=True)
                aliases.append(r)
        write_npz(os.path.join(args.out, kind.name + ".npz"), arrays)
        n1, n2 = len(arrays.get("d", [])), len(arrays.get("chain_d", []))
        inventory[kind.name] = {"rows": n1, "chain_rows": n2, "k": kind.k, "chain_k": CHAIN * kind.k if n2 else 0,
                                "formats": sorted(set(map(str, arrays["formats"]))),
                                "tags": {t: int(np.sum((arrays["tag"] & TAG[t]) != 0)) for t in TAG_NAMES},
                                "chain_tags": {t: int(np.sum((arrays["chain_tag"] & TAG[t]) != 0)) for t in TAG_NAMES}
                                if n2 else {}}
        print(f"{kind.name:40s} {n1:5d} + {n2:4d} chained rows  {time.time() - t0:6.1f} s", flush=True)
    meta = {"mmasim_commit": MMASIM_COMMIT, "torch": torch.__version__, "kinds": inventory,
            "errors": errors, "aliases": aliases, "selfcheck": checks}
    if not args.kind:
        _atomic(os.path.join(args.out, "inventory.json"), (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
    if not args.no_hw:
        hw = run_hw(os.path.join(ROOT, "tests", "data", "hw_accum"))
        _atomic(os.path.join(args.out, "hw_sets.json"),
                (json.dumps({"mmasim_commit": MMASIM_COMMIT, "sets": hw}, indent=1, sort_keys=True) + "\n").encode())


if __name__ == "__main__":
    main()
