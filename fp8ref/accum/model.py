"""Tensor-core accumulation models: one small description, a table of presets.

A model describes the block FMA (BFMA) of ``docs/accumulation.md`` §1: ``n`` exact products and
the incoming accumulator are aligned to the largest exponent ``E`` (``ea+eb`` for a product,
input exponents clamped at the input format's ``emin``; ``c``'s at -126), each term is truncated
toward zero to ``frac_bits`` (F) fraction bits below ``2^E``, the terms are added exactly and the
sum is rounded once: RZ (or RNE) to ``out_frac`` fraction bits for FP32 output, RNE to binary16
for FP16 output. ``frac_bits=None`` means no alignment truncation (exact block sum); ``n=None``
means one block over all of K. ``promote=N_C`` restarts the chain from 0 every N_C elements and
adds each partial sum into an FP32 register with one RNE fused multiply-add (DeepGEMM).
Output conventions are fields too: ``nan_bits`` (the FP32 NaN a result NaN is written as) and
``signed_zero`` (whether zero results carry IEEE 754 signs, or are always +0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..formats import get_format

__all__ = ["AccumModel", "PRESETS", "get_model", "list_models", "QNAN", "NV_NAN"]

_ROUNDINGS = ("rz", "rne")
_OUTS = ("fp32", "fp16")

#: fp8ref's default NaN result: the quiet NaN with zero payload (numpy's, Arm's default NaN)
QNAN = 0x7FC00000
#: NVIDIA tensor cores' FP32 NaN result (binary16 output: 0x7FFF): MMA-Sim
#: mmasim/simulator/arithmetic.py, nv_fused_dot_add (lines 172-176) and
#: nv_fused_dot_add_with_block_scale (line 205), microsoft/MMA-Sim @ c785138
NV_NAN = 0x7FFFFFFF


@dataclass(frozen=True)
class AccumModel:
    """A block-FMA accumulation model (immutable, validated).

    name: label. n: products per block FMA (None: all of K). frac_bits: F, fraction bits kept
    below 2^E after alignment (None: exact). out_frac: fraction bits of the FP32 block result
    (23, or 13 for Hopper/Ada FP8). out_rounding: "rz" or "rne" for that FP32 result (FP16
    output is always RNE). in_fmt: default input format; in_fmts: every input format the model
    accepts. promote: None or N_C (a multiple of n). fp16_out: whether FP16 output exists.
    nan_bits: the FP32 bit pattern of a NaN result, a quiet NaN (binary16 output keeps its sign
    and top 10 payload bits: 0x7FC00000 -> 0x7E00, 0x7FFFFFFF -> 0x7FFF). signed_zero: False:
    every zero result is +0 (NVIDIA tensor cores as MMA-Sim models them); True: IEEE 754 signs
    (a nonzero sum that rounds to zero keeps its sign, an exact zero sum is -0 only when every
    addend is -0), for exact-sum models (frac_bits None) only. confidence, source: documentation.
    """

    name: str
    n: int | None
    frac_bits: int | None
    out_frac: int = 23
    out_rounding: str = "rz"
    in_fmt: str = "fp16"
    in_fmts: tuple = ()
    promote: int | None = None
    fp16_out: bool = True
    nan_bits: int = QNAN
    signed_zero: bool = False
    confidence: str = ""
    source: str = ""

    def __post_init__(self):
        if self.n is not None and (not isinstance(self.n, int) or isinstance(self.n, bool) or self.n < 1):
            raise ValueError(f"n must be a positive int or None, got {self.n!r}")
        if not isinstance(self.out_frac, int) or not 0 <= self.out_frac <= 23:
            raise ValueError(f"out_frac must be an int in 0..23, got {self.out_frac!r}")
        if self.frac_bits is not None:
            if not isinstance(self.frac_bits, int) or isinstance(self.frac_bits, bool) or self.frac_bits < 0:
                raise ValueError(f"frac_bits must be a non-negative int or None, got {self.frac_bits!r}")
            if self.n is None:
                raise ValueError("a finite frac_bits needs a finite block size n")
            # every aligned term is < 2^(F+2); n+1 of them must add exactly in float64
            if self.frac_bits + 2 + (self.n + 1).bit_length() > 53:
                raise ValueError(f"frac_bits={self.frac_bits} with n={self.n} exceeds the exact 53-bit window")
        if self.out_rounding not in _ROUNDINGS:
            raise ValueError(f"out_rounding must be one of {_ROUNDINGS}, got {self.out_rounding!r}")
        fmts = tuple(self.in_fmts) or (self.in_fmt,)
        if self.in_fmt not in fmts:
            raise ValueError(f"in_fmt {self.in_fmt!r} is not among in_fmts {fmts}")
        for f in fmts:
            check_input_format(f)
        object.__setattr__(self, "in_fmts", fmts)
        if self.promote is not None:
            if not isinstance(self.promote, int) or self.promote < 1:
                raise ValueError(f"promote must be a positive int or None, got {self.promote!r}")
            if self.n is None or self.promote % self.n:
                raise ValueError(f"promote={self.promote} must be a multiple of n={self.n}")
            if self.fp16_out:
                raise ValueError("a promotion model accumulates in an FP32 register: set fp16_out=False")
        b = self.nan_bits
        if not isinstance(b, int) or isinstance(b, bool) or not 0 <= b < 1 << 32 or b & 0x7FC00000 != 0x7FC00000:
            raise ValueError(f"nan_bits must be a quiet float32 NaN pattern (0x7FC00000 set), got {b!r}")
        if not isinstance(self.signed_zero, bool):
            raise ValueError(f"signed_zero must be a bool, got {self.signed_zero!r}")
        if self.signed_zero and self.frac_bits is not None:
            raise ValueError("signed_zero=True describes IEEE 754 sums: it needs frac_bits=None")

    def nan_pattern(self, out="fp32") -> int:
        """The bit pattern of a NaN result: ``nan_bits`` for FP32 output, its binary16
        narrowing (sign, top 10 payload bits) for FP16 output."""
        b = self.nan_bits
        return b if out == "fp32" else ((b >> 16) & 0x8000) | 0x7C00 | ((b >> 13) & 0x3FF)

    def replace(self, **changes) -> AccumModel:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


def check_input_format(name):
    """The input format's description; products of two values must be exact in float64."""
    fmt = get_format(name)
    if getattr(fmt, "kind", None) != "ieee":
        raise ValueError(f"input format {name!r} must be IEEE-like, got kind {getattr(fmt, 'kind', None)!r}")
    if fmt.man_bits > 11 or fmt.emax > 127 or fmt.emin - fmt.man_bits < -149:
        raise ValueError(f"input format {name!r} is too wide: at most 11 fraction bits and the binary32 range")
    return fmt


_FP8 = ("e4m3fn", "e5m2")
_F6F4 = ("e3m2fn", "e2m3fn", "e2m1fn")  # Blackwell kind::f8f6f4 / MX elements (unvalidated)
_F16 = ("fp16", "bf16")
_KM = "Khattak–Mikaitis 2025 (MATLAB-tensor-core), MMA-Sim"
_HW = "high, HW-validated"


_TF32_K4 = _HW + " for F; n = 8 from K–M and MMA-Sim (the samples have K = 4)"
#: NVIDIA tensor-core output conventions (no published hardware sample has a NaN or a
#: negative sum that rounds to zero; docs/accumulation.md §1)
_NV_OUT = "; NaN result 0x7FFFFFFF, zero results +0: MMA-Sim arithmetic.py nv_fused_dot_add"


def _nv(name, n, f, **kw):
    """An NVIDIA tensor-core preset: the vendor's NaN pattern, +0 zeros, their source."""
    return AccumModel(name, n, f, nan_bits=NV_NAN, **{**kw, "source": kw["source"] + _NV_OUT})


def _fam(prefix, n16, f, n32, n_tf32, fp8=None, conf16=_HW, src=_KM, conf_tf32=_HW):
    out = {}
    for fmt in _F16:
        out[f"{prefix}_{fmt}"] = _nv(f"{prefix}_{fmt}", n16, f, in_fmt=fmt, in_fmts=(fmt,),
                                     confidence=conf16, source=src)
    out[f"{prefix}_tf32"] = _nv(f"{prefix}_tf32", n_tf32, f, in_fmt="tf32", fp16_out=False,
                                confidence=conf_tf32, source=src)
    if fp8 is not None:
        fb, of, conf = fp8
        out[f"{prefix}_fp8"] = _nv(f"{prefix}_fp8", n32, fb, out_frac=of, in_fmt="e4m3fn", in_fmts=_FP8,
                                   confidence=conf, source=src)
    return out


#: name -> AccumModel. Parameters and confidence: docs/accumulation.md.
PRESETS = {
    "exact": AccumModel("exact", None, None, out_rounding="rne", in_fmt="e4m3fn",
                        in_fmts=_FP8 + _F6F4 + _F16 + ("tf32",), signed_zero=True, confidence="definition",
                        source="exact sum, one RNE rounding; IEEE 754 signed zeros; NaN 0x7FC00000 (fp8ref's default)"),
    "fp32_fma": AccumModel("fp32_fma", 1, None, out_rounding="rne", in_fmt="e4m3fn",
                           in_fmts=_FP8 + _F6F4 + _F16 + ("tf32",), signed_zero=True, confidence="definition",
                           source="sequential FP32 FMA (fmaf) on CUDA cores, element order; IEEE 754 signed "
                                  "zeros; NaN 0x7FC00000 (fp8ref's default)"),
    "v100_fp16": _nv("v100_fp16", 4, 23, in_fmt="fp16", confidence=_HW, source="Fasi et al. 2021, " + _KM),
    **_fam("a100", 8, 24, None, 4),
    **_fam("h100", 16, 25, 32, 8, fp8=(13, 13, _HW + " (fp32 out, c=0 in the data)"), conf_tf32=_TF32_K4),
    **_fam("ada", 8, 24, 16, 4, fp8=(13, 13, _HW)),
    **_fam("b200", 16, 25, 32, 8, conf_tf32=_TF32_K4),
}
PRESETS["b200_fp8"] = _nv(
    "b200_fp8", 32, None, out_rounding="rne", in_fmt="e4m3fn", in_fmts=_FP8 + _F6F4,
    confidence="medium: fits the K–M B200 samples (E4M3 5000/5000, E5M2 4999/5000; K = 32, one block, "
               "so chaining across blocks is unmeasured); FP6/FP4 inputs unvalidated",
    source="fp8ref fit to MATLAB-tensor-core B200 data (docs/accumulation.md); MMA-Sim / DeepGEMM #176 "
           "describe F = 25 with RZ, which the same data reject (1793 / 1764 mismatches)")
PRESETS["b200_fp8_mmasim"] = _nv(
    "b200_fp8_mmasim", 32, 25, in_fmt="e4m3fn", in_fmts=_FP8 + _F6F4,
    confidence="published model, rejected by the K–M B200 FP8 samples (1793 / 1764 of 5000 differ)",
    source="MMA-Sim (Xie et al. 2025), DeepGEMM #176: F = 25, RZ")
PRESETS["h100_fp8_promote128"] = PRESETS["h100_fp8"].replace(
    name="h100_fp8_promote128", promote=128, fp16_out=False,
    confidence="high (mechanism from DeepGEMM source)",
    source="DeepSeek-V3 §3.3.2, DeepGEMM sm90_fp8_gemm_1d2d.cuh" + _NV_OUT)


def get_model(model) -> AccumModel:
    """An AccumModel, or a preset name (ValueError listing the presets otherwise)."""
    if isinstance(model, AccumModel):
        return model
    if isinstance(model, str) and model in PRESETS:
        return PRESETS[model]
    raise ValueError(f"unknown accumulation model {model!r}; presets: {', '.join(PRESETS)}")


def list_models():
    """The preset names."""
    return list(PRESETS)
