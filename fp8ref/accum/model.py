"""Matrix-unit accumulation models: one description, a table of presets.

A model (docs/accumulation.md §1) cuts K into *steps* of ``n`` products (one instruction's k) and
chains them: ``acc = step(products, acc)``. A step is a small tree of *fused sums*. In one fused
sum every nonzero term has an alignment exponent (a product's is ``ea + eb``, input exponents
clamped at their format's ``emin``; a rounded value's is its own exponent, clamped at −126); ``E``
is the largest, each term is rounded to a multiple of ``2^(E − F)`` (``term_rounding``: toward
zero, down or to odd; F = None: exact) and the terms are added exactly. The step's products first
pass through the ``stages`` (groups of ``size`` products or of the previous stage's results,
each group one fused sum, its result rounded or passed up unrounded with its E), then the last
fused sum takes the remaining items and the accumulator ``acc`` (with its own fraction bits
``c_frac``, dropped below ``E − c_drop``) and is rounded to the output: ``out_rounding`` to
``out_frac`` fraction bits in FP32, RNE binary16 in FP16 output mode.

With no stages that is the block FMA of NVIDIA tensor cores (every preset before issue 20 is this
case, unchanged); the stages express the ptxas emulation of FP8 ``mma.sync`` on sm_90/sm_100,
AMD CDNA1–3 matrix cores, Blackwell ``mxf4nvf4`` groups and the RISC-V RVBNA dot product.
``promote = N_C`` adds a second level (DeepGEMM): the chain restarts from 0 every N_C products and
each partial sum enters an FP32 register through one RNE ``fmaf`` with the scales.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields, replace

from ..core.floats import F16, F32
from ..formats import get_format

__all__ = ["AccumModel", "Stage", "MODELS", "DEPRECATED", "get_model", "list_models",
           "input_format", "QNAN", "NV_NAN", "ROUNDINGS", "TERM_ROUNDINGS"]

#: result roundings (codes of ``core.rounding.round_shift``) and grid roundings of terms
ROUNDINGS = ("rtz", "rne", "rto")
TERM_ROUNDINGS = ("rtz", "rdn", "rto")
#: old spellings (deprecated): AccumModel once wrote round-toward-zero as "rz"
_OLD_ROUNDING = {"rz": "rtz"}
_SCALING = ("none", "product", "stage", "promotion")
_ZERO = (False, True, "inexact")

#: fp8ref's default NaN result: the quiet NaN with zero payload (numpy's, Arm's default NaN)
QNAN = F32.canonical_nan
#: NVIDIA tensor cores' FP32 NaN result (binary16 output: 0x7FFF): MMA-Sim
#: mmasim/simulator/arithmetic.py, nv_fused_dot_add (lines 172-176) and
#: nv_fused_dot_add_with_block_scale (line 205), microsoft/MMA-Sim @ c785138
NV_NAN = F32.abs_mask


def _rounding(value, what):
    """A rounding name in the current spelling ("rz" -> "rtz" with a DeprecationWarning)."""
    if value in _OLD_ROUNDING:
        warnings.warn(f"{what}={value!r} is deprecated; write {_OLD_ROUNDING[value]!r}", DeprecationWarning,
                      stacklevel=4)
        return _OLD_ROUNDING[value]
    return value


def _int(v, name, lo, hi=None, none=False):
    if v is None and none:
        return
    if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
        rng = f"an int >= {lo}" if hi is None else f"an int in {lo}..{hi}"
        raise ValueError(f"{name} must be {rng}{' or None' if none else ''}, got {v!r}")


@dataclass(frozen=True)
class Stage:
    """One level of fused sums inside a step (see the module docstring).

    size: items per group (products at the first stage, results of the previous stage after it).
    stride: at the first stage, product ``p`` of the step (0-based) belongs to group
    ``(p // stride) mod groups`` (None: consecutive groups; 1: even/odd; 2: k mod 4 in {0,1} /
    {2,3}). frac_bits: F of each group's fused sum (None: exact). term_rounding: "rtz", "rdn"
    or "rto". rounding: None (the group's sum leaves unrounded, aligned at its E; with block
    scales applied at this stage, at the scales' exponents) or "rtz"/"rne"/"rto" to
    ``out_frac`` fraction bits of FP32 (binary16 RNE in FP16 output mode). chain: the groups run
    in order, each taking the previous group's rounded result as one more term; only the last
    result leaves the stage. plus_zero: each group's sum starts from +0 (``fmaf(a, b, +0)``: an
    exactly zero sum is +0).
    """

    size: int
    frac_bits: int | None = None
    term_rounding: str = "rtz"
    rounding: str | None = None
    out_frac: int = 23
    stride: int | None = None
    chain: bool = False
    plus_zero: bool = False

    def __post_init__(self):
        _int(self.size, "Stage.size", 1)
        _int(self.frac_bits, "Stage.frac_bits", 0, none=True)
        _int(self.out_frac, "Stage.out_frac", 0, 23)
        _int(self.stride, "Stage.stride", 1, none=True)
        object.__setattr__(self, "term_rounding", _rounding(self.term_rounding, "term_rounding"))
        object.__setattr__(self, "rounding", _rounding(self.rounding, "rounding"))
        if self.term_rounding not in TERM_ROUNDINGS:
            raise ValueError(f"Stage.term_rounding must be one of {TERM_ROUNDINGS}, got {self.term_rounding!r}")
        if self.rounding is not None and self.rounding not in ROUNDINGS:
            raise ValueError(f"Stage.rounding must be None or one of {ROUNDINGS}, got {self.rounding!r}")
        if self.chain and self.rounding is None:
            raise ValueError("a chained stage passes rounded results: give it a rounding")
        for k in ("chain", "plus_zero"):
            if not isinstance(getattr(self, k), bool):
                raise ValueError(f"Stage.{k} must be a bool, got {getattr(self, k)!r}")


def stage_order(n, size, stride=None):
    """The step's products in group order: group g of the first stage is positions
    ``order[g*size:(g+1)*size]``, where product p belongs to group ``(p // stride) mod groups``."""
    groups = n // size
    if stride is None:
        return list(range(n))
    return [p for g in range(groups) for p in range(n) if (p // stride) % groups == g]


class _FP32Input:
    """binary32 as a matrix input (AMD FP32 MFMA): not a registered codec format (those stop at
    20 bits), only the figures the accumulation layer reads, from :data:`core.floats.F32`."""

    kind = "ieee"
    name = "fp32"
    bits = F32.bits
    man_bits = F32.man_bits
    emin = F32.emin
    emax = F32.emax
    has_nan = True
    has_infinity = True
    min_normal = 2.0**F32.emin
    max_finite = float(F32.from_bits(F32.max_bits))


FP32_INPUT = _FP32Input()


def input_format(name):
    """The description of an input format: a registered IEEE-like format whose products are exact
    in float64 and stay inside a double's range, or ``"fp32"``."""
    if name == "fp32" or name is FP32_INPUT:
        return FP32_INPUT
    fmt = get_format(name)
    if getattr(fmt, "kind", None) != "ieee":
        raise ValueError(f"input format {name!r} must be IEEE-like, got kind {getattr(fmt, 'kind', None)!r}")
    if fmt.man_bits > 11 or fmt.emax > 127 or fmt.emin - fmt.man_bits < -149:
        raise ValueError(f"input format {name!r} is too wide: at most 11 fraction bits and the binary32 range")
    return fmt


check_input_format = input_format  # the name before issue 20 (module-private, kept for scripts)


def _fmt_name(f):
    return f if isinstance(f, str) else f.name


def _registered(f):
    """Whether a format object is the one registered under its name."""
    try:
        return f is FP32_INPUT or get_format(f.name) is f
    except ValueError:
        return False


_FIELDS_DOC = """
    name: label. n: products per step (one instruction's k; None: all of K). frac_bits: F of the
    step's last fused sum (None: exact). out_frac / out_rounding: its FP32 result ("rtz", "rne",
    "rto"; FP16 output is RNE binary16). fmt: default input format; fmts: every input format
    accepted; mixed: whether a and b may have different formats. stages: tuple of
    :class:`Stage` below the last sum. term_rounding: grid rounding of the last sum's terms.
    c_frac: F for the accumulator term (None: frac_bits); c_drop: the accumulator is dropped when
    its exponent is below E − c_drop. promote: N_C or None. fp16_out: whether FP16 output
    exists. nan_bits: FP32 pattern of a NaN result. signed_zero: False (every zero is +0), True
    (IEEE 754 signs; exact sums only), "inexact" (a nonzero sum rounded to zero keeps its sign,
    an exactly zero sum is +0). ftz: subnormal inputs and accumulator read as +0, every rounded
    result below 2^-126 flushed (sign kept). scaling: where block scales enter: "none" (plain
    operands only), "product" (scale exponents join each product's exponent: MX),
    "stage" (scales multiply the first stage's group sums, aligned at the scale exponents),
    "promotion" (DeepGEMM FP32 scales at each promotion). scale_formats: accepted
    (scale format, block) pairs, () = any. product_overflow: a product >= 2^128 counts as ±Inf
    (AMD). instruction, sass, confidence, source: documentation."""


@dataclass(frozen=True, init=False)
class AccumModel:
    """A matrix-unit accumulation model (immutable, validated)."""

    name: str
    n: int | None
    frac_bits: int | None
    out_frac: int = 23
    out_rounding: str = "rtz"
    fmt: str = "fp16"
    fmts: tuple = ()
    promote: int | None = None
    fp16_out: bool = True
    nan_bits: int = QNAN
    signed_zero: object = False
    confidence: str = ""
    source: str = ""
    stages: tuple = ()
    term_rounding: str = "rtz"
    c_frac: int | None = None
    c_drop: int | None = None
    ftz: bool = False
    mixed: bool = False
    scaling: str = "none"
    scale_formats: tuple = ()
    product_overflow: bool = False
    instruction: str = ""
    sass: str = ""

    __doc__ = __doc__ + "\n" + _FIELDS_DOC

    def __init__(self, name, n, frac_bits, out_frac=23, out_rounding="rtz", fmt=None, fmts=(), promote=None,
                 fp16_out=True, nan_bits=QNAN, signed_zero=False, confidence="", source="", stages=(),
                 term_rounding="rtz", c_frac=None, c_drop=None, ftz=False, mixed=False, scaling="none",
                 scale_formats=(), product_overflow=False, instruction="", sass="", *, in_fmt=None, in_fmts=None):
        if in_fmt is not None or in_fmts is not None:
            warnings.warn("AccumModel(in_fmt=, in_fmts=) are deprecated; write fmt=, fmts=", DeprecationWarning,
                          stacklevel=2)
            fmt = fmt if in_fmt is None else in_fmt
            fmts = fmts if in_fmts is None else in_fmts
        values = dict(locals())
        for f in fields(self):
            object.__setattr__(self, f.name, values[f.name])
        if self.fmt is None:
            object.__setattr__(self, "fmt", "fp16")
        self._validate()

    # ---- validation ---------------------------------------------------------------------
    def _validate(self):
        s = object.__setattr__
        _int(self.n, "n", 1, none=True)
        _int(self.out_frac, "out_frac", 0, 23)
        _int(self.frac_bits, "frac_bits", 0, none=True)
        _int(self.c_frac, "c_frac", 0, none=True)
        _int(self.c_drop, "c_drop", 0, none=True)
        s(self, "out_rounding", _rounding(self.out_rounding, "out_rounding"))
        s(self, "term_rounding", _rounding(self.term_rounding, "term_rounding"))
        if self.out_rounding not in ROUNDINGS:
            raise ValueError(f"out_rounding must be one of {ROUNDINGS}, got {self.out_rounding!r}")
        if self.term_rounding not in TERM_ROUNDINGS:
            raise ValueError(f"term_rounding must be one of {TERM_ROUNDINGS}, got {self.term_rounding!r}")
        fmts = tuple(self.fmts) or (self.fmt,)
        for f in fmts:
            input_format(f)
        # registered formats by name; a user's unregistered format object stays an object
        fmts = tuple(f if isinstance(f, str) else f.name if _registered(f) else f for f in fmts)
        fmt = self.fmt if isinstance(self.fmt, str) or not _registered(self.fmt) else self.fmt.name
        if _fmt_name(fmt) not in [_fmt_name(f) for f in fmts]:
            raise ValueError(f"fmt {_fmt_name(fmt)!r} is not among fmts {tuple(_fmt_name(f) for f in fmts)}")
        s(self, "fmt", fmt)
        s(self, "fmts", fmts)
        stages = tuple(self.stages)
        if not all(isinstance(t, Stage) for t in stages):
            raise ValueError("stages must be a tuple of Stage")
        s(self, "stages", stages)
        self._validate_stages()
        if self.promote is not None:
            _int(self.promote, "promote", 1)
            if self.n is None or self.promote % self.n:
                raise ValueError(f"promote={self.promote} must be a multiple of n={self.n}")
            if self.fp16_out:
                raise ValueError("a promotion model accumulates in an FP32 register: set fp16_out=False")
        b = self.nan_bits
        if not isinstance(b, int) or isinstance(b, bool) or not 0 <= b < 1 << 32 or b & QNAN != QNAN:
            raise ValueError(f"nan_bits must be a quiet float32 NaN pattern (0x7FC00000 set), got {b!r}")
        if self.signed_zero not in _ZERO or (self.signed_zero is not True and self.signed_zero is not False
                                             and not isinstance(self.signed_zero, str)):
            raise ValueError(f"signed_zero must be False, True or 'inexact', got {self.signed_zero!r}")
        if self.signed_zero is True and not self._all_exact():
            raise ValueError("signed_zero=True describes IEEE 754 sums: it needs frac_bits=None "
                             "(and exact stages)")
        for k in ("fp16_out", "ftz", "mixed", "product_overflow"):
            if not isinstance(getattr(self, k), bool):
                raise ValueError(f"{k} must be a bool, got {getattr(self, k)!r}")
        if self.scaling not in _SCALING:
            raise ValueError(f"scaling must be one of {_SCALING}, got {self.scaling!r}")
        if (self.scaling == "promotion") != (self.promote is not None):
            raise ValueError("scaling='promotion' and promote= go together")
        if self.scaling == "stage" and not (self.stages and self.stages[0].rounding is None):
            raise ValueError("scaling='stage' needs a first stage whose groups leave unrounded")
        sf = tuple(tuple(p) for p in self.scale_formats)
        for p in sf:
            if len(p) != 2 or p[0] not in ("ue8m0", "ue4m3") or not isinstance(p[1], int) or p[1] < 1:
                raise ValueError(f"scale_formats entries are (\"ue8m0\" | \"ue4m3\", block size), got {p!r}")
        s(self, "scale_formats", sf)

    def _all_exact(self):
        return self.frac_bits is None and all(t.frac_bits is None for t in self.stages)

    def _validate_stages(self):
        """Group sizes must tile the step; every grid sum must be exact in float64 (a sum of k
        terms below 2^(F + bound) stays below 2^53, ``bound`` = log2 of |item| / 2^E)."""
        if not self.stages:
            if self.frac_bits is not None:
                if self.n is None:
                    raise ValueError("a finite frac_bits needs a finite block size n")
                # every aligned term is < 2^(F+2); n+1 of them must add exactly in float64
                if self.frac_bits + 2 + (self.n + 1).bit_length() > 53:
                    raise ValueError(f"frac_bits={self.frac_bits} with n={self.n} exceeds the exact 53-bit window")
            return
        if self.n is None:
            raise ValueError("a model with stages needs a finite step n")
        items, bound = self.n, 2  # |product| < 2^(ea + eb + 2)
        for i, t in enumerate(self.stages):
            if items % t.size:
                raise ValueError(f"stage {i}: group size {t.size} does not divide the {items} items it gets")
            groups = items // t.size
            if t.stride is not None:
                if i:
                    raise ValueError(f"stage {i}: only the first stage may interleave (stride)")
                if any(sum(1 for p in range(self.n) if (p // t.stride) % groups == g) != t.size
                       for g in range(groups)):
                    raise ValueError(f"stage 0: stride {t.stride} does not split {items} products into "
                                     f"{groups} groups of {t.size}")
            k = t.size + (1 if t.chain else 0)
            if t.frac_bits is not None and t.frac_bits + bound + k.bit_length() > 53:
                raise ValueError(f"stage {i}: frac_bits={t.frac_bits} exceeds the exact 53-bit window")
            if t.rounding is not None:
                bound = 1
            elif i == 0 and self.scaling == "stage":  # group sum relative to 2^(scale exponents)
                emax = max(input_format(f).emax for f in self.fmts)
                bound = 2 + 2 * emax + t.size.bit_length() + 2
            else:
                bound += k.bit_length()
            items = 1 if t.chain else groups
        if self.frac_bits is not None and self.frac_bits + bound + (items + 1).bit_length() > 53:
            raise ValueError(f"frac_bits={self.frac_bits} exceeds the exact 53-bit window of the last sum")

    # ---- deprecated spellings -------------------------------------------------------------
    @property
    def in_fmt(self) -> str:
        """Deprecated name of :attr:`fmt`."""
        warnings.warn("AccumModel.in_fmt is deprecated; use .fmt", DeprecationWarning, stacklevel=2)
        return self.fmt

    @property
    def in_fmts(self) -> tuple:
        """Deprecated name of :attr:`fmts`."""
        warnings.warn("AccumModel.in_fmts is deprecated; use .fmts", DeprecationWarning, stacklevel=2)
        return self.fmts

    # ---- derived ------------------------------------------------------------------------
    @property
    def format_names(self) -> tuple:
        """The names of :attr:`fmts`."""
        return tuple(_fmt_name(f) for f in self.fmts)

    @property
    def is_block_fma(self) -> bool:
        """No stages: the step is one fused sum of its products and the accumulator."""
        return not self.stages

    def nan_pattern(self, out="fp32") -> int:
        """The bit pattern of a NaN result: ``nan_bits`` for FP32 output, its binary16
        narrowing (sign, top 10 payload bits) for FP16 output."""
        b = self.nan_bits
        if out == "fp32":
            return b
        sign = (b >> (F32.bits - F16.bits)) & F16.sign_mask
        return sign | F16.exp_mask | ((b >> (F32.man_bits - F16.man_bits)) & F16.man_mask)

    def accepts(self, scale_fmt, block) -> bool:
        """Whether block-scaled operands with this scale format and block size are taken."""
        if self.scaling not in ("product", "stage"):
            return False
        return not self.scale_formats or (scale_fmt, block) in self.scale_formats

    def replace(self, **changes) -> AccumModel:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


# ------------------------------------------------------------------------------------------------
# presets
# ------------------------------------------------------------------------------------------------
_FP8 = ("e4m3fn", "e5m2")
_F6F4 = ("e3m2fn", "e2m3fn", "e2m1fn")  # Blackwell kind::f8f6f4 / MX elements
_F16 = ("fp16", "bf16")
_KM = "Khattak–Mikaitis 2025 (MATLAB-tensor-core), MMA-Sim"
_MS = "MMA-Sim (microsoft/MMA-Sim @ c785138, Xie et al. 2025)"
_HW = "high, HW-validated"
_SIM = "medium: MMA-Sim only (its authors validated it on the GPU; no published samples of this path)"
_TF32_K4 = _HW + " for F; n = 8 from K–M and MMA-Sim (the samples have K = 4)"
#: NVIDIA tensor-core output conventions (no published hardware sample has a NaN or a
#: negative sum that rounds to zero; docs/accumulation.md §1)
_NV_OUT = "; NaN result 0x7FFFFFFF, zero results +0: MMA-Sim arithmetic.py nv_fused_dot_add"


def _nv(name, n, f, **kw):
    """An NVIDIA tensor-core preset: the vendor's NaN pattern, +0 zeros, their source."""
    return AccumModel(name, n, f, nan_bits=NV_NAN, **{**kw, "source": kw["source"] + _NV_OUT})


_INSN = {  # (PTX instruction, SASS) per family; tests/data/sass/README.md
    "v100": ("mma.sync.m8n8k4 f16 (wmma 16x16x16 on Volta)", "HMMA.884 (sm_70; on sm_75 HMMA.884.F32.STEP0..3)"),
    "a100": ("mma.sync.m16n8k16 f16/bf16, m16n8k8 tf32", "HMMA.16816.F32[.BF16], HMMA.1688.F32.TF32 (sm_80)"),
    "ada": ("mma.sync.m16n8k16 f16/bf16, m16n8k8 tf32; m16n8k32 e4m3/e5m2",
            "HMMA.16816.F32[.BF16], HMMA.1688.F32.TF32, QMMA.16832.F32.E4M3.E4M3 (sm_89)"),
    "h100": ("mma.sync m16n8k16 f16/bf16 and m16n8k8 tf32, or wgmma.mma_async k16/k8; FP8: wgmma.mma_async "
             "m64nNk32 e4m3/e5m2", "HMMA.16816.F32[.BF16], HMMA.1688.F32.TF32, HGMMA.64x8x16; QGMMA.64x8x32.F32.E4M3.E4M3 "
             "(sm_90a)"),
    "b200": ("mma.sync m16n8k16 f16/bf16, m16n8k8 tf32, or tcgen05.mma kind::f16 / kind::tf32",
             "HMMA.16816.F32[.BF16], HMMA.1688.F32.TF32 (sm_100), UTCHMMA (sm_100a)"),
}


def _fam(prefix, n16, f, n32, n_tf32, fp8=None, conf16=_HW, src=_KM, conf_tf32=_HW):
    insn, sass = _INSN[prefix]
    out = {}
    for fmt in _F16:
        out[f"{prefix}_{fmt}"] = _nv(f"{prefix}_{fmt}", n16, f, fmt=fmt, fmts=(fmt,),
                                     confidence=conf16, source=src, instruction=insn, sass=sass)
    out[f"{prefix}_tf32"] = _nv(f"{prefix}_tf32", n_tf32, f, fmt="tf32", fp16_out=False,
                                confidence=conf_tf32, source=src, instruction=insn, sass=sass)
    if fp8 is not None:
        fb, of, conf = fp8
        out[f"{prefix}_fp8"] = _nv(f"{prefix}_fp8", n32, fb, out_frac=of, fmt="e4m3fn", fmts=_FP8, mixed=True,
                                   confidence=conf, source=src, instruction=insn, sass=sass)
    return out


_DEF = "definition"
_ANY = _FP8 + _F6F4 + _F16 + ("tf32", "fp32")

#: name -> AccumModel. Parameters, confidence, oracle and instruction: docs/accumulation.md §2.
MODELS = {
    "exact": AccumModel("exact", None, None, out_rounding="rne", fmt="e4m3fn", fmts=_ANY, mixed=True,
                        signed_zero=True, scaling="product", confidence=_DEF,
                        source="exact sum, one RNE rounding; IEEE 754 signed zeros; NaN 0x7FC00000 (fp8ref's default)",
                        instruction="none (the exact result)"),
    "fp32_fma": AccumModel("fp32_fma", 1, None, out_rounding="rne", fmt="e4m3fn", fmts=_ANY, mixed=True,
                           signed_zero=True, scaling="product", confidence=_DEF,
                           source="sequential FP32 FMA (fmaf) on CUDA cores, element order; IEEE 754 signed "
                                  "zeros; NaN 0x7FC00000 (fp8ref's default)",
                           instruction="fma.rn.f32 (CUDA cores)", sass="FFMA"),
    "v100_fp16": _nv("v100_fp16", 4, 23, fmt="fp16", confidence=_HW, source="Fasi et al. 2021, " + _KM,
                     instruction=_INSN["v100"][0], sass=_INSN["v100"][1]),
    **_fam("a100", 8, 24, None, 4),
    **_fam("h100", 16, 25, 32, 8, fp8=(13, 13, _HW + " (wgmma, fp32 out, c=0 in the data); fp16 out: MMA-Sim"),
           conf_tf32=_TF32_K4),
    **_fam("ada", 8, 24, 16, 4, fp8=(13, 13, _HW)),
    **_fam("b200", 16, 25, 32, 8, conf_tf32=_TF32_K4),
}
MODELS["h100_fp8_promote128"] = MODELS["h100_fp8"].replace(
    name="h100_fp8_promote128", promote=128, fp16_out=False, scaling="promotion", mixed=False,
    confidence="high (mechanism from DeepGEMM source)",
    source="DeepSeek-V3 §3.3.2, DeepGEMM sm90_fp8_gemm_1d2d.cuh" + _NV_OUT,
    instruction="wgmma.mma_async m64nNk32 e4m3 + FFMA promotion (CUDA cores)",
    sass="QGMMA.64xNx32.F32.E4M3.E4M3 + FFMA")

_EMUL_SASS = ("F2FP.F16.E4M3.UNPACK_B x12, HMMA.16816.F16 x2 + HADD2 (FP16 C/D); HMMA.16816.F32 x2 + "
              "FADD x4 (FP32 C/D)")
for _arch, _gpu, _sets in (("sm90", "H100/H200", "H100, H200 E4M3/E5M2 FP16-output sets (4 x 5,000 rows)"),
                           ("sm100", "B200", "B200 E4M3/E5M2 FP16- and FP32-output sets (4 x 5,000 rows)")):
    MODELS[f"{_arch}_mma_sync_fp8"] = _nv(
        f"{_arch}_mma_sync_fp8", 32, None, out_rounding="rne", fmt="e4m3fn", fmts=_FP8, mixed=True,
        stages=(Stage(16, 25, rounding="rtz", stride=2, chain=True),),
        confidence=f"high, HW-validated: reproduces the {_sets} bit for bit; the lowering is read from "
                   f"ptxas 13.0's SASS (tests/data/sass)",
        source=f"ptxas emulation of FP8 mma.sync on {_gpu}: two chained FP16 HMMA.16816 (k mod 4 in {{0,1}}, "
               f"then {{2,3}}; block FMA n = 16, F = 25 from C = 0), then C added with one RNE HADD2/FADD "
               f"(shared/specs/mma_sync_fp8_emulation.md)",
        instruction=f"mma.sync.aligned.m16n8k32.row.col.{{f16,f32}}.{{e4m3,e5m2}}.{{e4m3,e5m2}} on {_arch}",
        sass=_EMUL_SASS)
MODELS["b200_f8f6f4"] = _nv(
    "b200_f8f6f4", 32, 25, fmt="e4m3fn", fmts=_FP8 + _F6F4, mixed=True, confidence=_SIM,
    source=_MS + " tcgen05mma, DeepGEMM #176 ('25 bits'): F = 25, RZ",
    instruction="tcgen05.mma.cta_group::1.kind::f8f6f4 (sm_100a)", sass="UTCQMMA")
MODELS["turing_fp16"] = _nv(
    "turing_fp16", 8, 24, fmt="fp16", confidence=_SIM, source=_MS + " mma Turing (N = 24, k = 8)",
    instruction="mma.sync.aligned.m16n8k8.{f32,f16}.f16.f16 (sm_75)", sass="HMMA.1688.F32 / .F16")
MODELS["sm120_fp8"] = _nv(
    "sm120_fp8", 32, 25, fmt="e4m3fn", fmts=_FP8 + _F6F4, mixed=True, confidence=_SIM,
    source=_MS + " mma RTX Blackwell (N = 25, one fused group of k)",
    instruction="mma.sync.aligned.m16n8k32[.kind::f8f6f4].{f32,f16}.{e4m3,e5m2,e3m2,e2m3,e2m1}^2 (sm_120a); "
                "k16 shape: .replace(n=16)",
    sass="QMMA.16832.F32.E4M3.E4M3 (and .E2M1.E2M1, ...)")
MODELS["b200_mxf8f6f4"] = _nv(
    "b200_mxf8f6f4", 32, 25, fmt="e4m3fn", fmts=_FP8 + _F6F4, mixed=True, fp16_out=False, scaling="product",
    scale_formats=(("ue8m0", 32),), confidence=_SIM,
    source=_MS + " tcgen05mma_block_scale k32: the UE8M0 scale exponents join each product's exponent, "
                 "F = 25, RZ",
    instruction="tcgen05.mma.cta_group::1.kind::mxf8f6f4.block_scale.block32 (sm_100a)", sass="UTCQMMA")
MODELS["b200_mxf4nvf4"] = _nv(
    "b200_mxf4nvf4", 64, 35, fmt="e2m1fn", fmts=("e2m1fn",), fp16_out=False, scaling="stage",
    stages=(Stage(16),), scale_formats=(("ue4m3", 16), ("ue8m0", 32), ("ue8m0", 16)), confidence=_SIM,
    source=_MS + " nv_fused_dot_add_with_block_scale: each 16-product E2M1 group summed exactly, times its "
                 "two scales, aligned at the scale exponents; the 4 groups and C one fused sum, F = 35, RZ; "
                 "UE4M3 scales read without their sign bit",
    instruction="tcgen05.mma.cta_group::1.kind::mxf4nvf4.block_scale.block{16,32} (sm_100a)",
    sass="UTCOMMA.4X (block 16), UTCOMMA (block 32)")

_AMD = "; NaN result 0x7FC00000 (fp8ref's; MMA-Sim keeps float64 payloads)"
_CDNA3_SRC = (_MS + " amd_fused_dot_rd_add: products truncated at 24 fraction bits below their largest "
              "exponent and summed; that sum floored at 31 bits and C at 24 below max(E, e_C); RNE to FP32 "
              "per group, groups chained" + _AMD)
for _fmt, _k, _insn in (("fp16", 8, "v_mfma_f32_32x32x8_f16"), ("bf16", 8, "v_mfma_f32_32x32x8_bf16"),
                        ("xf32", 4, "v_mfma_f32_32x32x4_xf32")):
    MODELS[f"cdna3_{_fmt}"] = AccumModel(
        f"cdna3_{_fmt}", _k, 31, out_rounding="rne", fmt="tf32" if _fmt == "xf32" else _fmt, fp16_out=False,
        stages=(Stage(_k, 24),), term_rounding="rdn", c_frac=24, signed_zero="inexact", product_overflow=True,
        confidence=_SIM, source=_CDNA3_SRC, instruction=f"{_insn} (MI300, gfx942)" +
        ("; FP32 registers truncated to TF32 (give tf32 values)" if _fmt == "xf32" else ""))
MODELS["cdna3_fp8"] = AccumModel(
    "cdna3_fp8", 16, 31, out_rounding="rne", fmt="e4m3fnuz", fmts=("e4m3fnuz", "e5m2fnuz"), mixed=True,
    fp16_out=False, stages=(Stage(8, 24, stride=1), Stage(2, 24, "rdn")), term_rounding="rdn", c_frac=24,
    c_drop=25, signed_zero="inexact", product_overflow=True, confidence=_SIM,
    source=_MS + " amd_fused_dot_rd_add (is_fp8): even and odd products two 24-bit truncated fused sums, "
                 "each floored to 24 bits below their common max, then as cdna3_fp16 with C dropped when "
                 "its exponent is below E - 25; FNUZ E4M3/E5M2 (MI300's FP8 and BF8, not OCP)" + _AMD,
    instruction="v_mfma_f32_32x32x16_{fp8,bf8}_{fp8,bf8} (MI300, gfx942)")
MODELS["cdna3_fp32"] = AccumModel(
    "cdna3_fp32", 1, None, out_rounding="rne", fmt="fp32", fp16_out=False, signed_zero=True, confidence=_SIM,
    source=_MS + " mfma f32: sequential fmaf over k (CDNA1/2 the same)" + _AMD,
    instruction="v_mfma_f32_32x32x2_f32 (MI100/MI200/MI300)")
for _gen, _ftz in (("cdna1", False), ("cdna2", True)):
    for _fmt, _k in (("fp16", 4), ("bf16", 2)) + ((("bf16_1k", 4),) if _gen == "cdna2" else ()):
        _tree = (Stage(1, rounding="rne", plus_zero=True),) + (Stage(2, rounding="rne"),) * (_k.bit_length() - 1)
        MODELS[f"{_gen}_{_fmt}"] = AccumModel(
            f"{_gen}_{_fmt}", _k, None, out_rounding="rne", fmt=_fmt[:4], fp16_out=False, stages=_tree,
            signed_zero=True, ftz=_ftz, confidence=_SIM,
            source=_MS + f" pairwise_dot: fmaf(a, b, +0) per product, a balanced tree of RNE fmaf over "
                         f"{_k}, then D = D + tree (RNE)" + ("; denormals flushed (inputs to +0, results "
                                                             "keeping their sign)" if _ftz else "") + _AMD,
            instruction=f"v_mfma_f32_*_{_fmt.replace('fp16', 'f16')} ({'MI100' if _gen == 'cdna1' else 'MI200'})")
_RVBNA = ("RISC-V RVBNA (aswaterman/riscv-misc isa/ldot-bdot/ldot-bdot.adoc, v0.2 at b38069a): each product "
          "rounded to odd on the grid 2^(E-23-g), g = ceil(log2 n), exact sum, round to odd to FP32 "
          "(overflow to Inf, zero +0); the set result and vd[0] summed exactly and rounded to odd")
for _fmt, _n, _fm in (("fp8", 32, _FP8), ("bf16", 16, ("bf16",))):
    _g = (_n - 1).bit_length()
    MODELS[f"rvbna_{_fmt}"] = AccumModel(
        f"rvbna_{_fmt}", _n, None, out_rounding="rto", fmt=_fm[0], fmts=_fm, mixed=len(_fm) > 1, fp16_out=False,
        stages=(Stage(_n, 23 + _g, "rto", rounding="rto"),), confidence="definition (spec text); n, the set "
        f"partition and the accumulation are implementation-defined: here one set of n = {_n} per instruction "
        "(VLEN = 256, LMUL = 1)", source=_RVBNA,
        instruction="vfqwldota.vv / vfqwldota.alt.vv (Zvfqwldota8f)" if _fmt == "fp8" else "vfwldota.vv (Zvfwldota16bf)")

#: deprecated preset names -> the preset they now mean (docs/accumulation.md §2)
DEPRECATED = {
    "b200_fp8": "sm100_mma_sync_fp8",       # it described the emulated mma.sync on sm_100, not tcgen05
    "b200_fp8_mmasim": "b200_f8f6f4",        # MMA-Sim's model is the native tcgen05 kind::f8f6f4 path
}


class _Models(dict):
    """The preset table; deprecated names resolve (with a warning) but are not listed."""

    def __missing__(self, key):
        if key in DEPRECATED:
            new = DEPRECATED[key]
            warnings.warn(f"accumulation preset {key!r} is deprecated: use {new!r}", DeprecationWarning, stacklevel=2)
            return self[new]
        raise KeyError(key)

    def __contains__(self, key):
        return dict.__contains__(self, key) or key in DEPRECATED

    def get(self, key, default=None):
        return self[key] if key in self else default


MODELS = _Models(MODELS)


def get_model(model) -> AccumModel:
    """An AccumModel, or a preset name (ValueError listing the presets otherwise)."""
    if isinstance(model, AccumModel):
        return model
    if isinstance(model, str) and model in MODELS:
        return MODELS[model]
    raise ValueError(f"unknown accumulation model {model!r}; presets: {', '.join(MODELS)}")


def list_models() -> list:
    """The preset names (deprecated aliases excluded)."""
    return list(MODELS)


def deprecated_attribute(module, name):
    """``module.PRESETS`` (the old name of :data:`MODELS`, which clashed with ``fp8ref.PRESETS``,
    the codec policies) with a DeprecationWarning; AttributeError for any other name."""
    if name == "PRESETS":
        warnings.warn(f"{module}.PRESETS is deprecated (it clashed with fp8ref.PRESETS, the policy presets); "
                      f"use {module}.MODELS", DeprecationWarning, stacklevel=3)
        return MODELS
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def __getattr__(name):
    return deprecated_attribute(__name__, name)
